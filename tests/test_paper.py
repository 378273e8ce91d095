"""The seed paper's protocol by name: its 57 languages as data, its configs, and ``xlner paper``
end to end offline on tiny local models (NLLB-like translator, BERT tagger and aligner) and
tiny ``save_to_disk`` datasets standing in for the hub's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_models import save_tiny_nllb, save_tiny_token_classifier, tiny_ner_dataset
from typer.testing import CliRunner

from xlner.bench import paper
from xlner.cli import app
from xlner.corpora.masakhaner2 import LANGUAGES as MASAKHANER2_LANGUAGES
from xlner.signature import parse_signature
from xlner.translate.nllb import nllb_code

# XTREME's PAN-X configs (PAN-X.<code>), English included: the pivot, not a target.
XTREME_PANX = {
    "af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he",
    "hi", "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl",
    "pt", "ru", "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
}  # fmt: skip


def invoke(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


# ---------------------------------------------------------------------------- the protocol as data


def test_the_protocol_has_57_languages():
    suites = paper.suites()
    assert set(suites["panx"].languages) == XTREME_PANX - {"en"}
    # MasakhaNER 2.0 without the two languages NLLB-200 has no code for.
    assert set(suites["masakhaner2"].languages) == set(MASAKHANER2_LANGUAGES) - {"bbj", "pcm"}
    assert len(paper.languages()) == 57 == sum(len(s.languages) for s in suites.values())
    for lang in paper.languages():
        assert nllb_code(lang).endswith(("_Latn", "_Arab", "_Cyrl", "_Beng", "_Grek", "_Hebr",
                                         "_Deva", "_Jpan", "_Geor", "_Hang", "_Mlym", "_Mymr",
                                         "_Taml", "_Telu", "_Thai", "_Hans"))  # fmt: skip
    # Two suites share languages under different codes; each code names one test set.
    assert paper.suite_of("sw").name == "panx" and paper.suite_of("swa").name == "masakhaner2"


def test_the_paper_config_of_each_suite():
    german = paper.paper_config("de")
    assert german["data"] | {"limit": 0} == {
        "corpus": "hf",
        "path": "google/xtreme",
        "config": "PAN-X.de",
        "lang": "de",
        "pivot": "en",
        "split": "test",
        "limit": 0,
    }
    assert german["evaluate"]["label_map"] == "drop-misc"  # PAN-X has no MISC
    assert german["translate"]["translator"] == "nllb"
    assert german["translate"]["options"]["model"] == "facebook/nllb-200-3.3B"
    assert german["tag"]["tagger"] == "hf"
    assert german["tag"]["options"]["model"] == "xlm-roberta-large-finetuned-conll03-english"
    swahili = paper.paper_config("swa", ["translate.options.dtype=bfloat16"])
    assert swahili["data"]["path"] == "masakhane/masakhaner2"
    assert swahili["data"]["config"] == "swa"
    assert swahili["evaluate"]["label_map"] == "drop-date-misc"  # DATE dropped
    assert swahili["translate"]["options"]["dtype"] == "bfloat16"


def test_paper_command_errors_are_one_line():
    result = invoke("paper", "swh")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not a language of the paper's protocol" in result.output and "swa" in result.output
    result = invoke("paper")
    assert result.exit_code == 2 and "xlner paper --list" in result.output
    result = invoke("paper", "swa", "data.pth=x")
    assert result.exit_code == 2 and "did you mean 'data.path'" in result.output
    listed = invoke("paper", "--list")
    assert listed.exit_code == 0 and "(39)" in listed.output and "(18)" in listed.output


# ---------------------------------------------------------------------------- end to end, offline

NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper-models")
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    return {
        "nllb": save_tiny_nllb(root / "nllb"),
        # Tags every word B-LOC, in English and in the target alike.
        "tagger": save_tiny_token_classifier(root / "tagger", labels, favour="B-LOC"),
    }


def _save_suite(folder: Path, config: str) -> Path:
    """One dataset config as a save_to_disk folder, as the hf corpus reads a local copy."""
    datasets = pytest.importorskip("datasets")
    rows = {
        "tokens": [["Juma", "works", "in", "Kampala", "."], ["John", "Smith", "came", "today"]],
        "ner_tags": [[1, 0, 0, 5, 0], [1, 2, 0, 7]],  # PER, LOC; PER, DATE
    }
    datasets.DatasetDict({"test": tiny_ner_dataset(rows, NAMES)}).save_to_disk(folder / config)
    return folder


def _local_copies(models: dict[str, Path], data: Path) -> list[str]:
    """Overrides that put the tiny local models and dataset in place of the hub's."""
    return [
        f"data.path={str(data)!r}",
        f"translate.options.model={str(models['nllb'])!r}",
        "translate.options.num_beams=1",
        f"tag.options.model={str(models['tagger'])!r}",
        f"align.options.model={str(models['tagger'])!r}",
        "align.options.layer=1",  # the tiny BERT has one layer
    ]


@pytest.mark.parametrize(("lang", "config", "gold"), [("swa", "swa", 3), ("de", "PAN-X.de", 4)])
def test_paper_runs_offline_end_to_end(tiny_models, tmp_path, lang, config, gold):
    overrides = _local_copies(tiny_models, _save_suite(tmp_path / "hub-copy", config))
    run_dir = tmp_path / "run"
    result = invoke("paper", lang, *overrides, "--run-dir", run_dir, "--signature", "full")
    assert result.exit_code == 0, result.output
    report = json.loads((run_dir / "paper.json").read_text())
    assert report["lang"] == lang and set(report["rows"]) == {"translate-test", "model transfer"}

    run = report["rows"]["translate-test"]
    assert run["sentences"] == 2 and not run["failures"]
    # MasakhaNER drops DATE (3 gold entities left); the PAN-X label map only drops MISC.
    assert run["scores"]["n_gold"] == gold
    full = run["signature_full"]
    assert full["data"]["config"] == config and parse_signature(run["signature"])["tag"] == "hf"
    assert full["translate"]["translator"]["model"] == str(tiny_models["nllb"])

    transfer = report["rows"]["model transfer"]
    # The tagger calls every target word a LOC: only "Kampala" is right.
    assert transfer["scores"]["n_predicted"] == 9 and transfer["scores"]["n_gold"] == gold
    assert transfer["precision"] == pytest.approx(100 / 9, abs=0.05)
    assert parse_signature(transfer["signature"])["method"] == "model-transfer"
    assert transfer["signature_full"]["tag"]["model"] == str(tiny_models["tagger"])
    assert "F1" in result.output and "model transfer" in result.output
    for row in (run, transfer):  # each row's short signature, then its full settings
        full = json.dumps(row["signature_full"], indent=2, sort_keys=True)
        assert f"{row['signature']}\n{full}" in result.output


def test_paper_without_model_transfer_writes_where_asked(tiny_models, tmp_path):
    overrides = _local_copies(tiny_models, _save_suite(tmp_path / "hub-copy", "hau"))
    output = tmp_path / "hau.json"
    args = ["--no-model-transfer", "--output", output, "--run-dir", tmp_path / "run"]
    result = invoke("paper", "hau", *overrides, *args)
    assert result.exit_code == 0, result.output
    report = json.loads(output.read_text())
    assert list(report["rows"]) == ["translate-test"] and report["suite"] == "masakhaner2"
    assert not (tmp_path / "run" / "paper.json").exists()
