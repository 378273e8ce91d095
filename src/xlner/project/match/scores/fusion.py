"""Fusion: a weighted sum of named scores, each with an optional minimum.

``weights`` and ``thresholds`` are keyed by score name. A pair whose score falls below that
score's threshold becomes ``-inf`` in the fused matrix, so no solver can choose it: a candidate
the aligner never touched can be ruled out whatever its string similarity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score


def parse_weights(text: str) -> dict[str, float]:
    """``"alignment=1,string=0.5"`` -> ``{"alignment": 1.0, "string": 0.5}``.

    A bare name means weight 1 (``"alignment,string=0.5"``). A name given twice is an error:
    which of its weights was meant?
    """
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"missing score name in {part!r}")
        if name in weights:
            raise ValueError(f"score {name!r} is given twice")
        try:
            weights[name] = float(value) if sep else 1.0
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {value!r}") from None
    return weights


def check_weights(weights: Mapping[str, float], thresholds: Mapping[str, float]) -> None:
    """Weights are finite and non-negative, not all zero; thresholds are finite."""
    for name, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of {name!r} must be a finite number >= 0, got {weight}")
    if not any(weights.values()):
        raise ValueError("every score weight is 0: nothing could be projected")
    for name, bound in thresholds.items():
        if not math.isfinite(bound):
            raise ValueError(f"threshold of {name!r} must be a finite number, got {bound}")


class FusionScore(Score):
    """``sum_i weight_i * score_i`` with ``-inf`` wherever a score is below its threshold."""

    name = "fusion"
    unsigned = frozenset({"scores", "weights", "thresholds"})

    def __init__(
        self,
        scores: Sequence[Score],
        weights: Mapping[str, float],
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.scores = list(scores)
        names = [s.name for s in self.scores]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate score names in {names}")
        unknown = (set(weights) | set(thresholds or {})) - set(names)
        if unknown:
            raise ValueError(f"weights or thresholds for unknown scores: {sorted(unknown)}")
        self.weights = {n: float(weights.get(n, 0.0)) for n in names}
        self.thresholds = {n: float(v) for n, v in (thresholds or {}).items()}
        check_weights(self.weights, self.thresholds)

    def score(self, ctx: MatchContext) -> np.ndarray:
        total = np.zeros(ctx.shape)
        for part in self.scores:
            weight = self.weights[part.name]
            if weight == 0 and part.name not in self.thresholds:
                continue  # costly scores (translation) are not run for nothing
            values = part.score(ctx)
            if weight != 0:  # 0 * -inf would be nan
                total += weight * values
            if part.name in self.thresholds:
                total[values < self.thresholds[part.name]] = -np.inf
        return total

    def maximum(self, longest: float) -> float:
        return sum(
            self.weights[p.name] * p.maximum(longest) for p in self.scores if self.weights[p.name]
        )

    def derived_signature(self) -> dict[str, object]:
        """The weights in place of a name."""
        return {"score": self.weights, "score_thresholds": self.thresholds or None}

    def parts_signature(self, *, defaults: bool) -> dict[str, object]:
        """Every part's fields but its name (the weights name the parts)."""
        parts = (part.signature_at(defaults=defaults) for part in self.scores)
        return {k: v for part in parts for k, v in part.items() if k != "score"}
