"""Several alignments of one sentence pair, passed to a projector as one argument.

A :class:`LinkSets` *is* the list of primary links, so every projector takes it as it takes a
plain list (the heuristic reads the primary links, or the one named set of its ``links``
option). A :class:`MatchProjector` also hands the named sets to its scores, so that a fusion
can weigh, for example, the intersection and the union of a symmetrised alignment, or
eflomal's links and an embedding aligner's (both given by the ``combined`` aligner):

    links = LinkSets.of({"intersection": inter, "union": union, "simalign": emb}, "intersection")
    projector = make_projector("match", score="coverage:simalign=1,coverage:intersection=0.5")
    projector.project(source_tokens, source_spans, target_tokens, links)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from xlner.types import Link


class LinkSets(list[Link]):
    """The primary links of a sentence pair plus further link sets by name."""

    def __init__(
        self, links: Iterable[Link] = (), named: Mapping[str, Sequence[Link]] | None = None
    ) -> None:
        super().__init__(links)
        self.named: dict[str, list[Link]] = {name: list(v) for name, v in (named or {}).items()}

    @classmethod
    def of(cls, sets: Mapping[str, Sequence[Link]], primary: str) -> LinkSets:
        """All of ``sets`` by name, with the set named ``primary`` as the primary links."""
        if primary not in sets:
            raise KeyError(f"no link set {primary!r} among {', '.join(sorted(sets))}")
        return cls(sets[primary], sets)

    def __repr__(self) -> str:
        return f"LinkSets({list.__repr__(self)}, named={sorted(self.named)})"


def named_link_sets(links: Sequence[Link]) -> dict[str, list[Link]]:
    """The named sets of ``links`` when it is a :class:`LinkSets`, else none."""
    return dict(links.named) if isinstance(links, LinkSets) else {}


def select_link_set(links: Sequence[Link], name: str | None) -> Sequence[Link]:
    """``links`` themselves for ``None``, else their named set ``name``."""
    if name is None:
        return links
    named = named_link_sets(links)
    if name not in named:
        known = ", ".join(sorted(named)) or "none"
        raise KeyError(f"no link set {name!r} for this sentence pair (named sets: {known})")
    return named[name]
