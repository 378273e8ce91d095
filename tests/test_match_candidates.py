"""Candidate extraction for projection as matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlner.project.match.candidates import (
    Candidate,
    CandidateExtractor,
    PunctuationRule,
    aligned_window,
    is_punctuation,
)
from xlner.types import Link, Span


def spans_of(cands: list[Candidate]) -> set[tuple[int, int]]:
    return {(c.start, c.end) for c in cands}


def test_all_ngrams_up_to_max_len() -> None:
    tokens = ["a", "b", "c", "d"]
    cands = CandidateExtractor(max_len=2).extract(tokens)
    assert spans_of(cands) == {(0, 1), (1, 2), (2, 3), (3, 4), (0, 2), (1, 3), (2, 4)}
    assert cands == sorted(cands)


@given(n=st.integers(0, 30), max_len=st.integers(1, 12))
def test_ngram_count(n: int, max_len: int) -> None:
    tokens = [f"w{i}" for i in range(n)]
    cands = CandidateExtractor(max_len=max_len, punctuation=None).extract(tokens)
    expected = sum(n - k + 1 for k in range(1, min(max_len, n) + 1))
    assert len(cands) == expected
    assert all(1 <= len(c) <= max_len and c.end <= n for c in cands)


def test_window_restricts_to_aligned_stretch() -> None:
    tokens = [f"t{i}" for i in range(10)]
    links = [Link(0, 7), Link(1, 3), Link(2, 5), Link(4, 9)]  # source word 4 is no entity
    spans = [Span(0, 2, "PER"), Span(2, 3, "LOC")]
    assert aligned_window(spans, links, 10) == (3, 8)
    assert aligned_window(spans, links, 10, margin=1) == (2, 9)
    cands = CandidateExtractor(window=True).extract(tokens, spans, links)
    assert min(c.start for c in cands) == 3 and max(c.end for c in cands) == 8
    widened = CandidateExtractor(window=True, margin=5).extract(tokens, spans, links)
    assert min(c.start for c in widened) == 0 and max(c.end for c in widened) == 10


def test_window_without_aligned_entity_words_keeps_only_extra() -> None:
    tokens = ["a", "b", "c"]
    extractor = CandidateExtractor(window=True)
    assert extractor.extract(tokens, [Span(0, 1, "PER")], [Link(1, 1)]) == []
    extra = [Span(1, 3, "ORG")]
    got = extractor.extract(tokens, [Span(0, 1, "PER")], [], extra)
    assert got == [Candidate(1, 3)]


def test_extra_spans_may_exceed_max_len_and_are_deduplicated() -> None:
    tokens = [f"t{i}" for i in range(6)]
    extra = [Span(0, 5, "ORG"), Span(0, 1, "PER")]
    cands = CandidateExtractor(max_len=1).extract(tokens, extra=extra)
    assert (0, 5) in spans_of(cands)
    assert len(cands) == len(set(cands)) == 7


def test_is_punctuation() -> None:
    assert is_punctuation(",") and is_punctuation("...") and is_punctuation("«")
    assert not is_punctuation("U.S.") and not is_punctuation("e-Kampala") and not is_punctuation("")


def test_punctuation_barriers_and_edges() -> None:
    tokens = ["Mr", "O'Brien", ",", "of", "the", "U.S.", "(", "Baden", "-", "Württemberg", ")", "."]
    cands = spans_of(CandidateExtractor().extract(tokens))
    # no candidate contains a comma, a bracket or the final full stop
    for s, e in cands:
        assert not {",", "(", ")", "."} & set(tokens[s:e])
    assert (0, 2) in cands  # apostrophe inside a word is fine
    assert (3, 6) in cands  # "of the U.S.": dots inside a word are fine
    assert (7, 10) in cands  # a hyphen token inside a name is fine ...
    assert (7, 9) not in cands and (8, 10) not in cands  # ... but cannot start or end one
    assert (8, 9) not in cands


def test_punctuation_rule_is_configurable() -> None:
    tokens = ["A", "-", "B", "."]
    loose = PunctuationRule(dots_are_barriers=False, inner_only=False)
    cands = spans_of(CandidateExtractor(punctuation=loose).extract(tokens))
    assert (1, 2) in cands and (0, 4) in cands
    strict = PunctuationRule(barriers="-")
    cands = spans_of(CandidateExtractor(punctuation=strict).extract(tokens))
    assert cands == {(0, 1), (2, 3)}
    assert spans_of(CandidateExtractor(punctuation=None).extract(tokens)) >= {(0, 4)}


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        CandidateExtractor(max_len=0)
    with pytest.raises(ValueError):
        CandidateExtractor(margin=-1)
    with pytest.raises(ValueError):
        Candidate(2, 2)


def test_candidate_helpers() -> None:
    c = Candidate(1, 3)
    assert len(c) == 2 and c.text(["a", "b", "c"]) == "b c"
    assert c.overlaps(Candidate(2, 4)) and not c.overlaps(Candidate(3, 4))
    assert c.label("LOC") == Span(1, 3, "LOC")


def test_entity_punctuation_is_allowed_inside_and_at_edges() -> None:
    src = ["the", "Committee", "on", "Transport", ",", "Tourism", "(", "CT", ")"]
    entity = [Span(1, 9, "ORG")]
    tgt = ["la", "Comisión", "de", "Transportes", ",", "Turismo", "(", "CT", ")", "."]
    plain = spans_of(CandidateExtractor().extract(tgt, entity, source_tokens=src))
    assert (1, 9) not in plain and (1, 6) not in plain
    extractor = CandidateExtractor(entity_punctuation=True)
    cands = spans_of(extractor.extract(tgt, entity, source_tokens=src))
    assert {(1, 9), (1, 6), (6, 9)} <= cands  # comma inside, brackets at the edges
    assert not any(e == 10 for _, e in cands)  # the full stop is still a barrier
    # without the source tokens (or without punctuation in the entities) nothing changes
    assert spans_of(extractor.extract(tgt, entity)) == plain
    assert spans_of(extractor.extract(tgt, [Span(1, 2, "ORG")], source_tokens=src)) == plain


def test_entity_punctuation_rule_and_signature() -> None:
    extractor = CandidateExtractor(entity_punctuation=True)
    rule = extractor.rule(["A", "/", "B", "-", "C"], [Span(0, 3, "ORG")])
    assert rule is not None and rule.allowed == "/"
    assert rule.is_free("/") and not rule.is_free("-") and not rule.is_barrier("/")
    assert "allowed='/'" in rule.signature()
    assert CandidateExtractor(punctuation=None, entity_punctuation=True).rule(["("], []) is None
    assert "entity_punctuation" not in CandidateExtractor().signature()
    assert extractor.signature()["entity_punctuation"] is True


def test_max_len_ratio_grows_with_the_longest_entity() -> None:
    tokens = [f"t{i}" for i in range(30)]
    extractor = CandidateExtractor(max_len=3, max_len_ratio=1.5)
    assert extractor.longest() == 3
    assert extractor.longest([Span(0, 1, "X")]) == 3
    assert extractor.longest([Span(0, 1, "X"), Span(2, 10, "Y")]) == 12
    cands = extractor.extract(tokens, [Span(0, 7, "X")])
    assert max(len(c) for c in cands) == 11  # ceil(1.5 * 7)
    assert CandidateExtractor(max_len=3).extract(tokens, [Span(0, 7, "X")])[-1].end == 30
    assert extractor.signature()["max_len_ratio"] == 1.5
    with pytest.raises(ValueError):
        CandidateExtractor(max_len_ratio=-1)
