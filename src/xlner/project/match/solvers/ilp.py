"""Exact matching as a binary integer programme, solved by HiGHS through ``scipy.optimize.milp``.

There is one binary variable ``x[e, c]`` per *allowed* pair only. Constraints:

* per entity ``e``: ``lower <= sum_c x[e, c] <= upper`` (from the limit mode);
* no overlap, in one of two equivalent forms:

  - ``"pairwise"`` (default), the reduced form of Politov et al. (2025): for each pair of
    overlapping candidates ``(c, c')``, ``sum_e x[e, c] + sum_e x[e, c'] <= 1``, and for a
    candidate that overlaps no other one, ``sum_e x[e, c] <= 1``;
  - ``"clique"``: for each target word ``t``, ``sum_e sum_{c covers t} x[e, c] <= 1``. Ranges
    overlap exactly when they share a word, so this says the same with one row per word
    instead of one per overlapping pair, and its LP relaxation is tighter.

Both also make a candidate serve at most one entity.

Speed matters (one programme per sentence, and a HiGHS call costs over a millisecond even for a
tiny one), so before calling HiGHS the solver

1. drops dominated pairs: ``(e, c)`` when a candidate nested inside ``c`` scores at least as
   much for ``e``. Swapping ``c`` for the nested one keeps every constraint and the objective,
   so an optimum survives; with the alignment score this is what makes the programme small.
2. proves the greedy (or, without a lower bound, the interval-scheduling) solution optimal
   when it reaches an upper bound, and then skips HiGHS. ``shortcuts=False`` turns this off.

Lower bounds (``exactly``, ``at_least``) are elastic: a slack per entity, penalised above any
possible score gain, so the programme is always feasible; a solution that still needs slack is
reported with ``feasible=False`` and status ``relaxed``. If HiGHS returns no solution at all
(time limit), the greedy solution is returned with that status.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from xlner.project.match.solvers.base import (
    Constraints,
    Limit,
    Matching,
    Solver,
    feasible_counts,
    objective,
)
from xlner.project.match.solvers.dp import interval_schedule
from xlner.project.match.solvers.greedy import greedy_pairs
from xlner.registry import registry

OverlapForm = Literal["pairwise", "clique"]


def pairwise_rows(starts: np.ndarray, ends: np.ndarray) -> sparse.csr_matrix:
    """Rows over candidates: one per overlapping pair, one per candidate overlapping none."""
    first, second = overlapping_pairs(starts, ends)
    counts = np.bincount(np.concatenate([first, second]), minlength=len(starts))
    alone = np.flatnonzero(counts == 0)
    pair_ids = np.arange(len(first))
    n_rows = len(first) + len(alone)
    rows = np.concatenate([pair_ids, pair_ids, np.arange(len(first), n_rows)])
    cols = np.concatenate([first, second, alone])
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, len(starts)))


def overlapping_pairs(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(i, j)``, ``i < j``, of the candidates that share a word, in row-major order.

    The pairs in the order of ``np.nonzero`` over the upper triangle of the candidates'
    overlap matrix, without that quadratic matrix: a long sentence has tens of thousands of
    candidates, but each overlaps only the few that start inside it.
    """
    order = np.lexsort((ends, starts))
    sorted_starts, sorted_ends = starts[order], ends[order]
    # In start order, candidate p overlaps exactly the later ones that start before it ends.
    stop = np.searchsorted(sorted_starts, sorted_ends, side="left")
    later = np.maximum(stop - np.arange(len(order)) - 1, 0)
    p = np.repeat(np.arange(len(order)), later)
    q = p + 1 + (np.arange(len(p)) - np.repeat(np.cumsum(later) - later, later))
    a, b = order[p], order[q]
    first, second = np.minimum(a, b), np.maximum(a, b)
    rank = np.lexsort((second, first))
    return first[rank], second[rank]


def clique_rows(starts: np.ndarray, ends: np.ndarray) -> sparse.csr_matrix:
    """Rows over candidates: one per distinct set of candidates covering a word."""
    words = np.arange(int(ends.max(initial=0)))
    covers = (starts[None, :] <= words[:, None]) & (words[:, None] < ends[None, :])
    covers = np.unique(covers[covers.any(axis=1)], axis=0)
    return sparse.csr_matrix(covers.astype(np.float64))


def undominated(
    scores: np.ndarray, allowed: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """``allowed`` without the pairs a strictly nested candidate beats or ties for that entity."""
    n_words = int(ends.max(initial=0))
    lengths = ends - starts
    longest = int(lengths.max(initial=0))
    masked = np.where(allowed, scores, -np.inf)
    # best[:, s, k]: best allowed score of any candidate within words s .. s+k-1, built up by
    # length from the two ranges one word shorter. Indexed by length rather than end, so that
    # its size grows with the sentence times the longest candidate, not the sentence squared.
    best = np.full((scores.shape[0], n_words + 1, longest + 1), -np.inf)
    best[:, starts, lengths] = masked
    for length in range(2, longest + 1):
        s = np.arange(n_words - length + 1)
        shorter = np.maximum(best[:, s + 1, length - 1], best[:, s, length - 1])
        best[:, s, length] = np.maximum(best[:, s, length], shorter)
    inner = np.maximum(best[:, starts + 1, lengths - 1], best[:, starts, lengths - 1])
    inner[:, lengths == 1] = -np.inf  # a one-word candidate contains no other
    return allowed & ~(inner >= masked)


def entity_bound(scores: np.ndarray, allowed: np.ndarray, c: Constraints) -> float:
    """Upper bound from the per-entity limits alone (each entity takes its best pairs)."""
    total = 0.0
    for row, mask in zip(scores, allowed, strict=True):
        values = np.sort(row[mask])[::-1]
        if len(values) < c.lower:
            return np.inf  # the lower bound cannot be met: no proof from this bound
        top = values[: c.lower]
        rest = values[c.lower : int(c.upper) if np.isfinite(c.upper) else None]
        total += top.sum() + rest[rest > 0].sum()
    return total


def drop_idle(
    scores: np.ndarray, pairs: list[tuple[int, int]], lower: int
) -> list[tuple[int, int]]:
    """Sorted ``pairs`` without those scoring <= 0 that no lower bound needs.

    HiGHS may pick a zero-score pair as readily as leave it; it would only be an arbitrary
    extra projection. Dropping one keeps every other constraint and never lowers the total.
    """
    kept: list[tuple[int, int]] = []
    for e in sorted({e for e, _ in pairs}):
        mine = sorted((p for p in pairs if p[0] == e), key=lambda p: -scores[p])
        extra = len(mine) - lower
        while extra > 0 and scores[mine[-1]] <= 0:
            mine.pop()
            extra -= 1
        kept += mine
    return sorted(kept)


@registry.solvers.register("ilp")
class ILPSolver(Solver):
    """Optimal matching under every constraint, via HiGHS."""

    name = "ilp"
    unsigned = Solver.unsigned | {"time_limit"}  # a bound on the time, not on the matching

    def __init__(
        self,
        limit: Limit = "at_most",
        n: int = 1,
        threshold: float = 0.0,
        overlap: OverlapForm = "pairwise",
        time_limit: float | None = 10.0,
        shortcuts: bool = True,
    ) -> None:
        super().__init__(limit, n, threshold)
        if overlap not in ("pairwise", "clique"):
            raise ValueError(f"overlap must be 'pairwise' or 'clique', got {overlap!r}")
        self.overlap: OverlapForm = overlap
        self.time_limit = time_limit
        self.shortcuts = shortcuts

    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        c = self.constraints
        allowed = c.allowed(scores)
        if not allowed.any():
            return Matching([], 0.0, c.lower == 0 or scores.shape[0] == 0, "empty")
        allowed = undominated(scores, allowed, starts, ends)
        if self.shortcuts:
            proven = self._proven(scores, allowed, starts, ends)
            if proven is not None:
                return proven
        return self._milp(scores, allowed, starts, ends)

    def _proven(
        self, scores: np.ndarray, allowed: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> Matching | None:
        """A solution proven optimal without HiGHS, or ``None``."""
        c = self.constraints
        pairs = greedy_pairs(scores, allowed, starts, ends, c)
        value = objective(scores, pairs)
        bound = entity_bound(scores, allowed, c)
        if c.lower == 0:
            # Without limits the problem is interval scheduling; its optimum bounds ours.
            relaxed = interval_schedule(scores, allowed, starts, ends)
            if feasible_counts(relaxed, scores.shape[0], c):
                return Matching(relaxed, objective(scores, relaxed), True, "optimal")
            bound = min(bound, objective(scores, relaxed))
        tolerance = 1e-9 * max(1.0, abs(bound))
        if feasible_counts(pairs, scores.shape[0], c) and value >= bound - tolerance:
            return Matching(pairs, value, True, "optimal")
        return None

    def _milp(
        self, scores: np.ndarray, allowed: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> Matching:
        c = self.constraints
        n_ent = scores.shape[0]
        ents, cands = np.nonzero(allowed)
        values = scores[ents, cands]
        matrix, lb, ub, n_slack = self._constraints(ents, cands, starts, ends, n_ent)
        n_var = len(ents)
        # Any unmet lower bound must cost more than every score together could gain.
        penalty = 1.0 + np.abs(values).sum()
        result = milp(
            np.concatenate([-values, np.full(n_slack, penalty)]),
            constraints=LinearConstraint(matrix, lb, ub),
            integrality=np.concatenate([np.ones(n_var), np.zeros(n_slack)]),
            bounds=Bounds(0, np.concatenate([np.ones(n_var), np.full(n_slack, c.lower)])),
            options=self._options(),
        )
        if result.x is None:
            pairs = greedy_pairs(scores, allowed, starts, ends, c)
            feasible = feasible_counts(pairs, n_ent, c)
            return Matching(
                pairs, objective(scores, pairs), feasible, f"fallback-greedy: {result.message}"
            )
        chosen = np.flatnonzero(result.x[:n_var] > 0.5)
        pairs = drop_idle(scores, [(int(ents[j]), int(cands[j])) for j in chosen], c.lower)
        feasible = feasible_counts(pairs, n_ent, c)
        status = "optimal" if result.status == 0 else f"limit: {result.message}"
        return Matching(
            pairs, objective(scores, pairs), feasible, status if feasible else "relaxed"
        )

    def _constraints(
        self,
        ents: np.ndarray,
        cands: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        n_ent: int,
    ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, int]:
        """Sparse constraint matrix with its bounds, and the number of slack columns."""
        c = self.constraints
        n_var = len(ents)
        used, var_cand = np.unique(cands, return_inverse=True)
        # incidence[i, j] = 1 when variable j uses candidate used[i]
        incidence = sparse.csr_matrix(
            (np.ones(n_var), (var_cand, np.arange(n_var))), shape=(len(used), n_var)
        )
        form = pairwise_rows if self.overlap == "pairwise" else clique_rows
        overlap_rows = form(starts[used], ends[used]) @ incidence
        n_rows = overlap_rows.shape[0]
        blocks, lb, ub = [overlap_rows], [np.full(n_rows, -np.inf)], [np.ones(n_rows)]
        if c.limit != "none":
            blocks.append(
                sparse.csr_matrix((np.ones(n_var), (ents, np.arange(n_var))), shape=(n_ent, n_var))
            )
            lb.append(np.full(n_ent, float(c.lower)))
            ub.append(np.full(n_ent, float(c.upper)))
        matrix = sparse.vstack(blocks, format="csr")
        n_slack = n_ent if c.lower > 0 else 0
        if n_slack:
            slack = sparse.vstack(
                [sparse.csr_matrix((n_rows, n_slack)), sparse.identity(n_ent, format="csr")]
            )
            matrix = sparse.hstack([matrix, slack], format="csr")
        return matrix, np.concatenate(lb), np.concatenate(ub), n_slack

    def _options(self) -> dict[str, Any]:
        # HiGHS stops at a 1e-4 relative gap by default; ask for the true optimum.
        options: dict[str, Any] = {"disp": False, "mip_rel_gap": 1e-9}
        if self.time_limit is not None:
            options["time_limit"] = self.time_limit
        return options
