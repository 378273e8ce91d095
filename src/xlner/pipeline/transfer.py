"""Annotation projection over a whole corpus: align sentence pairs, project each one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlner.project.base import Projector
from xlner.types import Link, ProjectedSpan, TaggedSentence, Tokens


@dataclass
class ProjectedSentence:
    """A target sentence with the spans projected onto it and the links that produced them."""

    tokens: Tokens
    projected: list[ProjectedSpan]
    links: list[Link]

    def tagged(self) -> TaggedSentence:
        return TaggedSentence(self.tokens, [p.span for p in self.projected])


def check_parallel(source: Sequence[TaggedSentence], targets: Sequence[Tokens]) -> None:
    """Refuse to pair corpora of different lengths: that would misalign every sentence."""
    if len(source) != len(targets):
        raise ValueError(
            f"source has {len(source)} sentences but target has {len(targets)}; "
            "the two sides must be sentence-parallel"
        )


def project_corpus(
    source: Sequence[TaggedSentence],
    targets: Sequence[Tokens],
    links: Sequence[Sequence[Link]],
    projector: Projector,
) -> list[ProjectedSentence]:
    """Project every source sentence's spans onto its target sentence."""
    check_parallel(source, targets)
    if len(links) != len(source):
        raise ValueError(f"{len(links)} alignments for {len(source)} sentence pairs")
    return [
        ProjectedSentence(
            list(target),
            projector.project(src.tokens, src.spans, list(target), list(pair_links)),
            list(pair_links),
        )
        for src, target, pair_links in zip(source, targets, links, strict=True)
    ]
