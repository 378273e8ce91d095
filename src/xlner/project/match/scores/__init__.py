"""Matching scores between source entities and target candidates, and a factory by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlner.project.match.scores.alignment import AlignmentScore, CoverageScore
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

SCORE_NAMES = ("alignment", "coverage", "string", "tagger", "translation")
# Scores that read an alignment and so can be given a named link set: ``coverage:union``.
LINK_SCORES = ("alignment", "coverage")


def make_score(name: str, options: Mapping[str, Any] | None = None) -> Score:
    """Build one score by name; ``options`` are its constructor arguments.

    ``alignment`` and ``coverage`` read the primary links, or the link set named after a
    colon (``alignment:union``, ``coverage:simalign``; see :class:`MatchContext`).
    ``translation`` needs ``translator`` (a :class:`ScoringTranslator`) among its options.
    """
    options = dict(options or {})
    base, sep, link_set = name.partition(":")
    if sep:
        if base not in LINK_SCORES or not link_set:
            raise ValueError(
                f"bad score name {name!r}: only {', '.join(LINK_SCORES)} take a link set "
                "(e.g. 'alignment:union')"
            )
        return make_score(base, {**options, "link_set": link_set})
    if name == "alignment":
        return AlignmentScore(**options)
    if name == "coverage":
        return CoverageScore(**options)
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
    "LINK_SCORES",
    "SCORE_NAMES",
    "AlignmentScore",
    "CachedTagger",
    "CoverageScore",
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
