"""Line reading for every format: UTF-8 lines with their numbers, and the checks readers share.

Each format module (``conll``, ``bitext``, ``parallel_tsv``) reads through :func:`iter_lines`
so that every reader reports a bad byte or a bad line the same way.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TypeVar

from xlner.errors import InputError

_BOM = "\ufeff"
_BLOCK = 1 << 16
# What reading a damaged or mislabelled gzip file raises: bad magic bytes, a stream cut short,
# corrupt deflate data.
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
T = TypeVar("T")


class CorpusWarning(UserWarning):
    """Input that was repaired while reading; filter this category to silence such notices."""


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a UTF-8 file, numbers 1-based.

    The file is split on ``\\n`` only (a trailing ``\\r`` is dropped): text-mode reading
    would also split on lone ``\\r`` and ``str.splitlines`` on characters such as U+2028 or
    U+001C that occur inside real sentences, shifting every later line number. The exception
    is a file written with old-Mac line ends, ``\\r`` alone, recognised by a first block
    that holds ``\\r`` but no ``\\n``: it is split on ``\\r``. Each line is decoded on its
    own so that a bad byte is reported on the line where it is.

    A file whose name ends in ``.gz`` is decompressed as it is read (the same lines, the same
    numbers); one that is not gzip data, or is cut short, is an :class:`InputError` at the line
    where reading stopped. A missing file, a directory or an unreadable file is an
    :class:`InputError`.
    """
    number = 0
    try:
        with _open(path) as handle:
            head = handle.peek(_BLOCK)  # no seek, so pipes and /dev/stdin work too
            cr_only = b"\r" in head and b"\n" not in head
            raw_lines = _split_on_cr(handle) if cr_only else handle
            for number, raw in enumerate(raw_lines, start=1):
                raw = raw.removesuffix(b"\n").removesuffix(b"\r")
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    byte = raw[exc.start]
                    problem = f"not valid UTF-8: byte 0x{byte:02x} at byte column {exc.start + 1}"
                    raise InputError(path, number, problem) from None
                if number == 1:
                    text = text.removeprefix(_BOM)
                yield number, text
    except _GZIP_ERRORS as error:
        line = number + 1 if number else None  # the line being read when it failed
        raise InputError(path, line, f"not readable as gzip: {error}") from None


def _open(path: str | Path) -> io.BufferedReader | gzip.GzipFile:
    # Both have peek(), which BinaryIO does not promise.
    try:
        if str(path).endswith(".gz"):
            return gzip.open(path, "rb")
        # typeshed types open() with a buffer size that is not a literal as BinaryIO; with
        # one above 1 it is a BufferedReader.
        return open(path, "rb", buffering=_BLOCK)  # type: ignore[return-value]
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, None, "is a directory, not a file") from None
    except OSError as error:
        raise InputError(path, None, f"cannot read: {error.strerror or error}") from None


def _split_on_cr(handle: io.BufferedIOBase) -> Iterator[bytes]:
    rest = b""
    while block := handle.read(_BLOCK):
        *lines, rest = (rest + block).split(b"\r")
        yield from lines
    if rest:
        yield rest


def has_whitespace(token: str) -> bool:
    """True when ``token`` is empty or would not survive splitting on whitespace."""
    return not token or any(ch.isspace() for ch in token)


def check_tokens(tokens: Iterable[str], sentence_index: int) -> None:
    """Raise ValueError for a token that a whitespace-separated file cannot hold."""
    for position, token in enumerate(tokens):
        if has_whitespace(token):
            raise ValueError(
                f"sentence {sentence_index}, token {position} ({token!r}): tokens must be "
                "non-empty and contain no whitespace"
            )


def require_sentences(sentences: list[T], path: str | Path) -> list[T]:
    """Return ``sentences``, or raise :class:`InputError` naming ``path`` when there are none.

    A command given an empty or blank-only file would otherwise succeed with an empty result.
    """
    if not sentences:
        raise InputError(path, None, _NO_SENTENCE)
    return sentences


def require_first(sentences: Iterable[T], path: str | Path) -> Iterator[T]:
    """:func:`require_sentences` for a stream: the first sentence is read at once (an
    :class:`InputError` naming ``path`` when there is none), the others when asked for."""
    iterator = iter(sentences)
    for first in iterator:
        return chain([first], iterator)
    raise InputError(path, None, _NO_SENTENCE)


_NO_SENTENCE = "no sentence: the file is empty or has only blank lines"
