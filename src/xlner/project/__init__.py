"""Projection: turning source entities plus a word alignment into target entities.

Projectors are registered by name in ``registry.projectors`` (``heuristic``, ``match``);
:func:`make_projector` builds one. :func:`~xlner.project.corpus.project_bitext` aligns and
projects a whole corpus.
"""

from __future__ import annotations

from typing import Any

from xlner.project.base import Projector
from xlner.project.heuristic import HeuristicProjector
from xlner.registry import registry


def make_projector(method: str = "heuristic", **options: Any) -> Projector:
    """Build the projector registered as ``method``; ``options`` go to its constructor."""
    return registry.projectors.build(method, **options)


__all__ = ["HeuristicProjector", "Projector", "make_projector"]
