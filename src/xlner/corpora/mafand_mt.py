"""MAFAND-MT: English or French news translated by people into 21 African languages.

A bitext corpus: it has no entity annotation, so ``load`` refuses it. It serves as extra
bitext for a statistical aligner (:meth:`MafandMT.line_pairs`), and as the source of the
human translations of ``masakhaner2-parallel``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from xlner.corpora.base import Choices, Corpus, Origin, register_corpus
from xlner.corpora.bitext import read_bitext, read_raw_lines
from xlner.languages import iso3
from xlner.registry import ComponentError
from xlner.types import TaggedSentence, Tokens

_SPLITS = ("train", "dev", "test")
# Splits published for each pair (five pairs have no training split).
PAIRS: dict[str, tuple[str, ...]] = {
    **{f"en-{lang}": _SPLITS for lang in ("hau", "ibo", "lug", "luo", "pcm", "swa", "tsn")},
    **{f"en-{lang}": _SPLITS for lang in ("twi", "yor", "zul")},
    **{f"en-{lang}": ("dev", "test") for lang in ("amh", "kin", "nya", "sna", "xho")},
    **{f"fr-{lang}": _SPLITS for lang in ("bam", "bbj", "ewe", "fon", "mos", "wol")},
}


@dataclass(frozen=True)
class MafandMT(Corpus):
    """Line-parallel pairs; ``splits_of`` gives the splits published for each pair."""

    splits_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    tagged: ClassVar[bool] = False

    def choices(self, parameter: str, **given: str) -> Choices:
        pair = given.get("pair", "")  # no pair given: in no splits_of
        if pair in self.splits_of and parameter == "split":
            return self.splits_of[pair]
        if pair in self.splits_of and parameter == "lang":
            return tuple(pair.split("-"))
        return super().choices(parameter, **given)

    def load(self, *, data_dir: str | Path | None = None, **params: Any) -> list[TaggedSentence]:
        raise ComponentError(
            f"corpus {self.name!r} is bitext without entity annotation; it serves as "
            "extra bitext for the aligner (align.extra)"
        )

    def pair_for(self, lang: str) -> str | None:
        """The pair whose African side is ``lang`` (``en-lug`` for ``lug``), if there is one."""
        return next((pair for pair in self.splits_of if pair.split("-")[1] == lang), None)

    def lines(
        self, pair: str, split: str, lang: str, *, data_dir: str | Path | None = None
    ) -> list[str]:
        """The untokenised sentences of one side of a pair, one per line."""
        return read_raw_lines(self.path(pair=pair, split=split, lang=lang, data_dir=data_dir))

    def load_pairs(
        self, pair: str, split: str, *, data_dir: str | Path | None = None
    ) -> list[tuple[Tokens, Tokens]]:
        """``(first, second)`` token pairs, split on whitespace (punctuation stays attached)."""
        first, second = self.check("pair", pair).split("-")
        return read_bitext(
            self.path(pair=pair, split=split, lang=first, data_dir=data_dir),
            self.path(pair=pair, split=split, lang=second, data_dir=data_dir),
        )

    def line_pairs(
        self,
        pair: str,
        splits: Sequence[str] = ("train",),
        *,
        source: str | None = None,
        data_dir: str | Path | None = None,
    ) -> list[tuple[str, str]]:
        """The sentence pairs of ``splits``, the ``source`` language's side first.

        ``source`` may be an ISO 639-1 or 639-3 code; without it the pair's order is kept.
        """
        first, second = self.check("pair", pair).split("-")
        if source is not None and iso3(first) != iso3(source):
            first, second = second, first
        lines: list[tuple[str, str]] = []
        for split in splits:
            firsts = self.lines(pair, split, first, data_dir=data_dir)
            seconds = self.lines(pair, split, second, data_dir=data_dir)
            lines.extend(zip(firsts, seconds, strict=True))
        return lines


MAFAND_MT = register_corpus(
    MafandMT(
        name="mafand-mt",
        title="MAFAND-MT: English/French news translated into 21 African languages",
        folder="mafand-mt/text_files",
        licence="CC BY-NC 4.0",
        citation=(
            "David Ifeoluwa Adelani et al. (2022). A Few Thousand Translations Go a Long Way! "
            "Leveraging Pre-trained Models for African News Translation. NAACL 2022."
        ),
        origin=Origin("masakhane-io/lafand-mt", "d441f8b0", "data/text_files"),
        layout="{pair}/{split}.{lang}",
        parameter_choices={
            "pair": tuple(sorted(PAIRS)),
            "split": _SPLITS,
            "lang": tuple(sorted({lang for pair in PAIRS for lang in pair.split("-")})),
        },
        aliases={pair.replace("-", "_"): pair for pair in PAIRS},
        # The upstream folder of en-luo is spelled with an underscore, unlike every other pair.
        spelled={"en-luo": "en_luo"},
        splits_of=PAIRS,
    )
)
