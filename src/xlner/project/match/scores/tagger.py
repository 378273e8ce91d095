"""Tagger score: how confident a target-side NER tagger is that a candidate is an entity.

Following Politov et al. (2025), a candidate ``(i, j)`` matches an entity of class ``X`` with

    alpha ** (len - 1) * (P(B-X at i) + sum_{k=i+1}^{j-1} P(I-X at k)) / len

The average alone would prefer a one-word piece of a predicted multi-word name over the whole
name; ``alpha > 1`` (default 1.15) rewards length so the whole predicted name wins. The
class-agnostic variant takes the best class, so that the tagger only decides *where* names
are and the other scores decide *which* entity goes there.

Any model that returns per-token label probabilities can serve through the small
:class:`TokenProbabilityTagger` protocol; :class:`CachedTagger` batches its calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score
from xlner.registry import registry
from xlner.tags import tags_to_spans
from xlner.types import Span, Tokens

Boost = Literal["always", "predicted"]


@runtime_checkable
class TokenProbabilityTagger(Protocol):
    """A tagger that gives, per sentence, an ``(n_tokens, len(labels))`` probability array.

    ``labels`` are IOB2 (``O``, ``B-PER``, ``I-PER`` ...); an IO tagger without ``B-`` labels
    also works (its ``I-`` column stands in for ``B-``).
    """

    labels: Sequence[str]

    def predict_proba(self, sentences: list[Tokens]) -> list[np.ndarray]: ...


class CachedTagger:
    """Remembers a tagger's output per sentence so that candidates and scores share one call.

    Call :meth:`prefetch` with all target sentences first to let the tagger batch them.
    """

    def __init__(self, tagger: TokenProbabilityTagger, batch_size: int = 32) -> None:
        self.tagger = tagger
        self.batch_size = batch_size
        self.labels = list(tagger.labels)
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def prefetch(self, sentences: Iterable[Tokens]) -> None:
        todo = list({tuple(s): None for s in sentences if tuple(s) not in self._cache})
        for lo in range(0, len(todo), self.batch_size):
            batch = todo[lo : lo + self.batch_size]
            probs = self.tagger.predict_proba([list(s) for s in batch])
            for sentence, p in zip(batch, probs, strict=True):
                self._cache[sentence] = self._checked(np.asarray(p, dtype=np.float64), sentence)

    def proba(self, tokens: Tokens) -> np.ndarray:
        key = tuple(tokens)
        if key not in self._cache:
            self.prefetch([tokens])
        return self._cache[key]

    def spans(self, tokens: Tokens) -> list[Span]:
        """The tagger's own entities: the argmax label per token, decoded leniently."""
        probs = self.proba(tokens)
        tags = [self.labels[i] for i in probs.argmax(axis=1)] if len(tokens) else []
        return tags_to_spans(tags, "iob2", repair=True)

    def _checked(self, probs: np.ndarray, sentence: tuple[str, ...]) -> np.ndarray:
        if probs.shape != (len(sentence), len(self.labels)):
            raise ValueError(
                f"tagger returned shape {probs.shape} for {len(sentence)} tokens and "
                f"{len(self.labels)} labels"
            )
        return probs


def class_columns(labels: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per class, the columns of its ``B-`` and ``I-`` labels (one stands in for a missing one)."""
    begin: dict[str, int] = {}
    inside: dict[str, int] = {}
    for col, label in enumerate(labels):
        prefix, _, cls = label.partition("-")
        if prefix == "B" and cls:
            begin[cls] = col
        elif prefix == "I" and cls:
            inside[cls] = col
    classes = sorted(set(begin) | set(inside))
    return {c: (begin.get(c, inside.get(c, -1)), inside.get(c, begin.get(c, -1))) for c in classes}


def class_scores(
    probs: np.ndarray,
    b_col: int,
    i_col: int,
    starts: np.ndarray,
    ends: np.ndarray,
    alpha: float,
    boost: Boost,
) -> np.ndarray:
    """The tagger score of every candidate for one class."""
    lengths = ends - starts
    inside = np.concatenate([[0.0], probs[:, i_col].cumsum()])
    total = probs[starts, b_col] + inside[ends] - inside[starts + 1]
    multiplier = alpha ** (lengths - 1.0)
    if boost == "predicted":
        # The reference implementation rewards length only where the tagger's own argmax
        # labels spell exactly B-X I-X ... I-X over the candidate.
        best = probs.argmax(axis=1)
        is_inside = np.concatenate([[0], np.cumsum(best == i_col)])
        spelled = (best[starts] == b_col) & (is_inside[ends] - is_inside[starts + 1] == lengths - 1)
        multiplier = np.where(spelled, multiplier, 1.0)
    return multiplier * total / lengths


@registry.scores.register("tagger")
class TaggerScore(Score):
    """Tagger confidence that the candidate carries the entity's class (or any class).

    Reads ``ctx.target_probs`` / ``ctx.labels``. Entities whose class the tagger does not know
    score 0 in the per-class variant.
    """

    name = "tagger"

    def __init__(
        self, alpha: float = 1.15, per_class: bool = True, boost: Boost = "always"
    ) -> None:
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        if boost not in ("always", "predicted"):
            raise ValueError(f"boost must be 'always' or 'predicted', got {boost!r}")
        self.alpha = alpha
        self.per_class = per_class
        self.boost: Boost = boost

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if ctx.target_probs is None or ctx.labels is None:
            raise ValueError("the tagger score needs target_probs and labels in the context")
        result = np.zeros((n_ent, n_cand))
        columns = class_columns(ctx.labels)
        if n_ent == 0 or n_cand == 0 or not columns:
            return result
        per_class = {
            cls: class_scores(ctx.target_probs, b, i, ctx.starts, ctx.ends, self.alpha, self.boost)
            for cls, (b, i) in columns.items()
        }
        if not self.per_class:
            best = np.max(np.vstack(list(per_class.values())), axis=0)
            return np.broadcast_to(best, (n_ent, n_cand)).copy()
        for row, span in enumerate(ctx.source_spans):
            if span.label in per_class:
                result[row] = per_class[span.label]
        return result

    def maximum(self, longest: float) -> float:
        # The mean of probabilities is at most 1, times alpha ** (length - 1).
        return max(1.0, self.alpha ** (longest - 1))
