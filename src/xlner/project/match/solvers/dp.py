"""Exact dynamic programme for the variant without per-entity limits.

Without limits, the best entity for a candidate never depends on the other choices, so each
candidate is worth ``max_e score[e, c]`` (only positive, allowed values) and the problem is
weighted interval scheduling: choose non-overlapping word ranges of maximal total weight,
solved exactly in ``O(n_candidates log n_candidates)``. Note that an entity may therefore be
projected several times; use the ILP for limits.
"""

from __future__ import annotations

import numpy as np

from xlner.project.match.solvers.base import Limit, Matching, Solver, objective
from xlner.registry import registry


def interval_schedule(
    scores: np.ndarray, allowed: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> list[tuple[int, int]]:
    """Best non-overlapping candidates, each with its best allowed entity, if that is positive."""
    masked = np.where(allowed, scores, -np.inf)
    if masked.shape[0] == 0:
        return []
    best_entity = masked.argmax(axis=0)
    weight = masked.max(axis=0)
    cands = np.flatnonzero(weight > 0)
    cands = cands[np.argsort(ends[cands], kind="stable")]
    # prev[i]: how many of the sorted candidates end before candidate i starts.
    prev = np.searchsorted(ends[cands], starts[cands], side="right")
    total = np.zeros(len(cands) + 1)
    for i, w in enumerate(weight[cands]):
        total[i + 1] = max(total[i], w + total[prev[i]])
    chosen: list[int] = []
    i = len(cands)
    while i > 0:
        if total[i] == total[i - 1]:
            i -= 1
        else:
            chosen.append(int(cands[i - 1]))
            i = prev[i - 1]
    return sorted((int(best_entity[c]), c) for c in chosen)


@registry.solvers.register("dp")
class DPSolver(Solver):
    """Weighted interval scheduling over the candidates (limit ``none`` only)."""

    name = "dp"

    def __init__(self, limit: Limit = "none", n: int = 1, threshold: float = 0.0) -> None:
        if limit != "none":
            raise ValueError(f"the dp solver has no per-entity limits; got limit={limit!r}")
        super().__init__(limit, n, threshold)

    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        allowed = self.constraints.allowed(scores)
        pairs = interval_schedule(scores, allowed, starts, ends)
        return Matching(pairs, objective(scores, pairs))
