"""Solvers for projection as matching, and a factory by name."""

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

SOLVERS: dict[str, type[Solver]] = {"greedy": GreedySolver, "ilp": ILPSolver, "dp": DPSolver}


def make_solver(name: str, **options: Any) -> Solver:
    """``make_solver("ilp", limit="exactly", n=1, threshold=0.1)``."""
    if name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; expected one of {', '.join(SOLVERS)}")
    return SOLVERS[name](**options)


__all__ = [
    "LIMITS",
    "SOLVERS",
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
