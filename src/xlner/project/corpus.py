"""Annotation projection over a whole corpus: align the sentence pairs, project each one.

:func:`project_bitext` is the library call behind ``xlner project`` and ``xlner demo``. It
asks the aligner for the named link sets the projector reads (``coverage:simalign``,
``alignment:union``) and hands them on with each pair's links, after checking, before any
alignment runs, that the aligner can provide them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from xlner.align.base import Aligner, SentencePair
from xlner.project.base import Projector
from xlner.project.segments import (
    MAX_SEGMENT_TOKENS,
    Segment,
    cut_links,
    join_links,
    segment_pairs,
    segment_spans,
    shift_projected,
    split_pair,
)
from xlner.registry import ComponentError
from xlner.types import Link, LinkSets, ProjectedSpan, TaggedSentence, Tokens

logger = logging.getLogger(__name__)
S = TypeVar("S")
T = TypeVar("T")

# Sentence pairs aligned together. eflomal learns from the text it aligns, so a chunk should
# hold enough text to learn from; 20,000 pairs of MAFAND-MT en-swa projected within 0.5 F1 of
# aligning all 30,782 at once, and each chunk costs eflomal and Python about 150 MB (see
# BENCHMARKS.md). Smaller corpora are aligned in one piece, as before chunking.
CHUNK_SIZE = 20_000


@dataclass
class ProjectedSentence:
    """A target sentence with the spans projected onto it and the links that produced them."""

    tokens: Tokens
    projected: list[ProjectedSpan]
    links: list[Link]

    def tagged(self) -> TaggedSentence:
        return TaggedSentence(self.tokens, [p.span for p in self.projected])


class ParallelError(ValueError):
    """The two sides of a corpus have different numbers of sentences."""


def check_parallel(source: Sequence[TaggedSentence], targets: Sequence[Tokens]) -> None:
    """Refuse to pair corpora of different lengths: that would misalign every sentence."""
    if len(source) != len(targets):
        raise _length_error(len(source), len(targets))


def _length_error(n_source: int, n_target: int) -> ParallelError:
    return ParallelError(
        f"source has {n_source} sentences but target has {n_target}; "
        "the two sides must be sentence-parallel"
    )


_END: Any = object()


def parallel(source: Iterable[S], targets: Iterable[T]) -> Iterator[tuple[S, T]]:
    """Pairs of two streams, which must end together: :class:`ParallelError` when one side
    ends early, giving both lengths (the rest of the longer side is counted to give it)."""
    left, right = iter(source), iter(targets)
    count = 0
    for src in left:
        tgt = next(right, _END)
        if tgt is _END:
            raise _length_error(count + 1 + sum(1 for _ in left), count)
        yield src, tgt
        count += 1
    rest = sum(1 for _ in right)
    if rest:
        raise _length_error(count, count + rest)


def check_link_sets(aligner: Aligner, projector: Projector) -> None:
    """Refuse a projector that reads a named link set the aligner does not provide."""
    missing = sorted(projector.link_sets_used() - set(aligner.link_set_names()))
    if missing:
        provided = ", ".join(aligner.link_set_names()) or "none"
        raise ComponentError(
            f"projection method {projector.name!r} reads link set "
            f"{', '.join(map(repr, missing))}, which aligner "
            f"{aligner.name!r} does not provide (its link sets: {provided})"
        )


def project_corpus(
    source: Sequence[TaggedSentence],
    targets: Sequence[Tokens],
    links: Sequence[Sequence[Link]],
    projector: Projector,
) -> list[ProjectedSentence]:
    """Project every source sentence's spans onto its target sentence.

    ``links`` holds each pair's links, as a :class:`LinkSets` where the projector reads named
    link sets; they reach the projector as given. An over-long pair is projected segment by
    segment (:mod:`xlner.project.segments`); links across its cuts are then not used.
    """
    check_parallel(source, targets)
    if len(links) != len(source):
        raise ValueError(f"{len(links)} alignments for {len(source)} sentence pairs")
    needed = projector.link_sets_used()
    for index, pair_links in enumerate(links):
        if missing := needed - set(LinkSets.wrap(pair_links).named):
            raise ComponentError(
                f"sentence pair {index}: no link set {', '.join(map(repr, sorted(missing)))} "
                "(pass each pair's links as a LinkSets, or use project_bitext)"
            )
    segments = [split_pair(src, target) for src, target in zip(source, targets, strict=True)]
    warn_long(segments, "projection")
    return [
        project_pair(projector, src, target, pair_links, parts)
        for src, target, pair_links, parts in zip(source, targets, links, segments, strict=True)
    ]


def project_pair(
    projector: Projector,
    source: TaggedSentence,
    target: Tokens,
    links: Sequence[Link],
    segments: Sequence[Segment],
) -> ProjectedSentence:
    """One pair's projection, segment by segment when it was cut (see :func:`split_pair`)."""
    if len(segments) == 1:
        projected = projector.project(source.tokens, source.spans, list(target), links)
        return ProjectedSentence(list(target), projected, list(links))
    found: list[ProjectedSpan] = []
    for segment in segments:
        spans = segment_spans(source, segment)
        if spans and not segment.empty:
            part = projector.project(
                source.tokens[segment.src_start : segment.src_end],
                spans,
                list(target[segment.tgt_start : segment.tgt_end]),
                cut_links(segment, links),
            )
            found += shift_projected(segment, part)
    return ProjectedSentence(list(target), sorted(found, key=lambda p: p.span), list(links))


def align_link_sets(
    aligner: Aligner,
    pairs: Sequence[SentencePair],
    names: set[str],
    extra_bitext: Sequence[SentencePair] = (),
) -> list[LinkSets]:
    """Each pair's primary links with the named link sets ``names``, from one aligner run.

    An over-long pair is aligned as segment pairs (:mod:`xlner.project.segments`), with a
    warning, and its links are put back together.
    """
    segments = [split_pair(TaggedSentence(list(src), []), tgt) for src, tgt in pairs]
    warn_long(segments, "alignment")
    return align_segments(aligner, pairs, segments, names, extra_bitext)


def align_segments(
    aligner: Aligner,
    pairs: Sequence[SentencePair],
    segments: Sequence[Sequence[Segment]],
    names: set[str],
    extra_bitext: Sequence[SentencePair] = (),
) -> list[LinkSets]:
    """Align every segment pair of ``pairs`` in one aligner run; links per whole pair."""
    flat: list[SentencePair] = []
    owners: list[list[int | None]] = []  # per pair: each segment's index in ``flat``, if sent
    for (src, tgt), parts in zip(pairs, segments, strict=True):
        if len(parts) == 1:
            owners.append([len(flat)])
            flat.append((src, tgt))
            continue
        kept = [not part.empty for part in parts]
        owners.append([len(flat) + sum(kept[:k]) if keep else None for k, keep in enumerate(kept)])
        flat += segment_pairs(src, tgt, parts)
    aligned = _align(aligner, flat, names, extra_bitext)
    nothing = LinkSets([], {name: [] for name in names})
    return [
        join_links(parts, [nothing if k is None else aligned[k] for k in indices])
        for parts, indices in zip(segments, owners, strict=True)
    ]


def _align(
    aligner: Aligner, pairs: Sequence[SentencePair], names: set[str], extra: Sequence[SentencePair]
) -> list[LinkSets]:
    if not names:
        return [LinkSets(p) for p in aligner.align(pairs, extra_bitext=extra)]
    return [links.only(names) for links in aligner.align_sets(pairs, extra_bitext=extra)]


def warn_long(segments: Sequence[Sequence[Segment]], what: str) -> None:
    """One warning for the over-long pairs of a batch: how many, how long, how many segments."""
    cut = [parts for parts in segments if len(parts) > 1]
    if not cut:
        return
    longest = max(max(p[-1].src_end, p[-1].tgt_end) for p in cut)
    logger.warning(
        "%d sentence pair(s) longer than %d tokens (the longest: %d) cut into %d segment "
        "pairs for %s",
        len(cut),
        MAX_SEGMENT_TOKENS,
        longest,
        sum(len(p) for p in cut),
        what,
    )


def project_bitext(
    source: Sequence[TaggedSentence],
    target_tokens: Sequence[Tokens],
    aligner: Aligner,
    projector: Projector,
    extra_bitext: Sequence[SentencePair] = (),
    chunk_size: int | None = CHUNK_SIZE,
) -> list[ProjectedSentence]:
    """Align each source sentence with its target sentence and project its entities.

    ``extra_bitext`` is more parallel text for a statistical aligner to learn from. Mismatched
    corpora and link sets the aligner cannot provide are refused before any alignment runs.
    The pairs are aligned in chunks of ``chunk_size`` (see :func:`iter_project_bitext`).
    """
    check_parallel(source, target_tokens)
    stream = iter_project_bitext(
        zip(source, target_tokens, strict=True), aligner, projector, extra_bitext, chunk_size
    )
    return [projected for _, projected in stream]


def iter_project_bitext(
    pairs: Iterable[tuple[TaggedSentence, Tokens]],
    aligner: Aligner,
    projector: Projector,
    extra_bitext: Sequence[SentencePair] = (),
    chunk_size: int | None = CHUNK_SIZE,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[TaggedSentence, ProjectedSentence]]:
    """Stream ``(source, projected)`` for each ``(source, target tokens)`` pair, in order.

    Pairs are read and aligned ``chunk_size`` at a time (``None``: all at once), so memory
    holds one chunk whatever the length of ``pairs``. A statistical aligner learns from the
    chunk it aligns (and ``extra_bitext``, given to every chunk), so chunks should be large;
    see :data:`CHUNK_SIZE`. To spare the last chunk from being small, a remainder of less than
    half a chunk joins the chunk before it. ``on_chunk(first, count)`` is called before each
    chunk is aligned, with the 0-based index of its first pair.

    Link sets the aligner cannot provide and a bad ``chunk_size`` are refused here, before
    any pair is read.
    """
    check_link_sets(aligner, projector)
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
    return _stream(pairs, aligner, projector, extra_bitext, chunk_size, on_chunk)


def _stream(
    pairs: Iterable[tuple[TaggedSentence, Tokens]],
    aligner: Aligner,
    projector: Projector,
    extra_bitext: Sequence[SentencePair],
    chunk_size: int | None,
    on_chunk: Callable[[int, int], None] | None,
) -> Iterator[tuple[TaggedSentence, ProjectedSentence]]:
    first = 0
    for chunk in balanced_chunks(pairs, chunk_size):
        if on_chunk is not None:
            on_chunk(first, len(chunk))
        first += len(chunk)
        segments = [split_pair(src, tgt) for src, tgt in chunk]
        warn_long(segments, "alignment and projection")
        token_pairs = [(src.tokens, list(tgt)) for src, tgt in chunk]
        names = projector.link_sets_used()
        links = align_segments(aligner, token_pairs, segments, names, extra_bitext)
        for (src, tgt), pair_links, parts in zip(chunk, links, segments, strict=True):
            yield src, project_pair(projector, src, tgt, pair_links, parts)


def balanced_chunks(items: Iterable[T], size: int | None) -> Iterator[list[T]]:
    """Lists of ``size`` items in order (one list of all for ``None``); a remainder of less
    than half of ``size`` is added to the last full list rather than standing alone."""
    iterator = iter(items)
    if size is None:
        if chunk := list(iterator):
            yield chunk
        return
    chunk = list(islice(iterator, size))
    while chunk:
        # Half a chunk is read ahead (no more, to hold at most one and a half chunks).
        ahead = list(islice(iterator, size // 2))
        if len(ahead) < size // 2:
            yield chunk + ahead  # the input ends within half a chunk
            return
        yield chunk
        chunk = ahead + list(islice(iterator, size - len(ahead)))


def signature_fields(aligner: Aligner, projector: Projector) -> dict[str, Any]:
    """The aligner's and the projector's signatures as ``align`` and ``project``: the settings
    :func:`xlner.signature.make_signature` signs a projection with."""
    return {"align": aligner.signature(), "project": projector.signature()}
