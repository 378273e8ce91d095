"""The projection interface: source entities + word alignment -> target entities."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from xlner.signature import Signed
from xlner.types import Link, ProjectedSpan, Span, Tokens


class Projector(Signed, ABC):
    """Projects the entity spans of a source sentence onto its aligned target sentence."""

    name: str = "projector"

    @abstractmethod
    def project(
        self,
        source_tokens: Tokens,
        source_spans: Sequence[Span],
        target_tokens: Tokens,
        links: Sequence[Link],
    ) -> list[ProjectedSpan]:
        """Return non-overlapping target spans, each with the source entity it came from."""

    def link_sets_used(self) -> set[str]:
        """The named link sets this projector reads beside the primary links.

        Every sentence pair's links must then be a :class:`~xlner.types.LinkSets`
        holding them, which the aligner must provide (see
        :func:`xlner.project.corpus.check_link_sets`).
        """
        return set()


def links_by_source(links: Sequence[Link]) -> dict[int, set[int]]:
    """Map each source word to the set of target words it is aligned to."""
    table: dict[int, set[int]] = {}
    for link in links:
        table.setdefault(link.src, set()).add(link.tgt)
    return table
