"""What every matching score sees (:class:`MatchContext`) and returns.

A score fills a matrix of shape ``(n_entities, n_candidates)``: how well source entity ``e``
matches target candidate ``c``. Higher is better; ``-inf`` marks a pair that must not be
chosen. Scores are computed for the whole matrix at once with numpy, because per-pair Python
loops would dominate the projection time.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from xlner.project.match.candidates import Candidate
from xlner.signature import Signed
from xlner.types import Link, LinkSets, Span, Tokens


@dataclass
class MatchContext:
    """One sentence pair with its entities, alignment and candidates.

    ``target_probs`` (n_target_tokens x n_labels) and ``labels`` are the optional output of a
    target-side tagger (see :mod:`xlner.project.match.scores.tagger`). ``links`` is the
    primary alignment; given as a :class:`~xlner.types.LinkSets`, its named sets (other
    symmetrisations, another aligner) are there for scores that ask for one with
    :meth:`links_for`.
    """

    source_tokens: Tokens
    source_spans: Sequence[Span]
    target_tokens: Tokens
    links: Sequence[Link]
    candidates: Sequence[Candidate]
    target_probs: np.ndarray | None = None
    labels: Sequence[str] | None = None

    def links_for(self, name: str | None) -> Sequence[Link]:
        """The primary links for ``None``, else the named link set."""
        return LinkSets.wrap(self.links).select(name)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.source_spans), len(self.candidates)

    @cached_property
    def starts(self) -> np.ndarray:
        return np.array([c.start for c in self.candidates], dtype=np.int64)

    @cached_property
    def ends(self) -> np.ndarray:
        return np.array([c.end for c in self.candidates], dtype=np.int64)

    @cached_property
    def candidate_lengths(self) -> np.ndarray:
        return self.ends - self.starts

    @cached_property
    def entity_lengths(self) -> np.ndarray:
        return np.array([len(s) for s in self.source_spans], dtype=np.int64)

    def entity_texts(self) -> list[str]:
        return [span.text(self.source_tokens) for span in self.source_spans]

    def candidate_texts(self) -> list[str]:
        return [c.text(self.target_tokens) for c in self.candidates]


class Score(Signed, ABC):
    """A matching score between source entities and target candidates.

    Its signature is flat: fields other than ``score`` carry the score's name as a prefix
    (``string.order``), so that the parts of a fusion can share one flat record.
    """

    name: str = "score"
    signature_key = "score"

    @abstractmethod
    def score(self, ctx: MatchContext) -> np.ndarray:
        """Return a float array of shape ``ctx.shape``."""

    def maximum(self, longest: float) -> float:
        """The highest value this score can give a candidate of at most ``longest`` words.

        A threshold above it could never be met, so projectors refuse one. Unbounded unless a
        score says otherwise.
        """
        return math.inf

    def signed_field(self, option: str) -> str:
        return f"{self.name}.{super().signed_field(option)}"
