"""Annotation projection over a whole corpus: align the sentence pairs, project each one.

:func:`project_bitext` is the library call behind ``xlner project`` and ``xlner demo``. It
asks the aligner for the named link sets the projector reads (``coverage:simalign``,
``alignment:union``) and hands them on with each pair's links, after checking, before any
alignment runs, that the aligner can provide them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlner.align.base import Aligner, SentencePair
from xlner.project.base import Projector
from xlner.project.links import LinkSets, named_link_sets
from xlner.registry import ComponentError
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


def check_link_sets(aligner: Aligner, projector: Projector) -> None:
    """Refuse a projector that reads a named link set the aligner does not provide."""
    missing = sorted(projector.link_sets_used() - set(aligner.link_set_names()))
    if missing:
        provided = ", ".join(aligner.link_set_names()) or "none"
        raise ComponentError(
            f"projection method {projector.name!r} reads link set "
            f"{', '.join(map(repr, missing))}, which aligner "
            f"{aligner.name!r} does not provide (its link sets: {provided})"
        )


def project_corpus(
    source: Sequence[TaggedSentence],
    targets: Sequence[Tokens],
    links: Sequence[Sequence[Link]],
    projector: Projector,
) -> list[ProjectedSentence]:
    """Project every source sentence's spans onto its target sentence.

    ``links`` holds each pair's links, as a :class:`LinkSets` where the projector reads named
    link sets; they reach the projector as given.
    """
    check_parallel(source, targets)
    if len(links) != len(source):
        raise ValueError(f"{len(links)} alignments for {len(source)} sentence pairs")
    needed = projector.link_sets_used()
    for index, pair_links in enumerate(links):
        if missing := needed - set(named_link_sets(pair_links)):
            raise ComponentError(
                f"sentence pair {index}: no link set {', '.join(map(repr, sorted(missing)))} "
                "(pass each pair's links as a LinkSets, or use project_bitext)"
            )
    return [
        ProjectedSentence(
            list(target),
            projector.project(src.tokens, src.spans, list(target), pair_links),
            list(pair_links),
        )
        for src, target, pair_links in zip(source, targets, links, strict=True)
    ]


def align_link_sets(
    aligner: Aligner,
    pairs: Sequence[SentencePair],
    names: set[str],
    extra_bitext: Sequence[SentencePair] = (),
) -> list[LinkSets]:
    """Each pair's primary links with the named link sets ``names``, from one aligner run."""
    if not names:
        return [LinkSets(p) for p in aligner.align(pairs, extra_bitext=extra_bitext)]
    primary, named = aligner.align_sets(pairs, extra_bitext=extra_bitext)
    return [
        LinkSets(links, {name: named[name][index] for name in names})
        for index, links in enumerate(primary)
    ]


def project_bitext(
    source: Sequence[TaggedSentence],
    target_tokens: Sequence[Tokens],
    aligner: Aligner,
    projector: Projector,
    extra_bitext: Sequence[SentencePair] = (),
) -> list[ProjectedSentence]:
    """Align each source sentence with its target sentence and project its entities.

    ``extra_bitext`` is more parallel text for a statistical aligner to learn from. Mismatched
    corpora and link sets the aligner cannot provide are refused before any alignment runs.
    """
    check_parallel(source, target_tokens)
    check_link_sets(aligner, projector)
    pairs = [(s.tokens, list(t)) for s, t in zip(source, target_tokens, strict=True)]
    links = align_link_sets(aligner, pairs, projector.link_sets_used(), extra_bitext)
    return project_corpus(source, target_tokens, links, projector)


def signature_fields(aligner: Aligner, projector: Projector) -> dict[str, Any]:
    """The aligner's and the projector's settings as ``align.*`` / ``project.*`` fields."""
    return {
        **{f"align.{k}": v for k, v in aligner.signature().items()},
        **{f"project.{k}": v for k, v in projector.signature().items()},
    }
