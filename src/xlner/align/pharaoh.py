"""Word alignments as text: the Pharaoh format that eflomal, fast_align, SimAlign and
awesome-align read and write.

One line per sentence pair, its links separated by spaces, each ``i-j``: word ``i`` of the
source sentence with word ``j`` of the target sentence, 0-based. Gold alignments also mark
*possible* links (Och & Ney 2003), written ``i?j`` or ``ipj``, or ``i-j-p`` (``i-j-s``: sure);
other links are *sure*. Gold files are often 1-based: :func:`read_pharaoh` takes the file's
``index_base`` and gives 0-based links, and refuses an index the base rules out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlner.corpora.lines import iter_lines
from xlner.errors import InputError
from xlner.types import Link

INDEX_BASES = (0, 1)
# i-j (sure), i?j or ipj (possible), i-j-s / i-j-p (sure / possible, either case).
_LINK = re.compile(r"(\d+)(?:-(\d+)(?:-([sSpP]))?|[?p](\d+))")

Pair = tuple[int, int]  # (source word, target word), 0-based


def format_pharaoh(links: Iterable[Link]) -> str:
    """One sentence pair's links as a Pharaoh line (``0-0 1-2``), sorted, each once."""
    return " ".join(f"{src}-{tgt}" for src, tgt in sorted({(x.src, x.tgt) for x in links}))


@dataclass(frozen=True)
class GoldLinks:
    """One sentence pair's links: ``sure`` and ``possible`` (the possible ones not sure)."""

    sure: frozenset[Pair] = frozenset()
    possible: frozenset[Pair] = frozenset()
    line: int = field(default=0, compare=False)  # where it was read, for messages

    @property
    def every(self) -> frozenset[Pair]:
        return self.sure | self.possible


def parse_pharaoh(text: str, index_base: int = 0) -> GoldLinks:
    """The links of one Pharaoh line, 0-based; ValueError naming a malformed link."""
    sure: set[Pair] = set()
    possible: set[Pair] = set()
    for token in text.split():
        match = _LINK.fullmatch(token)
        if match is None:
            raise ValueError(f"{token!r} is not a link (i-j, i?j, ipj or i-j-p)")
        src, tgt_dash, mark, tgt_possible = match.groups()
        pair = (int(src) - index_base, int(tgt_dash or tgt_possible) - index_base)
        if min(pair) < 0:
            raise ValueError(
                f"link {token!r} has index 0, which a 1-based file cannot hold "
                "(a 0-based file? --index-base 0)"
            )
        is_possible = tgt_possible is not None or (mark or "s") in "pP"
        (possible if is_possible else sure).add(pair)
    return GoldLinks(frozenset(sure), frozenset(possible - sure))


def iter_pharaoh(path: str | Path, index_base: int = 0) -> Iterator[GoldLinks]:
    """The links of every line of a Pharaoh file (an empty line: a pair without links);
    :class:`~xlner.errors.InputError` with the file and line for a malformed one."""
    if index_base not in INDEX_BASES:
        raise ValueError(f"index base must be 0 or 1, not {index_base!r}")
    for number, text in iter_lines(path):
        try:
            links = parse_pharaoh(text, index_base)
        except ValueError as error:
            raise InputError(path, number, str(error)) from None
        yield GoldLinks(links.sure, links.possible, number)


def read_pharaoh(path: str | Path, index_base: int = 0) -> list[GoldLinks]:
    """Every line of a Pharaoh file; see :func:`iter_pharaoh`."""
    return list(iter_pharaoh(path, index_base))


def check_indices(
    path: str | Path, alignments: Sequence[GoldLinks], lengths: Sequence[Pair], index_base: int
) -> None:
    """Refuse a link beyond its sentence (``lengths``: each pair's source and target words).

    An index equal to a sentence's length is the mark of a 1-based file read as 0-based;
    the message says so.
    """
    for links, (n_src, n_tgt) in zip(alignments, lengths, strict=True):
        for src, tgt in sorted(links.every):
            if src < n_src and tgt < n_tgt:
                continue
            side, index, length = ("source", src, n_src) if src >= n_src else ("target", tgt, n_tgt)
            hint = " (a 1-based file? --index-base 1)" if index == length and not index_base else ""
            written = f"{src + index_base}-{tgt + index_base}"
            raise InputError(
                path,
                links.line,
                f"link {written}: {side} word {index + index_base} is beyond the sentence "
                f"of {length} words{hint}",
            )


def check_zero_based(path: str | Path, alignments: Sequence[GoldLinks]) -> None:
    """Refuse a file read as 0-based in which no link touches the first word of a sentence,
    on either side: the mark of a 1-based file, which would be scored shifted by one."""
    pairs = [pair for links in alignments for pair in links.every]
    if pairs and min(src for src, _ in pairs) > 0 and min(tgt for _, tgt in pairs) > 0:
        raise InputError(
            path,
            None,
            "no link holds word 0 of any sentence, on either side: the file looks 1-based; "
            "give --index-base 1 (or the sentences, which settle it)",
        )
