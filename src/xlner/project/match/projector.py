"""Projection as matching (Politov et al., NoDaLiDa 2025).

Source entities are matched to target candidates (word n-grams) by maximising the total of a
matching score under constraints: no two projections overlap, and each entity is projected a
limited number of times. The pieces are exchangeable: a :class:`CandidateExtractor`, a
:class:`Score` (alignment, string, tagger, translation or a weighted fusion of them) and a
:class:`Solver` (greedy, ILP or DP).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlner.project.base import Projector
from xlner.project.match.candidates import (
    MAX_RATIO_LENGTH,
    MAX_SCORE_CELLS,
    Candidate,
    CandidateExtractor,
    PunctuationRule,
    near_aligned,
)
from xlner.project.match.scores import (
    CachedTagger,
    FusionScore,
    MatchContext,
    Score,
    ScoringTranslator,
    TokenProbabilityTagger,
    build_score,
)
from xlner.project.match.solvers import Limit, Solver
from xlner.project.match.solvers.ilp import OverlapForm
from xlner.registry import registry
from xlner.types import Link, LinkSets, ProjectedSpan, Span, Tokens

logger = logging.getLogger(__name__)


class MatchProjector(Projector):
    """Chooses target spans for the source entities by solving a matching problem.

    Each projected span takes its label from its source entity and its ``score`` from the
    score matrix. ``stats`` counts the solver statuses seen, so a run can report how often a
    lower bound (``exactly`` / ``at_least``) could not be met. ``links`` may be a
    :class:`~xlner.types.LinkSets` for scores that read a named link set.
    """

    name = "match"
    unsigned = frozenset({"score", "solver", "candidates", "tagger"})

    def __init__(
        self,
        score: Score,
        solver: Solver,
        candidates: CandidateExtractor | None = None,
        tagger: CachedTagger | None = None,
        tagger_candidates: bool = False,
    ) -> None:
        if tagger_candidates and tagger is None:
            raise ValueError("tagger candidates need a tagger")
        self.score = score
        self.solver = solver
        self.candidates = candidates or CandidateExtractor()
        self.tagger = tagger
        self.tagger_candidates = tagger_candidates
        self.stats: Counter[str] = Counter()
        self._check_threshold()

    def _check_threshold(self) -> None:
        """Refuse a threshold no pair could reach: it would silently project nothing."""
        # Tagger candidates and a length ratio let candidates grow beyond ``max_len``.
        grows = self.tagger_candidates or self.candidates.max_len_ratio > 0
        longest = math.inf if grows else self.candidates.max_len
        best = self.score.maximum(longest)
        threshold = self.solver.constraints.threshold
        if threshold > best:
            raise ValueError(
                f"threshold {threshold:g} is above the highest value the score can reach "
                f"({best:g}): nothing would be projected"
            )

    def prefetch(self, target_sentences: Iterable[Tokens]) -> None:
        """Run the tagger (if any) over all target sentences at once, in batches."""
        if self.tagger is not None:
            self.tagger.prefetch(target_sentences)

    def context(
        self,
        source_tokens: Tokens,
        source_spans: Sequence[Span],
        target_tokens: Tokens,
        links: Sequence[Link],
    ) -> MatchContext:
        """The candidates and everything the scores need for one sentence pair."""
        extra = self.tagger.spans(target_tokens) if self.tagger_candidates and self.tagger else []
        if self.candidates.wanted(source_spans) > MAX_RATIO_LENGTH:
            self._capped(
                "length",
                f"candidates of at most {MAX_RATIO_LENGTH} words, not the "
                f"{self.candidates.wanted(source_spans)} that max_len_ratio asks for",
            )
        candidates = self.candidates.extract(
            target_tokens, source_spans, links, extra, source_tokens=source_tokens
        )
        if len(source_spans) * len(candidates) > MAX_SCORE_CELLS:
            every_link = [x for part in [links, *LinkSets.wrap(links).named.values()] for x in part]
            near = near_aligned(candidates, source_spans, every_link, len(target_tokens))
            self._capped(
                "cells",
                f"{len(source_spans)} entities x {len(candidates)} candidates are more than "
                f"{MAX_SCORE_CELLS} score cells: kept the {len(near)} candidates that hold a word "
                "aligned to an entity",
            )
            candidates = sorted(set(near) | {Candidate(s.start, s.end) for s in extra})
        probs = self.tagger.proba(target_tokens) if self.tagger is not None else None
        labels = self.tagger.labels if self.tagger is not None else None
        return MatchContext(
            source_tokens,
            source_spans,
            target_tokens,
            LinkSets.wrap(links),
            candidates,
            probs,
            labels,
        )

    def _capped(self, kind: str, what: str) -> None:
        """Count a capped sentence in ``stats``; warn about the first of each kind."""
        key = f"capped:{kind}"
        self.stats[key] += 1
        if self.stats[key] == 1:
            logger.warning(
                "match projection of a long sentence pair: %s (later cases are counted in "
                "the projector's stats[%r], without a warning)",
                what,
                key,
            )

    def link_sets_used(self) -> set[str]:
        parts = self.score.scores if isinstance(self.score, FusionScore) else [self.score]
        return {name for part in parts if (name := getattr(part, "link_set", None)) is not None}

    def project(
        self,
        source_tokens: Tokens,
        source_spans: Sequence[Span],
        target_tokens: Tokens,
        links: Sequence[Link],
    ) -> list[ProjectedSpan]:
        if not source_spans or not target_tokens:
            return []
        ctx = self.context(source_tokens, list(source_spans), target_tokens, links)
        if not ctx.candidates:
            return []
        scores = self.score.score(ctx)
        matching = self.solver.solve(scores, ctx.starts, ctx.ends)
        self.stats[matching.status] += 1
        projected = [
            ProjectedSpan(
                span=ctx.candidates[c].label(ctx.source_spans[e].label),
                source=ctx.source_spans[e],
                score=float(scores[e, c]),
            )
            for e, c in matching.pairs
        ]
        return sorted(projected, key=lambda p: p.span)

    def derived_signature(self) -> dict[str, Any]:
        return {"tagger": None if self.tagger is None else type(self.tagger.tagger).__name__}

    def parts_signature(self, *, defaults: bool) -> dict[str, Any]:
        """The score's, the solver's and the candidates' fields, in one flat record."""
        parts = (self.score, self.solver, self.candidates)
        return {k: v for part in parts for k, v in part.signature_at(defaults=defaults).items()}


def _rule(punctuation: PunctuationRule | bool) -> PunctuationRule | None:
    if isinstance(punctuation, PunctuationRule):
        return punctuation
    return PunctuationRule() if punctuation else None


@registry.projectors.register("match")
def make_match_projector(  # noqa: PLR0913
    score: str | Mapping[str, float] = "alignment",
    solver: str = "greedy",
    *,
    limit: Limit | None = None,
    n: int | None = None,
    threshold: float | None = None,
    thresholds: str | Mapping[str, float] | None = None,
    max_len: int = 10,
    window: bool = False,
    margin: int = 0,
    punctuation: PunctuationRule | bool = True,
    entity_punctuation: bool = False,
    max_len_ratio: float = 0.0,
    score_options: Mapping[str, Mapping[str, Any]] | None = None,
    tagger: TokenProbabilityTagger | CachedTagger | None = None,
    tagger_candidates: bool = False,
    alpha: float = 1.15,
    per_class: bool = True,
    translator: ScoringTranslator | None = None,
    source_lang: str | None = None,
    target_lang: str | None = None,
    overlap: OverlapForm | None = None,
) -> MatchProjector:
    """Build a :class:`MatchProjector` from plain settings, as the command line gives them.

    * ``score``: one score name (``"alignment"``, ``"coverage"``, ``"string"``, ``"tagger"``,
      ``"translation"``) or fusion weights (``"alignment=1,string=0.5"`` or a mapping). The
      alignment scores take a named link set after a colon (``"coverage:union=0.5"``), read
      from the :class:`~xlner.types.LinkSets` passed as links.
    * ``score_options``: constructor arguments per score name
      (``{"coverage:union": {"unaligned": 0.5}}``).
    * ``thresholds``: per-score minimums for the fusion (``"alignment=0.1"``); a pair below one
      is never chosen.
    * ``solver``: a name in ``registry.solvers`` (``"greedy"``, ``"ilp"``, ``"dp"``). The
      solver options ``limit`` (``at_most`` / ``exactly`` / ``at_least`` / ``none``) and ``n``
      bound the projections per entity, ``threshold`` is the lowest matching score a chosen
      pair may have, ``overlap`` picks the ILP's non-overlap rows (``"pairwise"`` or
      ``"clique"``). ``None`` leaves an option at the solver's own default (``limit``:
      ``"at_most"``, or ``"none"`` for ``dp``, which has no per-entity limits); a set option
      the solver does not declare is an error.
    * ``max_len``, ``window``, ``margin``, ``punctuation``, ``entity_punctuation``,
      ``max_len_ratio``: candidate extraction (see :class:`CandidateExtractor`).
    * ``tagger`` (with ``alpha``, ``per_class``): for the tagger score and, with
      ``tagger_candidates``, for extra candidates; ``translator`` with ``source_lang`` /
      ``target_lang``: for the translation score.
    """
    if tagger is not None and not isinstance(tagger, CachedTagger):
        tagger = CachedTagger(tagger)
    options: dict[str, dict[str, Any]] = {"tagger": {"alpha": alpha, "per_class": per_class}}
    for name, extra in (score_options or {}).items():
        options[name] = {**options.get(name, {}), **extra}
    if translator is not None:
        options["translation"] = {
            "translator": translator,
            "source_lang": source_lang,
            "target_lang": target_lang,
        }
    built = build_score(score, thresholds, options)
    if _uses(built, "tagger") and tagger is None:
        raise ValueError("the tagger score needs a tagger")
    solver_options = {"limit": limit, "n": n, "threshold": threshold, "overlap": overlap}
    return MatchProjector(
        score=built,
        solver=registry.solvers.build(
            solver, **{k: v for k, v in solver_options.items() if v is not None}
        ),
        candidates=CandidateExtractor(
            max_len, window, margin, _rule(punctuation), entity_punctuation, max_len_ratio
        ),
        tagger=tagger,
        tagger_candidates=tagger_candidates,
    )


def _uses(score: Score, name: str) -> bool:
    parts = score.scores if isinstance(score, FusionScore) else [score]
    return any(part.name == name for part in parts)
