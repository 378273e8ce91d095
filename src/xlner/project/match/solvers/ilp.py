"""Exact matching as a binary integer programme, solved by HiGHS through ``scipy.optimize.milp``.

There is one binary variable ``x[e, c]`` per *allowed* pair only (most pairs score nothing;
leaving them out is what keeps the programme small and fast). Constraints:

* per entity ``e``: ``lower <= sum_c x[e, c] <= upper`` (from the limit mode);
* no overlap, in one of two equivalent forms:

  - ``"pairwise"``, the reduced form of Politov et al. (2025): for each pair of overlapping
    candidates ``(c, c')``, ``sum_e x[e, c] + sum_e x[e, c'] <= 1``, and for a candidate that
    overlaps no other one, ``sum_e x[e, c] <= 1``;
  - ``"clique"``: for each target word ``t``, ``sum_e sum_{c covers t} x[e, c] <= 1``. Ranges
    overlap exactly when they share a word, so this says the same with one row per word
    instead of one per overlapping pair, and its LP relaxation is tighter.

Both also make a candidate serve at most one entity. Lower bounds (``exactly``,
``at_least``) are elastic: a slack per entity, penalised above any possible score gain, so
the programme is always feasible; a solution that still needs slack is reported with
``feasible=False``. If HiGHS returns no solution at all (time limit), the greedy solution is
returned with that status.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from xlner.project.match.solvers.base import (
    Limit,
    Matching,
    Solver,
    feasible_counts,
    objective,
    overlap_matrix,
)
from xlner.project.match.solvers.greedy import GreedySolver

OverlapForm = Literal["pairwise", "clique"]


def pairwise_rows(starts: np.ndarray, ends: np.ndarray) -> sparse.csr_matrix:
    """Rows over candidates: one per overlapping pair, one per candidate overlapping none."""
    overlap = overlap_matrix(starts, ends)
    first, second = np.nonzero(np.triu(overlap, k=1))
    alone = np.flatnonzero(overlap.sum(axis=1) == 1)
    pair_ids = np.arange(len(first))
    n_rows = len(first) + len(alone)
    rows = np.concatenate([pair_ids, pair_ids, np.arange(len(first), n_rows)])
    cols = np.concatenate([first, second, alone])
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, len(starts)))


def clique_rows(starts: np.ndarray, ends: np.ndarray) -> sparse.csr_matrix:
    """Rows over candidates: one per distinct set of candidates covering a word."""
    words = np.arange(int(ends.max(initial=0)))
    covers = (starts[None, :] <= words[:, None]) & (words[:, None] < ends[None, :])
    covers = np.unique(covers[covers.any(axis=1)], axis=0)
    return sparse.csr_matrix(covers.astype(np.float64))


class ILPSolver(Solver):
    """Optimal matching under every constraint, via HiGHS."""

    name = "ilp"

    def __init__(
        self,
        limit: Limit = "at_most",
        n: int = 1,
        threshold: float = 0.0,
        overlap: OverlapForm = "pairwise",
        time_limit: float | None = 10.0,
    ) -> None:
        super().__init__(limit, n, threshold)
        if overlap not in ("pairwise", "clique"):
            raise ValueError(f"overlap must be 'pairwise' or 'clique', got {overlap!r}")
        self.overlap: OverlapForm = overlap
        self.time_limit = time_limit

    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        c = self.constraints
        n_ent = scores.shape[0]
        ents, cands = np.nonzero(c.allowed(scores))
        if len(ents) == 0:
            return Matching([], 0.0, c.lower == 0 or n_ent == 0, "empty")
        values = scores[ents, cands]
        used, var_cand = np.unique(cands, return_inverse=True)
        n_var = len(ents)
        # incidence[i, j] = 1 when variable j uses candidate used[i]
        incidence = sparse.csr_matrix(
            (np.ones(n_var), (var_cand, np.arange(n_var))), shape=(len(used), n_var)
        )
        rows = (pairwise_rows if self.overlap == "pairwise" else clique_rows)(
            starts[used], ends[used]
        )
        blocks = [rows @ incidence]
        lb, ub = [np.full(rows.shape[0], -np.inf)], [np.ones(rows.shape[0])]
        entity_rows = sparse.csr_matrix(
            (np.ones(n_var), (ents, np.arange(n_var))), shape=(n_ent, n_var)
        )
        n_slack = n_ent if c.lower > 0 else 0
        if c.limit != "none":
            blocks.append(entity_rows)
            lb.append(np.full(n_ent, float(c.lower)))
            ub.append(np.full(n_ent, float(c.upper)))
        matrix = sparse.vstack(blocks, format="csr")
        if n_slack:
            slack = sparse.vstack(
                [sparse.csr_matrix((rows.shape[0], n_slack)), sparse.identity(n_ent, format="csr")]
            )
            matrix = sparse.hstack([matrix, slack], format="csr")
        # Any unmet lower bound must cost more than every score together could gain.
        penalty = 1.0 + np.abs(values).sum()
        cost = np.concatenate([-values, np.full(n_slack, penalty)])
        result = milp(
            cost,
            constraints=LinearConstraint(matrix, np.concatenate(lb), np.concatenate(ub)),
            integrality=np.concatenate([np.ones(n_var), np.zeros(n_slack)]),
            bounds=Bounds(0, np.concatenate([np.ones(n_var), np.full(n_slack, c.lower)])),
            options=self._options(),
        )
        if result.x is None:
            fallback = GreedySolver(c.limit, c.n, c.threshold)._solve(scores, starts, ends)
            fallback.status = f"fallback-greedy ({result.message})"
            return fallback
        chosen = np.flatnonzero(result.x[:n_var] > 0.5)
        pairs = sorted((int(ents[j]), int(cands[j])) for j in chosen)
        feasible = feasible_counts(pairs, n_ent, c)
        status = "optimal" if result.status == 0 else f"limit ({result.message})"
        if not feasible:
            status = "relaxed"
        return Matching(pairs, objective(scores, pairs), feasible, status)

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"disp": False}
        if self.time_limit is not None:
            options["time_limit"] = self.time_limit
        return options

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "overlap": self.overlap}
