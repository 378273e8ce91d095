"""The typed records the pipeline's stages pass to each other, and their one JSON codec.

Like spaCy's ``Doc`` going in and out of every component, each stage takes the records of the
stages it reads and returns one record per sentence (``evaluate``: one in all), built of
:mod:`xlner.types`. A record may carry ``error``: a fault in that sentence only (no
translation, an empty one, a tagger crash), kept so that the run goes on and the report
counts it.

Every record type is registered once in :data:`CODECS` with its encoder and decoder; the cache
stores ``to_json(record)`` one JSON object a line and reads it back with
``from_json(kind, data)``, which raises :class:`RecordError` for anything malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from xlner.pipeline.backtranslation import RecoveredSpan
from xlner.types import Link, LinkSets, ProjectedSpan, Span, TaggedSentence, Tokens

R = TypeVar("R")
Json = dict[str, Any]


class RecordError(ValueError):
    """A stored record that does not have the shape of its type."""


@dataclass(frozen=True)
class Translation:
    """A sentence's translation (``translate``, ``backtranslate``'s input)."""

    text: str
    error: str | None = None


@dataclass
class Tagged(TaggedSentence):
    """The entities the source tagger found in a split translation."""

    error: str | None = None


@dataclass
class BackTranslation:
    """The tagged translation translated back, as words, with the entities found in it."""

    text: str
    tokens: Tokens = field(default_factory=list)
    spans: list[RecoveredSpan] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # source entities not found again
    error: str | None = None


@dataclass
class Projection:
    """The entities projected onto a target sentence, each with its source and score."""

    spans: list[ProjectedSpan]

    def labelled(self) -> list[Span]:
        return [projected.span for projected in self.spans]


@dataclass(frozen=True)
class Evaluation:
    """The scores of a whole run under one label map."""

    label_map: str
    scores: dict[str, Any]


# ---------------------------------------------------------------------------- pieces


def _span(span: Span) -> list[Any]:
    return [span.start, span.end, span.label]


def _span_of(row: Sequence[Any]) -> Span:
    start, end, label = row
    return Span(int(start), int(end), _text(label))


def _link(link: Link) -> list[Any]:
    return [link.src, link.tgt, link.score]


def _link_of(row: Sequence[Any]) -> Link:
    src, tgt, score = row
    return Link(int(src), int(tgt), None if score is None else float(score))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _error(data: Json) -> str | None:
    error = data.get("error")
    return None if error is None else _text(error)


def _tokens(values: Any) -> Tokens:
    return [_text(value) for value in values]


# ---------------------------------------------------------------------------- codecs


@dataclass(frozen=True)
class Codec:
    encode: Callable[[Any], Json]
    decode: Callable[[Json], Any]


CODECS: dict[type, Codec] = {
    TaggedSentence: Codec(
        lambda r: {"tokens": r.tokens, "spans": [_span(s) for s in r.spans]},
        lambda d: TaggedSentence(_tokens(d["tokens"]), [_span_of(s) for s in d["spans"]]),
    ),
    Translation: Codec(
        lambda r: {"text": r.text, "error": r.error},
        lambda d: Translation(_text(d["text"]), _error(d)),
    ),
    Tagged: Codec(
        lambda r: {"tokens": r.tokens, "spans": [_span(s) for s in r.spans], "error": r.error},
        lambda d: Tagged(_tokens(d["tokens"]), [_span_of(s) for s in d["spans"]], _error(d)),
    ),
    # The links of a sentence pair (``align``, ``align_back``) with the named sets the
    # projector reads, if any: {"links": [[src, tgt, score], ...], "sets": {name: links}}.
    LinkSets: Codec(
        lambda r: {
            "links": [_link(link) for link in r],
            **(
                {"sets": {k: [_link(link) for link in v] for k, v in r.named.items()}}
                if r.named
                else {}
            ),
        },
        lambda d: LinkSets(
            [_link_of(row) for row in d["links"]],
            {_text(k): [_link_of(row) for row in v] for k, v in d.get("sets", {}).items()},
        ),
    ),
    BackTranslation: Codec(
        lambda r: {
            "text": r.text,
            "tokens": r.tokens,
            "spans": [[*_span(s.span), s.entity, s.similarity] for s in r.spans],
            "lost": r.lost,
            "error": r.error,
        },
        lambda d: BackTranslation(
            _text(d["text"]),
            _tokens(d["tokens"]),
            [RecoveredSpan(_span_of(s[:3]), int(s[3]), float(s[4])) for s in d["spans"]],
            [int(i) for i in d["lost"]],
            _error(d),
        ),
    ),
    Projection: Codec(
        lambda r: {"spans": [[*_span(p.span), _span(p.source), p.score] for p in r.spans]},
        lambda d: Projection(
            [ProjectedSpan(_span_of(p[:3]), _span_of(p[3]), float(p[4])) for p in d["spans"]]
        ),
    ),
    Evaluation: Codec(
        lambda r: {"label_map": r.label_map, "scores": r.scores},
        lambda d: Evaluation(_text(d["label_map"]), dict(d["scores"])),
    ),
}


def to_json(record: Any) -> Json:
    """The JSON object of a registered record type."""
    return CODECS[type(record)].encode(record)


def from_json(kind: type[R], data: Mapping[str, Any]) -> R:
    """The record of type ``kind`` stored as ``data``; RecordError when it does not fit."""
    try:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        return CODECS[kind].decode(dict(data))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        problem = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        raise RecordError(f"not a {kind.__name__} record: {problem}") from None
