"""String similarity between an entity's surface and a candidate's surface.

Names are often copied or transliterated rather than translated, so their spelling is a
strong hint that needs no model. The comparison ignores case and diacritics and tolerates
affixes: Luganda ``e-Kampala`` and German ``Europas`` should still match ``Kampala`` and
``Europe``, while ``Kampala`` against ``ekibiina`` should not.

A text is normalised word by word (NFKD, combining marks dropped, casefolded, only letters and
digits kept) and written as ``#word#word#``; the ``#`` marks word edges so that n-grams also
see where words start and end. Two measures are taken and the larger one wins:

* Dice over character n-gram multisets (default bigrams) of the padded strings: whole-string
  similarity that degrades gracefully with spelling variants.
* Dice over the longest common substring, ``2 * lcs / (|a| + |b|)``, counted only when the
  substring has at least ``min_match`` characters: robust to a prefix or suffix glued on.

Every candidate is a contiguous piece of the padded target sentence, so both measures are
computed for all candidates at once from prefix sums over that one string.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score
from xlner.registry import registry

EDGE = "#"


def normalise_word(word: str) -> str:
    """Case- and diacritic-free form of a word with only its letters and digits."""
    decomposed = unicodedata.normalize("NFKD", word)
    kept = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in "".join(kept).casefold() if ch.isalnum())


def padded(words: Sequence[str]) -> str:
    """``#w1#w2#`` over the normalised, non-empty words."""
    return EDGE + "".join(w + EDGE for w in map(normalise_word, words) if w)


def padded_with_bounds(words: Sequence[str]) -> tuple[str, np.ndarray]:
    """The padded sentence and, per word boundary k, the index of the ``#`` before word k.

    Words ``s .. e-1`` are then the substring ``text[bounds[s] : bounds[e] + 1]``; words that
    normalise to nothing take no room.
    """
    parts, bounds, pos = [EDGE], [], 0
    for word in words:
        bounds.append(pos)
        norm = normalise_word(word)
        if norm:
            parts.append(norm + EDGE)
            pos += len(norm) + 1
    bounds.append(pos)
    return "".join(parts), np.array(bounds, dtype=np.int64)


def ngram_dice(
    entities: list[str], text: str, lo: np.ndarray, hi: np.ndarray, order: int
) -> np.ndarray:
    """Dice over n-gram multisets between each entity and each substring ``text[lo:hi]``.

    Only an entity's own n-grams can be shared, so each is counted inside every candidate
    from its positions in ``text``: memory grows with the candidates, not with candidates x
    the sentence's n-gram vocabulary (which a sentence of thousands of words cannot hold).
    """
    positions: dict[str, list[int]] = {}
    for j in range(max(len(text) - order + 1, 0)):
        positions.setdefault(text[j : j + order], []).append(j)
    grams_end = np.maximum(hi - order + 1, lo)  # an n-gram inside starts before this
    cand_total = (grams_end - lo).astype(np.float64)
    shared = np.zeros((len(entities), len(lo)))
    ent_total = np.zeros(len(entities))
    for row, ent in enumerate(entities):
        ent_grams = Counter(ent[j : j + order] for j in range(len(ent) - order + 1))
        ent_total[row] = sum(ent_grams.values())
        for gram, count in ent_grams.items():
            if gram in positions:
                found = np.asarray(positions[gram])
                inside = np.searchsorted(found, grams_end) - np.searchsorted(found, lo)
                shared[row] += np.minimum(count, inside)
    total = ent_total[:, None] + cand_total[None, :]
    return np.divide(2 * shared, total, out=np.zeros_like(shared), where=total > 0)


def longest_common_substring(entity: str, text: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Length of the longest common substring of ``entity`` and each ``text[lo:hi]``."""
    a = np.array([ord(ch) for ch in entity])
    t = np.array([ord(ch) for ch in text])
    # run[j]: longest common suffix of entity[:i+1] and text[:j+1]; best[j]: its max over i.
    run = np.zeros(len(t), dtype=np.int64)
    best = np.zeros(len(t), dtype=np.int64)
    for ch in a:
        shifted = np.concatenate([[0], run[:-1]])
        run = np.where(t == ch, shifted + 1, 0)
        np.maximum(best, run, out=best)
    # Inside a substring starting at lo, a run ending at j can use at most j - lo + 1 chars.
    width = int((hi - lo).max(initial=0))
    offsets = np.arange(width)
    pos = lo[:, None] + offsets[None, :]
    inside = pos < hi[:, None]
    runs = np.minimum(best[np.minimum(pos, len(t) - 1)], offsets[None, :] + 1)
    return np.where(inside, runs, 0).max(axis=1, initial=0)


@registry.scores.register("string")
class StringScore(Score):
    """``max(n-gram Dice, longest-common-substring Dice)`` of the normalised surfaces."""

    name = "string"

    def __init__(self, order: int = 2, min_match: int = 4) -> None:
        if order < 1 or min_match < 1:
            raise ValueError("order and min_match must be positive")
        self.order = order
        self.min_match = min_match

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        text, bounds = padded_with_bounds(ctx.target_tokens)
        lo, hi = bounds[ctx.starts], bounds[ctx.ends] + 1
        entities = [padded(ctx.source_tokens[s.start : s.end]) for s in ctx.source_spans]
        dice = ngram_dice(entities, text, lo, hi, self.order)
        lcs = np.vstack([longest_common_substring(e, text, lo, hi) for e in entities])
        lcs = np.where(lcs >= self.min_match, lcs, 0)
        ent_len = np.array([len(e) for e in entities])[:, None]
        lcs_dice = 2 * lcs / (ent_len + (hi - lo)[None, :])
        result = np.maximum(dice, lcs_dice)
        # Texts with no letters or digits (``#`` alone) carry no evidence either way.
        result[ent_len[:, 0] <= 1, :] = 0.0
        result[:, hi - lo <= 1] = 0.0
        return result

    def maximum(self, longest: float) -> float:
        return 1.0


def string_similarity(a: str, b: str, order: int = 2, min_match: int = 4) -> float:
    """The same similarity for two free texts (whitespace-tokenised); handy for inspection."""
    from xlner.project.match.candidates import Candidate
    from xlner.types import Span

    a_words, b_words = a.split(), b.split()
    if not a_words or not b_words:
        return 0.0
    ctx = MatchContext(
        source_tokens=a_words,
        source_spans=[Span(0, len(a_words), "X")],
        target_tokens=b_words,
        links=[],
        candidates=[Candidate(0, len(b_words))],
    )
    return float(StringScore(order, min_match).score(ctx)[0, 0])
