"""Plain data types passed between stages: tokens, entity spans and alignment links.

Every stage of xlner speaks in these types, so a corpus reader, an aligner and a projector
can be combined without knowing about each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Tokens = list[str]


@dataclass(frozen=True, order=True)
class Span:
    """An entity over tokens ``start`` .. ``end - 1`` (end exclusive) with a class label."""

    start: int
    end: int
    label: str

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"invalid span [{self.start}, {self.end}) for {self.label!r}")

    def __len__(self) -> int:
        return self.end - self.start

    @property
    def indices(self) -> range:
        return range(self.start, self.end)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def text(self, tokens: Tokens) -> str:
        return " ".join(tokens[self.start : self.end])


@dataclass(frozen=True, order=True)
class Link:
    """A word alignment link from source word ``src`` to target word ``tgt``."""

    src: int
    tgt: int
    score: float | None = field(default=None, compare=False)


class LinkSets(list[Link]):
    """The links of one sentence pair: its primary links (the list itself) and further link
    sets by name (``named``: other symmetrisations, another aligner's links).

    Aligners give one per pair (:meth:`~xlner.align.base.Aligner.align_sets`), the pipeline
    caches them, and every projector takes one as it takes a plain list of links; a
    :class:`~xlner.project.match.MatchProjector` also hands the named sets to its scores, so
    that a fusion can weigh eflomal's intersection and an embedding aligner's links::

        links = LinkSets.of({"intersection": inter, "simalign": emb}, "intersection")
        projector = make_projector("match", score="coverage:simalign=1,coverage:intersection=0.5")
        projector.project(source_tokens, source_spans, target_tokens, links)
    """

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

    @classmethod
    def wrap(cls, links: Sequence[Link]) -> LinkSets:
        """``links`` when they are a LinkSets, else a LinkSets of them with no named set."""
        return links if isinstance(links, LinkSets) else cls(links)

    def select(self, name: str | None) -> list[Link]:
        """The primary links for ``None``, else the named set ``name``."""
        if name is None:
            return self
        if name not in self.named:
            known = ", ".join(sorted(self.named)) or "none"
            raise KeyError(f"no link set {name!r} for this sentence pair (named sets: {known})")
        return self.named[name]

    def only(self, names: Iterable[str]) -> LinkSets:
        """The primary links with only the named sets ``names`` (in sorted order)."""
        return LinkSets(self, {name: self.select(name) for name in sorted(names)})

    def __repr__(self) -> str:
        return f"LinkSets({list.__repr__(self)}, named={sorted(self.named)})"


@dataclass
class TaggedSentence:
    """A tokenised sentence with its entity spans.

    ``unknown``: the positions of the words whose label is not known (partial labels, tagged
    :data:`xlner.tags.UNKNOWN` in files); training ignores them, evaluation refuses them.
    """

    tokens: Tokens
    spans: list[Span] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list, kw_only=True)  # after subclasses' fields


@dataclass(frozen=True)
class ProjectedSpan:
    """A target span together with the source entity it came from and its confidence."""

    span: Span
    source: Span
    score: float = 1.0
