"""Existing translations used as a translator: human translations, or a file made elsewhere.

The ``parallel`` translator looks each sentence up by its text (normalised: case, spacing and
punctuation do not matter, see :func:`~xlner.corpora.parallel_tsv.normalise`), so batches and
subsets work and a sentence with no known translation is visible as an empty one (which the
pipeline records as a failure) instead of shifting every later pair.

Sources:

* ``corpus="masakhaner2-parallel", lang="lug", split="test"``: the human English/French
  (MAFAND-MT) of the MasakhaNER 2.0 sentences, in both directions;
* ``path=`` + ``source_path=``: two line-parallel files, sentences and their translations;
* ``pairs=``: a mapping from sentence to translation (for programs and tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.corpora.bitext import read_raw_lines
from xlner.corpora.parallel_tsv import normalise
from xlner.errors import InputError
from xlner.translate.base import TranslationError, Translator, register_translator


@register_translator("parallel")
class ParallelTranslator(Translator):
    """Looks translations up in existing parallel text; ``batch_size`` is irrelevant here."""

    name = "parallel"
    # Signed by where the table came from and a hash of what it holds.
    unsigned = frozenset(
        {"corpus", "lang", "split", "splits", "data_dir", "path", "source_path", "pairs"}
    )
    batch_size = 10_000

    def __init__(
        self,
        *,
        corpus: str | None = None,
        lang: str | None = None,
        split: str | None = None,
        splits: list[str] | None = None,
        data_dir: str | Path | None = None,
        path: str | Path | None = None,
        source_path: str | Path | None = None,
        pairs: Mapping[str, str] | None = None,
    ) -> None:
        self.origin: dict[str, Any] = {}
        table: dict[str, str] = {}
        if corpus is not None:
            table.update(
                _corpus_pairs(corpus, lang, splits or ([split] if split else None), data_dir)
            )
            self.origin = {"corpus": corpus, "lang": lang, "splits": splits or split or "all"}
        if path is not None or source_path is not None:
            table.update(_file_pairs(source_path, path))
            self.origin["path"] = str(path)
        if pairs is not None:
            table.update({sentence: translation for sentence, translation in pairs.items()})
            self.origin["pairs"] = len(pairs)
        if not table:
            raise ValueError(
                "the parallel translator needs corpus=..., path=/source_path= or pairs="
            )
        # Keys are normalised so that tokenised and untokenised text find each other.
        self.table = {normalise(key): value for key, value in table.items() if normalise(key)}
        digest = hashlib.sha256()
        for key in sorted(self.table):
            digest.update(f"{key}\t{self.table[key]}\n".encode())
        self.digest = digest.hexdigest()[:16]

    def derived_signature(self) -> dict[str, Any]:
        return {**self.origin, "content": self.digest}

    def translate_batch(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        return [self.table.get(normalise(text), "") for text in sentences]


def _file_pairs(source_path: str | Path | None, path: str | Path | None) -> dict[str, str]:
    if source_path is None or path is None:
        raise ValueError("give both path= (translations) and source_path= (their sentences)")
    sources, targets = read_raw_lines(source_path), read_raw_lines(path)
    if len(sources) != len(targets):
        raise InputError(
            path, None, f"{len(targets)} translations but {source_path} has {len(sources)} lines"
        )
    return dict(zip(sources, targets, strict=True))


def _corpus_pairs(
    corpus: str, lang: str | None, splits: list[str] | None, data_dir: str | Path | None
) -> dict[str, str]:
    """Both directions of every human translation ``corpus`` holds for ``lang``."""
    from xlner.corpora import all_corpora, get_corpus

    pairs_of = getattr(get_corpus(corpus), "translation_pairs", None)
    if pairs_of is None:
        usable = [c.name for c in all_corpora() if hasattr(c, "translation_pairs")]
        raise TranslationError(f"the parallel translator reads {', '.join(usable)}, not {corpus!r}")
    if lang is None:
        raise ValueError("the parallel translator needs lang= with corpus=")
    table: dict[str, str] = {}
    for source, target in pairs_of(lang, splits, data_dir=data_dir):
        table[target] = source
        table[source] = target
    return table
