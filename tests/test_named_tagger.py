"""The trained tagger as a source tagger by name: training into the user cache, the lookup by
``xlner tag``, ``xlner run`` and ``xlner project --tag``, and each of its one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from entry_point import full_signature  # noqa: E402
from pipeline_fakes import make_config  # noqa: E402
from tiny_models import save_tiny_bert, save_tiny_token_classifier  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from xlner.cli import app  # noqa: E402
from xlner.corpora.conll import read_conll, write_conll  # noqa: E402
from xlner.errors import InputError  # noqa: E402
from xlner.pipeline.run import run_pipeline  # noqa: E402
from xlner.registry import ComponentError, registry  # noqa: E402
from xlner.tagging.tagger import META_FILE, TokenTagger  # noqa: E402
from xlner.tagging.xlner import DEFAULT_NAME, taggers_dir  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

FULL = ("--signature", "full")
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


@pytest.fixture(scope="module")
def saved_tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny tagger that tags every word B-PER, saved as ``xlner train tagger`` saves one."""
    root = tmp_path_factory.mktemp("tiny-tagger")
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    classifier = save_tiny_token_classifier(root / "classifier", LABELS, favour="B-PER")
    model = AutoModelForTokenClassification.from_pretrained(classifier)
    tokenizer = AutoTokenizer.from_pretrained(classifier)
    tagger = TokenTagger(model, tokenizer, LABELS, device="cpu")
    tagger.languages = ("en",)
    return tagger.save(root / "tagger")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache for this test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def install(saved: Path, name: str) -> Path:
    """Put the saved tagger in the taggers directory under ``name``."""
    return Path(shutil.copytree(saved, taggers_dir() / name))


def invoke(*args: str):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


# ---------------------------------------------------------------------------- xlner train tagger


def _tiny_conll2003(folder: Path) -> Path:
    sentences = [
        TaggedSentence(
            ["Juma", "lives", "in", "Kampala", "."], [Span(0, 1, "PER"), Span(3, 4, "LOC")]
        ),
        TaggedSentence(["the", "city", "is", "big", "."], []),
    ] * 4
    folder.mkdir(parents=True)
    for split in ("train", "valid", "test"):
        write_conll(folder / f"{split}.txt", sentences)
    return folder.parent


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    words = ["Juma", "lives", "in", "Kampala", ".", "the", "city", "is", "big"]
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-encoder"), words)


def test_train_tagger_saves_by_name_in_the_user_cache(cache, tiny_encoder, tmp_path):
    data = _tiny_conll2003(tmp_path / "data" / "conll2003")
    train = ["train", "tagger", "--data-dir", data, "--encoder", tiny_encoder, "--batch-size", 4]
    result = invoke(*train, "--epochs", 1)
    assert result.exit_code == 0, result.output
    folder = cache / "xlner" / "taggers" / DEFAULT_NAME
    meta = json.loads((folder / META_FILE).read_text())
    assert meta["languages"] == ["en"] and meta["labels"] == [
        "O",
        "B-LOC",
        "I-LOC",
        "B-PER",
        "I-PER",
    ]
    assert f"--model {DEFAULT_NAME}" in result.output

    # -o DIR instead of a name; --stop-after leaves a checkpoint to resume, not a tagger.
    result = invoke(*train, "--epochs", 2, "--stop-after", 1, "-o", tmp_path / "own")
    assert result.exit_code == 0, result.output
    assert "rerun the same command to resume" in result.output
    assert not (tmp_path / "own" / META_FILE).exists()

    assert_one_line_error(invoke(*train, "--name", "a", "-o", tmp_path / "x"), "--name or -o")
    assert_one_line_error(invoke(*train, "--name", "a/b"), "not a plain name")


# ---------------------------------------------------------------------------- xlner tag


def test_tag_finds_a_tagger_by_name_or_directory(cache, saved_tagger, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("John works in Kampala .\n", encoding="utf-8")
    install(saved_tagger, "tiny")
    for model in ("tiny", saved_tagger):
        out = tmp_path / "out.conll"
        result = invoke("tag", text, "-o", out, "--model", model)
        assert result.exit_code == 0, result.output
        assert read_conll(out)[0].spans == [Span(i, i + 1, "PER") for i in range(5)]


def test_tag_errors_are_one_line(cache, saved_tagger, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("John works .\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    # No tagger trained: the default name is missing, and the message says how to train it.
    assert_one_line_error(
        invoke("tag", text, "-o", out),
        f"no tagger named {DEFAULT_NAME!r}",
        f"xlner train tagger --name {DEFAULT_NAME}",
        "none trained yet",
    )
    install(saved_tagger, "tiny")
    assert_one_line_error(invoke("tag", text, "-o", out, "--model", "tnyi"), "choose from: tiny")
    assert_one_line_error(
        invoke("tag", text, "-o", out, "--model", tmp_path / "missing"), "does not exist"
    )
    assert_one_line_error(
        invoke("tag", text, "-o", out, "--model", tmp_path), f"has no {META_FILE}", "tiny"
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / META_FILE).write_text("{not json")
    assert_one_line_error(
        invoke("tag", text, "-o", out, "--model", broken), "unreadable tagger metadata"
    )


def test_loading_a_folder_that_is_no_tagger_is_one_line(tmp_path):
    with pytest.raises(InputError, match="no such tagger directory"):
        TokenTagger.load(tmp_path / "missing")
    with pytest.raises(InputError, match=f"not a saved xlner tagger \\(no {META_FILE}\\)"):
        TokenTagger.load(tmp_path)


# ---------------------------------------------------------------------------- the source tagger


def test_signature_names_the_model_and_hashes_its_files(cache, saved_tagger, tmp_path):
    install(saved_tagger, "tiny")
    by_name = registry.taggers.build("xlner", model="tiny").signature()
    copy = Path(shutil.copytree(saved_tagger, tmp_path / "copy"))
    by_path = registry.taggers.build("xlner", model=copy).signature()
    assert by_name["model"] == "tiny" and by_path["model"] == "copy"
    assert by_name["content"] == by_path["content"]  # the same files, the same hash
    meta = json.loads((copy / META_FILE).read_text())
    (copy / META_FILE).write_text(json.dumps({**meta, "max_length": 64}))
    changed = registry.taggers.build("xlner", model=copy).signature()
    assert changed["content"] != by_path["content"]


def test_a_taggers_files_are_hashed_once_a_version(cache, saved_tagger, tmp_path, monkeypatch):
    # A benchmark builds the same tagger for every language and variant: its files (hundreds
    # of MB) are read once, and again only when one of them is written anew.
    import hashlib
    import os

    copy = Path(shutil.copytree(saved_tagger, tmp_path / "once"))
    reads: list[str] = []
    digest = hashlib.file_digest

    def counted(handle, name):
        reads.append(Path(handle.name).name)
        return digest(handle, name)

    monkeypatch.setattr(hashlib, "file_digest", counted)
    first = registry.taggers.build("xlner", model=copy).signature()["content"]
    files = len(reads)
    assert files == sum(1 for p in copy.iterdir() if p.is_file())
    assert registry.taggers.build("xlner", model=copy).signature()["content"] == first
    assert len(reads) == files
    # The same size, other bytes: a new version (its modification time moves), hashed again.
    weights = max((p for p in copy.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert registry.taggers.build("xlner", model=copy).signature()["content"] != first
    assert len(reads) == 2 * files


def test_precision_is_an_option_in_the_signature(cache, saved_tagger):
    from xlner.encoders.base import resolve_precision

    install(saved_tagger, "tiny")
    exact = registry.taggers.build("xlner", model="tiny", device="cpu", precision="float32")
    assert exact.signature()["precision"] == "float32"
    assert exact.tagger.inference_precision() == "float32"
    auto = registry.taggers.build("xlner", model="tiny", device="cpu")
    assert auto.signature()["precision"] == resolve_precision("auto", "cpu")
    with pytest.raises(ComponentError, match="unknown precision 'int8'"):
        registry.taggers.build("xlner", model="tiny", precision="int8")


def test_pivot_languages(cache, saved_tagger):
    install(saved_tagger, "tiny")
    assert registry.taggers.build("xlner", model="tiny", lang="eng")  # ISO 639-3 spelling
    with pytest.raises(ComponentError, match="trained for en, not for pivot language 'fr'"):
        registry.taggers.build("xlner", model="tiny", lang="fr")
    tagger = registry.taggers.build("xlner", model="tiny", lang="fr", zero_shot=True)
    assert tagger.tag([["Jean", "Dupont"]]) == [[Span(0, 1, "PER"), Span(1, 2, "PER")]]


def test_a_tagger_saved_without_languages_takes_any_pivot(cache, saved_tagger):
    folder = install(saved_tagger, "old")
    meta = json.loads((folder / META_FILE).read_text())
    del meta["languages"]
    (folder / META_FILE).write_text(json.dumps(meta))
    assert registry.taggers.build("xlner", model="old", lang="fr").languages == []


# ---------------------------------------------------------------------------- xlner run


def _run_config(tmp_path: Path, **tag_options) -> Path:
    config = make_config(tmp_path)
    options = ", ".join(f"{key} = {json.dumps(value)}" for key, value in tag_options.items())
    path = tmp_path / "run.toml"
    path.write_text(
        "preset = 'light'\n"  # the diagonal aligner has no link sets for the default's matching
        f"[data]\ncorpus = 'conll'\npath = '{config['data']['path']}'\nlang = 'lug'\n"
        "[translate]\ntranslator = 'test-echo'\n"
        f"[tag]\ntagger = 'xlner'\noptions = {{ {options} }}\n"
        "[align]\naligner = 'test-diagonal'\n"
    )
    return path


def test_run_tags_with_the_named_tagger(cache, saved_tagger, tmp_path):
    install(saved_tagger, DEFAULT_NAME)
    result = invoke("run", _run_config(tmp_path), "--run-dir", tmp_path / "run", *FULL)
    assert result.exit_code == 0, result.output
    tagger = full_signature(result.stdout)["tag"]["tagger"]
    assert tagger["method"] == "xlner" and tagger["model"] == DEFAULT_NAME
    # Every word is a PER for this tagger, so every projected word is one too.
    predicted = read_conll(tmp_path / "run" / "predictions.conll")
    assert all(len(s.spans) == len(s.tokens) for s in predicted)


def test_run_with_a_pivot_the_tagger_was_not_trained_for(cache, saved_tagger, tmp_path):
    install(saved_tagger, "tiny")
    config = _run_config(tmp_path, model="tiny")
    result = invoke("run", config, "data.pivot=fr", "--run-dir", tmp_path / "fr")
    assert_one_line_error(result, "tag.tagger:", "not for pivot language 'fr'", "zero_shot")
    zero_shot = ["data.pivot=fr", "tag.options.zero_shot=true", "--run-dir", tmp_path / "fr"]
    assert invoke("run", config, *zero_shot).exit_code == 0


def test_run_with_a_missing_tagger(cache, tmp_path):
    result = invoke("run", _run_config(tmp_path, model="nope"), "--run-dir", tmp_path / "r")
    assert_one_line_error(result, "no tagger named 'nope'", "xlner train tagger --name nope")
    assert not (tmp_path / "r" / "stages").exists()  # refused before any stage ran


def test_the_pipeline_reports_a_tagger_whose_weights_changed(cache, saved_tagger, tmp_path):
    folder = install(saved_tagger, "tiny")
    config = make_config(tmp_path, **{"tag.tagger": "xlner", "tag.options.model": "tiny"})
    first = run_pipeline(config)
    (folder / "config.json").write_text((folder / "config.json").read_text() + " ")
    second = run_pipeline(config)
    assert first.stages["tag"].key != second.stages["tag"].key
    assert second.stages["translate"].status == "reused"


# ---------------------------------------------------------------------------- xlner project --tag


@pytest.fixture
def plain_pair(tmp_path: Path) -> tuple[Path, Path]:
    source, target = tmp_path / "en.txt", tmp_path / "es.conll"
    source.write_text("John works in Kampala .\nJohn Smith .\n", encoding="utf-8")
    write_conll(
        target,
        [
            TaggedSentence(["Juan", "trabaja", "en", "Kampala", "."], [Span(0, 1, "PER")]),
            TaggedSentence(["Juan", "Smith", "."], [Span(0, 2, "PER")]),
        ],
    )
    return source, target


def test_project_tags_the_source_with_the_tagger(cache, saved_tagger, plain_pair, tmp_path):
    install(saved_tagger, DEFAULT_NAME)
    source, target = plain_pair
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", source, "--target", target, "--target-conll"]
    result = invoke(*args, "--tag", "xlner", "-o", out, "--format", "jsonl", "--evaluate", *FULL)
    assert result.exit_code == 0, result.output
    tagger = full_signature(result.stdout)["tag"]
    assert tagger["method"] == "xlner" and tagger["model"] == DEFAULT_NAME
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["source_tokens"] == ["John", "works", "in", "Kampala", "."]
    # The tagger makes every source word a PER of its own; projection carries them over.
    entities = [entity for row in rows for entity in row["entities"]]
    assert entities and all(e["label"] == "PER" for e in entities)
    assert all(e["source"]["end"] - e["source"]["start"] == 1 for e in entities)


def test_project_tag_errors_come_before_any_work(cache, saved_tagger, plain_pair, tmp_path):
    source, target = plain_pair
    args = [
        "project",
        "--source",
        source,
        "--target",
        target,
        "--target-conll",
        "-o",
        tmp_path / "o",
    ]
    assert_one_line_error(invoke(*args, "--tag", "xlner"), "xlner train tagger --name xlner-conll")
    assert_one_line_error(invoke(*args, "--tag", "nope"), "unknown tagger 'nope'", "xlner")
    assert_one_line_error(invoke(*args, "--tag-option", "lang=fr"), "--tag-option needs --tag")
    install(saved_tagger, DEFAULT_NAME)
    assert_one_line_error(
        invoke(*args, "--tag", "xlner", "--tag-option", "lang=fr"), "not for pivot language 'fr'"
    )
    assert_one_line_error(
        invoke(*args, "--tag", "xlner", "--tag-option", "colour=red"), "no option 'colour'"
    )
    assert_one_line_error(
        invoke(*args, "--tag", "xlner", "--tag-option", "lang"), "is not KEY=VALUE"
    )
    assert not (tmp_path / "o").exists()
    french = ["--tag", "xlner", "--tag-option", "lang=fr", "--tag-option", "zero_shot=true"]
    assert invoke(*args, *french).exit_code == 0


def _with_tag_options(path: Path, options: str) -> Path:
    text = path.read_text()
    assert "options = {  }" in text
    path.write_text(text.replace("options = {  }", f"options = {{ {options} }}"))
    return path


def test_a_label_map_renames_the_classes_of_a_run(cache, saved_tagger, tmp_path):
    """``label_map = { PER = "LOC" }``: every word this tagger calls PER is projected as LOC;
    the map is in the signature, and a plain run's signature has none."""
    install(saved_tagger, DEFAULT_NAME)
    config = _with_tag_options(_run_config(tmp_path), "label_map = { PER = 'LOC' }")
    result = invoke("run", config, "--run-dir", tmp_path / "run", *FULL)
    assert result.exit_code == 0, result.output
    assert full_signature(result.stdout)["tag"]["tagger"]["label_map"] == {"PER": "LOC"}
    predicted = read_conll(tmp_path / "run" / "predictions.conll")
    assert {span.label for s in predicted for span in s.spans} == {"LOC"}
    plain = invoke("run", _run_config(tmp_path), "--run-dir", tmp_path / "plain", *FULL)
    assert plain.exit_code == 0 and "label_map" not in full_signature(plain.stdout)["tag"]["tagger"]
    dropped = _with_tag_options(_run_config(tmp_path), "label_map = { PER = '' }")
    assert invoke("run", dropped, "--run-dir", tmp_path / "none").exit_code == 0
    assert not any(s.spans for s in read_conll(tmp_path / "none" / "predictions.conll"))


def test_a_bad_label_map_is_one_line(cache, saved_tagger, tmp_path):
    install(saved_tagger, DEFAULT_NAME)
    config = _with_tag_options(_run_config(tmp_path), "label_map = ['PER']")
    result = invoke("run", config, "--run-dir", tmp_path / "r")
    assert_one_line_error(result, "label_map must be a table of class = new class")
