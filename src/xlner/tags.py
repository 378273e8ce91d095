"""Conversions between tag sequences (IOB1, IOB2, BIOES) and entity spans.

IOB2 is the canonical scheme inside xlner. Readers normalise IOB1 to IOB2; writers can
produce any scheme.

Partial labels: :data:`UNKNOWN` tags a word whose label is not known (silver data whose
projection could not say whether the word is part of a name). Training skips such words
(they are ignored by the loss); only readers of training files accept the tag, and every
other reader (gold, evaluation) refuses it with :data:`UNKNOWN_REFUSED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from xlner.types import Span

Scheme = Literal["iob1", "iob2", "bioes"]
OUTSIDE = "O"
# The tag of a word of unknown label (spaCy's mark of a missing entity tag). Never a class:
# a word so tagged is no part of any span.
UNKNOWN = "-"
UNKNOWN_REFUSED = (
    f"tag {UNKNOWN!r} marks a word of unknown label (partial silver labels): only training "
    "reads it, and this file must label every word"
)


class TagError(ValueError):
    """A tag sequence that is not valid in its scheme, with the position of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def split_tag(tag: str, position: int = 0) -> tuple[str, str]:
    """Return ``(prefix, label)``; the prefix is one of B I E S O."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    if tag == UNKNOWN:
        raise TagError(UNKNOWN_REFUSED, position)
    prefix, sep, label = tag.partition("-")
    if not sep or prefix not in {"B", "I", "E", "S"} or not label:
        raise TagError(f"not a B-/I-/E-/S-/O tag: {tag!r}", position)
    return prefix, label


def tags_to_spans(
    tags: Sequence[str], scheme: Scheme = "iob2", *, repair: bool = False
) -> list[Span]:
    """Decode a tag sequence into spans.

    In IOB2 an ``I-X`` that does not continue an ``X`` entity is an error, unless ``repair``
    is set: then it starts a new entity, the usual CoNLL evaluation convention.
    IOB1 is decoded by its own rule (``B-`` only separates two adjacent entities).
    """
    if scheme == "bioes":
        return _bioes_to_spans(tags)
    spans: list[Span] = []
    start, label = -1, ""
    for i, tag in enumerate(tags):
        prefix, tag_label = split_tag(tag, i)
        if prefix in {"E", "S"}:
            raise TagError(f"{prefix}- tag {tag!r} in an {scheme.upper()} sequence", i)
        continues = prefix == "I" and start >= 0 and tag_label == label
        if prefix == "I" and not continues and scheme == "iob2" and not repair:
            raise TagError(f"{tag!r} does not continue an entity of class {tag_label}", i)
        if start >= 0 and not continues:
            spans.append(Span(start, i, label))
            start = -1
        if prefix in {"B", "I"} and not continues:
            start, label = i, tag_label
    if start >= 0:
        spans.append(Span(start, len(tags), label))
    return spans


def _bioes_to_spans(tags: Sequence[str]) -> list[Span]:
    spans: list[Span] = []
    start, label = -1, ""
    for i, tag in enumerate(tags):
        prefix, tag_label = split_tag(tag, i)
        inside = start >= 0
        if prefix in {"I", "E"}:
            if not inside or tag_label != label:
                raise TagError(f"{tag!r} does not continue an entity of class {tag_label}", i)
            if prefix == "E":
                spans.append(Span(start, i + 1, label))
                start = -1
            continue
        if inside:
            raise TagError(f"entity of class {label} opened at {start} is not closed", i)
        if prefix == "S":
            spans.append(Span(i, i + 1, tag_label))
        elif prefix == "B":
            start, label = i, tag_label
    if start >= 0:
        raise TagError(f"entity of class {label} opened at {start} is not closed", len(tags))
    return spans


def spans_to_tags(spans: Sequence[Span], length: int, scheme: Scheme = "iob2") -> list[str]:
    """Encode non-overlapping spans as a tag sequence of ``length`` tokens."""
    tags = [OUTSIDE] * length
    for span in sorted(spans):
        if span.end > length:
            raise ValueError(f"span {span} exceeds sentence length {length}")
        if any(tags[i] != OUTSIDE for i in span.indices):
            raise ValueError(f"span {span} overlaps another span")
        for i in span.indices:
            tags[i] = f"I-{span.label}"
        if scheme == "bioes":
            if len(span) == 1:
                tags[span.start] = f"S-{span.label}"
            else:
                tags[span.start] = f"B-{span.label}"
                tags[span.end - 1] = f"E-{span.label}"
        elif scheme == "iob2":
            tags[span.start] = f"B-{span.label}"
    if scheme == "iob1":
        # IOB1 writes B- only where an entity directly follows another of the same class.
        ends = {(span.end, span.label) for span in spans}
        for span in spans:
            if (span.start, span.label) in ends:
                tags[span.start] = f"B-{span.label}"
    return tags


def convert(tags: Sequence[str], source: Scheme, target: Scheme) -> list[str]:
    """Re-encode a tag sequence from one scheme into another."""
    return spans_to_tags(tags_to_spans(tags, source), len(tags), target)


def mark_unknown(tags: Sequence[str], unknown: Iterable[int]) -> list[str]:
    """``tags`` with the words at the positions ``unknown`` tagged :data:`UNKNOWN` (an unknown
    word is unknown whatever its tag was)."""
    marked = list(tags)
    for position in unknown:
        marked[position] = UNKNOWN
    return marked


def split_unknown(tags: Sequence[str]) -> tuple[list[str], list[int]]:
    """``tags`` with every :data:`UNKNOWN` read as ``O``, and the positions of those."""
    unknown = [position for position, tag in enumerate(tags) if tag == UNKNOWN]
    return [OUTSIDE if tag == UNKNOWN else tag for tag in tags], unknown
