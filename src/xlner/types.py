"""Plain data types passed between stages: tokens, entity spans and alignment links.

Every stage of xlner speaks in these types, so a corpus reader, an aligner and a projector
can be combined without knowing about each other.
"""

from __future__ import annotations

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
