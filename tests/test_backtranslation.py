"""Back-translation refinement: entity markers, label recovery, monolingual and combined links."""

from __future__ import annotations

import pytest

from xlner.pipeline.backtranslation import (
    RecoveredSpan,
    combined_links,
    mark_entities,
    monolingual_links,
    parse_marked,
    recover_entities,
    similar_word_links,
)
from xlner.project import make_projector
from xlner.types import Link, Span

TOKENS = ["John", "Smith", "works", "for", "Microsoft", "in", "New", "York", "."]
SPANS = [Span(0, 2, "PER"), Span(4, 5, "ORG"), Span(6, 8, "LOC")]
ENTITIES = [["John Smith"], ["Microsoft"], ["Nueva York", "New York"]]
LABELS = ["PER", "ORG", "LOC"]


def found(recovery):
    """(words, label, entity index) of each recovered span."""
    return [
        (" ".join(recovery.tokens[r.span.start : r.span.end]), r.span.label, r.entity)
        for r in recovery.spans
    ]


def test_mark_entities_brackets_each_entity():
    assert mark_entities(TOKENS, SPANS) == "[John Smith] works for [Microsoft] in [New York]."
    # Brackets already in the text cannot be confused with markers.
    assert mark_entities(["[", "Anna", "]", "left"], [Span(1, 2, "PER")]) == "([Anna]) left"
    assert mark_entities(["no", "entity"], []) == "no entity"


def test_parse_marked_handles_broken_markers():
    assert parse_marked("[Ana] vio [Roma].") == ("Ana vio Roma.", [(0, 3), (8, 12)])
    # Unclosed, stray, nested and empty markers.
    assert parse_marked("[Ana vio Roma")[1] == []
    assert parse_marked("Ana] vio [Roma]")[1] == [(8, 12)]
    assert parse_marked("[Ana [de] Roma] vino")[1] == [(0, 11)]
    assert parse_marked("[] Ana [ Roma ]") == (" Ana  Roma ", [(6, 10)])


def test_recovery_in_order():
    recovery = recover_entities(
        "[John Smith] trabaja para [Microsoft] en [Nueva York].", ENTITIES, LABELS
    )
    assert found(recovery) == [
        ("John Smith", "PER", 0),
        ("Microsoft", "ORG", 1),
        ("Nueva York", "LOC", 2),
    ]
    assert recovery.n_marked == 3 and recovery.lost == []


def test_recovery_of_reordered_entities():
    recovery = recover_entities(
        "En [Nueva York], [Microsoft] emplea a [John Smith].", ENTITIES, LABELS
    )
    assert found(recovery) == [
        ("Nueva York", "LOC", 2),
        ("Microsoft", "ORG", 1),
        ("John Smith", "PER", 0),
    ]


def test_reordered_entities_with_translated_names_follow_similarity_not_order():
    entities = [["Parlamento Europeo", "European Parliament"], ["Consejo", "Council"]]
    recovery = recover_entities(
        "El [Consejo] y el [Parlamento Europeo] acordaron.", entities, ["ORG", "ORG"]
    )
    assert [(text, entity) for text, _, entity in found(recovery)] == [
        ("Consejo", 1),
        ("Parlamento Europeo", 0),
    ]


def test_lost_markers_lose_only_their_entity():
    # The markers of New York are gone and the words were translated differently.
    recovery = recover_entities(
        "[John Smith] trabaja para [Microsoft] en la ciudad.", ENTITIES, LABELS
    )
    assert found(recovery) == [("John Smith", "PER", 0), ("Microsoft", "ORG", 1)]
    assert recovery.lost == [2]


def test_lost_markers_are_searched_for_in_the_unmarked_words():
    text = "[John Smith] trabaja para Microsoft] en [Nueva York."
    recovery = recover_entities(text, ENTITIES, LABELS)
    assert found(recovery) == [
        ("John Smith", "PER", 0),
        ("Microsoft", "ORG", 1),
        ("Nueva York", "LOC", 2),
    ]
    strict = recover_entities(text, ENTITIES, LABELS, search_unmarked=None)
    assert found(strict) == [("John Smith", "PER", 0)] and strict.lost == [1, 2]


def test_merged_entities_are_split():
    entities = [["Ana"], ["Pedro Gómez"], ["Madrid"]]
    recovery = recover_entities(
        "[Ana y Pedro Gómez] viven en [Madrid].", entities, ["PER", "PER", "LOC"]
    )
    assert found(recovery) == [
        ("Ana", "PER", 0),
        ("Pedro Gómez", "PER", 1),
        ("Madrid", "LOC", 2),
    ]


def test_merged_span_that_cannot_be_split_goes_to_the_best_entity():
    entities = [["Ana"], ["Pedro"]]
    recovery = recover_entities("[Ana-Pedro] llegó.", entities, ["PER", "PER"])
    assert len(recovery.spans) == 1 and recovery.lost in ([0], [1])


def test_unlike_spans_are_not_assigned_when_counts_differ():
    recovery = recover_entities("[la casa] y [el perro]", [["Microsoft"]], ["ORG"])
    assert recovery.spans == [] and recovery.lost == [0]
    # With as many spans as entities, the markers are trusted whatever the words.
    trusted = recover_entities("[la casa] llegó", [["Microsoft"]], ["ORG"])
    assert found(trusted) == [("la casa", "ORG", 0)]


def test_no_markers_at_all():
    recovery = recover_entities("", ENTITIES, LABELS)
    assert recovery.tokens == [] and recovery.lost == [0, 1, 2]


def test_similar_word_links():
    links = similar_word_links(
        ["Kampala", "ya", "Uganda", "ku", "Mmande"], ["mu", "Kampala", "e", "Uganda", "ku", "Mande"]
    )
    pairs = {(link.src, link.tgt) for link in links}
    assert {(0, 1), (2, 3), (3, 4), (4, 5)} <= pairs  # Mmande ~ Mande
    assert (1, 2) not in pairs  # short words must be identical
    # A repeated word links to the occurrence at the closest relative position.
    assert {(link.src, link.tgt) for link in similar_word_links(["a", "x"], ["x", "b", "x"])} == {
        (1, 2)
    }


def test_monolingual_links_union():
    pairs = [(["Ana", "vive", "en", "Roma"], ["Ana", "abita", "a", "Roma"])]
    merged = monolingual_links([[Link(1, 1, 1.0)]], pairs)
    assert [(link.src, link.tgt) for link in merged[0]] == [(0, 0), (1, 1), (3, 3)]


def test_combined_links_carry_monolingual_links_onto_source_entities():
    # Source "John Smith works ...", back-translation "trabaja [John Smith] ...".
    recovered = [RecoveredSpan(Span(1, 3, "PER"), entity=0, similarity=1.0)]
    cross = [Link(2, 0, 1.0)]  # works -> target word 0
    mono = [Link(1, 4, 1.0), Link(2, 5, 1.0), Link(0, 0, 1.0)]  # John -> 4, Smith -> 5
    merged = combined_links([Span(0, 2, "PER")], cross, recovered, mono)
    assert {(link.src, link.tgt) for link in merged} == {(2, 0), (0, 4), (1, 5)}
    projected = make_projector("heuristic").project(TOKENS, [Span(0, 2, "PER")], ["w"] * 7, merged)
    assert [p.span for p in projected] == [Span(4, 6, "PER")]


def test_combined_links_shrink_a_longer_back_translated_span():
    recovered = [RecoveredSpan(Span(0, 4, "ORG"), entity=0, similarity=0.9)]
    mono = [Link(i, 10 + i) for i in range(4)]
    merged = combined_links([Span(3, 5, "ORG")], [], recovered, mono)
    assert sorted((link.src, link.tgt) for link in merged) == [(3, 10), (3, 11), (4, 12), (4, 13)]


@pytest.mark.parametrize("bad", [RecoveredSpan(Span(0, 1, "X"), entity=5, similarity=1.0)])
def test_combined_links_ignore_unknown_entities(bad):
    assert combined_links([Span(0, 1, "X")], [], [bad], [Link(0, 0)]) == []
