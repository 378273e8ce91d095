"""Gold spans as a "tagger", to evaluate translation, alignment and projection in isolation.

The tagger is given annotated sentences and, asked to tag a sentence, returns the gold spans
of the annotated sentence with the same text. Texts are compared without whitespace, so a
sentence tokenised differently (e.g. a detokenised and re-split translation) still finds its
annotation, and the gold spans are moved onto the given tokens through character offsets.
A sentence without an annotated twin raises KeyError (the pipeline records it as a failure).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.conll import read_conll
from xlner.tagging.base import SourceTagger, register_tagger
from xlner.text import remap_spans, squeezed_offsets
from xlner.types import Span, TaggedSentence, Tokens


@register_tagger("gold")
class GoldTagger(SourceTagger):
    """Looks sentences up in ``sentences`` (or the token-per-line file ``path``)."""

    name = "gold"

    def __init__(
        self, sentences: Sequence[TaggedSentence] | None = None, *, path: str | Path | None = None
    ) -> None:
        annotated = list(sentences or []) + (read_conll(path) if path is not None else [])
        if not annotated:
            raise ValueError("the gold tagger needs sentences= or path=")
        self.table: dict[str, TaggedSentence] = {}
        digest = hashlib.sha256()
        for sentence in annotated:
            key = squeezed_offsets(sentence.tokens)[0]
            self.table.setdefault(key, sentence)
            digest.update(repr((sentence.tokens, sentence.spans)).encode())
        self.digest = digest.hexdigest()[:16]

    def signature(self) -> dict[str, Any]:
        return {"method": self.name, "content": self.digest}

    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        return [self._spans(tokens) for tokens in sentences]

    def _spans(self, tokens: Tokens) -> list[Span]:
        if not tokens:
            return []
        key, offsets = squeezed_offsets(tokens)
        gold = self.table.get(key)
        if gold is None:
            raise KeyError(f"no gold annotation for sentence {' '.join(tokens)[:80]!r}")
        if gold.tokens == list(tokens):
            return list(gold.spans)
        return remap_spans(gold.spans, squeezed_offsets(gold.tokens)[1], offsets)
