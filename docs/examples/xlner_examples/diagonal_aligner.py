"""An aligner added in one new file: each source word is linked to the target word at the
same relative position. Useless on real text, but the whole recipe of a new aligner."""

from __future__ import annotations

from collections.abc import Sequence

from xlner.align.base import Aligner, SentencePair, check_pairs
from xlner.registry import registry
from xlner.types import Link


@registry.aligners.register("diagonal")
class DiagonalAligner(Aligner):
    """Links word ``i`` of ``m`` source words to word ``round(i * n / m)`` of ``n``.

    Options are the constructor's keyword parameters: ``xlner project --aligner diagonal
    --aligner-option shift=1``, ``[align] options = {shift = 1}`` in a run config, or
    ``registry.aligners.build("diagonal", shift=1)`` all reach ``shift``. Its signature
    (``{"method": "diagonal", "shift": 1}``, part of every cache key and result signature) is
    generated from them.
    """

    name = "diagonal"
    per_sentence = True  # a pair's links depend on that pair alone: align in batches of any size

    def __init__(self, shift: int = 0) -> None:
        if shift < 0:
            raise ValueError(f"shift must be >= 0, not {shift}")  # a one-line error everywhere
        self.shift = shift

    def align(
        self, pairs: Sequence[SentencePair], *, extra_bitext: Sequence[SentencePair] = ()
    ) -> list[list[Link]]:
        check_pairs(pairs)
        return [self._links(len(src), len(tgt)) for src, tgt in pairs]

    def _links(self, m: int, n: int) -> list[Link]:
        targets = (min(n - 1, round(i * n / m) + self.shift) for i in range(m))
        return [Link(i, j, 1.0) for i, j in enumerate(targets)] if m and n else []
