"""The word-alignment interface and the registry that picks a backend by name.

Backends register themselves with :func:`register_aligner`; built-in ones are imported on
first use (see :mod:`xlner.registry`), so the embedding aligner's torch loads only
when it is asked for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from xlner.registry import registry
from xlner.signature import Signed
from xlner.types import Link, LinkSets, Tokens

SentencePair = tuple[Tokens, Tokens]


class Aligner(Signed, ABC):
    """Aligns the words of sentence pairs; one list of links per pair (its ``signature()``
    generated from its options, see :class:`~xlner.signature.Signed`)."""

    name: str = "aligner"
    # True when a pair's links depend on that pair alone, not on the other pairs aligned with
    # it nor on extra bitext (SimAlign): the pipeline may then align in batches of any size
    # and get the same links. A statistical aligner (eflomal) learns from its whole input.
    per_sentence: bool = False

    @abstractmethod
    def align(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[list[Link]]:
        """Return the links of each pair in ``pairs`` (``Link.src`` indexes the first sentence).

        ``extra_bitext`` is additional parallel text a statistical aligner may learn from; no
        links are returned for it.
        """

    def link_set_names(self) -> tuple[str, ...]:
        """Names of the further link sets :meth:`align_sets` gives beside the primary links
        (e.g. every symmetrisation of one eflomal run); none unless a backend says so."""
        return ()

    def align_sets(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[LinkSets]:
        """One :class:`~xlner.types.LinkSets` per pair: its primary links and, by name, every
        link set of :meth:`link_set_names`, all from one run."""
        return [LinkSets(links) for links in self.align(pairs, extra_bitext=extra_bitext)]


# Built-in backends are listed in xlner.registry and imported on first use.
_REGISTRY = registry.aligners
register_aligner = _REGISTRY.register
available_aligners = _REGISTRY.available


def get_aligner(name: str, **options: Any) -> Aligner:
    """Build the aligner registered as ``name`` with backend-specific ``options``."""
    return _REGISTRY.build(name, **options)


def check_pairs(pairs: Sequence[SentencePair], what: str = "pairs") -> None:
    """Reject anything that is not a sequence of (tokens, tokens) with string tokens."""
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f"{what}[{index}] is not a (source, target) pair")
        for side in pair:
            if isinstance(side, str) or not all(isinstance(token, str) for token in side):
                raise TypeError(f"{what}[{index}] must hold two lists of string tokens")
