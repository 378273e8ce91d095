"""Strict IOB2 span F1 with seqeval, per class, plus the predicted/gold entity ratio."""

from __future__ import annotations

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
    gold_tags, pred_tags = [], []
    n_gold = n_pred = 0
    for gold_spans, pred_spans, length in zip(gold, predicted, lengths, strict=True):
        gold_spans, pred_spans = map_spans(gold_spans, label_map), map_spans(pred_spans, label_map)
        n_gold += len(gold_spans)
        n_pred += len(pred_spans)
        gold_tags.append(spans_to_tags(gold_spans, length))
        pred_tags.append(spans_to_tags(pred_spans, length))
    return _seqeval_scores(gold_tags, pred_tags, n_gold, n_pred)


def _seqeval_scores(
    gold_tags: list[list[str]], pred_tags: list[list[str]], n_gold: int, n_pred: int
) -> Scores:
    # seqeval imports scikit-learn, scipy and pandas (seconds): only when something is scored.
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    if n_gold == 0 and n_pred == 0:
        return Scores(0.0, 0.0, 0.0, 0, 0)
    report = classification_report(
        gold_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    micro = report["micro avg"]
    per_class = {
        label: ClassScore(
            _pct(row["precision"]), _pct(row["recall"]), _pct(row["f1-score"]), int(row["support"])
        )
        for label, row in report.items()
        if not label.endswith(" avg")
    }
    return Scores(
        _pct(micro["precision"]),
        _pct(micro["recall"]),
        _pct(micro["f1-score"]),
        n_gold,
        n_pred,
        per_class,
    )


def _pct(value: float) -> float:
    return 100 * float(value)


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
