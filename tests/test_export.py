"""Exporters: a Hugging Face ``datasets`` folder and a spaCy ``DocBin``, each round-tripped."""

from __future__ import annotations

import json
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
    assert into_file.code == 2 and "is a file; a datasets export is a folder" in into_file.err
    labels = xlner_cli(
        capsys, "export", conll, "--to", "hf", "-o", tmp_path / "h", "--labels", "PER"
    )
    assert labels.code == 2 and "is not among" in labels.err
    unknown = xlner_cli(capsys, "export", conll, "--to", "csv", "-o", tmp_path / "c")
    assert unknown.code == 2 and "Traceback" not in unknown.err
