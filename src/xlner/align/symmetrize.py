"""Symmetrisation of two directional word alignments into one.

Directional aligners (IBM models, HMM, eflomal) let each word of one side link to at most one
word of the other, so each direction misses many-to-one links of the other kind. These pure
functions combine a forward and a reverse alignment, both given as sets of ``(src, tgt)`` pairs.

The grow-diag family follows fast_align's ``atools`` exactly (Koehn et al. 2003 as implemented
there): start from the intersection, repeatedly add union points in ``(src, tgt)`` order that
touch an aligned point (8-neighbourhood) and have at least one unaligned word, then optionally
run a single "final" pass over the forward and then the reverse alignment. The points are
visited in sorted order and each addition is visible to the next check, as in ``atools``;
order-dependent cases therefore give the same answer as that tool.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

Pair = tuple[int, int]

GROW_DIAG_FINAL_AND = "grow-diag-final-and"
METHODS: tuple[str, ...] = (
    "forward",
    "reverse",
    "intersection",
    "union",
    "grow-diag",
    "grow-diag-final",
    GROW_DIAG_FINAL_AND,
)

# Horizontal/vertical neighbours first, then diagonals, as in atools (the order does not
# change the result: a point is added if any neighbour is aligned).
_NEIGHBOURS: tuple[Pair, ...] = (
    (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1),
)  # fmt: skip


def forward(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """The forward alignment alone."""
    return set(fwd)


def reverse(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """The reverse alignment alone (already in ``(src, tgt)`` orientation)."""
    return set(rev)


def intersection(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """Links both directions agree on: high precision, one-to-one."""
    return set(fwd) & set(rev)


def union(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """Links either direction proposes: high recall."""
    return set(fwd) | set(rev)


class _Refiner:
    """The growing alignment plus which source and target words it already covers."""

    def __init__(self, fwd: Collection[Pair], rev: Collection[Pair]) -> None:
        self.union = set(fwd) | set(rev)
        self.links: set[Pair] = set()
        self.src_aligned: set[int] = set()
        self.tgt_aligned: set[int] = set()
        for pair in set(fwd) & set(rev):
            self.add(pair)

    def add(self, pair: Pair) -> None:
        self.links.add(pair)
        self.src_aligned.add(pair[0])
        self.tgt_aligned.add(pair[1])

    def one_or_both_unaligned(self, pair: Pair) -> bool:
        return pair[0] not in self.src_aligned or pair[1] not in self.tgt_aligned

    def neither_aligned(self, pair: Pair) -> bool:
        return pair[0] not in self.src_aligned and pair[1] not in self.tgt_aligned

    def neighbour_aligned(self, pair: Pair) -> bool:
        i, j = pair
        return any((i + di, j + dj) in self.links for di, dj in _NEIGHBOURS)

    def koehn(self, pair: Pair) -> bool:
        return self.one_or_both_unaligned(pair) and self.neighbour_aligned(pair)

    def grow_diag(self) -> None:
        """Add union points next to the alignment until nothing changes (atools ``Grow``)."""
        pending = sorted(self.union - self.links)
        added = True
        while added:
            added = False
            remaining = []
            for pair in pending:
                if self.koehn(pair):
                    self.add(pair)
                    added = True
                else:
                    remaining.append(pair)
            pending = remaining

    def final(self, adds: Iterable[Pair], condition: Callable[[Pair], bool]) -> None:
        """One pass over ``adds`` in sorted order (atools ``Grow`` with ``idempotent``)."""
        for pair in sorted(adds):
            if pair not in self.links and condition(pair):
                self.add(pair)


def grow_diag(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """Intersection grown towards the union through neighbouring points."""
    refiner = _Refiner(fwd, rev)
    refiner.grow_diag()
    return refiner.links


def grow_diag_final(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """grow-diag, then add directional links whose source OR target word is unaligned."""
    refiner = _Refiner(fwd, rev)
    refiner.grow_diag()
    refiner.final(fwd, refiner.one_or_both_unaligned)
    refiner.final(rev, refiner.one_or_both_unaligned)
    return refiner.links


def grow_diag_final_and(fwd: Collection[Pair], rev: Collection[Pair]) -> set[Pair]:
    """grow-diag, then add directional links whose source AND target word are both unaligned."""
    refiner = _Refiner(fwd, rev)
    refiner.grow_diag()
    refiner.final(fwd, refiner.neither_aligned)
    refiner.final(rev, refiner.neither_aligned)
    return refiner.links


_FUNCTIONS: dict[str, Callable[[Collection[Pair], Collection[Pair]], set[Pair]]] = {
    "forward": forward,
    "reverse": reverse,
    "intersection": intersection,
    "union": union,
    "grow-diag": grow_diag,
    "grow-diag-final": grow_diag_final,
    GROW_DIAG_FINAL_AND: grow_diag_final_and,
}


def check_method(method: str) -> str:
    """Return ``method`` if it names a symmetrisation, else raise a ValueError listing them."""
    if method not in _FUNCTIONS:
        raise ValueError(f"unknown symmetrization {method!r}; choose one of {', '.join(METHODS)}")
    return method


def symmetrize(forward: Collection[Pair], reverse: Collection[Pair], method: str) -> set[Pair]:
    """Combine a forward and a reverse alignment (both ``(src, tgt)`` pairs) with ``method``."""
    return _FUNCTIONS[check_method(method)](forward, reverse)
