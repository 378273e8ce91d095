"""The noise operators: rates honoured, seeded, inputs untouched, outputs valid."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlner.registry import ComponentError, registry
from xlner.study.noise import (
    SentenceInput,
    add_links,
    apply_corpus,
    drop_entities,
    drop_links,
    get_operator,
    move_links,
    shift_boundaries,
    swap_classes,
)
from xlner.types import Link, Span

LABELS = ("PER", "ORG", "LOC", "MISC")
N_SRC, N_TGT = 60, 60
DRAWS = 400


def diagonal(n: int = 50, step: int = 1) -> list[Link]:
    return [Link(i, i * step, 1.0) for i in range(n)]


def spaced_spans(n: int = 20, width: int = 2, gap: int = 2) -> list[Span]:
    """Entities with ``gap`` free words between them, so every shift has room."""
    return [
        Span(i * (width + gap) + 1, i * (width + gap) + 1 + width, LABELS[i % 4]) for i in range(n)
    ]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- rates


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_drop_links_rate(rate: float) -> None:
    links = diagonal()
    kept = [len(drop_links(links, rate, rng(seed))) for seed in range(DRAWS)]
    assert 1 - np.mean(kept) / len(links) == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_add_links_rate(rate: float) -> None:
    links = diagonal()
    added = [
        len(add_links(links, rate, rng(seed), N_SRC, N_TGT)) - len(links) for seed in range(DRAWS)
    ]
    assert np.mean(added) / len(links) == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_move_links_rate(rate: float) -> None:
    links = diagonal(20, step=3)  # far apart: a moved link never lands on another
    moved = []
    for seed in range(DRAWS):
        out = move_links(links, rate, rng(seed), N_TGT)
        assert len(out) == len(links)
        moved.append(sum(a.tgt != b.tgt for a, b in zip(links, out, strict=True)))
    assert np.mean(moved) / len(links) == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_drop_entities_rate(rate: float) -> None:
    spans = spaced_spans()
    kept = [len(drop_entities(spans, rate, rng(seed))) for seed in range(DRAWS)]
    assert 1 - np.mean(kept) / len(spans) == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_shift_boundaries_rate(rate: float) -> None:
    spans = spaced_spans()
    changed = [
        sum(
            a != b
            for a, b in zip(spans, shift_boundaries(spans, rate, rng(seed), 100), strict=True)
        )
        for seed in range(DRAWS)
    ]
    assert np.mean(changed) / len(spans) == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_swap_classes_rate(rate: float) -> None:
    spans = spaced_spans()
    changed = [
        sum(
            a.label != b.label
            for a, b in zip(spans, swap_classes(spans, rate, rng(seed), LABELS), strict=True)
        )
        for seed in range(DRAWS)
    ]
    assert np.mean(changed) / len(spans) == pytest.approx(rate, abs=0.02)


# ----------------------------------------------------------------------------- validity


def test_add_links_only_new_pairs_inside_the_sentence() -> None:
    links = diagonal(10)
    out = add_links(links, 1.0, rng(1), 12, 15)
    pairs = [(link.src, link.tgt) for link in out]
    assert len(pairs) == len(set(pairs)) == 20
    assert set(links) <= set(out)
    assert all(0 <= s < 12 and 0 <= t < 15 for s, t in pairs)
    new = [link for link in out if link not in links]
    assert all(link.score is None for link in new)


def test_add_links_stops_when_the_grid_is_full() -> None:
    full = [Link(i, j) for i in range(2) for j in range(2)]
    assert add_links(full, 1.0, rng(0), 2, 2) == sorted(full)


def test_moved_links_go_to_a_neighbour_inside_the_sentence() -> None:
    links = [Link(0, 0), Link(1, 4), Link(2, 9)]
    for seed in range(50):
        out = move_links(links, 1.0, rng(seed), 10)
        assert all(0 <= link.tgt < 10 for link in out)
        for before, after in zip(links, out, strict=True):
            assert abs(before.tgt - after.tgt) == 1
    # At the edges the only neighbour is taken; a one-word target cannot move.
    assert move_links([Link(0, 0)], 1.0, rng(0), 1) == [Link(0, 0)]


def test_moving_onto_an_existing_link_merges() -> None:
    out = move_links([Link(0, 0), Link(0, 1)], 1.0, rng(3), 2)
    assert len(out) in (1, 2)
    assert len({(link.src, link.tgt) for link in out}) == len(out)


def test_shift_keeps_spans_valid_and_disjoint() -> None:
    # Adjacent entities and edges: only some shifts are possible.
    spans = [Span(0, 1, "PER"), Span(1, 3, "ORG"), Span(3, 4, "LOC"), Span(6, 7, "MISC")]
    for seed in range(200):
        out = shift_boundaries(spans, 1.0, rng(seed), 7)
        _assert_valid(out, 7)
        for before, after in zip(spans, out, strict=True):
            assert after.label == before.label
            assert abs(before.start - after.start) + abs(before.end - after.end) <= 1


def test_shift_leaves_a_boxed_in_entity_alone() -> None:
    spans = [Span(0, 1, "PER"), Span(1, 2, "ORG"), Span(2, 3, "LOC")]
    assert shift_boundaries(spans, 1.0, rng(0), 3)[1] == Span(1, 2, "ORG")


def test_swap_draws_another_class_from_the_label_set() -> None:
    spans = spaced_spans()
    for seed in range(50):
        for before, after in zip(spans, swap_classes(spans, 1.0, rng(seed), LABELS), strict=True):
            assert after.label != before.label and after.label in LABELS
            assert (after.start, after.end) == (before.start, before.end)
    assert swap_classes([Span(0, 1, "PER")], 1.0, rng(0), ["PER"]) == [Span(0, 1, "PER")]


@settings(max_examples=200, deadline=None)
@given(
    starts=st.lists(st.integers(0, 30), max_size=8, unique=True),
    width=st.integers(1, 3),
    rate=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_shift_output_always_valid(starts: list[int], width: int, rate: float, seed: int) -> None:
    spans: list[Span] = []
    for start in sorted(starts):  # keep the non-overlapping ones
        if not spans or start >= spans[-1].end:
            spans.append(Span(start, start + width, "PER"))
    n = max((s.end for s in spans), default=0) + 2
    _assert_valid(shift_boundaries(spans, rate, rng(seed), n), n)


def _assert_valid(spans: list[Span], n_tokens: int) -> None:
    ordered = sorted(spans)
    assert all(0 <= s.start < s.end <= n_tokens for s in ordered)
    assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:], strict=False))


# ----------------------------------------------------------------------------- purity


def _item() -> SentenceInput:
    return SentenceInput(spaced_spans(5), diagonal(20), 25, 25)


@pytest.mark.parametrize("name", registry.noise.available())
def test_operators_are_seeded_and_pure(name: str) -> None:
    op = get_operator(name)
    item = _item()
    before = copy.deepcopy(item)
    first = op.apply(item, 0.5, rng(7), LABELS)
    again = op.apply(item, 0.5, rng(7), LABELS)
    other = [op.apply(item, 0.5, rng(seed), LABELS) for seed in range(8, 20)]
    assert item == before  # the input lists were not touched
    assert first == again
    assert any(o != first for o in other)
    assert op.apply(item, 0.0, rng(7), LABELS) == item  # rate 0 is the identity


@pytest.mark.parametrize("name", registry.noise.available())
def test_corpus_noise_reproducible_and_input_untouched(name: str) -> None:
    items = [_item() for _ in range(5)]
    before = copy.deepcopy(items)
    a = apply_corpus(get_operator(name), items, 0.3, [1, 2, 3], LABELS)
    b = apply_corpus(get_operator(name), items, 0.3, [1, 2, 3], LABELS)
    assert a == b and items == before


def test_higher_rate_drops_a_superset() -> None:
    items = [_item() for _ in range(5)]
    low = apply_corpus(get_operator("drop_links"), items, 0.1, 5)
    high = apply_corpus(get_operator("drop_links"), items, 0.4, 5)
    for lo, hi in zip(low, high, strict=True):
        assert set(hi.links) <= set(lo.links)
    added_low = apply_corpus(get_operator("add_links"), items, 0.1, 5)
    added_high = apply_corpus(get_operator("add_links"), items, 0.4, 5)
    for lo, hi in zip(added_low, added_high, strict=True):
        assert set(lo.links) <= set(hi.links)


def test_operators_are_registered_by_name() -> None:
    assert {get_operator(name).kind for name in registry.noise.available()} == {"links", "entities"}
    kinds = {get_operator(name).kind for name in registry.noise.available()}
    assert kinds == {"links", "entities"}
    with pytest.raises(
        ComponentError, match="unknown noise operator 'blur'; choose from add_links"
    ):
        get_operator("blur")


def test_rate_one_drops_everything_and_bad_rates_fail() -> None:
    assert drop_links(diagonal(), 1.0, rng(0)) == []
    assert drop_entities(spaced_spans(), 1.0, rng(0)) == []
    with pytest.raises(ValueError, match="rate"):
        drop_links(diagonal(), 1.5, rng(0))
    with pytest.raises(ValueError, match="outside"):
        move_links([Link(0, 9)], 0.5, rng(0), 5)
