"""Europarl-NER: 799 Europarl sentences in English, German, Spanish and Italian, annotated.

Sentence *i* of every language is the same sentence, so the English gold entities can be
projected onto the other three and scored against their own gold annotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from xlner.corpora.base import Corpus, Origin, Translation, register_corpus
from xlner.types import TaggedSentence


@dataclass(frozen=True)
class EuroparlNer(Corpus):
    """Sentence-parallel test sets; ``pivot`` is the language projected from."""

    pivot: str = "en"
    translated: ClassVar[bool] = True

    def load_languages(
        self, languages: Sequence[str], *, data_dir: str | Path | None = None
    ) -> dict[str, list[TaggedSentence]]:
        """The sentences of each language, checked to be sentence-parallel."""
        loaded = {lang: self.load(lang=lang, data_dir=data_dir) for lang in languages}
        counts = {lang: len(sentences) for lang, sentences in loaded.items()}
        if len(set(counts.values())) > 1:
            raise ValueError(f"{self.name} files are not sentence-parallel: {counts}")
        return loaded

    def load_translations(
        self, *, data_dir: str | Path | None = None, **params: Any
    ) -> list[Translation]:
        """The sentences of ``lang`` with the ``pivot`` sentences and their gold entities."""
        lang = self.arguments(**params)["lang"]
        loaded = self.load_languages((self.pivot, lang), data_dir=data_dir)
        return [
            Translation(target, " ".join(source.tokens), self.pivot, source)
            for source, target in zip(loaded[self.pivot], loaded[lang], strict=True)
        ]


EUROPARL_NER = register_corpus(
    EuroparlNer(
        name="europarl-ner",
        title="Europarl-NER: 799 sentence-parallel test sentences in en, de, es, it",
        folder="europarl-ner",
        licence='Europarl terms ("no known copyright restrictions")',
        citation=(
            "Rodrigo Agerri, Yiling Chung, Itziar Aldabe, Nora Aranberri, Gorka Labaka and "
            "German Rigau (2018). Building Named Entity Recognition Taggers via Parallel "
            "Corpora. LREC 2018."
        ),
        origin=Origin(
            "ixa-ehu/ner-evaluation-corpus-europarl", "40e84e215a35c7e46c1b169ad88ab55108a8b0de"
        ),
        layout="{lang}-europarl.test.conll02",
        parameter_choices={"lang": ("en", "de", "es", "it")},
    )
)
