"""Greedy matching: take the best remaining pair, drop what it rules out, repeat."""

from __future__ import annotations

import numpy as np

from xlner.project.match.solvers.base import (
    Constraints,
    Matching,
    Solver,
    feasible_counts,
    objective,
)
from xlner.registry import registry


def greedy_pairs(
    scores: np.ndarray,
    allowed: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    c: Constraints,
) -> list[tuple[int, int]]:
    """Pairs taken best first among ``allowed`` while they fit with those already taken.

    Pairs that add nothing (score <= 0) are taken only to reach a lower bound.
    """
    n_ent = scores.shape[0]
    ents, cands = np.nonzero(allowed)
    values = scores[ents, cands]
    occupied = np.zeros(int(ends.max(initial=0)), dtype=bool)
    counts = np.zeros(n_ent, dtype=np.int64)
    open_entities = n_ent
    pairs: list[tuple[int, int]] = []
    for k in np.argsort(-values, kind="stable"):
        e, cand = int(ents[k]), int(cands[k])
        if counts[e] >= c.upper or (values[k] <= 0 and counts[e] >= c.lower):
            continue
        s, t = starts[cand], ends[cand]
        if occupied[s:t].any():
            continue
        occupied[s:t] = True
        counts[e] += 1
        pairs.append((e, cand))
        if counts[e] >= c.upper:
            open_entities -= 1
            if open_entities == 0:
                break  # every entity is full: nothing more can be taken
    return sorted(pairs)


@registry.solvers.register("greedy")
class GreedySolver(Solver):
    """Fast and usually good; can miss the optimum when one strong pair blocks two good ones."""

    name = "greedy"

    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        c = self.constraints
        pairs = greedy_pairs(scores, c.allowed(scores), starts, ends, c)
        feasible = feasible_counts(pairs, scores.shape[0], c)
        status = "greedy" if feasible else "greedy-infeasible"
        return Matching(pairs, objective(scores, pairs), feasible, status)
