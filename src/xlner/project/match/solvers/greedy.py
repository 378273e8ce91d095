"""Greedy matching: take the best remaining pair, drop what it rules out, repeat."""

from __future__ import annotations

import numpy as np

from xlner.project.match.solvers.base import Matching, Solver, feasible_counts, objective


class GreedySolver(Solver):
    """Fast and usually good; can miss the optimum when one strong pair blocks two good ones.

    Pairs that add nothing (score <= 0) are taken only to reach a lower bound.
    """

    name = "greedy"

    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        c = self.constraints
        n_ent = scores.shape[0]
        ents, cands = np.nonzero(c.allowed(scores))
        values = scores[ents, cands]
        occupied = np.zeros(int(ends.max(initial=0)), dtype=bool)
        counts = np.zeros(n_ent, dtype=np.int64)
        open_entities = n_ent
        pairs: list[tuple[int, int]] = []
        for k in np.argsort(-values, kind="stable"):
            e, cand, value = int(ents[k]), int(cands[k]), values[k]
            if counts[e] >= c.upper or (value <= 0 and counts[e] >= c.lower):
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
                    break
        feasible = feasible_counts(pairs, n_ent, c)
        status = "greedy" if feasible else "greedy-infeasible"
        return Matching(sorted(pairs), objective(scores, pairs), feasible, status)
