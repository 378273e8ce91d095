"""Projection as matching (Politov et al., NoDaLiDa 2025): candidates, scores, solvers."""

from __future__ import annotations

from xlner.project.match.candidates import (
    Candidate,
    CandidateExtractor,
    PunctuationRule,
    aligned_window,
)
from xlner.project.match.projector import MatchProjector, make_match_projector
from xlner.project.match.scores import (
    AlignmentScore,
    CachedTagger,
    CoverageScore,
    FusionScore,
    HFSeq2SeqScorer,
    MatchContext,
    Score,
    ScoringTranslator,
    StringScore,
    TaggerScore,
    TokenProbabilityTagger,
    TranslationScore,
    build_score,
    make_score,
    parse_weights,
)
from xlner.project.match.solvers import (
    Constraints,
    DPSolver,
    GreedySolver,
    ILPSolver,
    Matching,
    Solver,
    make_solver,
)

__all__ = [
    "AlignmentScore",
    "CachedTagger",
    "Candidate",
    "CandidateExtractor",
    "Constraints",
    "CoverageScore",
    "DPSolver",
    "FusionScore",
    "GreedySolver",
    "HFSeq2SeqScorer",
    "ILPSolver",
    "MatchContext",
    "MatchProjector",
    "Matching",
    "PunctuationRule",
    "Score",
    "ScoringTranslator",
    "Solver",
    "StringScore",
    "TaggerScore",
    "TokenProbabilityTagger",
    "TranslationScore",
    "aligned_window",
    "build_score",
    "make_match_projector",
    "make_score",
    "make_solver",
    "parse_weights",
]
