import pytest

from xlner.project.heuristic import HeuristicProjector, aligned_runs, merge_close_runs
from xlner.types import Link, Span


def links(*pairs):
    return [Link(s, t) for s, t in pairs]


def project(projector, spans, n_target, link_pairs, n_source=10):
    result = projector.project(["w"] * n_source, spans, ["v"] * n_target, links(*link_pairs))
    return [p.span for p in result]


def test_runs_and_merging():
    assert aligned_runs({1, 2, 4, 7, 8}) == [(1, 3), (4, 5), (7, 9)]
    assert merge_close_runs([(1, 3), (4, 5), (7, 9)], 1) == [(1, 5), (7, 9)]
    assert merge_close_runs([(1, 3), (4, 5), (7, 9)], 2) == [(1, 9)]
    assert merge_close_runs([(1, 3), (4, 5)], 0) == [(1, 3), (4, 5)]


def test_one_to_one_projection():
    spans = [Span(0, 2, "PER")]
    assert project(HeuristicProjector(), spans, 5, [(0, 2), (1, 3)]) == [Span(2, 4, "PER")]


def test_gap_of_one_word_is_merged():
    # "European Parliament" -> "Parlamento (del) Europeo": word 3 is unaligned in between.
    spans = [Span(0, 2, "ORG")]
    assert project(HeuristicProjector(), spans, 6, [(0, 4), (1, 2)]) == [Span(2, 5, "ORG")]
    # Without merging there are two 1-word runs of a 2-word entity; both fall to the ratio
    # filter (1/2 <= 0.8), so nothing is projected.
    assert project(HeuristicProjector(merge_distance=0), spans, 6, [(0, 4), (1, 2)]) == []
    no_filter = HeuristicProjector(merge_distance=0, length_ratio=0.0)
    assert project(no_filter, spans, 6, [(0, 4), (1, 2)]) == [Span(2, 3, "ORG"), Span(4, 5, "ORG")]


def test_short_runs_are_dropped_when_the_entity_has_several():
    # A 2-word entity: the 2-word run is kept (ratio 1.0), the stray 1-word run (0.5) is not.
    spans = [Span(0, 2, "LOC")]
    assert project(HeuristicProjector(), spans, 10, [(0, 1), (1, 2), (1, 7)]) == [Span(1, 3, "LOC")]


def test_ratio_at_threshold_is_dropped():
    # A 4-word entity with runs of 4 and 3 words: 3/4 = 0.75 is "at or below" a threshold of
    # 0.75, so that run is dropped; with 0.7 it stays.
    spans = [Span(0, 4, "ORG")]
    link_pairs = [(0, 0), (1, 1), (2, 2), (3, 3), (0, 6), (1, 7), (2, 8)]
    assert project(HeuristicProjector(length_ratio=0.75), spans, 10, link_pairs) == [
        Span(0, 4, "ORG")
    ]
    assert project(HeuristicProjector(length_ratio=0.7), spans, 10, link_pairs) == [
        Span(0, 4, "ORG"),
        Span(6, 9, "ORG"),
    ]


def test_single_short_run_is_kept_unless_filtering_single_runs():
    spans = [Span(0, 3, "ORG")]
    assert project(HeuristicProjector(), spans, 5, [(1, 2)]) == [Span(2, 3, "ORG")]
    assert project(HeuristicProjector(filter_single_run=True), spans, 5, [(1, 2)]) == []


def test_k_keeps_the_longest_runs():
    spans = [Span(0, 1, "PER")]
    link_pairs = [(0, 0), (0, 3), (0, 4), (0, 8)]
    everything = project(HeuristicProjector(), spans, 10, link_pairs)
    assert everything == [Span(0, 1, "PER"), Span(3, 5, "PER"), Span(8, 9, "PER")]
    assert project(HeuristicProjector(max_runs=1), spans, 10, link_pairs) == [Span(3, 5, "PER")]
    # Ties between equally long runs keep the leftmost.
    assert project(HeuristicProjector(max_runs=2), spans, 10, link_pairs) == [
        Span(0, 1, "PER"),
        Span(3, 5, "PER"),
    ]


def test_conflict_goes_to_the_run_with_more_links():
    # Entity A (2 words) links to target 2,3; entity B (1 word) links to target 3 only.
    spans = [Span(0, 2, "ORG"), Span(5, 6, "LOC")]
    result = project(HeuristicProjector(), spans, 6, [(0, 2), (1, 3), (5, 3)])
    assert result == [Span(2, 4, "ORG")]


def test_conflict_with_equal_support_goes_to_the_earlier_entity():
    spans = [Span(0, 1, "PER"), Span(3, 4, "LOC")]
    assert project(HeuristicProjector(), spans, 4, [(0, 1), (3, 1)]) == [Span(1, 2, "PER")]


def test_projected_span_keeps_its_source_and_score():
    spans = [Span(0, 2, "PER")]
    (result,) = HeuristicProjector().project(
        ["a", "b"], spans, ["x", "y", "z"], links((0, 0), (1, 2))
    )
    assert result.source == spans[0]
    # 2 links between a 2-word entity and a 3-word run: 2 * 2 / (2 + 3).
    assert result.score == pytest.approx(0.8)


def test_unaligned_entity_projects_nothing():
    assert project(HeuristicProjector(), [Span(0, 1, "PER")], 3, [(1, 1)]) == []


def test_invalid_settings():
    with pytest.raises(ValueError):
        HeuristicProjector(merge_distance=-1)
    with pytest.raises(ValueError):
        HeuristicProjector(max_runs=0)
