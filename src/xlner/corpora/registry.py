"""Transition only: the names ``pipeline/stages.py`` imported before the corpus catalogue.

Delete this module once ``pipeline/stages.py`` loads through
:func:`xlner.corpora.get_corpus` (``corpus.load(data_dir=..., **corpus.parameters_in(data))``);
nothing else imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.corpora.base import get_corpus
from xlner.corpora.mafand_mt import MAFAND_MT


@dataclass(frozen=True)
class _Positional:
    """The old call ``load(lang, split, data_dir=...)`` of a corpus, parameters in order."""

    name: str
    method: str = "load"

    def load(self, *values: str, data_dir: str | Path | None = None) -> Any:
        corpus = get_corpus(self.name)
        params = dict(zip(corpus.parameters, values, strict=False))
        return getattr(corpus, self.method)(data_dir=data_dir, **params)


EUROPARL_NER = _Positional("europarl-ner")
MASAKHANER2 = _Positional("masakhaner2")
MASAKHANER2_PARALLEL = _Positional("masakhaner2-parallel", "load_parallel")

__all__ = ["EUROPARL_NER", "MAFAND_MT", "MASAKHANER2", "MASAKHANER2_PARALLEL", "get_corpus"]
