"""The bitext a silver corpus is made from: sentence pairs with where each came from.

Three sources: two line-parallel files (plain text, or gzip when a name ends in ``.gz``), a
Parquet file with a text column for each side, or a named bitext corpus (MAFAND-MT) and one
of its pairs, split by split. Files are streamed (Parquet in row batches), so memory stays
flat. Each pair keeps its :class:`Provenance` (corpus, pair, split and the 1-based line in
both files; for Parquet the 1-based row, and the file as both files), which every silver
sentence carries to the outputs.

Text is read with runs of whitespace made one space, so a pair's ``text`` is what the
character offsets of the outputs index. A pair with an empty side is kept here (marked by
an empty text) so that the line numbers of every later pair stay right: the job drops it and
counts it (``empty_line``); pairing is never shifted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xlner.corpora import get_corpus, iter_bitext
from xlner.corpora.base import all_corpora
from xlner.registry import ComponentError
from xlner.silver.parquet import iter_text_pairs
from xlner.text import Word, split_words

# How the text of a pair is cut into tokens: ``words`` splits punctuation off as the
# CoNLL-style corpora (MasakhaNER) do; ``whitespace`` keeps tokens as they are, for text that
# is tokenised already.
TOKENIZERS = ("words", "whitespace")
_NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True)
class Provenance:
    """Where a sentence pair was read: corpus/pair/split for a named corpus (else None), the
    1-based line number in both files, and the two files (relative to the data directory for
    a named corpus)."""

    corpus: str | None
    pair: str | None
    split: str | None
    line: int
    source_file: str
    target_file: str

    @property
    def id(self) -> str:
        """``mafand-mt/en-swa/train/17``, or ``target-file:17`` for files of one's own."""
        if self.corpus is None:
            return f"{self.target_file}:{self.line}"
        return f"{self.corpus}/{self.pair}/{self.split}/{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BitextPair:
    """One line of each side, whitespace-normalised, with its provenance."""

    source: str
    target: str
    provenance: Provenance

    @property
    def empty(self) -> bool:
        return not self.source or not self.target


def has_text(text: str) -> bool:
    """True when ``text`` holds a visible character: not only whitespace, control and format
    characters (NUL, DEL, a byte-order mark, direction marks), unassigned or private-use
    code points and U+FFFD (what a decoder puts for bytes it could not read)."""
    return any(unicodedata.category(char)[0] not in "CZ" and char != "\ufffd" for char in text)


def read_files(source: str | Path, target: str | Path) -> list[BitextPair]:
    """The pairs of two line-parallel files; files of different lengths are an InputError
    naming both files and their line counts."""
    return list(iter_files(source, target))


def iter_files(source: str | Path, target: str | Path) -> Iterator[BitextPair]:
    """:func:`read_files` one pair at a time (the files are streamed; a difference in length
    is found, and raised, at the end of the shorter one)."""
    lines = iter_bitext(source, target, allow_empty=True)
    for n, (src, tgt) in enumerate(lines, start=1):
        where = Provenance(None, None, None, n, str(source), str(target))
        yield BitextPair(" ".join(src), " ".join(tgt), where)


def iter_parquet(path: str | Path, columns: Sequence[str]) -> Iterator[BitextPair]:
    """The pairs of a Parquet file's two text ``columns`` (source first), read in row
    batches; ``line`` is the 1-based row. A missing column, a column that is not text, a
    null cell or a file that is not Parquet is an InputError naming the file (and row)."""
    for row, src, tgt in iter_text_pairs(path, columns):
        where = Provenance(None, None, None, row, str(path), str(path))
        yield BitextPair(" ".join(src.split()), " ".join(tgt.split()), where)


def bitext_corpora() -> list[str]:
    """The names of the corpora that hold bitext (they offer ``line_pairs``)."""
    return [corpus.name for corpus in all_corpora() if hasattr(corpus, "line_pairs")]


def read_corpus(
    name: str,
    pair: str,
    splits: Sequence[str] = (),
    *,
    data_dir: str | Path | None = None,
) -> list[BitextPair]:
    """The pairs of corpus ``name``'s ``pair`` in ``splits`` (all of the pair's by default),
    its first language as the source side."""
    corpus = get_corpus(name)
    if not hasattr(corpus, "line_pairs"):
        raise ComponentError(
            f"corpus {name!r} is not bitext; bitext corpora: {', '.join(bitext_corpora())}"
        )
    pair = corpus.check("pair", pair)
    first, second = pair.split("-")
    pairs: list[BitextPair] = []
    for split in splits or corpus.choices("split", pair=pair) or ():
        split = corpus.check("split", split, pair=pair)
        files = [corpus.relpath(pair=pair, split=split, lang=lang) for lang in (first, second)]
        lines = corpus.line_pairs(pair, [split], source=first, data_dir=data_dir)
        for number, (src, tgt) in enumerate(lines, start=1):
            where = Provenance(name, pair, split, number, *files)
            pairs.append(BitextPair(" ".join(src.split()), " ".join(tgt.split()), where))
    return pairs


def languages_of(pair: str) -> tuple[str, str]:
    """``en-swa`` -> ``("en", "swa")``: the source and the target language of a pair."""
    first, _, second = pair.partition("-")
    return first, second


def tokenize(text: str, how: str = "words") -> list[Word]:
    """The tokens of ``text`` with their character offsets (see :data:`TOKENIZERS`)."""
    if how == "words":
        return split_words(text)
    if how == "whitespace":
        return [Word(m.group(), m.start(), m.end()) for m in _NON_SPACE.finditer(text)]
    raise ComponentError(f"unknown tokenizer {how!r}; choose from {', '.join(TOKENIZERS)}")


# ---------------------------------------------------------------------------- a job's input
# The bitext of a silver job (xlner.silver.runner.SilverSettings), one of four kinds: each
# opens its pairs from the start, names itself in messages and says what the summary
# records of it, and which files it reads (checked against the job's outputs).


@dataclass(frozen=True)
class BitextFiles:
    """Two line-parallel files, plain or gzip."""

    source: Path
    target: Path

    def open(self, data_dir: Path | None) -> Iterable[BitextPair]:
        return iter_files(self.source, self.target)

    @property
    def name(self) -> str:
        return f"{self.source} and {self.target}"

    def fields(self) -> dict[str, Any]:
        return {"source": str(self.source), "target": str(self.target)}

    def paths(self) -> dict[str, Path]:
        """The input files by the field that names them."""
        return {"source": self.source, "target": self.target}


@dataclass(frozen=True)
class BitextParquet:
    """A Parquet file with a text column for each side, the source's first."""

    path: Path
    columns: tuple[str, str]

    def open(self, data_dir: Path | None) -> Iterable[BitextPair]:
        return iter_parquet(self.path, self.columns)

    @property
    def name(self) -> str:
        return str(self.path)

    def fields(self) -> dict[str, Any]:
        return {"bitext": str(self.path), "columns": list(self.columns)}

    def paths(self) -> dict[str, Path]:
        return {"bitext": self.path}


@dataclass(frozen=True)
class BitextCorpus:
    """A pair of a named bitext corpus (MAFAND-MT), its first language the source side; some
    of its splits, or all of them."""

    corpus: str
    pair: str
    splits: tuple[str, ...] = ()

    def open(self, data_dir: Path | None) -> Iterable[BitextPair]:
        return read_corpus(self.corpus, self.pair, self.splits, data_dir=data_dir)

    @property
    def name(self) -> str:
        return f"{self.corpus} {self.pair}"

    def fields(self) -> dict[str, Any]:
        return {"corpus": self.corpus, "pair": self.pair, "splits": list(self.splits or ["all"])}

    def paths(self) -> dict[str, Path]:
        return {}


@dataclass(frozen=True)
class BitextPairs:
    """Pairs read already (the silver benchmark keys its stage by them)."""

    pairs: tuple[BitextPair, ...]
    label: str
    described: Mapping[str, Any] = field(default_factory=dict)

    def open(self, data_dir: Path | None) -> Iterable[BitextPair]:
        return self.pairs

    @property
    def name(self) -> str:
        return self.label

    def fields(self) -> dict[str, Any]:
        return dict(self.described)

    def paths(self) -> dict[str, Path]:
        return {}


Bitext = BitextFiles | BitextParquet | BitextCorpus | BitextPairs
