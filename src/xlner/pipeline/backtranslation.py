"""Back-translation refinement of translate-test projection (Politov et al., 2025).

Translate-test tags a translation of the target sentence and projects the entities back over
a cross-lingual word alignment, which is the weak step for low-resource languages. The
refinement translates the tagged translation *back* into the target language with its
entities marked by brackets (``[John Smith] visited [Kampala]``), so that the entities can be
found in a sentence of the same language as the original and aligned to it monolingually,
where identical and similar words make alignment easy.

1. :func:`mark_entities`: the source sentence with every entity in square brackets;
2. the marked sentence is translated back; each entity is also translated on its own;
3. :func:`recover_entities`: find the bracketed spans in the back-translation and decide which
   marked span is which entity, by fuzzy string matching against the separately translated
   entities (and the original entity text, as names often stay the same), so that lost
   markers, merged entities and reordered entities are handled;
4. :func:`similar_word_links` + a statistical aligner align the original target sentence to
   the back-translation (:func:`monolingual_links`);
5. projection either from the back-translation alone, or *combined*
   (:func:`combined_links`): the cross-lingual links of each entity plus its monolingual links
   carried back onto the source entity's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from xlner.text import char_span_to_words, detokenize, split_words
from xlner.types import Link, Span, Tokens

OPEN, CLOSE = "[", "]"
# Brackets already in the text would be read as markers; they become parentheses.
_NEUTRAL = str.maketrans({OPEN: "(", CLOSE: ")"})


@dataclass(frozen=True)
class RecoveredSpan:
    """An entity found in the back-translation: its words there and the source entity index."""

    span: Span
    entity: int
    similarity: float


@dataclass
class Recovery:
    """The back-translation as words, the entities found in it, and what went missing."""

    tokens: Tokens
    spans: list[RecoveredSpan]
    n_marked: int  # bracketed spans found in the translation
    lost: list[int]  # indices of source entities not found


# ---------------------------------------------------------------------------- marking


def mark_entities(tokens: Sequence[str], spans: Sequence[Span]) -> str:
    """The detokenised sentence with each entity between ``[`` and ``]``."""
    words = [token.translate(_NEUTRAL) for token in tokens]
    for span in sorted(spans, reverse=True):
        words.insert(span.end, CLOSE)
        words.insert(span.start, OPEN)
    return detokenize(words)[0]


def parse_marked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove the brackets of ``text``; return the clean text and the bracketed char ranges.

    Nested brackets make one span (the outermost), a ``]`` with no open bracket is dropped
    and a ``[`` never closed marks nothing: a lost marker loses only its own entity. Empty
    brackets mark nothing.
    """
    clean: list[str] = []
    ranges: list[tuple[int, int]] = []
    length = depth = opened = 0
    for char in text:
        if char == OPEN:
            opened = length if depth == 0 else opened
            depth += 1
        elif char == CLOSE:
            if depth == 1:
                ranges.append((opened, length))
            depth = max(depth - 1, 0)
        else:
            clean.append(char)
            length += 1
    joined = "".join(clean)
    # Spaces next to a bracket ("[ Kampala ]") are not part of the entity.
    trimmed = [_trim(joined, start, end) for start, end in ranges]
    return joined, [(s, e) for s, e in trimmed if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# ---------------------------------------------------------------------------- recovery


def similarity(a: str, b: str) -> float:
    """Case-insensitive similarity of two strings in [0, 1] (difflib's ratio)."""
    a, b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def recover_entities(
    back_translation: str,
    entities: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
    *,
    min_similarity: float = 0.5,
    search_unmarked: float | None = 0.85,
) -> Recovery:
    """Find which bracketed span of ``back_translation`` is which source entity.

    ``entities[i]`` holds the strings entity *i* may appear as in the back-translation (its
    separate translation and its original text) and ``labels[i]`` its class. A marked span
    is assigned to the entity whose strings it resembles most (one-to-one, globally optimal);
    when there are as many marked
    spans as entities, the assignment is accepted as it is (the markers survived, only their
    order may have changed), otherwise only pairs at least ``min_similarity`` alike are. A
    marked span that holds two or more entities (merged markers) is split where those
    entities' strings occur inside it. An entity whose markers were lost is then looked for
    in the unmarked words, and accepted if at least ``search_unmarked`` alike (None: never).
    """
    clean, ranges = parse_marked(back_translation)
    words = split_words(clean)
    offsets = [(w.start, w.end) for w in words]
    marked = [r for r in (char_span_to_words(offsets, s, e) for s, e in ranges) if r]
    marked = _split_merged(marked, [w.text for w in words], entities, min_similarity)
    tokens = [w.text for w in words]
    found = _assign(marked, tokens, entities, min_similarity)
    if search_unmarked is not None:
        found += _search_unmarked(found, tokens, entities, search_unmarked)
    spans = [
        RecoveredSpan(Span(a, b, labels[entity] if labels else "ENT"), entity, sim)
        for (a, b), entity, sim in sorted(found)
    ]
    recovered = {r.entity for r in spans}
    lost = [i for i in range(len(entities)) if i not in recovered]
    return Recovery(tokens, spans, len(ranges), lost)


def _text(words: Sequence[str], start: int, end: int) -> str:
    return " ".join(words[start:end])


def _best(words: Sequence[str], start: int, end: int, strings: Sequence[str]) -> float:
    return max((similarity(_text(words, start, end), s) for s in strings), default=0.0)


def _assign(
    marked: list[tuple[int, int]],
    words: Sequence[str],
    entities: Sequence[Sequence[str]],
    min_similarity: float,
) -> list[tuple[tuple[int, int], int, float]]:
    # numpy and scipy are imported here, where they are used: this module's types are read
    # by every pipeline module, and `xlner --help` should not wait for scipy.
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if not marked or not entities:
        return []
    sim = np.array([[_best(words, a, b, strings) for strings in entities] for a, b in marked])
    # A small bonus for keeping the original order breaks ties between equally similar
    # entities (e.g. two untranslated names of the same length) in favour of the order.
    n, m = sim.shape
    order = 1 - np.abs(
        np.arange(n)[:, None] / max(n - 1, 1) - np.arange(m)[None, :] / max(m - 1, 1)
    )
    rows, cols = linear_sum_assignment(-(sim + 0.05 * order))
    trust_all = n == m
    return [
        (marked[r], int(c), float(sim[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if trust_all or sim[r, c] >= min_similarity
    ]


def _split_merged(
    marked: list[tuple[int, int]],
    words: Sequence[str],
    entities: Sequence[Sequence[str]],
    min_similarity: float,
) -> list[tuple[int, int]]:
    """Split marked spans that contain two or more entities, when fewer spans than entities."""
    if len(marked) >= len(entities):
        return marked
    out: list[tuple[int, int]] = []
    for start, end in marked:
        parts = _entity_windows(start, end, words, entities, min_similarity)
        out.extend(parts if len(parts) >= 2 else [(start, end)])
    return out


def _entity_windows(
    start: int,
    end: int,
    words: Sequence[str],
    entities: Sequence[Sequence[str]],
    min_similarity: float,
) -> list[tuple[int, int]]:
    """Non-overlapping word windows inside ``[start, end)`` that each match an entity well."""
    candidates: list[tuple[float, int, int]] = []
    for strings in entities:
        best = (0.0, 0, 0)
        for a in range(start, end):
            for b in range(a + 1, end + 1):
                score = _best(words, a, b, strings)
                if score > best[0]:
                    best = (score, a, b)
        # Splitting needs a clear match: a merged span is a real loss only when unsure.
        if best[0] >= max(min_similarity, 0.75):
            candidates.append(best)
    chosen: list[tuple[int, int]] = []
    for _, a, b in sorted(candidates, reverse=True):
        if all(b <= c or d <= a for c, d in chosen):
            chosen.append((a, b))
    return sorted(chosen)


def _search_unmarked(
    found: list[tuple[tuple[int, int], int, float]],
    words: Sequence[str],
    entities: Sequence[Sequence[str]],
    threshold: float,
) -> list[tuple[tuple[int, int], int, float]]:
    """Windows of words outside every recovered span that match a lost entity closely."""
    taken = [span for span, _, _ in found]
    done = {entity for _, entity, _ in found}
    extra: list[tuple[tuple[int, int], int, float]] = []
    for entity, strings in enumerate(entities):
        if entity in done:
            continue
        longest = max((len(s.split()) for s in strings), default=1) + 1
        best: tuple[float, int, int] = (0.0, 0, 0)
        for a in range(len(words)):
            for b in range(a + 1, min(len(words), a + longest) + 1):
                if any(a < d and c < b for c, d in taken):
                    break
                score = _best(words, a, b, strings)
                if score > best[0]:
                    best = (score, a, b)
        if best[0] >= threshold:
            taken.append((best[1], best[2]))
            extra.append(((best[1], best[2]), entity, best[0]))
    return extra


# ---------------------------------------------------------------------------- alignment


def similar_word_links(
    source: Sequence[str], target: Sequence[str], *, min_similarity: float = 0.8
) -> list[Link]:
    """Links between words of the same language that are identical or nearly so.

    Each source word links to its most similar target word (ties: the one at the closest
    relative position), if at least ``min_similarity`` alike; short words (under 3 letters)
    must be identical, since "a"/"e" or "of"/"on" are alike by chance.
    """
    links: list[Link] = []
    if not source or not target:
        return links
    for i, word in enumerate(source):
        best: tuple[float, float, int] | None = None
        for j, other in enumerate(target):
            short = min(len(word), len(other)) < 3
            score = (
                1.0
                if word.casefold() == other.casefold()
                else (0.0 if short else similarity(word, other))
            )
            if score < min_similarity:
                continue
            distance = abs(i / len(source) - j / len(target))
            if best is None or (score, -distance) > (best[0], -best[1]):
                best = (score, distance, j)
        if best is not None:
            links.append(Link(i, best[2], best[0]))
    return links


def monolingual_links(
    aligned: Sequence[Sequence[Link]],
    pairs: Sequence[tuple[Tokens, Tokens]],
    *,
    min_similarity: float = 0.8,
) -> list[list[Link]]:
    """The union of a statistical aligner's links and :func:`similar_word_links`, per pair."""
    out = []
    for links, (source, target) in zip(aligned, pairs, strict=True):
        table = {(link.src, link.tgt): link for link in links}
        for link in similar_word_links(source, target, min_similarity=min_similarity):
            table.setdefault((link.src, link.tgt), link)
        out.append(sorted(table.values()))
    return out


def combined_links(
    source_spans: Sequence[Span],
    cross_links: Sequence[Link],
    recovered: Sequence[RecoveredSpan],
    mono_links: Sequence[Link],
) -> list[Link]:
    """Cross-lingual links plus each recovered entity's monolingual links, on source words.

    A link from word *k* of a recovered span to target word *t* becomes a link from the word
    at the same relative position in the source entity to *t*, so that any projector sees one
    alignment of the source sentence, supported by both routes.
    """
    table = {(link.src, link.tgt): link for link in cross_links}
    for item in recovered:
        if not 0 <= item.entity < len(source_spans):
            continue
        entity, span = source_spans[item.entity], item.span
        for link in mono_links:
            if span.start <= link.src < span.end:
                relative = (link.src - span.start) * len(entity) // len(span)
                source_word = entity.start + min(relative, len(entity) - 1)
                table.setdefault((source_word, link.tgt), Link(source_word, link.tgt, link.score))
    return sorted(table.values())
