"""Strict span F1, per class, plus the predicted/gold entity ratio.

A predicted entity counts when gold has one of the same class over the same words: seqeval's
strict IOB2 mode, the figure NER papers report, computed here from the spans (the same
numbers, ``tests/test_evaluate.py`` checks them against seqeval's; without importing
seqeval's scikit-learn, scipy and pandas, seconds for ``xlner evaluate``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlner.tags import spans_to_tags
from xlner.types import Span

LabelMap = Mapping[str, str | None]


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Scores:
    """Span-level scores in percent, as NER papers report them."""

    precision: float
    recall: float
    f1: float
    n_gold: int
    n_predicted: int
    per_class: dict[str, ClassScore] = field(default_factory=dict)

    @property
    def predicted_to_gold(self) -> float:
        """Ratio of predicted to gold entities: below 1 means projection loses entities."""
        return self.n_predicted / self.n_gold if self.n_gold else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "n_gold": self.n_gold,
            "n_predicted": self.n_predicted,
            "predicted_to_gold": self.predicted_to_gold,
            "per_class": {k: vars(v) for k, v in self.per_class.items()},
        }


def map_spans(spans: Sequence[Span], label_map: LabelMap | None) -> list[Span]:
    """Rename classes; a class mapped to ``None`` (or "O") is dropped."""
    if not label_map:
        return list(spans)
    mapped = []
    for span in spans:
        label = label_map.get(span.label, span.label)
        if label and label != "O":
            mapped.append(Span(span.start, span.end, label))
    return mapped


def evaluate_spans(
    gold: Sequence[Sequence[Span]],
    predicted: Sequence[Sequence[Span]],
    lengths: Sequence[int],
    label_map: LabelMap | None = None,
) -> Scores:
    """Score predicted spans against gold spans, sentence by sentence.

    The label map is applied to gold and prediction alike, e.g. ``{"DATE": None}`` for
    MasakhaNER 2.0 against a CoNLL tagger, or ``{"MISC": None}`` for a dataset without MISC.
    """
    if not len(gold) == len(predicted) == len(lengths):
        raise ValueError(
            f"sentence counts differ: {len(gold)} gold, {len(predicted)} predicted, "
            f"{len(lengths)} lengths"
        )
    gold_entities: set[tuple[int, Span]] = set()
    pred_entities: set[tuple[int, Span]] = set()
    for index, (gold_spans, pred_spans, length) in enumerate(
        zip(gold, predicted, lengths, strict=True)
    ):
        gold_spans, pred_spans = map_spans(gold_spans, label_map), map_spans(pred_spans, label_map)
        for spans in (gold_spans, pred_spans):
            spans_to_tags(spans, length)  # refuses overlapping spans and spans past the end
        gold_entities.update((index, span) for span in gold_spans)
        pred_entities.update((index, span) for span in pred_spans)
    return _strict_scores(gold_entities, pred_entities)


def _strict_scores(gold: set[tuple[int, Span]], predicted: set[tuple[int, Span]]) -> Scores:
    """Exact matches of (sentence, span) over all classes (micro) and per class, as seqeval's
    ``classification_report`` gives them in strict mode with ``zero_division=0``."""
    if not gold and not predicted:
        return Scores(0.0, 0.0, 0.0, 0, 0)
    n_gold, n_pred, n_correct = (
        Counter(span.label for _, span in entities)
        for entities in (gold, predicted, gold & predicted)
    )
    per_class = {
        label: ClassScore(
            *_percentages(n_correct[label], n_pred[label], n_gold[label]), n_gold[label]
        )
        for label in sorted(n_gold.keys() | n_pred.keys())
    }
    micro = _percentages(n_correct.total(), n_pred.total(), n_gold.total())
    return Scores(*micro, len(gold), len(predicted), per_class)


def _percentages(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 in percent; 0 where a count is 0. The operations are those
    of seqeval (and scikit-learn) in this order, so the floats are the same to the last bit."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    both = precision + recall
    f1 = 2.0 * precision * recall / both if both else 0.0
    return 100 * precision, 100 * recall, 100 * f1


def format_scores(scores: Scores) -> str:
    """The per-class table that ``xlner evaluate`` and ``xlner project --evaluate`` print."""
    lines = [f"{'class':8} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}"]
    lines += [
        f"{label:8} {row.precision:6.1f} {row.recall:6.1f} {row.f1:6.1f} {row.support:6d}"
        for label, row in sorted(scores.per_class.items())
    ]
    lines.append(
        f"{'all':8} {scores.precision:6.1f} {scores.recall:6.1f} {scores.f1:6.1f} "
        f"{scores.n_gold:6d}  predicted/gold {scores.predicted_to_gold:.2f}"
    )
    return "\n".join(lines)
