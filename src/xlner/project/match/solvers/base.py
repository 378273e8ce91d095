"""Solvers choose entity-candidate pairs from a score matrix under matching constraints.

The constraints of projection as matching (Politov et al. 2025):

* a candidate serves at most one entity, and chosen candidates never overlap;
* each entity is projected ``at_most`` / ``exactly`` / ``at_least`` ``n`` times, or without a
  limit (``none``);
* a pair scoring below ``threshold`` (or ``-inf`` / ``nan``) is not allowed.

Under a limit without a lower bound (``at_most``, ``none``) only pairs with a positive score
are allowed too: a pair that adds nothing to the objective would only be an arbitrary extra
projection. ``exactly`` and ``at_least`` may need such pairs to reach their lower bound.
When a lower bound cannot be met, solvers do not fail: they return the best matching that
meets the bounds as far as possible, with ``feasible=False``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from xlner.signature import Signed

Limit = Literal["at_most", "exactly", "at_least", "none"]
LIMITS: tuple[str, ...] = get_args(Limit)


@dataclass(frozen=True)
class Constraints:
    """How many times each entity may be projected, and the lowest allowed score."""

    limit: Limit = "at_most"
    n: int = 1
    threshold: float = 0.0

    def __post_init__(self) -> None:
        if self.limit not in LIMITS:
            raise ValueError(f"limit must be one of {', '.join(LIMITS)}, got {self.limit!r}")
        if self.n < 1:
            raise ValueError(f"n (projections per entity) must be at least 1, got {self.n}")
        if math.isnan(self.threshold):
            raise ValueError("threshold must be a number, got nan")

    @property
    def lower(self) -> int:
        return self.n if self.limit in ("exactly", "at_least") else 0

    @property
    def upper(self) -> float:
        return self.n if self.limit in ("exactly", "at_most") else np.inf

    def allowed(self, scores: np.ndarray) -> np.ndarray:
        """Boolean mask of the pairs a solution may use."""
        with np.errstate(invalid="ignore"):
            mask = np.isfinite(scores) & (scores >= self.threshold)
            if self.lower == 0:
                mask &= scores > 0
        return mask


@dataclass
class Matching:
    """Chosen ``(entity_index, candidate_index)`` pairs and their total score."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    objective: float = 0.0
    feasible: bool = True
    status: str = "optimal"


class Solver(Signed, ABC):
    """Maximises the total score of chosen pairs subject to :class:`Constraints`."""

    name: str = "solver"
    signature_key = "solver"
    unsigned = frozenset({"limit", "n", "threshold"})  # signed as the constraints they make

    def __init__(self, limit: Limit = "at_most", n: int = 1, threshold: float = 0.0) -> None:
        self.constraints = Constraints(limit, n, threshold)

    def solve(
        self,
        scores: np.ndarray,
        starts: Sequence[int] | np.ndarray,
        ends: Sequence[int] | np.ndarray,
    ) -> Matching:
        """Choose pairs for an ``(n_entities, n_candidates)`` score matrix.

        ``starts`` / ``ends`` give each candidate's word range (end exclusive).
        """
        scores = np.asarray(scores, dtype=np.float64)
        starts_a, ends_a = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        if scores.ndim != 2 or scores.shape[1] != len(starts_a) or len(starts_a) != len(ends_a):
            raise ValueError(
                f"scores of shape {scores.shape} do not fit {len(starts_a)} candidates"
            )
        if (ends_a <= starts_a).any() or (starts_a < 0).any():
            raise ValueError("every candidate needs 0 <= start < end")
        return self._solve(scores, starts_a, ends_a)

    @abstractmethod
    def _solve(self, scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Matching:
        """Solve for validated inputs."""

    def derived_signature(self) -> dict[str, Any]:
        c = self.constraints
        return {"limit": c.limit, "n": c.n, "threshold": c.threshold}


def objective(scores: np.ndarray, pairs: Sequence[tuple[int, int]]) -> float:
    return float(sum(scores[e, c] for e, c in pairs))


def feasible_counts(pairs: Sequence[tuple[int, int]], n_entities: int, c: Constraints) -> bool:
    counts = np.bincount([e for e, _ in pairs], minlength=n_entities)
    return bool((counts >= c.lower).all() and (counts <= c.upper).all())


def violations(
    scores: np.ndarray,
    starts: Sequence[int],
    ends: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    constraints: Constraints,
) -> list[str]:
    """Every way ``pairs`` break the constraints (lower bounds included); empty when valid."""
    problems: list[str] = []
    allowed = constraints.allowed(np.asarray(scores, dtype=np.float64))
    problems += [f"pair {p} is not allowed" for p in pairs if not allowed[p]]
    cands = [c for _, c in pairs]
    if len(set(cands)) != len(cands):
        problems.append("a candidate serves several entities")
    chosen = sorted((starts[c], ends[c]) for c in set(cands))
    problems += [
        f"{a} overlaps {b}" for a, b in zip(chosen, chosen[1:], strict=False) if b[0] < a[1]
    ]
    counts = np.bincount([e for e, _ in pairs], minlength=np.shape(scores)[0])
    problems += [
        f"entity {e} projected {k} times"
        for e, k in enumerate(counts)
        if k < constraints.lower or k > constraints.upper
    ]
    return problems
