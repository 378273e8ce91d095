"""Gold spans as a "tagger", to evaluate translation, alignment and projection in isolation.

The tagger is given annotated sentences and, asked to tag a sentence, returns the gold spans
of the annotated sentence with the same text. Texts are compared without whitespace, so a
sentence tokenised differently (e.g. a detokenised and re-split translation) still finds its
annotation, and the gold spans are moved onto the given tokens through character offsets.
A sentence without an annotated twin raises KeyError (the pipeline records it as a failure).

The annotated sentences come from ``sentences=`` (programs), ``path=`` (a token-per-line
file) or ``corpus=`` with the corpus's parameters (``lang=``, ``split=``) and ``data_dir=``,
e.g. ``corpus="europarl-ner", lang="en"`` to tag the English side of Europarl-NER.
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
    """Looks sentences up in ``sentences``, the file ``path`` and the corpus ``corpus``."""

    name = "gold"
    # Signed by a hash of the annotations, wherever they were read from.
    unsigned = frozenset({"sentences", "path", "corpus", "lang", "split", "data_dir"})

    def __init__(
        self,
        sentences: Sequence[TaggedSentence] | None = None,
        *,
        path: str | Path | None = None,
        corpus: str | None = None,
        lang: str | None = None,
        split: str | None = None,
        data_dir: str | Path | None = None,
    ) -> None:
        annotated = list(sentences or []) + (read_conll(path) if path is not None else [])
        if corpus is not None:
            annotated += _corpus_sentences(corpus, data_dir, lang=lang, split=split)
        if not annotated:
            raise ValueError("the gold tagger needs sentences=, path= or corpus=")
        self.table: dict[str, TaggedSentence] = {}
        digest = hashlib.sha256()
        for sentence in annotated:
            key = squeezed_offsets(sentence.tokens)[0]
            self.table.setdefault(key, sentence)
            digest.update(repr((sentence.tokens, sentence.spans)).encode())
        self.digest = digest.hexdigest()[:16]

    def derived_signature(self) -> dict[str, Any]:
        return {"content": self.digest}

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


def _corpus_sentences(
    name: str, data_dir: str | Path | None, **params: str | None
) -> list[TaggedSentence]:
    """The sentences of corpus ``name``, given those of its parameters that are set."""
    from xlner.corpora import get_corpus

    given = {key: value for key, value in params.items() if value is not None}
    return list(get_corpus(name).load(data_dir=data_dir, **given))
