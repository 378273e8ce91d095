"""Solvers for projection as matching, registered by name in ``registry.solvers``."""

from __future__ import annotations

from typing import Any

from xlner.project.match.solvers.base import (
    LIMITS,
    Constraints,
    Limit,
    Matching,
    Solver,
    violations,
)
from xlner.project.match.solvers.dp import DPSolver
from xlner.project.match.solvers.greedy import GreedySolver
from xlner.project.match.solvers.ilp import ILPSolver
from xlner.registry import registry


def make_solver(name: str, **options: Any) -> Solver:
    """``make_solver("ilp", limit="exactly", n=1, threshold=0.1)``."""
    return registry.solvers.build(name, **options)


__all__ = [
    "LIMITS",
    "Constraints",
    "DPSolver",
    "GreedySolver",
    "ILPSolver",
    "Limit",
    "Matching",
    "Solver",
    "make_solver",
    "violations",
]
