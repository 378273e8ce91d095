"""Exporters: a Hugging Face ``datasets`` folder and a spaCy ``DocBin``, each round-tripped."""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from entry_point import xlner_cli

from xlner.corpora.conll import write_conll
from xlner.types import Span, TaggedSentence

datasets = pytest.importorskip("datasets")
pytest.importorskip("spacy")

from xlner.export import hf, spacy  # noqa: E402

SENTENCES = [
    TaggedSentence(["Juma", "Nakato", "alikwenda", "Kampala", "."], [Span(0, 2, "PER")]),
    TaggedSentence(["Kampala", "City", "Council", "leo"], [Span(0, 3, "ORG"), Span(3, 4, "DATE")]),
    TaggedSentence(["hakuna", "kitu"]),
    TaggedSentence(["Nairobi", "na", "Kampala"], [Span(0, 1, "LOC"), Span(2, 3, "LOC")]),
]
MASAKHANER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]


def test_hf_round_trip_with_class_labels(tmp_path: Path) -> None:
    folder = hf.export(tmp_path / "silver.hf", SENTENCES, classes=["PER", "ORG", "LOC", "DATE"])
    assert hf.load(folder) == SENTENCES
    table = datasets.load_from_disk(str(folder))["train"]
    assert table.features["ner_tags"].feature.names == MASAKHANER_TAGS
    assert table[1]["ner_tags"] == [3, 4, 4, 7]
    assert table[0]["tokens"] == SENTENCES[0].tokens


def test_hf_default_classes_are_sorted_and_the_folder_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "out.hf"
    hf.export(folder, SENTENCES[:1], split="dev")
    hf.export(folder, SENTENCES, ids=["a", "b", "c", "d"], split="dev")
    table = datasets.load_from_disk(str(folder))
    assert list(table) == ["dev"]
    names = table["dev"].features["ner_tags"].feature.names
    assert names == ["O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert table["dev"]["id"] == ["a", "b", "c", "d"]
    assert hf.load(folder, split="dev") == SENTENCES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_hf_refuses_a_class_outside_the_label_set(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'B-DATE' is not among"):
        hf.export(tmp_path / "x.hf", SENTENCES, classes=["PER", "ORG", "LOC"])
    assert not (tmp_path / "x.hf").exists()


@pytest.mark.parametrize(
    ("lang", "used"), [("swa", "xx"), ("lug", "lg"), ("en", "en"), (None, "xx")]
)
def test_spacy_round_trip_with_a_blank_pipeline(tmp_path: Path, lang, used) -> None:
    assert spacy.blank_pipeline(lang).lang == used
    path = spacy.export(tmp_path / "silver.spacy", SENTENCES, lang=lang)
    assert spacy.load(path, lang) == SENTENCES


def test_spacy_keeps_the_original_spacing(tmp_path: Path) -> None:
    from spacy.tokens import DocBin

    sentence = TaggedSentence(["Kampala", "iko", "mbali", "."], [Span(0, 1, "LOC")])
    path = spacy.export(tmp_path / "s.spacy", [sentence], spaces=[[True, True, False, False]])
    doc = next(DocBin().from_disk(path).get_docs(spacy.blank_pipeline("xx").vocab))
    assert doc.text == "Kampala iko mbali."
    assert [(e.text, e.label_) for e in doc.ents] == [("Kampala", "LOC")]


# ---------------------------------------------------------------------------- xlner export


def test_export_cli_from_conll_and_jsonl(capsys, tmp_path: Path) -> None:
    conll = tmp_path / "projected.conll"
    write_conll(conll, SENTENCES, sep="\t")
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", tmp_path / "p.hf")
    assert result.code == 0, result.err
    assert hf.load(tmp_path / "p.hf") == SENTENCES
    jsonl = tmp_path / "projected.jsonl"
    rows = [{"tokens": ["Juma", "na", "Nakato"], "tags": ["B-PER", "O", "B-PER"], "index": 0}]
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    args = ("export", jsonl, "--to", "spacy", "-o", tmp_path / "p.spacy", "--lang", "lug")
    result = xlner_cli(capsys, *args)
    assert result.code == 0, result.err
    assert "exported 1 sentences" in result.err
    assert spacy.load(tmp_path / "p.spacy") == [
        TaggedSentence(["Juma", "na", "Nakato"], [Span(0, 1, "PER"), Span(2, 3, "PER")])
    ]


def test_export_cli_labels_and_split(capsys, tmp_path: Path) -> None:
    conll = tmp_path / "silver.conll"
    write_conll(conll, SENTENCES)
    args = ("export", conll, "--to", "hf", "-o", tmp_path / "s.hf", "--split", "validation")
    result = xlner_cli(capsys, *args, "--labels", "PER,ORG,LOC,DATE")
    assert result.code == 0, result.err
    table = datasets.load_from_disk(str(tmp_path / "s.hf"))["validation"]
    assert table.features["ner_tags"].feature.names == MASAKHANER_TAGS


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("not json\n", ":1: not JSON: expected an object with tokens and tags"),
        ('{"tokens": ["a"]}\n', ":1: no field 'tags'"),
        ('{"tokens": ["a", "b"], "tags": ["O"]}\n', ":1: 2 tokens but 1 tags"),
        ('{"tokens": ["a"], "tags": ["X-PER"]}\n', ":1: not a B-/I-/E-/S-/O tag: 'X-PER'"),
        ("\n", "no sentence: the file is empty"),
        ('{"tokens": "abc", "tags": "OOO"}\n', ":1: tokens is str, not a list of strings"),
        ('{"tokens": [1, null], "tags": ["O", "O"]}\n', ":1: tokens[1] is 1, not a non-empty"),
        ('{"tokens": [""], "tags": ["O"]}\n', ":1: tokens[1] is '', not a non-empty string"),
        ('{"tokens": ["a"], "tags": [null]}\n', ":1: tags[1] is None, not a non-empty"),
    ],
)
def test_export_cli_bad_jsonl(capsys, tmp_path: Path, rows: str, message: str) -> None:
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text(rows, encoding="utf-8")
    result = xlner_cli(capsys, "export", jsonl, "--to", "hf", "-o", tmp_path / "x.hf")
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


def test_export_cli_bad_outputs_and_labels(capsys, tmp_path: Path) -> None:
    conll = tmp_path / "in.conll"
    write_conll(conll, SENTENCES)
    same = xlner_cli(capsys, "export", conll, "--to", "spacy", "-o", conll)
    assert same.code == 2 and "Traceback" not in same.err
    assert conll.read_text(encoding="utf-8").startswith("Juma B-PER")
    folder = xlner_cli(capsys, "export", conll, "--to", "spacy", "-o", tmp_path)
    assert folder.code == 2 and "is a directory" in folder.err
    into_file = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", conll)
    assert into_file.code == 2 and "--output is a file; give a folder" in into_file.err
    labels = xlner_cli(
        capsys, "export", conll, "--to", "hf", "-o", tmp_path / "h", "--labels", "PER"
    )
    assert labels.code == 2 and "is not among" in labels.err
    unknown = xlner_cli(capsys, "export", conll, "--to", "csv", "-o", tmp_path / "c")
    assert unknown.code == 2 and "Traceback" not in unknown.err


# ---------------------------------------------------------------------------- outputs (issue 19)


def _conll(tmp_path: Path) -> Path:
    conll = tmp_path / "in.conll"
    write_conll(conll, SENTENCES)
    return conll


def test_hf_export_refuses_a_folder_that_holds_its_input(capsys, tmp_path: Path) -> None:
    silver = tmp_path / "silver" / "lug"
    silver.mkdir(parents=True)
    source = silver / "silver.conll"
    write_conll(source, SENTENCES)
    (silver / "notes.txt").write_text("mine", encoding="utf-8")
    result = xlner_cli(capsys, "export", source, "--to", "hf", "-o", silver)
    assert result.code == 2, result.err
    assert "holds INPUT_FILE" in result.err and "Traceback" not in result.err
    assert sorted(p.name for p in silver.iterdir()) == ["notes.txt", "silver.conll"]


def test_hf_export_refuses_the_working_directory(capsys, tmp_path: Path, monkeypatch) -> None:
    conll = _conll(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(work)
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", ".")
    assert result.code == 2 and "Traceback" not in result.err
    assert (work / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_hf_export_refuses_a_folder_that_is_not_an_export(capsys, tmp_path: Path) -> None:
    conll = _conll(tmp_path)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", folder)
    assert result.code == 2
    assert "is not a datasets export" in result.err and "refusing to replace it" in result.err
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_hf_export_replaces_an_earlier_export_through_its_symlink(capsys, tmp_path: Path) -> None:
    conll = _conll(tmp_path)
    real, link = tmp_path / "real.hf", tmp_path / "link.hf"
    hf.export(real, SENTENCES[:1])
    link.symlink_to(real)
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", link)
    assert result.code == 0, result.err
    assert link.is_symlink() and hf.load(real) == SENTENCES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_hf_export_to_a_symlinked_other_folder_is_refused(capsys, tmp_path: Path) -> None:
    conll = _conll(tmp_path)
    other, link = tmp_path / "other", tmp_path / "link.hf"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    link.symlink_to(other)
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", link)
    assert result.code == 2 and "refusing to replace it" in result.err
    assert "Traceback" not in result.err and (other / "keep.txt").is_file()


def test_hf_export_split_outside_the_folder_is_refused(capsys, tmp_path: Path) -> None:
    conll = _conll(tmp_path)
    out = tmp_path / "a" / "b" / "out.hf"
    result = xlner_cli(capsys, "export", conll, "--to", "hf", "-o", out, "--split", "../../x")
    assert result.code == 2 and "--split: split name '../../x' is not a word" in result.err
    assert not (tmp_path / "a").exists() and not (tmp_path / "x").exists()


def test_hf_export_to_standard_output_is_refused(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # where a folder named "-" would appear
    result = xlner_cli(capsys, "export", _conll(tmp_path), "--to", "hf", "-o", "-")
    assert result.code == 2 and "'-' (standard output) is a file" in result.err
    assert not (tmp_path / "-").exists()


def test_spacy_export_keeps_the_mode_of_the_file_it_replaces(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.spacy"
    out.write_bytes(b"old")
    out.chmod(0o644)
    result = xlner_cli(capsys, "export", _conll(tmp_path), "--to", "spacy", "-o", out)
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o644 and spacy.load(out) == SENTENCES


def test_spacy_export_through_a_symlink_writes_its_target(capsys, tmp_path: Path) -> None:
    real, link = tmp_path / "real.spacy", tmp_path / "link.spacy"
    real.write_bytes(b"old")
    link.symlink_to(real)
    result = xlner_cli(capsys, "export", _conll(tmp_path), "--to", "spacy", "-o", link)
    assert result.code == 0, result.err
    assert link.is_symlink() and spacy.load(real) == SENTENCES


def test_spacy_export_writes_through_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    conll = _conll(tmp_path)
    code = "from xlner.cli import run; run()"
    args = [sys.executable, "-c", code, "export", str(conll), "--to", "spacy", "-o", str(fifo)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # holds the FIFO itself, whatever
    process = subprocess.Popen(args, stderr=subprocess.PIPE, env=env)  # becomes of its name
    chunks = []
    try:
        while True:
            running = process.poll() is None
            select.select([reader], [], [], 0.2)
            try:
                chunk = os.read(reader, 1 << 16)
            except BlockingIOError:
                chunk = b""
            chunks.append(chunk)
            if not chunk and not running:
                break
    finally:
        os.close(reader)
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    data = b"".join(chunks)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and data  # still the FIFO; the DocBin went in
    (tmp_path / "copy.spacy").write_bytes(data)
    assert spacy.load(tmp_path / "copy.spacy") == SENTENCES


def test_spacy_export_to_dash_writes_standard_output(capfdbinary, tmp_path, monkeypatch) -> None:
    from xlner.cli import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["xlner", "export", str(_conll(tmp_path)), "--to", "spacy"])
    sys.argv += ["-o", "-"]
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code in (0, None)
    assert not (tmp_path / "-").exists()
    (tmp_path / "copy.spacy").write_bytes(capfdbinary.readouterr().out)
    assert spacy.load(tmp_path / "copy.spacy") == SENTENCES


def test_spacy_export_of_non_string_tokens_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"tokens": ["a", 2], "tags": ["O", "O"]}\n', encoding="utf-8")
    result = xlner_cli(capsys, "export", jsonl, "--to", "spacy", "-o", tmp_path / "x.spacy")
    assert result.code == 2 and ":1: tokens[2] is 2, not a non-empty string" in result.err
    with pytest.raises(ValueError, match="token 2 is not a non-empty string"):
        spacy.export(tmp_path / "y.spacy", [TaggedSentence(["a", 2], [])])  # type: ignore[list-item]


def test_export_labels_given_as_tags_are_refused(capsys, tmp_path: Path) -> None:
    args = ("export", _conll(tmp_path), "--to", "hf", "-o", tmp_path / "h.hf")
    result = xlner_cli(capsys, *args, "--labels", "O,B-PER,I-PER")
    assert result.code == 2
    assert "--labels are classes such as PER, not tags: 'O'" in result.err
    assert not (tmp_path / "h.hf").exists()
