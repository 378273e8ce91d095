"""Alignment scores: how well the word alignment links join an entity and a candidate.

* :class:`AlignmentScore` counts the links between the two, normalised by both lengths (the
  score of Politov et al. 2025);
* :class:`CoverageScore` asks which share of the entity's links the candidate receives and
  which share of the candidate's words the entity explains, and treats a word aligned to
  nothing differently from a word aligned elsewhere.

Both read the primary links of the context, or the named link set ``link_set`` (for example
``union`` next to the primary ``intersection``, or the links of a second aligner), so that a
fusion can weigh several alignments of one sentence pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score
from xlner.registry import registry
from xlner.types import Link

Recall = Literal["links", "words"]


def link_matrix(ctx: MatchContext, links: Sequence[Link] | None = None) -> np.ndarray:
    """``(n_source, n_target)`` 0/1 matrix of the (deduplicated) links, ``ctx.links`` by default."""
    links = ctx.links if links is None else links
    n_src, n_tgt = len(ctx.source_tokens), len(ctx.target_tokens)
    matrix = np.zeros((n_src, n_tgt), dtype=np.float64)
    if not links:
        return matrix
    pairs = np.array([(link.src, link.tgt) for link in links], dtype=np.int64)
    bad = (pairs < 0).any(axis=1) | (pairs[:, 0] >= n_src) | (pairs[:, 1] >= n_tgt)
    if bad.any():
        src, tgt = pairs[np.argmax(bad)]
        raise ValueError(f"link {src}-{tgt} is outside a {n_src} x {n_tgt} sentence pair")
    matrix[pairs[:, 0], pairs[:, 1]] = 1.0
    return matrix


def entity_matrix(ctx: MatchContext) -> np.ndarray:
    """``(n_entities, n_source)`` 0/1 matrix: which source words belong to which entity."""
    matrix = np.zeros((len(ctx.source_spans), len(ctx.source_tokens)), dtype=np.float64)
    for row, span in enumerate(ctx.source_spans):
        matrix[row, span.start : span.end] = 1.0
    return matrix


def candidate_sums(ctx: MatchContext, per_word: np.ndarray) -> np.ndarray:
    """``(rows, n_candidates)``: the sum of each row of ``(rows, n_target)`` over each candidate."""
    prefix = np.concatenate([np.zeros((per_word.shape[0], 1)), per_word.cumsum(1)], axis=1)
    return prefix[:, ctx.ends] - prefix[:, ctx.starts]


def link_counts(ctx: MatchContext, links: Sequence[Link] | None = None) -> np.ndarray:
    """``(n_entities, n_candidates)`` number of links between entity and candidate words."""
    per_target = entity_matrix(ctx) @ link_matrix(ctx, links)  # links of each entity per word
    return candidate_sums(ctx, per_target)


def _named(base: str, link_set: str | None) -> str:
    return base if link_set is None else f"{base}:{link_set}"


@registry.scores.register("alignment")
class AlignmentScore(Score):
    """``2 * links(e, c) / (|e| + |c|)`` (Politov et al. 2025).

    Dividing by both lengths makes a candidate padded with unaligned words score lower than
    the bare one. With many-to-many links the value can exceed 1. ``link_set`` names the
    link set to count (default: the primary links); the score is then called
    ``alignment:<link_set>``.
    """

    signed_as = {"link_set": "links"}
    signed_when_set = frozenset({"link_set"})  # the primary links are signed as before

    def __init__(self, link_set: str | None = None) -> None:
        self.link_set = link_set
        self.name = _named("alignment", link_set)

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        total = ctx.entity_lengths[:, None] + ctx.candidate_lengths[None, :]
        return 2.0 * link_counts(ctx, ctx.links_for(self.link_set)) / total

    def maximum(self, longest: float) -> float:
        # links <= |e| * |c|, so 2 * links / (|e| + |c|) < 2 * |c| <= 2 * longest.
        return 2.0 * longest


@registry.scores.register("coverage")
class CoverageScore(Score):
    """F-measure of how much of the entity's alignment the candidate covers (recall) and how
    much of the candidate the entity's alignment explains (precision).

    Precision over the candidate's words: a word linked to the entity is a hit; a word linked
    only to source words outside the entity is a miss; a word linked to nothing is a fraction
    ``unaligned`` of a miss, since aligners leave many words of a name (articles,
    prepositions, ``Comisión *de* Asuntos``) unaligned.

    Recall over the entity (``recall="links"``): its links that land inside the candidate
    are hits, those that land outside are misses, and each entity word with no link at all
    counts ``unlinked`` of a miss. With ``recall="words"`` an entity word with any link
    into the candidate is a hit instead, so a one-to-many word (``UK`` -> ``Vereinigte
    Königreich``) is covered by either half.

    Unlike :class:`AlignmentScore`, unaligned target words inside a name cost little
    (``política de la competencia`` for ``competition policy``), while a word aligned
    elsewhere costs in full; at an edge an unaligned word only lowers precision, so
    candidates still stop at the last aligned word. The value lies in [0, 1].
    """

    signed_as = {"link_set": "links"}

    def __init__(
        self,
        link_set: str | None = None,
        unaligned: float = 0.25,
        unlinked: float = 0.5,
        recall: Recall = "links",
        beta: float = 1.0,
    ) -> None:
        if unaligned < 0 or unlinked < 0 or beta <= 0:
            raise ValueError("unaligned and unlinked must be >= 0 and beta > 0")
        if recall not in ("links", "words"):
            raise ValueError(f"recall must be 'links' or 'words', got {recall!r}")
        self.link_set = link_set
        self.unaligned = unaligned
        self.unlinked = unlinked
        self.recall: Recall = recall
        self.beta = beta
        self.name = _named("coverage", link_set)

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        links = link_matrix(ctx, ctx.links_for(self.link_set))
        entities = entity_matrix(ctx)
        # Per entity and target word: linked to the entity; linked to another source word.
        own = entities @ links > 0
        other = (1.0 - entities) @ links > 0
        aligned = links.any(axis=0)
        hits = candidate_sums(ctx, own.astype(np.float64))
        misses = candidate_sums(ctx, (~own & other).astype(np.float64))
        loose = candidate_sums(ctx, np.broadcast_to(~aligned, own.shape).astype(np.float64))
        precision = _ratio(hits, hits + misses + self.unaligned * loose)
        linked_words = links.any(axis=1).astype(np.float64)
        unlinked = (entities @ (1.0 - linked_words))[:, None]
        if self.recall == "links":
            per_word = entities @ links  # links of each entity to each target word
            inside = candidate_sums(ctx, per_word)
            outside = per_word.sum(axis=1)[:, None] - inside
        else:
            # word s has a link into candidate c
            into = candidate_sums(ctx, links) > 0
            inside = entities @ into.astype(np.float64)
            outside = (entities @ linked_words)[:, None] - inside
        recall = _ratio(inside, inside + outside + self.unlinked * unlinked)
        b2 = self.beta**2
        return _ratio((1 + b2) * precision * recall, b2 * precision + recall)

    def maximum(self, longest: float) -> float:
        return 1.0


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``num`` is 0 (so 0 / 0 is 0)."""
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=num > 0)
