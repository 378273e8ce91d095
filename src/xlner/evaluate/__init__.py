"""Evaluation of entity spans. Label maps are in ``registry.label_maps`` (see ``labels.py``)."""

from xlner.evaluate.span_f1 import ClassScore, Scores, evaluate_spans, format_scores, map_spans

__all__ = ["ClassScore", "Scores", "evaluate_spans", "format_scores", "map_spans"]
