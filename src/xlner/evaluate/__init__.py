"""Evaluation of entity spans."""

from xlner.evaluate.span_f1 import ClassScore, Scores, evaluate_spans, map_spans

LABEL_MAPS = {
    "none": {},
    "drop-date": {"DATE": None},
    "drop-misc": {"MISC": None},
    "drop-date-misc": {"DATE": None, "MISC": None},
}

__all__ = ["ClassScore", "Scores", "evaluate_spans", "map_spans", "LABEL_MAPS"]
