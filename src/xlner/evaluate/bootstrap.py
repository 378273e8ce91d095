"""Confidence intervals for span F1: the percentile bootstrap over sentences.

Strict span F1 counts, per sentence, the predicted spans that are exactly a gold span (start,
end and class), the gold spans and the predicted spans; micro F1 over a corpus is
``2 * tp / (gold + predicted)`` of the summed counts, which is what seqeval's strict mode gives
for valid, non-overlapping spans (:func:`xlner.evaluate.evaluate_spans`). Resampling the
sentences with replacement and recomputing F1 from the summed counts of each resample gives
the bootstrap distribution; its 2.5th and 97.5th percentiles are the 95 % interval.

A corpus of a few hundred sentences (fon's and yor's silver F1 rest on 80-156) gives an
interval several points wide: the number alone would hide that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xlner.evaluate.span_f1 import map_spans
from xlner.types import Span

RESAMPLES = 1000  # enough for a stable 95 % percentile interval at one decimal
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval, in percent."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}

    def __str__(self) -> str:
        return f"{self.value:.1f} [{self.low:.1f}, {self.high:.1f}]"


def sentence_counts(
    gold: Sequence[Sequence[Span]],
    predicted: Sequence[Sequence[Span]],
    label_map: Mapping[str, str | None] | None = None,
) -> np.ndarray:
    """One row per sentence: exact matches, gold spans, predicted spans (after the label map)."""
    if len(gold) != len(predicted):
        raise ValueError(f"sentence counts differ: {len(gold)} gold, {len(predicted)} predicted")
    rows = np.zeros((len(gold), 3), dtype=np.int64)
    for index, (gold_spans, pred_spans) in enumerate(zip(gold, predicted, strict=True)):
        truth = set(map_spans(gold_spans, label_map))
        guess = set(map_spans(pred_spans, label_map))
        rows[index] = (len(truth & guess), len(truth), len(guess))
    return rows


def f1_of_counts(counts: np.ndarray) -> np.ndarray:
    """Micro F1 in percent of summed counts; ``counts[..., 3]`` may hold many resamples."""
    tp, n_gold, n_pred = counts[..., 0], counts[..., 1], counts[..., 2]
    total = n_gold + n_pred
    return np.where(total > 0, 200.0 * tp / np.maximum(total, 1), 0.0)


def bootstrap_f1(
    counts: np.ndarray, resamples: int = RESAMPLES, seed: int = 0, level: float = LEVEL
) -> Interval:
    """F1 of ``counts`` (:func:`sentence_counts`) with its percentile bootstrap interval."""
    value = float(f1_of_counts(counts.sum(axis=0)))
    replicates = bootstrap_replicates(counts, resamples, seed)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(replicates, [tail, 100 - tail]) if len(replicates) else (0, 0)
    return Interval(value, float(low), float(high))


def bootstrap_replicates(
    counts: np.ndarray, resamples: int = RESAMPLES, seed: int = 0
) -> np.ndarray:
    """F1 of each of ``resamples`` resamples of the sentences (an empty corpus gives none).

    The same seed draws the same resamples for every corpus of the same size, so two systems
    scored on one test set are resampled alike (paired), and their difference is not inflated
    by independent draws.
    """
    if len(counts) == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(counts), size=(resamples, len(counts)))
    return f1_of_counts(counts[picks].sum(axis=1))
