"""The built-in English–Spanish sample that the demo runs on a fresh machine."""

from __future__ import annotations

from importlib.resources import as_file, files

from xlner.corpora.conll import read_conll
from xlner.types import TaggedSentence

SAMPLE = files("xlner") / "data" / "sample"


def load_sample() -> tuple[list[TaggedSentence], list[TaggedSentence]]:
    """The 40 hand-written sentence pairs: (English with entities, Spanish with entities)."""
    with as_file(SAMPLE / "en.conll") as english, as_file(SAMPLE / "es.conll") as spanish:
        return read_conll(english), read_conll(spanish)
