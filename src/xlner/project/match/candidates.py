"""Target candidates for projection as matching: contiguous word ranges of the target sentence.

Every n-gram up to a maximum length is a candidate; options shrink the set (only the stretch of
target words aligned to some source entity, no n-gram across punctuation a name cannot contain)
or grow it (spans a target-side tagger predicts, whatever their length).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from xlner.signature import Signed
from xlner.types import Link, Span, Tokens

# Punctuation that never occurs inside a name when it stands as a token of its own.
DEFAULT_BARRIERS = ',;:!?()[]{}"“”„«»‹›'
# The longest n-gram ``max_len_ratio`` may ask for. 1.5 x the longest entity of Europarl-NER
# (41 tokens) fits; a source "entity" of hundreds of tokens would otherwise start hundreds of
# candidates at every word of the target sentence.
MAX_RATIO_LENGTH = 64
# Above this many entity x candidate cells (32 MB a float matrix) a sentence keeps only the
# candidates that hold a target word aligned to an entity word (see ``near_aligned``).
MAX_SCORE_CELLS = 1 << 22


@dataclass(frozen=True, order=True)
class Candidate:
    """Target words ``start`` .. ``end - 1`` (end exclusive), not yet labelled."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"invalid candidate [{self.start}, {self.end})")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Candidate) -> bool:
        return self.start < other.end and other.start < self.end

    def text(self, tokens: Tokens) -> str:
        return " ".join(tokens[self.start : self.end])

    def label(self, label: str) -> Span:
        return Span(self.start, self.end, label)


def is_punctuation(token: str) -> bool:
    """A token made only of Unicode punctuation (``,``, ``.``, ``-``, ``"`` ...)."""
    return bool(token) and all(unicodedata.category(ch).startswith("P") for ch in token)


@dataclass(frozen=True)
class PunctuationRule:
    """Which stand-alone punctuation tokens a candidate may contain.

    Only tokens made entirely of punctuation are judged: a token that also has letters or
    digits (``U.S.``, ``O'Brien``, ``e-Kampala``, ``1,000``) is part of a word and always fine.

    * ``barriers``: a token made only of these characters can be nowhere in a candidate.
    * ``dots_are_barriers``: a token of dots only (``.``, ``...``) ends a sentence in tokenised
      text, so it can be nowhere in a candidate either.
    * ``inner_only``: any other punctuation token (``-``, ``'``, ``&``, ``/``) may sit inside a
      candidate (``Baden - Württemberg``) but cannot start or end it.
    * ``allowed``: a punctuation token made only of these characters counts as a word: no
      barrier, and allowed at an edge. :class:`CandidateExtractor` fills it per sentence with
      the punctuation of the source entities when asked to.
    """

    barriers: str = DEFAULT_BARRIERS
    dots_are_barriers: bool = True
    inner_only: bool = True
    allowed: str = ""

    def is_free(self, token: str) -> bool:
        """Punctuation the rule treats as an ordinary word (see ``allowed``)."""
        return bool(self.allowed) and all(ch in self.allowed for ch in token)

    def is_barrier(self, token: str) -> bool:
        if not is_punctuation(token) or self.is_free(token):
            return False
        if self.dots_are_barriers and set(token) == {"."}:
            return True
        return any(ch in self.barriers for ch in token)

    def masks(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """``(barrier, edge_forbidden)`` boolean arrays over the tokens."""
        barrier = np.array([self.is_barrier(t) for t in tokens], dtype=bool)
        punct = np.array([is_punctuation(t) and not self.is_free(t) for t in tokens], dtype=bool)
        edge = punct if self.inner_only else barrier
        return barrier, edge | barrier

    def signature(self) -> str:
        """``default`` for the default rule, else its settings in one string."""
        if self == PunctuationRule():
            return "default"
        text = f"barriers={self.barriers!r};dots={self.dots_are_barriers};inner={self.inner_only}"
        return text + (f";allowed={self.allowed!r}" if self.allowed else "")


def aligned_window(
    source_spans: Sequence[Span], links: Sequence[Link], n_target: int, margin: int = 0
) -> tuple[int, int] | None:
    """The target stretch ``[lo, hi)`` between the first and last word aligned to any entity.

    ``None`` when no entity word is aligned. With alignment scores alone, no optimal projection
    lies outside this stretch (Politov et al. 2025), so it is a safe way to cut the candidates.
    """
    entity_words = {i for span in source_spans for i in span.indices}
    targets = [link.tgt for link in links if link.src in entity_words and link.tgt < n_target]
    if not targets:
        return None
    return max(min(targets) - margin, 0), min(max(targets) + 1 + margin, n_target)


def near_aligned(
    candidates: Sequence[Candidate],
    source_spans: Sequence[Span],
    links: Iterable[Link],
    n_target: int,
) -> list[Candidate]:
    """The candidates that hold at least one target word aligned to a word of an entity.

    The others get no link from any entity: under the alignment and coverage scores they
    score 0, so no solver without a lower bound would choose them anyway.
    """
    entity_words = {i for span in source_spans for i in span.indices}
    aligned = np.zeros(n_target, dtype=np.int64)
    for link in links:
        if link.src in entity_words and 0 <= link.tgt < n_target:
            aligned[link.tgt] = 1
    counts = np.concatenate([[0], np.cumsum(aligned)])
    return [c for c in candidates if counts[c.end] > counts[c.start]]


def ngram_arrays(
    n_tokens: int, max_len: int, lo: int = 0, hi: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of every n-gram of length 1..max_len inside ``[lo, hi)``."""
    hi = n_tokens if hi is None else hi
    starts = np.arange(lo, hi)
    lengths = np.arange(1, max_len + 1)
    s = np.repeat(starts, len(lengths))
    e = s + np.tile(lengths, len(starts))
    keep = e <= hi
    return s[keep], e[keep]


def allowed_by_rule(
    starts: np.ndarray, ends: np.ndarray, barrier: np.ndarray, edge: np.ndarray
) -> np.ndarray:
    """Mask of the ranges that contain no barrier and neither start nor end on an edge token."""
    counts = np.concatenate([[0], np.cumsum(barrier)])
    no_barrier = counts[ends] - counts[starts] == 0
    return no_barrier & ~edge[starts] & ~edge[ends - 1]


@dataclass(frozen=True)
class CandidateExtractor(Signed):
    """Builds the candidate set of one target sentence.

    * ``max_len``: longest n-gram (tagger spans may be longer).
    * ``window``: keep only n-grams inside the stretch aligned to the source entities,
      widened by ``margin`` words on each side; with no aligned entity word there are no
      n-gram candidates at all (tagger spans remain).
    * ``punctuation``: the rule for punctuation tokens, or ``None`` to allow everything.
    * ``entity_punctuation``: punctuation that occurs in a source entity of the sentence is no
      barrier and may start or end a candidate (``Committee on Transport , Regional Policy and
      Tourism``, ``European Committee for Standardisation ( CEN )``); needs the source tokens.
    * ``max_len_ratio``: when positive, n-grams may also be as long as this multiple of the
      longest source entity (rounded up), so that long titles get a full-length candidate.
    """

    signature_key = None  # signed inside the match projector's record
    # The newer options only when set, so that older signatures stay valid.
    signed_when_set = frozenset({"entity_punctuation", "max_len_ratio"})

    max_len: int = 10
    window: bool = False
    margin: int = 0
    punctuation: PunctuationRule | None = field(default_factory=PunctuationRule)
    entity_punctuation: bool = False
    max_len_ratio: float = 0.0

    def __post_init__(self) -> None:
        if self.max_len < 1:
            raise ValueError(f"max_len must be at least 1, got {self.max_len}")
        if self.margin < 0:
            raise ValueError(f"margin must be non-negative, got {self.margin}")
        if self.max_len_ratio < 0:
            raise ValueError(f"max_len_ratio must be non-negative, got {self.max_len_ratio}")

    def longest(self, source_spans: Sequence[Span] = ()) -> int:
        """The longest n-gram for these source entities (at most :data:`MAX_RATIO_LENGTH`
        where ``max_len_ratio`` asks for more, see :meth:`wanted`)."""
        return max(self.max_len, min(self.wanted(source_spans), MAX_RATIO_LENGTH))

    def wanted(self, source_spans: Sequence[Span] = ()) -> int:
        """The longest n-gram ``max_len`` and ``max_len_ratio`` ask for, before the cap."""
        if self.max_len_ratio <= 0 or not source_spans:
            return self.max_len
        entity = max(len(span) for span in source_spans)
        return max(self.max_len, math.ceil(self.max_len_ratio * entity - 1e-9))

    def rule(
        self, source_tokens: Tokens | None = None, source_spans: Sequence[Span] = ()
    ) -> PunctuationRule | None:
        """The punctuation rule for one sentence pair (see ``entity_punctuation``)."""
        if self.punctuation is None or not self.entity_punctuation or source_tokens is None:
            return self.punctuation
        chars = {
            ch
            for span in source_spans
            for token in source_tokens[span.start : span.end]
            if is_punctuation(token)
            for ch in token
        }
        if not chars:
            return self.punctuation
        allowed = "".join(sorted(set(self.punctuation.allowed) | chars))
        return replace(self.punctuation, allowed=allowed)

    def extract(
        self,
        target_tokens: Tokens,
        source_spans: Sequence[Span] = (),
        links: Sequence[Link] = (),
        extra: Iterable[Span | Candidate] = (),
        *,
        source_tokens: Tokens | None = None,
    ) -> list[Candidate]:
        """Sorted, duplicate-free candidates; ``extra`` are e.g. a target tagger's spans.

        ``source_tokens`` are needed only for ``entity_punctuation``.
        """
        n = len(target_tokens)
        lo, hi = 0, n
        if self.window:
            stretch = aligned_window(source_spans, links, n, self.margin)
            lo, hi = stretch if stretch is not None else (0, 0)
        starts, ends = ngram_arrays(n, self.longest(source_spans), lo, hi)
        extra_pairs = [(c.start, c.end) for c in extra if c.end <= n]
        if extra_pairs:
            more = np.array(extra_pairs, dtype=int).reshape(-1, 2)
            starts = np.concatenate([starts, more[:, 0]])
            ends = np.concatenate([ends, more[:, 1]])
        rule = self.rule(source_tokens, source_spans)
        if rule is not None and len(starts):
            barrier, edge = rule.masks(target_tokens)
            keep = allowed_by_rule(starts, ends, barrier, edge)
            starts, ends = starts[keep], ends[keep]
        pairs = sorted(set(zip(starts.tolist(), ends.tolist(), strict=True)))
        return [Candidate(s, e) for s, e in pairs]

    def derived_signature(self) -> dict[str, object]:
        return {"punctuation": "none" if self.punctuation is None else self.punctuation.signature()}
