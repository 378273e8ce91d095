"""Alignment score: how many word alignment links join an entity and a candidate."""

from __future__ import annotations

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score


def link_matrix(ctx: MatchContext) -> np.ndarray:
    """``(n_source, n_target)`` 0/1 matrix of the (deduplicated) links."""
    n_src, n_tgt = len(ctx.source_tokens), len(ctx.target_tokens)
    matrix = np.zeros((n_src, n_tgt), dtype=np.float64)
    if not ctx.links:
        return matrix
    pairs = np.array([(link.src, link.tgt) for link in ctx.links], dtype=np.int64)
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


def link_counts(ctx: MatchContext) -> np.ndarray:
    """``(n_entities, n_candidates)`` number of links between entity and candidate words."""
    per_target = entity_matrix(ctx) @ link_matrix(ctx)  # links of each entity to each word
    prefix = np.concatenate([np.zeros((per_target.shape[0], 1)), per_target.cumsum(1)], axis=1)
    return prefix[:, ctx.ends] - prefix[:, ctx.starts]


class AlignmentScore(Score):
    """``2 * links(e, c) / (|e| + |c|)`` (Politov et al. 2025).

    Dividing by both lengths makes a candidate padded with unaligned words score lower than
    the bare one. With many-to-many links the value can exceed 1.
    """

    name = "alignment"

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        total = ctx.entity_lengths[:, None] + ctx.candidate_lengths[None, :]
        return 2.0 * link_counts(ctx) / total
