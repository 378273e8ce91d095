"""Words with their character offsets: splitting translations, detokenising tokens.

Translators take and return strings, while taggers, aligners and projectors work on tokens.
Both directions keep a map from every word to its ``[start, end)`` character offsets, so that a
character span found in a string (a bracketed entity in a back-translation, a gold entity in
differently tokenised text) maps to words exactly and no entity is lost to a tokenisation
mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from xlner.types import Span, Tokens

# A word is a run of letters/digits/marks, joined across inner hyphens, apostrophes and the
# dots or commas of numbers ("well-known", "don't", "3.5"); any other non-space character is a
# word of its own, so punctuation is split off as in the CoNLL-style corpora.
WORD_RE = re.compile(r"[^\W_]+(?:[-'’.,·][^\W_]+)*|\S", re.UNICODE)

# No space before closing punctuation nor after opening punctuation when detokenising.
_NO_SPACE_BEFORE = set(".,;:!?%)]}»”’…")
_NO_SPACE_AFTER = set("([{«“‘¿¡")


@dataclass(frozen=True)
class Word:
    """A word and its character offsets in the text it was taken from."""

    text: str
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """Split text into words (punctuation apart) with their character offsets."""
    return [Word(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def tokens_of(words: Sequence[Word]) -> Tokens:
    return [word.text for word in words]


def detokenize(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join tokens into natural text for a translator; return it with each token's offsets.

    Tokens containing whitespace are joined with single spaces inside, so that the offsets
    stay exact; an empty token gets an empty offset range at its position.
    """
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0
    previous = ""
    for token in tokens:
        token = " ".join(token.split())
        if parts and token and _space_between(previous, token):
            parts.append(" ")
            length += 1
        offsets.append((length, length + len(token)))
        parts.append(token)
        length += len(token)
        previous = token or previous
    return "".join(parts), offsets


def _space_between(previous: str, token: str) -> bool:
    if token in _NO_SPACE_BEFORE:
        return False
    if previous in _NO_SPACE_AFTER:
        return False
    # English clitics ("do" + "n't", "John" + "'s") attach to the word before.
    if token.lower() == "n't":
        return False
    return not (token.startswith("'") and len(token) > 1 and token[1:].isalpha())


def char_span_to_words(
    offsets: Sequence[tuple[int, int]], start: int, end: int
) -> tuple[int, int] | None:
    """The words ``[i, j)`` that overlap characters ``[start, end)``; None when none does."""
    inside = [i for i, (s, e) in enumerate(offsets) if s < end and start < e]
    if not inside:
        return None
    return inside[0], inside[-1] + 1


def word_span_to_chars(offsets: Sequence[tuple[int, int]], span: Span) -> tuple[int, int]:
    """The character range covered by the words of ``span``."""
    return offsets[span.start][0], offsets[span.end - 1][1]


def remap_spans(
    spans: Sequence[Span],
    from_offsets: Sequence[tuple[int, int]],
    to_offsets: Sequence[tuple[int, int]],
) -> list[Span]:
    """Move word spans between two tokenisations of the same text, through characters.

    Spans that cover no word of the other tokenisation are dropped; spans that would overlap
    after the move keep the first (in order).
    """
    moved: list[Span] = []
    for span in sorted(spans):
        chars = word_span_to_chars(from_offsets, span)
        words = char_span_to_words(to_offsets, *chars)
        if words is None:
            continue
        new = Span(words[0], words[1], span.label)
        if not any(new.overlaps(other) for other in moved):
            moved.append(new)
    return moved


def squeezed_offsets(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens concatenated without spaces, and each token's offsets in that string.

    Two tokenisations of the same sentence give the same squeezed string, whatever their
    spacing and splitting, which makes it a common ground for :func:`remap_spans`.
    """
    offsets: list[tuple[int, int]] = []
    length = 0
    for token in tokens:
        squeezed = "".join(token.split())
        offsets.append((length, length + len(squeezed)))
        length += len(squeezed)
    return "".join("".join(t.split()) for t in tokens), offsets
