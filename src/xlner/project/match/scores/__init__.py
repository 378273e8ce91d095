"""Matching scores between source entities and target candidates, registered by name.

Each score is registered in ``registry.scores`` (``alignment``, ``coverage``, ``string``,
``tagger``, ``translation``) and declares its options on its constructor. A score that
declares a ``link_set`` option reads a named link set given after a colon
(``coverage:simalign``); a score text with weights (``alignment=1,string=0.5``) is a fusion.
"""

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
from xlner.registry import ComponentError, registry

LINK_SET = "link_set"  # the option of the scores that can read a named link set


def link_set_scores() -> list[str]:
    """The registered scores that take a named link set (``coverage:union``)."""
    return [
        name for name in registry.scores.available() if LINK_SET in registry.scores.options(name)
    ]


def make_score(name: str, options: Mapping[str, Any] | None = None) -> Score:
    """Build one score by name; ``options`` are its constructor arguments.

    ``name:link_set`` builds the score ``name`` on the link set ``link_set`` (see
    :class:`MatchContext`); only scores that declare a ``link_set`` option take one.
    """
    options = dict(options or {})
    base, sep, link_set = name.partition(":")
    if sep:
        if (
            not link_set
            or base not in registry.scores
            or LINK_SET not in registry.scores.options(base)
        ):
            raise ComponentError(
                f"bad score name {name!r}: only {', '.join(link_set_scores())} take a link set "
                "(e.g. 'alignment:union')"
            )
        options[LINK_SET] = link_set
    return registry.scores.build(base, **options)


def _as_weights(value: str | Mapping[str, float] | None) -> dict[str, float]:
    if value is None:
        return {}
    return parse_weights(value) if isinstance(value, str) else dict(value)


def build_score(
    score: str | Mapping[str, float],
    thresholds: str | Mapping[str, float] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Score:
    """One named score, or a :class:`FusionScore` for weights and/or thresholds.

    ``score`` is a name (``"coverage:simalign"``) or weights (``"alignment=1,string=0.5"`` or
    a mapping); ``thresholds`` are per-score minimums; ``options`` hold constructor arguments
    per score name (e.g. the translator). Every fault is a one-line :class:`ComponentError`.
    """
    try:
        weights = _as_weights(score)
        bounds = _as_weights(thresholds)
        names = list(dict.fromkeys([*weights, *bounds]))
        if not names:
            raise ValueError("no score given")
        parts = [make_score(name, (options or {}).get(name)) for name in names]
        if len(parts) == 1 and not bounds and weights.get(names[0]) == 1.0:
            return parts[0]
        return FusionScore(parts, weights, bounds)
    except ComponentError:
        raise
    except ValueError as error:
        raise ComponentError(f"score {score!r}: {error}") from error


__all__ = [
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
    "build_score",
    "link_set_scores",
    "make_score",
    "parse_weights",
    "string_similarity",
]
