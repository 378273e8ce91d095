"""Matching scores between source entities and target candidates, and a factory by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlner.project.match.scores.alignment import AlignmentScore
from xlner.project.match.scores.base import MatchContext, Score
from xlner.project.match.scores.fusion import FusionScore, parse_weights
from xlner.project.match.scores.string import StringScore, string_similarity
from xlner.project.match.scores.tagger import (
    CachedTagger,
    TaggerScore,
    TokenProbabilityTagger,
)
from xlner.project.match.scores.translation import (
    HFSeq2SeqScorer,
    ScoringTranslator,
    TranslationScore,
)

SCORE_NAMES = ("alignment", "string", "tagger", "translation")


def make_score(name: str, options: Mapping[str, Any] | None = None) -> Score:
    """Build one score by name; ``options`` are its constructor arguments.

    ``translation`` needs ``translator`` (a :class:`ScoringTranslator`) among its options.
    """
    options = dict(options or {})
    if name == "alignment":
        return AlignmentScore(**options)
    if name == "string":
        return StringScore(**options)
    if name == "tagger":
        return TaggerScore(**options)
    if name == "translation":
        if "translator" not in options:
            raise ValueError("the translation score needs a translator")
        return TranslationScore(**options)
    raise ValueError(f"unknown score {name!r}; expected one of {', '.join(SCORE_NAMES)}")


__all__ = [
    "SCORE_NAMES",
    "AlignmentScore",
    "CachedTagger",
    "FusionScore",
    "HFSeq2SeqScorer",
    "MatchContext",
    "Score",
    "ScoringTranslator",
    "StringScore",
    "TaggerScore",
    "TokenProbabilityTagger",
    "TranslationScore",
    "make_score",
    "parse_weights",
    "string_similarity",
]
