"""The sentence pairs a study projects over: source entities, target tokens, target gold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlner.align.base import SentencePair
from xlner.corpora import Corpus, get_corpus
from xlner.corpora.mafand_mt import MAFAND_MT
from xlner.study.config import DatasetSpec
from xlner.types import TaggedSentence, Tokens


@dataclass
class LanguageData:
    """One target language: parallel source and target sentences, in the same order."""

    language: str
    source_language: str
    source: list[TaggedSentence]  # source tokens with the entities to project
    target: list[TaggedSentence]  # target tokens with the gold entities
    source_entities: str  # "gold", or the tagger that found them
    extra: dict[str, list[SentencePair]] = field(default_factory=dict)

    @property
    def pairs(self) -> list[SentencePair]:
        return [(s.tokens, t.tokens) for s, t in zip(self.source, self.target, strict=True)]


def load_dataset(
    spec: DatasetSpec, data_dir: Path, progress: Callable[[str], None]
) -> list[LanguageData]:
    """Every language of ``spec``; the corpus must be present in ``data_dir``."""
    corpus = get_corpus(spec.corpus)
    return [_language(spec, corpus, lang, data_dir, progress) for lang in spec.languages]


def _language(
    spec: DatasetSpec,
    corpus: Corpus,
    lang: str,
    data_dir: Path,
    progress: Callable[[str], None],
) -> LanguageData:
    """One language's sentences with their translation; a tagger annotates an untagged side."""
    params = corpus.parameters_in({"lang": lang, "split": spec.split})
    rows = corpus.load_translations(data_dir=data_dir, **params)
    source_lang = rows[0].source_lang if rows else "en"
    extra = _mafand_extra(lang, data_dir)
    gold = [row.source for row in rows if row.source is not None]
    if len(gold) == len(rows):
        target = [row.target for row in rows]
        return LanguageData(lang, source_lang, gold, target, "gold", extra)
    from xlner.tagging.base import get_tagger

    # MAFAND-MT text is untokenised; split punctuation off as the NER corpora do.
    source_tokens = [tokenise(row.source_text) for row in rows]
    keep = [index for index, tokens in enumerate(source_tokens) if tokens]
    tagger = get_tagger(spec.tagger or "spacy", lang=source_lang)
    progress(f"{lang}: tagging {len(keep)} {source_lang} sentences with {tagger.name}")
    spans = tagger.tag([source_tokens[index] for index in keep])
    source = [TaggedSentence(source_tokens[i], s) for i, s in zip(keep, spans, strict=True)]
    target = [rows[index].target for index in keep]
    label = f"tagger:{tagger.name}:{tagger.signature().get('model', '?')}"
    return LanguageData(lang, source_lang, source, target, label, extra)


def _mafand_extra(lang: str, data_dir: Path) -> dict[str, list[SentencePair]]:
    """The MAFAND-MT training split of the language's pair, tokenised like the test side."""
    pair = MAFAND_MT.pair_for(lang)
    if pair is None or "train" not in MAFAND_MT.splits_of[pair]:
        return {}  # no bitext to add (the Europarl languages, or a pair without a train split)
    if not MAFAND_MT.is_present(data_dir):
        return {}
    raw = MAFAND_MT.load_pairs(pair, "train", data_dir=data_dir)
    pairs = [(tokenise(" ".join(s)), tokenise(" ".join(t))) for s, t in raw]
    return {"mafand-train": [(s, t) for s, t in pairs if s and t]}


def tokenise(text: str) -> Tokens:
    from xlner.text import split_words

    return [word.text for word in split_words(text)]


def labels_of(sentences: Sequence[TaggedSentence]) -> list[str]:
    """The classes that occur in ``sentences``: the label set class swaps draw from."""
    return sorted({span.label for sentence in sentences for span in sentence.spans})
