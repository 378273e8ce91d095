"""The source-tagger benchmark: every tagger spec on both English test sets, a signature each."""

from __future__ import annotations

import pytest

from xlner.bench import source_taggers
from xlner.corpora.conll import write_conll
from xlner.registry import ComponentError
from xlner.signature import parse_signature
from xlner.types import Span, TaggedSentence

GOLD = [
    TaggedSentence(["Barroso", "visited", "Rome", "."], [Span(0, 1, "PER"), Span(2, 3, "LOC")]),
    TaggedSentence(["The", "Commission", "met", "."], [Span(1, 2, "ORG")]),
]


@pytest.fixture
def data_dir(tmp_path):
    """Both test sets, with the same two sentences (each a file as the corpora lay them out)."""
    (tmp_path / "europarl-ner").mkdir()
    (tmp_path / "conll2003").mkdir()
    write_conll(tmp_path / "europarl-ner" / "en-europarl.test.conll02", GOLD, sep="\t")
    write_conll(tmp_path / "conll2003" / "test.txt", GOLD)
    return tmp_path


def test_every_tagger_is_scored_on_both_test_sets(data_dir, tmp_path):
    # Gold spans, read from a file that lacks the ORG: a tagger with known errors.
    partial = [GOLD[0], TaggedSentence(GOLD[1].tokens, [])]
    write_conll(tmp_path / "tagger.conll", partial)
    specs = [f"gold:path={tmp_path / 'tagger.conll'}"]
    result = source_taggers.run_source_taggers(data_dir, specs)
    (row,) = result["rows"]
    assert row["tagger"] == specs[0]
    assert set(row["results"]) == {"europarl-ner/en", "conll2003/test"}
    for scored in row["results"].values():
        assert scored["sentences"] == 2 and scored["precision"] == 100.0
        assert scored["recall"] == pytest.approx(200 / 3, abs=0.05)
        assert scored["errors"]["missed"] == 1 and scored["errors"]["correct"] == 2
    assert parse_signature(row["signature"])["tag"] == "gold"
    assert row["signature_full"]["tag"]["content"]  # the hash of the annotations tagged with
    table = source_taggers.format_results(result)
    assert "europarl-ner/en" in table and "80.0" in table and row["signature"] in table


def test_specs_are_checked_before_any_tagging(data_dir):
    assert source_taggers.parse_spec("xlner:model=x,zero_shot=true") == (
        "xlner",
        {"model": "x", "zero_shot": True},
    )
    with pytest.raises(ComponentError, match="unknown tagger 'nope'"):
        source_taggers.run_source_taggers(data_dir, ["spacy", "nope"])
    with pytest.raises(ValueError, match="is not KEY=VALUE"):
        source_taggers.run_source_taggers(data_dir, ["gold:path"])


def test_the_default_taggers_add_the_trained_one_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert source_taggers.default_taggers() == ["spacy"]
    folder = tmp_path / "xlner" / "taggers" / "xlner-conll"
    folder.mkdir(parents=True)
    (folder / "xlner-tagger.json").write_text("{}")
    assert source_taggers.default_taggers() == ["spacy", "xlner:model=xlner-conll"]
