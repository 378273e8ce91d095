"""MasakhaNER 2.0 sentences with the human MAFAND-MT translation each was made from or into.

Derived data: ``xlner data fetch masakhaner2-parallel`` builds its files from
``masakhaner2`` and ``mafand-mt`` (:meth:`MasakhaNER2Parallel.match`), and reading it needs
``masakhaner2`` beside it, which holds the entity annotation. The file format is described in
:mod:`xlner.corpora.parallel_tsv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from xlner.corpora.base import Corpus, Translation, register_corpus
from xlner.corpora.mafand_mt import MAFAND_MT
from xlner.corpora.masakhaner2 import MASAKHANER2, SPLITS
from xlner.corpora.parallel_tsv import (
    ParallelRecord,
    ParallelSentence,
    join_with_ner,
    match_sentences,
    read_parallel_tsv,
    write_parallel_tsv,
)
from xlner.types import TaggedSentence


@dataclass(frozen=True)
class MasakhaNER2Parallel(Corpus):
    """One TSV per language and split; ``load`` gives the sentences that have a translation."""

    translated: ClassVar[bool] = True

    def records(
        self, lang: str, split: str, *, data_dir: str | Path | None = None
    ) -> list[ParallelRecord]:
        return read_parallel_tsv(self.path(lang=lang, split=split, data_dir=data_dir))

    def load_parallel(
        self, *, data_dir: str | Path | None = None, matched_only: bool = True, **params: Any
    ) -> list[ParallelSentence]:
        """The NER sentences of ``lang``/``split`` with their English/French translation."""
        args: dict[str, Any] = self.arguments(**params)
        tsv = self.path(data_dir=data_dir, **args)
        sentences = MASAKHANER2.load(data_dir=data_dir, **args)
        records = read_parallel_tsv(tsv)
        return join_with_ner(records, sentences, tsv_path=tsv, matched_only=matched_only)

    def load(self, *, data_dir: str | Path | None = None, **params: Any) -> list[TaggedSentence]:
        """The annotated sentences that have a human translation."""
        return [item.target for item in self.load_parallel(data_dir=data_dir, **params)]

    def load_translations(
        self, *, data_dir: str | Path | None = None, **params: Any
    ) -> list[Translation]:
        return [
            Translation(item.target, item.source_text, item.record.src_lang or "en")
            for item in self.load_parallel(data_dir=data_dir, **params)
        ]

    def translation_pairs(
        self,
        lang: str,
        splits: Sequence[str] | None = None,
        *,
        data_dir: str | Path | None = None,
    ) -> list[tuple[str, str]]:
        """``(translation, NER sentence)`` texts of every matched sentence of ``splits``."""
        pairs = []
        for split in splits or self.choices("split") or ():
            for record in self.records(lang, split, data_dir=data_dir):
                if record.matched and record.source_sentence and record.target_sentence_mafand:
                    pairs.append((record.source_sentence, record.target_sentence_mafand))
        return pairs

    # ------------------------------------------------------------------ building

    def match(
        self, lang: str, split: str, data_dir: str | Path | None = None
    ) -> list[ParallelRecord]:
        """Match the MasakhaNER 2.0 ``lang``/``split`` sentences with every MAFAND-MT split.

        Works for any language that has both corpora; for the languages of this corpus it
        reproduces the published files exactly.
        """
        pair = MAFAND_MT.pair_for(lang)
        if pair is None:
            raise ValueError(f"no MAFAND-MT pair has {lang!r} as its African language")
        source = pair.split("-")[0]
        ner = MASAKHANER2.load(lang=lang, split=split, data_dir=data_dir)
        mafand = {
            mafand_split: (
                MAFAND_MT.lines(pair, mafand_split, source, data_dir=data_dir),
                MAFAND_MT.lines(pair, mafand_split, lang, data_dir=data_dir),
            )
            for mafand_split in MAFAND_MT.choices("split", pair=pair) or ()
        }
        tokens = [sentence.tokens for sentence in ner]
        return match_sentences(tokens, mafand, ner_split=split, pair=pair, src_lang=source)

    def check_sources(self, data_dir: Path) -> None:
        """Every MasakhaNER 2.0 and MAFAND-MT file the build reads, before writing any."""
        for params in self.combinations():
            MASAKHANER2.path(data_dir=data_dir, must_exist=True, **params)
        for lang in self.choices("lang") or ():
            pair = MAFAND_MT.pair_for(lang)
            for combo in MAFAND_MT.combinations():
                if combo["pair"] == pair:
                    MAFAND_MT.path(data_dir=data_dir, must_exist=True, **combo)

    def build_file(self, dest: Path, *, data_dir: Path, **params: str) -> str:
        records = self.match(params["lang"], params["split"], data_dir)
        write_parallel_tsv(dest, records)
        return f"{sum(record.matched for record in records)}/{len(records)} sentences matched"


MASAKHANER2_PARALLEL = register_corpus(
    MasakhaNER2Parallel(
        name="masakhaner2-parallel",
        title=(
            "MasakhaNER 2.0 sentences with their human MAFAND-MT translation (lug tsn twi ewe wol)"
        ),
        folder="masakhaner2-parallel",
        licence="CC BY-NC 4.0",
        citation=f"{MASAKHANER2.citation} {MAFAND_MT.citation}",
        derived_from=(MASAKHANER2.name, MAFAND_MT.name),
        layout="{lang}.{split}.tsv",
        parameter_choices={"lang": ("lug", "tsn", "twi", "ewe", "wol"), "split": SPLITS},
    )
)
