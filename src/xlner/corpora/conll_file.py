"""``conll``: a token-per-line NER file of your own, named by the ``path`` parameter.

For a config such as ``[data] corpus = "conll"``, ``path = "gold.conll"``: any corpus in the
format of :mod:`xlner.corpora.conll`, kept outside the data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from xlner.corpora.base import Corpus, register_corpus
from xlner.corpora.conll import ReadScheme, read_conll
from xlner.types import TaggedSentence


@dataclass(frozen=True)
class LocalConll(Corpus):
    """Reads the file ``path`` (relative to the working directory) in tag scheme ``scheme``."""

    def load(self, *, data_dir: str | Path | None = None, **params: Any) -> list[TaggedSentence]:
        args = self.arguments(**params)
        if not Path(args["path"]).is_file():
            raise FileNotFoundError(f"corpus {self.name!r}: {args['path']} does not exist")
        return read_conll(args["path"], args["scheme"])  # type: ignore[arg-type]

    def describe_origin(self) -> str:
        return "a token-per-line file of yours, named by the path parameter"


CONLL = register_corpus(
    LocalConll(
        name="conll",
        title="A token-per-line NER file (CoNLL format) given as path",
        folder="",
        licence="that of the file",
        citation="",
        parameter_choices={"path": None, "scheme": get_args(ReadScheme)},
        defaults={"scheme": "iob2"},
    )
)
