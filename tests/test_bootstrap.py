"""Bootstrap intervals for span F1: the point estimate is seqeval's, the interval honest."""

from __future__ import annotations

import numpy as np
import pytest

from xlner.evaluate import evaluate_spans
from xlner.evaluate.bootstrap import bootstrap_f1, bootstrap_replicates, sentence_counts
from xlner.types import Span


def _corpus(count: int, miss_rate: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    gold, predicted = [], []
    for _ in range(count):
        spans = [Span(0, 1, "PER"), Span(3, 5, "LOC"), Span(6, 7, "DATE")]
        gold.append(spans)
        predicted.append([s for s in spans if rng.random() >= miss_rate] + [Span(8, 9, "ORG")])
    return gold, predicted


def test_the_point_estimate_is_seqevals_strict_f1() -> None:
    gold, predicted = _corpus(200, 0.3)
    predicted[0] = [Span(0, 2, "PER")]  # a boundary error counts as a miss and a false span
    for label_map in (None, {"DATE": None}):
        expected = evaluate_spans(gold, predicted, [10] * len(gold), label_map).f1
        counts = sentence_counts(gold, predicted, label_map)
        assert bootstrap_f1(counts).value == pytest.approx(expected)


def test_the_interval_covers_the_value_and_narrows_with_more_sentences() -> None:
    small = bootstrap_f1(sentence_counts(*_corpus(50, 0.4)))
    large = bootstrap_f1(sentence_counts(*_corpus(2000, 0.4)))
    for found in (small, large):
        assert found.low <= found.value <= found.high
    assert (large.high - large.low) < (small.high - small.low) / 3


def test_replicates_are_seeded_and_paired_across_systems() -> None:
    counts = sentence_counts(*_corpus(100, 0.3))
    first = bootstrap_replicates(counts, 50, seed=4)
    assert np.array_equal(first, bootstrap_replicates(counts, 50, seed=4))
    assert not np.array_equal(first, bootstrap_replicates(counts, 50, seed=5))
    assert bootstrap_f1(counts[:0]).value == 0.0 and len(bootstrap_replicates(counts[:0])) == 0
