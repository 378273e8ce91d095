"""A matching score added in one new file: how close a candidate's length is to the entity's."""

from __future__ import annotations

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score
from xlner.registry import registry


@registry.scores.register("length")
class LengthScore(Score):
    """``1 - |len(e) - len(c)| / max(len(e), len(c))``: 1 for equal lengths, towards 0 apart.

    Used alone (``--score length``) or fused with others (``--score alignment=1,length=0.5``).
    """

    name = "length"

    def score(self, ctx: MatchContext) -> np.ndarray:
        entity = ctx.entity_lengths[:, None].astype(float)
        candidate = ctx.candidate_lengths[None, :].astype(float)
        return 1.0 - np.abs(entity - candidate) / np.maximum(entity, candidate)

    def maximum(self, longest: float) -> float:
        return 1.0  # a threshold above 1 could never be met, so projectors refuse one
