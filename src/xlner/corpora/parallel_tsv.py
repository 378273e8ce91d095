"""MasakhaNER 2.0 sentences paired with their human MAFAND-MT translation.

A ``<lang>.<split>.tsv`` file has a header and one row per MasakhaNER 2.0 sentence of that
split, in order. Tab-separated columns, no quoting (quotes in sentences are literal)::

    ner_split ner_sent_idx mafand_pair mafand_split mafand_line_idx src_lang
    source_sentence target_sentence_mafand

``ner_sent_idx`` is the 0-based sentence index in ``masakhaner2/<lang>/<split>.txt``. Rows of
sentences without a MAFAND-MT match keep only the first two columns; the rest are empty.

The files are derived data: :func:`match_sentences` rebuilds them by exact matching of
:func:`normalise`-d text, which reproduces the shipped files byte for byte.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlner.corpora.conll import read_conll
from xlner.corpora.lines import iter_lines
from xlner.errors import InputError
from xlner.io import atomic_write
from xlner.types import TaggedSentence, Tokens

COLUMNS = (
    "ner_split",
    "ner_sent_idx",
    "mafand_pair",
    "mafand_split",
    "mafand_line_idx",
    "src_lang",
    "source_sentence",
    "target_sentence_mafand",
)
# When a sentence occurs in several MAFAND-MT splits, the first in this order wins; this is
# the order that reproduces the shipped files (a few tsn sentences occur twice).
MAFAND_SPLIT_PREFERENCE = ("test", "dev", "train")


@dataclass(frozen=True)
class ParallelRecord:
    """One row: a MasakhaNER 2.0 sentence and, when matched, its MAFAND-MT pair."""

    ner_split: str
    ner_sent_idx: int
    mafand_pair: str | None = None
    mafand_split: str | None = None
    mafand_line_idx: int | None = None
    src_lang: str | None = None
    source_sentence: str | None = None
    target_sentence_mafand: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)  # where it was read

    @property
    def matched(self) -> bool:
        return self.mafand_pair is not None

    def to_fields(self) -> list[str]:
        values = [getattr(self, name) for name in COLUMNS]
        return ["" if value is None else str(value) for value in values]


@dataclass(frozen=True)
class ParallelSentence:
    """A NER-annotated sentence with the human translation it was made from (or into)."""

    record: ParallelRecord
    target: TaggedSentence

    @property
    def source_text(self) -> str:
        return self.record.source_sentence or ""

    @property
    def source_tokens(self) -> Tokens:
        return self.source_text.split()


def read_parallel_tsv(path: str | Path) -> list[ParallelRecord]:
    """Read a parallel TSV file; a wrong header, column count or index is an InputError."""
    records = []
    for number, text in iter_lines(path):
        fields = text.split("\t")
        if number == 1:
            if tuple(fields) != COLUMNS:
                raise InputError(path, 1, f"header is not {' '.join(COLUMNS)}")
            continue
        records.append(_parse_row(fields, path, number))
    return records


def _parse_row(fields: list[str], path: str | Path, number: int) -> ParallelRecord:
    if len(fields) != len(COLUMNS):
        raise InputError(
            path, number, f"{len(fields)} tab-separated columns, expected {len(COLUMNS)}"
        )
    ner_split, ner_idx, pair, mafand_split, mafand_idx, src_lang, source, target = fields
    ner_sent_idx = _parse_index(ner_idx, "ner_sent_idx", path, number)
    if not ner_split or ner_sent_idx is None:
        raise InputError(path, number, "ner_split and ner_sent_idx must not be empty")
    mafand = [pair, mafand_split, mafand_idx, src_lang, source, target]
    if any(mafand) and not all(mafand):
        raise InputError(path, number, "a matched row needs all six MAFAND-MT columns")
    return ParallelRecord(
        ner_split,
        ner_sent_idx,
        pair or None,
        mafand_split or None,
        _parse_index(mafand_idx, "mafand_line_idx", path, number),
        src_lang or None,
        source or None,
        target or None,
        line=number,
    )


def _parse_index(text: str, name: str, path: str | Path, number: int) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise InputError(path, number, f"{name} is not a non-negative integer: {text!r}")
    return int(text)


def write_parallel_tsv(path: str | Path, records: Iterable[ParallelRecord]) -> None:
    """Write records with the header, atomically, in the format :func:`read_parallel_tsv` reads."""
    with atomic_write(path) as out:
        out.write("\t".join(COLUMNS) + "\n")
        for index, record in enumerate(records):
            fields = record.to_fields()
            if any(ch in value for value in fields for ch in "\t\n\r"):
                raise ValueError(f"record {index}: a field contains a tab or a line break")
            out.write("\t".join(fields) + "\n")


def normalise(text: str) -> str:
    """Matching key for a sentence: NFKC, case-folded, letters and digits only.

    MasakhaNER 2.0 is tokenised (``okuketta .``) and MAFAND-MT is not (``okuketta.``), and the
    two differ in case and punctuation here and there; keeping only alphanumerics makes the
    same sentence compare equal. NFKC makes compatibility forms compare equal as well.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def match_sentences(
    ner_sentences: Sequence[Tokens],
    mafand: Mapping[str, tuple[Sequence[str], Sequence[str]]],
    *,
    ner_split: str,
    pair: str,
    src_lang: str,
) -> list[ParallelRecord]:
    """Pair each NER sentence with the MAFAND-MT line whose normalised text is identical.

    ``mafand`` maps a MAFAND-MT split name to its ``(source_lines, target_lines)``; the
    target side is the language of the NER sentences. Every NER sentence gets a record,
    unmatched ones with only ``ner_split`` and ``ner_sent_idx``. A sentence without letters
    or digits is never matched, since its key would match any other such sentence.
    """
    index: dict[str, tuple[str, int, str, str]] = {}
    ordered = [s for s in MAFAND_SPLIT_PREFERENCE if s in mafand]
    ordered += sorted(s for s in mafand if s not in MAFAND_SPLIT_PREFERENCE)
    for split in ordered:
        sources, targets = mafand[split]
        if len(sources) != len(targets):
            raise ValueError(f"MAFAND-MT {pair} {split}: {len(sources)} vs {len(targets)} lines")
        for number, (source, target) in enumerate(zip(sources, targets, strict=True)):
            index.setdefault(normalise(target), (split, number, source, target))
    records = []
    for position, tokens in enumerate(ner_sentences):
        key = normalise(" ".join(tokens))
        hit = index.get(key) if key else None
        if hit is None:
            records.append(ParallelRecord(ner_split, position))
            continue
        split, number, source, target = hit
        records.append(
            ParallelRecord(ner_split, position, pair, split, number, src_lang, source, target)
        )
    return records


def join_with_ner(
    records: Sequence[ParallelRecord],
    ner_sentences: Sequence[TaggedSentence],
    *,
    tsv_path: str | Path | None = None,
    matched_only: bool = True,
) -> list[ParallelSentence]:
    """Attach to each record the NER sentence its ``ner_sent_idx`` points at.

    Raises :class:`~xlner.errors.InputError` at the record's TSV line when the index is out
    of range or when the NER sentence is not the text of ``target_sentence_mafand`` (the
    two files then come from different versions). Unmatched records are left out unless
    ``matched_only`` is false.
    """
    joined = []
    for record in records:
        if matched_only and not record.matched:
            continue
        if record.ner_sent_idx >= len(ner_sentences):
            problem = (
                f"ner_sent_idx {record.ner_sent_idx} is out of range: the NER file has "
                f"{len(ner_sentences)} sentences"
            )
            raise InputError(tsv_path, record.line, problem)
        sentence = ner_sentences[record.ner_sent_idx]
        if record.matched and normalise(record.target_sentence_mafand or "") != normalise(
            " ".join(sentence.tokens)
        ):
            problem = f"target_sentence_mafand is not NER sentence {record.ner_sent_idx}"
            raise InputError(tsv_path, record.line, problem)
        joined.append(ParallelSentence(record, sentence))
    return joined


def load_parallel(
    tsv_path: str | Path, ner_path: str | Path, *, matched_only: bool = True
) -> list[ParallelSentence]:
    """Read a parallel TSV and its MasakhaNER 2.0 file and join them by ``ner_sent_idx``."""
    records = read_parallel_tsv(tsv_path)
    sentences = read_conll(ner_path, "iob2")
    return join_with_ner(records, sentences, tsv_path=tsv_path, matched_only=matched_only)
