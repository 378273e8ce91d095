"""The ``hf`` corpus: Hugging Face datasets, tested offline on tiny datasets saved here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_models import tiny_ner_dataset

from xlner.corpora import CorpusUnavailable, get_corpus
from xlner.corpora.hf import HubCorpus
from xlner.registry import ComponentError
from xlner.types import Span, TaggedSentence

datasets = pytest.importorskip("datasets")

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
ROWS = {
    "tokens": [["Ana", "Lopez", "vive", "en", "Lima"], ["Nada", "."]],
    "ner_tags": [[1, 2, 0, 0, 3], [0, 0]],
}
EXPECTED = [
    TaggedSentence(["Ana", "Lopez", "vive", "en", "Lima"], [Span(0, 2, "PER"), Span(4, 5, "LOC")]),
    TaggedSentence(["Nada", "."], []),
]


def tiny_dataset(tags_feature=None, rows=ROWS):
    return tiny_ner_dataset(rows, NAMES, tags_feature)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A DatasetDict with a test and a train split, written by ``save_to_disk``."""
    folder = tmp_path / "tiny-ner"
    datasets.DatasetDict({"test": tiny_dataset(), "train": tiny_dataset()}).save_to_disk(folder)
    return folder


def test_saved_dataset_loads_with_label_names_from_its_features(saved):
    hf = get_corpus("hf")
    assert hf.load(path=str(saved)) == EXPECTED  # split defaults to test
    assert hf.load(path=saved, split="train") == EXPECTED


def test_generic_callers_pass_path_and_split_from_a_config(saved):
    hf = get_corpus("hf")
    data = {"corpus": "hf", "path": str(saved), "split": "test", "lang": "es", "pivot": "en"}
    assert hf.load(data_dir=None, **hf.parameters_in(data)) == EXPECTED


def test_a_single_saved_dataset_and_string_tags(tmp_path):
    strings = {
        "tokens": ROWS["tokens"],
        "ner_tags": [["B-PER", "I-PER", "O", "O", "B-LOC"], ["O"] * 2],
    }
    tiny_dataset(datasets.Sequence(datasets.Value("string")), strings).save_to_disk(
        tmp_path / "one"
    )
    assert get_corpus("hf").load(path=tmp_path / "one") == EXPECTED


def test_a_config_names_a_subfolder_of_saved_datasets(tmp_path):
    tiny_dataset().save_to_disk(tmp_path / "panx" / "PAN-X.es")
    assert get_corpus("hf").load(path=tmp_path / "panx", config="PAN-X.es") == EXPECTED
    with pytest.raises(ComponentError, match="has no folder for config 'PAN-X.de'"):
        get_corpus("hf").load(path=tmp_path / "panx", config="PAN-X.de")


def test_a_named_hub_corpus_is_one_instance(saved):
    """Fixed ``dataset`` and a ``config`` template: the parameters become lang and split."""
    corpus = HubCorpus(
        name="tiny-hub",
        title="tiny",
        folder="",
        licence="test",
        citation="",
        dataset=str(saved.parent),
        config="{lang}",
        parameter_choices={"lang": ("tiny-ner",), "split": ("train", "test")},
    )
    assert corpus.parameters == ("lang", "split")
    assert corpus.load(lang="tiny-ner", split="train") == EXPECTED
    with pytest.raises(ComponentError, match="unknown lang 'xx'; expected one of tiny-ner"):
        corpus.load(lang="xx", split="test")


def test_bad_split_and_columns_are_one_line_errors(saved, tmp_path):
    hf = get_corpus("hf")
    with pytest.raises(ComponentError, match="no split 'dev'; its splits: test, train"):
        hf.load(path=saved, split="dev")
    datasets.Dataset.from_dict({"words": [["a"]]}).save_to_disk(tmp_path / "other")
    with pytest.raises(ComponentError, match="has no column 'tokens'; its columns: words"):
        hf.load(path=tmp_path / "other")
    bad = {"tokens": [["a", "b"]], "ner_tags": [[0]]}
    tiny_dataset(rows=bad).save_to_disk(tmp_path / "short")
    with pytest.raises(ComponentError, match="row 0: 2 tokens but 1 tags"):
        hf.load(path=tmp_path / "short")


def test_without_the_datasets_library_the_error_says_how_to_install_it(monkeypatch, saved):
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets now raises ImportError
    with pytest.raises(
        CorpusUnavailable, match=r"needs the datasets library: pip install 'xlner\[hub\]'"
    ):
        get_corpus("hf").load(path=saved)


def test_hub_out_of_reach_is_a_one_line_cli_error(tmp_path):
    """Loading by hub name is real code: offline it fails in one line, with no traceback."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    command = ["data", "show", "hf", "path=masakhane/masakhaner2", "config=lug"]
    result = subprocess.run(
        [sys.executable, "-m", "xlner", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "error: corpus 'hf': could not load 'masakhane/masakhaner2': Couldn't reach" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
