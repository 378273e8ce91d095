"""Projection: turning source entities plus a word alignment into target entities.

Pick a method by name with :func:`make_projector`.
"""

from __future__ import annotations

from typing import Any

from xlner.project.base import Projector
from xlner.project.heuristic import HeuristicProjector

METHODS = ("heuristic", "match")


def make_projector(method: str = "heuristic", **options: Any) -> Projector:
    """Build a projector by name; ``options`` go to its constructor."""
    if method == "heuristic":
        return HeuristicProjector(**options)
    if method == "match":
        from xlner.project.match import make_match_projector

        return make_match_projector(**options)
    raise ValueError(f"unknown projection method {method!r}; choose from {', '.join(METHODS)}")


__all__ = ["METHODS", "HeuristicProjector", "Projector", "make_projector"]
