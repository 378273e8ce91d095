"""Evaluation sentences that must never enter silver data.

A silver corpus built from MAFAND-MT would otherwise hold most of the MasakhaNER 2.0 test
sentences of several languages (lug, luo, tsn, twi, ewe, wol, bam, mos ...), and a tagger
trained on it would be evaluated on its own training data. An exclusion is a set of
sentences, compared with the target side of the bitext by the normalised text
(:func:`xlner.corpora.parallel_tsv.normalise`: NFKC, case-folded, letters and digits only)
by which ``masakhaner2-parallel`` matched MasakhaNER 2.0 with MAFAND-MT, so tokenisation,
case and punctuation do not hide a match. A sentence without letters or digits matches
nothing (its key would match every such sentence).

Exclusions come from files (token-per-line, or one sentence a line) or from a named corpus
and split (``masakhaner2``, ``lang``, ``test``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlner.corpora import get_corpus, read_conll, read_sentences
from xlner.corpora.conll import DOCSTART
from xlner.corpora.lines import iter_lines
from xlner.corpora.parallel_tsv import normalise
from xlner.errors import InputError
from xlner.registry import ComponentError
from xlner.tags import UNKNOWN, TagError, split_tag
from xlner.types import Tokens

# The splits of an evaluation corpus excluded when none are named: its test set.
DEFAULT_SPLITS = ("test",)


@dataclass
class Exclusion:
    """One evaluation set: its name, the keys of its sentences, and how often it matched."""

    name: str
    sentences: int
    keys: set[str]
    matched: int = field(default=0)

    @classmethod
    def of(cls, name: str, sentences: Iterable[Tokens | str]) -> Exclusion:
        texts = [s if isinstance(s, str) else " ".join(s) for s in sentences]
        return cls(name, len(texts), {key for text in texts if (key := normalise(text))})

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "sentences": self.sentences, "matched": self.matched}


def from_file(path: str | Path) -> Exclusion:
    """The sentences of a token-per-line file (each line ``token ... tag``), or else of a file
    with one sentence a line.

    The first non-blank line decides: two columns or more, the last a tag (``O``, ``B-PER``
    ...), mean token-per-line, whose faults are then reported as for any such file; anything
    else is one sentence a line.
    """
    if is_token_per_line(path):
        sentences = [s.tokens for s in read_conll(path, "auto", unknown=True)]
    else:
        sentences = [tokens for tokens in read_sentences(path, allow_empty=True) if tokens]
    if not sentences:
        raise InputError(path, None, "no sentence to exclude: the file is empty")
    return Exclusion.of(str(path), sentences)


def is_token_per_line(path: str | Path) -> bool:
    """Whether the first non-blank line of ``path`` is ``token ... tag`` (two columns or more,
    the last a tag): token-per-line; else one sentence a line."""
    for _, text in iter_lines(path):
        fields = text.split()
        if fields and fields[0] != DOCSTART:
            return len(fields) >= 2 and _is_tag(fields[-1])
    return False


def _is_tag(text: str) -> bool:
    if text == UNKNOWN:  # partial labels
        return True
    try:
        split_tag(text)
    except TagError:
        return False
    return True


def from_corpus(
    name: str, lang: str | None, split: str, *, data_dir: str | Path | None = None
) -> Exclusion:
    """The sentences of corpus ``name`` (its ``lang`` where it has languages) in ``split``."""
    corpus = get_corpus(name)
    params = corpus.parameters_in({"lang": lang, "split": split})
    if "lang" in corpus.parameters and lang is None:
        raise ComponentError(
            f"excluding corpus {name!r} needs the target language (--lang with --source/--target)"
        )
    sentences = corpus.load(data_dir=data_dir, **params)
    label = " ".join([name, *(str(v) for v in params.values())])
    return Exclusion.of(label, [s.tokens for s in sentences])


def gather(
    files: Sequence[str | Path] | None,
    corpora: Sequence[str] | None,
    splits: Sequence[str] | None,
    lang: str | None,
    data_dir: str | Path | None = None,
) -> list[Exclusion]:
    """The exclusions of ``--exclude FILE`` and ``--exclude-corpus NAME`` (each in every split
    of ``splits``, by default :data:`DEFAULT_SPLITS`)."""
    found = [from_file(path) for path in files or ()]
    for name in corpora or ():
        for split in splits or DEFAULT_SPLITS:
            found.append(from_corpus(name, lang, split, data_dir=data_dir))
    return found


def excluded_by(text: str, exclusions: Sequence[Exclusion]) -> list[Exclusion]:
    """The exclusions that hold ``text``; each one's ``matched`` is counted up."""
    key = normalise(text)
    if not key:
        return []
    hits = [exclusion for exclusion in exclusions if key in exclusion.keys]
    for exclusion in hits:
        exclusion.matched += 1
    return hits


def unmatched(exclusions: Sequence[Exclusion]) -> list[str]:
    """A warning for each exclusion that matched no sentence (a wrong file or language?)."""
    return [
        f"exclusion {e.name} ({e.sentences} sentences) matched no sentence of the bitext"
        for e in exclusions
        if e.matched == 0
    ]
