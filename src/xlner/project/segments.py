"""Over-long sentence pairs, cut into segment pairs that are aligned and projected one by one.

A "sentence" of thousands of tokens (a paragraph that was never split, a tokeniser failure)
costs an aligner and a projector far more than its share: eflomal cannot align a sentence of
1,024 tokens or more at all, its time per pair grows with the product of the two lengths, and
a matching projector's candidates and score matrix grow with the sentence too. So a pair with
more than :data:`MAX_SEGMENT_TOKENS` tokens on either side is cut into segment pairs of at
most that many tokens a side, each aligned and projected as a pair of its own, and the results
are put back together in the coordinates of the whole pair.

The cuts are a heuristic. The source is cut at roughly equal intervals, moved to the nearest
sentence-final punctuation token when one is near and never inside a source entity. The
target is cut near the same relative position, at the sentence end whose two sides share
the most anchors (numbers, capitalised words) with the two sides of the source cut. Links
across a cut are lost, and a target name that straddles a cut cannot be found whole: the 87
Europarl-NER en-de sentence pairs joined into one pair of 2,016 / 1,880 tokens project at
59.7 F1 this way (eflomal and the heuristic), against 67.9 when the pairs are aligned one by
one (and none at all without cutting, as eflomal cannot align the pair). Sentences of normal
length (none in Europarl-NER, MasakhaNER 2.0 or MAFAND-MT has more than 170 tokens) are never
cut.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from xlner.types import Link, LinkSets, ProjectedSpan, Span, TaggedSentence, Tokens

MAX_SEGMENT_TOKENS = 256
# Tokens after which a cut is natural: the end of a sentence or of a clause.
SENTENCE_ENDS = frozenset({".", "!", "?", ";", ":", "。", "！", "？", "।"})


@dataclass(frozen=True)
class Segment:
    """Source tokens ``src_start .. src_end - 1``, target tokens ``tgt_start .. tgt_end - 1``."""

    src_start: int
    src_end: int
    tgt_start: int
    tgt_end: int

    @property
    def empty(self) -> bool:
        return self.src_end <= self.src_start or self.tgt_end <= self.tgt_start


def is_long(source: Tokens, target: Tokens, limit: int = MAX_SEGMENT_TOKENS) -> bool:
    return max(len(source), len(target)) > limit


def split_pair(
    source: TaggedSentence, target: Tokens, limit: int = MAX_SEGMENT_TOKENS
) -> list[Segment]:
    """The segment pairs of one sentence pair: the whole pair when neither side is too long.

    Segments are at most ``limit`` tokens a side, except where a source entity longer than
    that cannot be cut.
    """
    n_src, n_tgt = len(source.tokens), len(target)
    if max(n_src, n_tgt) <= limit:
        return [Segment(0, n_src, 0, n_tgt)]
    # Segments of half the limit: a source cut moves by at most a quarter of a segment, a
    # target cut by twice that (it follows the source cut, then its own punctuation), so
    # every segment stays within the limit.
    count = math.ceil(max(n_src, n_tgt) / (limit / 2))
    src_width, tgt_width = n_src / count, n_tgt / count
    inside = _inside_entities(source.spans, n_src)
    src_ends, tgt_ends = _ends_before(source.tokens), _ends_before(target)
    src_cuts, tgt_cuts = [0], [0]
    for k in range(1, count):
        ideal = k * src_width
        natural = _natural_cuts(source.tokens, ideal, src_width / 4, src_cuts[-1], inside)
        if natural:
            src_cut = min(natural, key=lambda p: (abs(p - ideal), p))
        else:
            src_cut = _nearest_cut(ideal, src_cuts[-1], inside)
        ideal = src_cut * n_tgt / n_src if n_src else k * tgt_width
        natural = _natural_cuts(target, ideal, tgt_width / 4, tgt_cuts[-1], None)
        if natural:
            # Sentences differ in length across languages, so the proportional position
            # alone often lands a sentence or two off: prefer the target sentence end whose
            # sides share the most anchors with the source cut's sides, then the one with as
            # many sentence ends since the last cut as the source segment.
            shared = _agreement(source.tokens, src_cut, target, round(src_width / 2))
            ends = src_ends[src_cut] - src_ends[src_cuts[-1]] + tgt_ends[tgt_cuts[-1]]
            tgt_cut = min(
                natural,
                key=lambda p: (-shared(p), abs(tgt_ends[p] - ends), abs(p - ideal), p),
            )
        else:
            tgt_cut = _nearest_cut(ideal, tgt_cuts[-1], [False] * (n_tgt + 1))
        src_cuts.append(src_cut)
        tgt_cuts.append(tgt_cut)
    src_cuts.append(n_src)
    tgt_cuts.append(n_tgt)
    return [
        Segment(src_cuts[k], src_cuts[k + 1], tgt_cuts[k], tgt_cuts[k + 1]) for k in range(count)
    ]


def _inside_entities(spans: Sequence[Span], length: int) -> list[bool]:
    """``inside[p]``: a cut before token ``p`` would split an entity."""
    inside = [False] * (length + 1)
    for span in spans:
        for position in range(span.start + 1, span.end):
            inside[position] = True
    return inside


def _ends_before(tokens: Tokens) -> list[int]:
    """``ends[p]``: how many sentence-final punctuation tokens come before token ``p``."""
    ends = [0]
    for token in tokens:
        ends.append(ends[-1] + (token in SENTENCE_ENDS))
    return ends


def _natural_cuts(
    tokens: Tokens, ideal: float, radius: float, previous: int, inside: list[bool] | None
) -> list[int]:
    """Cuts after sentence-final punctuation within ``radius`` of ``ideal``, none before
    ``previous`` nor inside an entity."""
    low = max(previous, 1, math.ceil(ideal - radius))
    high = min(len(tokens), math.floor(ideal + radius))
    return [
        p
        for p in range(low, high + 1)
        if tokens[p - 1] in SENTENCE_ENDS and (inside is None or not inside[p])
    ]


def _nearest_cut(ideal: float, previous: int, inside: list[bool]) -> int:
    """The cut nearest ``ideal`` that is not inside an entity nor before ``previous``."""
    n = len(inside) - 1
    start = min(max(round(ideal), previous), n)
    for step in range(n + 1):
        for p in (start - step, start + step):
            if previous <= p <= n and not inside[p]:
                return p
    return n  # the end is always allowed: no entity continues past it


def _agreement(source: Tokens, cut: int, target: Tokens, window: int) -> Callable[[int], int]:
    """How many anchors the ``window`` tokens either side of a target cut share with those
    either side of the source cut."""
    before = _anchors(source[max(cut - window, 0) : cut])
    after = _anchors(source[cut : cut + window])

    def shared(p: int) -> int:
        left = _anchors(target[max(p - window, 0) : p])
        right = _anchors(target[p : p + window])
        return sum((before & left).values()) + sum((after & right).values())

    return shared


def _anchors(tokens: Iterable[str]) -> Counter[str]:
    """Tokens that tend to stay the same in a translation: numbers and capitalised words."""
    return Counter(
        token.casefold()
        for token in tokens
        if token[:1].isupper() or any(ch.isdigit() for ch in token)
    )


def segment_pairs(
    source: Tokens, target: Tokens, segments: Sequence[Segment]
) -> list[tuple[Tokens, Tokens]]:
    """The token pairs of the segments that have tokens on both sides, for an aligner."""
    return [
        (list(source[s.src_start : s.src_end]), list(target[s.tgt_start : s.tgt_end]))
        for s in segments
        if not s.empty
    ]


def segment_spans(source: TaggedSentence, segment: Segment) -> list[Span]:
    """The source entities inside a segment, in its own coordinates."""
    return [
        _move(span, -segment.src_start)
        for span in source.spans
        if segment.src_start <= span.start and span.end <= segment.src_end
    ]


def join_links(segments: Sequence[Segment], links: Sequence[Sequence[Link]]) -> LinkSets:
    """Each segment's links (a :class:`LinkSets` or a list) in the whole pair's coordinates."""
    parts = [LinkSets.wrap(part) for part in links]
    if len(segments) == 1:
        return parts[0]
    names = set().union(*(part.named for part in parts))
    primary = [_shift(segment, part) for segment, part in zip(segments, parts, strict=True)]
    named = {
        name: [
            link
            for segment, part in zip(segments, parts, strict=True)
            for link in _shift(segment, part.named.get(name, []))
        ]
        for name in sorted(names)
    }
    return LinkSets([link for part in primary for link in part], named)


def _shift(segment: Segment, links: Iterable[Link]) -> list[Link]:
    return [Link(x.src + segment.src_start, x.tgt + segment.tgt_start, x.score) for x in links]


def cut_links(segment: Segment, links: Sequence[Link]) -> LinkSets:
    """The links (and named link sets) inside a segment, in its own coordinates."""
    named = {name: _inside(segment, part) for name, part in LinkSets.wrap(links).named.items()}
    return LinkSets(_inside(segment, links), named)


def _inside(segment: Segment, links: Iterable[Link]) -> list[Link]:
    return [
        Link(x.src - segment.src_start, x.tgt - segment.tgt_start, x.score)
        for x in links
        if segment.src_start <= x.src < segment.src_end
        and segment.tgt_start <= x.tgt < segment.tgt_end
    ]


def shift_projected(segment: Segment, projected: Iterable[ProjectedSpan]) -> list[ProjectedSpan]:
    """A segment's projected spans in the whole pair's coordinates."""
    return [
        ProjectedSpan(_move(p.span, segment.tgt_start), _move(p.source, segment.src_start), p.score)
        for p in projected
    ]


def _move(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset, span.label)
