"""Token-per-line ("CoNLL") files: one token a line, the tag in the last column.

Reading accepts tab- or space-separated lines with any number of columns, blank lines
between sentences and ``-DOCSTART-`` document markers (skipped). Whatever the scheme of the
file, sentences come back as :class:`~xlner.types.TaggedSentence` with spans, i.e. already
normalised; writing produces IOB2 unless asked for another scheme.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from xlner.corpora.lines import CorpusWarning, check_tokens, iter_lines
from xlner.errors import InputError
from xlner.io import atomic_write
from xlner.tags import (
    OUTSIDE,
    UNKNOWN,
    Scheme,
    TagError,
    mark_unknown,
    spans_to_tags,
    split_tag,
    tags_to_spans,
)
from xlner.types import Span, TaggedSentence

ReadScheme = Literal["auto", "iob1", "iob2", "bioes"]
DOCSTART = "-DOCSTART-"
_SCHEMES = ("auto", "iob1", "iob2", "bioes")


@dataclass
class _RawSentence:
    """Tokens and tags as read, with the file line of each token for error messages."""

    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # positions tagged UNKNOWN (read as O)


@dataclass
class _Repairs:
    """Counts of repaired problems in one file, reported in one warning each."""

    orphan_lines: list[int] = field(default_factory=list)
    empty_token_lines: list[int] = field(default_factory=list)

    def warn(self, path: str | Path) -> None:
        # At the file and line of the first case, as an error would be.
        if self.orphan_lines:
            warnings.warn(
                f"{path}:{self.orphan_lines[0]}: read {len(self.orphan_lines)} I- tag(s) "
                "without a preceding B- or I- of the same class as B- (the first here)",
                CorpusWarning,
                stacklevel=4,
            )
        if self.empty_token_lines:
            warnings.warn(
                f"{path}:{self.empty_token_lines[0]}: dropped {len(self.empty_token_lines)} "
                "line(s) with an empty token (the first here)",
                CorpusWarning,
                stacklevel=4,
            )


def iter_conll(
    path: str | Path,
    scheme: ReadScheme = "iob2",
    *,
    repair: bool = True,
    token_column: int = 0,
    tag_column: int = -1,
    unknown: bool = False,
) -> Iterator[TaggedSentence]:
    """Yield the sentences of a token-per-line file as tokens with IOB2-normalised spans.

    ``scheme`` is the scheme the file is written in: ``"iob1"``, ``"iob2"``, ``"bioes"`` or
    ``"auto"`` (see :func:`detect_scheme`; the whole file is read once for it before the
    first sentence is yielded, and held in memory only when it is not a regular file, such
    as a pipe, which cannot be read twice). The tag is taken from ``tag_column`` (the last
    one by default), the token from ``token_column``. Columns are split with ``str.split()``,
    so tabs, spaces and other Unicode whitespace such as U+00A0 all separate columns.

    Problems raise :class:`~xlner.errors.InputError` with the file and 1-based line: bytes
    that are not UTF-8, a line with one column, a line whose column count differs from the
    first token line, a tag that is not ``B-``/``I-``/``O`` (or ``E-``/``S-`` in BIOES).
    Blank lines in any number just separate sentences.

    With ``repair`` (the default) two common faults of real corpora are repaired, and each
    kind is reported once per file as a :class:`~xlner.corpora.lines.CorpusWarning` at the
    file and line of the first case, with the count:

    - an IOB2 ``I-X`` that does not continue an ``X`` entity starts a new entity, as if it
      were ``B-X`` (the CoNLL evaluation convention; MasakhaNER 2.0 has a few dozen);
    - a line that starts with whitespace and lacks the token column (MasakhaNER 2.0
      ``xho/train.txt`` has two ``" O"`` lines) is dropped: an empty token carries no text,
      and keeping it would break every tool that joins tokens with spaces.

    With ``repair=False`` both raise ``InputError`` instead. Warnings are issued when the
    file has been read to its end.

    ``unknown`` accepts the tag :data:`~xlner.tags.UNKNOWN` (a word of unknown label, in
    training files with partial labels): such a word goes into the sentence's ``unknown``
    and is read as ``O`` otherwise. Without it (evaluation, gold) the tag is an InputError.
    """
    # Checked here, not in the generator, so that a bad argument fails at the call.
    if scheme not in _SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(_SCHEMES)}")
    columns = _Columns(token_column, tag_column, unknown)
    return _iter_sentences(path, scheme, repair, columns)


@dataclass(frozen=True)
class _Columns:
    """Where a line's token and tag are, and whether the UNKNOWN tag is accepted."""

    token: int = 0
    tag: int = -1
    unknown: bool = False


def _iter_sentences(
    path: str | Path, scheme: ReadScheme, repair: bool, columns: _Columns
) -> Iterator[TaggedSentence]:
    repairs = _Repairs()
    raw = _iter_raw(path, columns, repair, repairs)
    if scheme == "auto" and os.path.isfile(path):
        # Read twice, once for the scheme, so that memory holds one sentence, not the file.
        first = _iter_raw(path, columns, repair, _Repairs())
        scheme = detect_scheme(sentence.tags for sentence in first)
    elif scheme == "auto":  # a pipe can be read once only
        buffered = list(raw)
        scheme = detect_scheme(sentence.tags for sentence in buffered)
        raw = iter(buffered)
    for sentence in raw:
        spans = _decode(sentence, scheme, repair, path, repairs)
        yield TaggedSentence(sentence.tokens, spans, unknown=sentence.unknown)
    repairs.warn(path)


def read_conll(
    path: str | Path,
    scheme: ReadScheme = "iob2",
    *,
    repair: bool = True,
    token_column: int = 0,
    tag_column: int = -1,
    unknown: bool = False,
) -> list[TaggedSentence]:
    """Read a whole token-per-line file; see :func:`iter_conll` for the rules."""
    return list(
        iter_conll(
            path,
            scheme,
            repair=repair,
            token_column=token_column,
            tag_column=tag_column,
            unknown=unknown,
        )
    )


def detect_scheme(tag_sequences: Iterable[Sequence[str]]) -> Scheme:
    """Guess the scheme of a tagged file from all its tag sequences.

    ``E-``/``S-`` tags mean BIOES. IOB1 is recognised by entities that open with ``I-`` while
    every ``B-`` directly follows a tag of its own class (the only place IOB1 uses ``B-``).
    Anything else is IOB2, including IOB2 with a few stray ``I-`` starts.
    """
    opens_with_i = False
    b_after_other = False
    for tags in tag_sequences:
        previous = OUTSIDE
        for tag in tags:
            prefix = tag.partition("-")[0]
            if prefix in {"E", "S"}:
                return "bioes"
            same_class = previous != OUTSIDE and previous[2:] == tag[2:]
            if prefix == "I" and not same_class:
                opens_with_i = True
            if prefix == "B" and not same_class:
                b_after_other = True
            previous = tag
    return "iob1" if opens_with_i and not b_after_other else "iob2"


def _iter_raw(
    path: str | Path, columns: _Columns, repair: bool, repairs: _Repairs
) -> Iterator[_RawSentence]:
    """Split a file into sentences of (token, tag, line) without interpreting the tags."""
    width: int | None = None  # column count, fixed by the first token line
    current = _RawSentence()
    for number, text in iter_lines(path):
        fields = text.split()
        if not fields or fields[0] == DOCSTART:
            # A -DOCSTART- line ends a document, so it also ends any open sentence.
            if current.tokens:
                yield current
                current = _RawSentence()
            continue
        if _is_empty_token(text, fields, width):
            _check_tag(fields[-1], path, number, columns.unknown)
            if not repair:
                raise InputError(path, number, "empty token: the line has no token column")
            repairs.empty_token_lines.append(number)
            continue
        if len(fields) == 1:
            raise InputError(
                path, number, f"only one column ({fields[0]!r}): expected a token and a tag"
            )
        if width is None:
            width = len(fields)
        elif len(fields) != width:
            raise InputError(
                path,
                number,
                f"{len(fields)} columns where earlier lines have {width} "
                "(a token containing whitespace?)",
            )
        token, tag = _pick(fields, columns.token, columns.tag, path, number)
        _check_tag(tag, path, number, columns.unknown)
        if tag == UNKNOWN:
            current.unknown.append(len(current.tokens))
            tag = OUTSIDE
        current.tokens.append(token)
        current.tags.append(tag)
        current.lines.append(number)
    if current.tokens:
        yield current


def _is_empty_token(text: str, fields: list[str], width: int | None) -> bool:
    # Leading whitespace followed by one column too few: the token column is empty. Before
    # the first token line the width is unknown; two columns is by far the most common.
    return text[:1].isspace() and len(fields) == (width or 2) - 1


def _pick(
    fields: list[str], token_column: int, tag_column: int, path: str | Path, number: int
) -> tuple[str, str]:
    try:
        return fields[token_column], fields[tag_column]
    except IndexError:
        wanted = f"columns {token_column} and {tag_column}"
        raise InputError(path, number, f"no {wanted}: the line has {len(fields)}") from None


def _check_tag(tag: str, path: str | Path, number: int, unknown: bool = False) -> None:
    if unknown and tag == UNKNOWN:
        return
    try:
        split_tag(tag)
    except TagError as exc:
        raise InputError(path, number, str(exc)) from None


def _orphans(tags: Sequence[str]) -> list[int]:
    """Positions of IOB2 ``I-X`` tags that do not continue an ``X`` entity."""
    found = []
    previous = OUTSIDE
    for position, tag in enumerate(tags):
        if tag.startswith("I-") and (previous == OUTSIDE or previous[2:] != tag[2:]):
            found.append(position)
        previous = tag
    return found


def _decode(
    sentence: _RawSentence, scheme: Scheme, repair: bool, path: str | Path, repairs: _Repairs
) -> list[Span]:
    if scheme == "iob2" and repair:
        repairs.orphan_lines.extend(sentence.lines[i] for i in _orphans(sentence.tags))
    try:
        return tags_to_spans(sentence.tags, scheme, repair=repair)
    except TagError as exc:
        # A BIOES entity left open is reported after the last token: point at that token.
        line = sentence.lines[min(exc.position, len(sentence.lines) - 1)]
        raise InputError(path, line, f"{exc} ({scheme.upper()})") from None


def write_conll(
    path: str | Path,
    sentences: Iterable[TaggedSentence],
    scheme: Scheme = "iob2",
    *,
    extra_columns: Sequence[Sequence[TaggedSentence]] = (),
    sep: str = " ",
) -> None:
    """Write sentences as ``token<sep>tag`` lines with a blank line after each sentence.

    Each entry of ``extra_columns`` is a second annotation of the same sentences (for
    example predictions beside the gold spans); its tags are written as one more column
    after the tag of ``sentences``, so ``token gold predicted`` is the conlleval layout.
    Read a column back with ``read_conll(path, tag_column=1)``.

    Raises ValueError, naming the sentence index, for a token that is empty or contains
    whitespace, for an empty sentence (it would vanish on reading) and for an extra column
    whose tokens differ. The file is written atomically: on error no file is left behind.
    """
    if sep not in {" ", "\t"}:
        raise ValueError(f"separator must be a space or a tab, not {sep!r}")
    columns = [list(column) for column in extra_columns]
    with atomic_write(path) as out:
        count = 0
        for index, sentence in enumerate(sentences):
            others = [_extra(column, index, sentence) for column in columns]
            out.write(_format_sentence(sentence, others, scheme, sep, index))
            count += 1
        # Raised inside the block so that the file is not put in place.
        for column in columns:
            if len(column) != count:
                raise ValueError(f"an extra column has {len(column)} sentences, expected {count}")


def _extra(column: Sequence[TaggedSentence], index: int, sentence: TaggedSentence) -> list[Span]:
    if index >= len(column):
        raise ValueError(f"sentence {index}: an extra column has only {len(column)} sentences")
    other = column[index]
    if other.tokens != sentence.tokens:
        raise ValueError(f"sentence {index}: an extra column has different tokens")
    return other.spans


def _format_sentence(
    sentence: TaggedSentence, others: list[list[Span]], scheme: Scheme, sep: str, index: int
) -> str:
    if not sentence.tokens:
        raise ValueError(f"sentence {index} has no tokens")
    check_tokens(sentence.tokens, index)
    length = len(sentence.tokens)
    try:
        columns = [spans_to_tags(spans, length, scheme) for spans in [sentence.spans, *others]]
    except ValueError as exc:
        raise ValueError(f"sentence {index}: {exc}") from None
    columns[0] = mark_unknown(columns[0], sentence.unknown)
    lines = [sep.join(row) for row in zip(sentence.tokens, *columns, strict=True)]
    return "\n".join(lines) + "\n\n"
