"""Evaluation of entity spans. Label maps are in ``registry.label_maps`` (see ``labels.py``)."""

from xlner.evaluate.span_f1 import ClassScore, Scores, evaluate_spans, format_scores, map_spans
from xlner.registry import registry

# Read-only view for the callers that still index a dict (pipeline/stages.py, study/config.py);
# new code reads ``registry.label_maps``.
LABEL_MAPS = registry.label_maps.all()

__all__ = ["LABEL_MAPS", "ClassScore", "Scores", "evaluate_spans", "format_scores", "map_spans"]
