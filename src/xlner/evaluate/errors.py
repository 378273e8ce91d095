"""Error analysis by type: which gold entities were missed, which predictions are spurious,
and which got the boundary or the class wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from xlner.types import Span

ERROR_TYPES = ("correct", "class", "boundary", "missed", "spurious")


@dataclass(frozen=True)
class SpanError:
    """One comparison outcome; ``gold`` or ``predicted`` is None for missed / spurious."""

    kind: str
    gold: Span | None
    predicted: Span | None


def classify_errors(gold: Sequence[Span], predicted: Sequence[Span]) -> list[SpanError]:
    """Compare one sentence's spans.

    - ``correct``: same boundaries, same class;
    - ``class``: same boundaries, other class;
    - ``boundary``: overlapping, other boundaries (whatever the class);
    - ``missed``: a gold span that no prediction overlaps;
    - ``spurious``: a prediction that overlaps no gold span.
    A gold span overlapped by several predictions counts once, with its best match.
    """
    outcomes: list[SpanError] = []
    used: set[Span] = set()
    for g in gold:
        overlapping = [p for p in predicted if p.overlaps(g)]
        if not overlapping:
            outcomes.append(SpanError("missed", g, None))
            continue
        best = min(overlapping, key=lambda p: _distance(g, p))
        used.update(overlapping)
        outcomes.append(SpanError(_kind(g, best), g, best))
    outcomes.extend(SpanError("spurious", None, p) for p in predicted if p not in used)
    return outcomes


def _distance(gold: Span, predicted: Span) -> tuple[int, int]:
    return (
        abs(gold.start - predicted.start) + abs(gold.end - predicted.end),
        gold.label != predicted.label,
    )


def _kind(gold: Span, predicted: Span) -> str:
    if (gold.start, gold.end) != (predicted.start, predicted.end):
        return "boundary"
    return "correct" if gold.label == predicted.label else "class"


def count_errors(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]
) -> dict[str, int]:
    """Totals of each error type over a corpus."""
    counts: Counter[str] = Counter({kind: 0 for kind in ERROR_TYPES})
    for g, p in zip(gold, predicted, strict=True):
        counts.update(error.kind for error in classify_errors(g, p))
    return dict(counts)
