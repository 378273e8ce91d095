"""One-sentence-a-line text files, alone or as a line-parallel pair (bitext).

A line is a sentence and its tokens are what ``str.split()`` gives, so any run of Unicode
whitespace separates tokens. Untokenised text (such as MAFAND-MT, where punctuation sticks to
words) therefore comes back with punctuation attached; :func:`read_raw_lines` keeps the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path

from xlner.corpora.lines import check_tokens, iter_lines
from xlner.errors import InputError
from xlner.io import atomic_write
from xlner.types import Tokens


def read_raw_lines(path: str | Path) -> list[str]:
    """Return the lines of a UTF-8 file exactly, without their line ends."""
    return [text for _, text in iter_lines(path)]


def iter_sentences(path: str | Path, *, allow_empty: bool = False) -> Iterator[Tokens]:
    """Yield the whitespace tokens of each line.

    A line with no tokens is an :class:`~xlner.errors.InputError` (file, line) unless
    ``allow_empty``: in a bitext an empty line is usually a lost sentence that shifts the
    pairing, so it must not pass unnoticed.
    """
    for number, text in iter_lines(path):
        tokens = text.split()
        if not tokens and not allow_empty:
            raise InputError(path, number, "empty sentence (pass allow_empty=True to accept)")
        yield tokens


def read_sentences(path: str | Path, *, allow_empty: bool = False) -> list[Tokens]:
    """Read a one-sentence-a-line file; see :func:`iter_sentences`."""
    return list(iter_sentences(path, allow_empty=allow_empty))


def read_bitext(
    source: str | Path, target: str | Path, *, allow_empty: bool = False
) -> list[tuple[Tokens, Tokens]]:
    """Read two line-parallel files into ``(source_tokens, target_tokens)`` pairs; see
    :func:`iter_bitext`."""
    return list(iter_bitext(source, target, allow_empty=allow_empty))


def iter_bitext(
    source: str | Path, target: str | Path, *, allow_empty: bool = False
) -> Iterator[tuple[Tokens, Tokens]]:
    """Yield the ``(source_tokens, target_tokens)`` pairs of two line-parallel files.

    Raises :class:`~xlner.errors.InputError` when the files have different numbers of lines
    (naming both files and both counts) or, unless ``allow_empty``, at an empty line. When
    reading stops at a difference in length, the pairs before it have been yielded.
    """
    left = iter_sentences(source, allow_empty=allow_empty)
    right = iter_sentences(target, allow_empty=allow_empty)
    for src, tgt in zip_longest(left, right):
        if src is None or tgt is None:
            _raise_length_mismatch(source, target)
        yield src, tgt


def _raise_length_mismatch(source: str | Path, target: str | Path) -> None:
    # Count raw lines afresh: the message should give both totals, not where zip stopped.
    src_count = sum(1 for _ in iter_lines(source))
    tgt_count = sum(1 for _ in iter_lines(target))
    shorter = target if tgt_count < src_count else source
    raise InputError(
        shorter,
        None,
        f"line counts differ: {source} has {src_count} lines, {target} has {tgt_count}",
    )


def write_sentences(path: str | Path, sentences: Iterable[Tokens]) -> None:
    """Write one sentence a line, tokens joined by a space, atomically.

    Raises ValueError naming the sentence index for a token that is empty or contains
    whitespace, since it could not be read back as the same tokens. An empty sentence is
    written as an empty line (read it back with ``allow_empty=True``).
    """
    with atomic_write(path) as out:
        for index, tokens in enumerate(sentences):
            check_tokens(tokens, index)
            out.write(" ".join(tokens) + "\n")


def write_bitext(
    source: str | Path, target: str | Path, pairs: Iterable[tuple[Tokens, Tokens]]
) -> None:
    """Write ``(source_tokens, target_tokens)`` pairs as two line-parallel files."""
    materialised = list(pairs)
    write_sentences(source, (src for src, _ in materialised))
    write_sentences(target, (tgt for _, tgt in materialised))
