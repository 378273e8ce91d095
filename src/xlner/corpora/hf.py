"""``hf``: a corpus from the Hugging Face hub or from a folder written by ``save_to_disk``.

``path`` is a hub name (``masakhane/masakhaner2`` with ``config = "lug"``, ``google/xtreme``
with ``config = "PAN-X.de"``) or a local folder; ``split`` picks the split. Each row's
``tokens`` and ``ner_tags`` (IOB2 tags, usually a ``ClassLabel`` sequence whose label names
come from the dataset's features) become a :class:`~xlner.types.TaggedSentence`.

Needs the ``datasets`` library (``pip install 'xlner[hub]'``). A named corpus on the hub is
one instance of :class:`HubCorpus` with ``dataset`` (and a ``config`` that may contain
``{lang}``) set, registered with :func:`~xlner.corpora.base.register_corpus`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.corpora.base import Corpus, CorpusUnavailable, register_corpus
from xlner.quiet import quiet_datasets
from xlner.registry import ComponentError
from xlner.tags import tags_to_spans
from xlner.types import TaggedSentence


@dataclass(frozen=True)
class HubCorpus(Corpus):
    """Rows of a ``datasets`` table; ``dataset``/``config`` fixed, or the parameters name them."""

    dataset: str = ""  # hub name or save_to_disk folder; empty: the ``path`` parameter
    config: str = ""  # config name, may contain {lang}; empty: the ``config`` parameter
    tokens_column: str = "tokens"
    tags_column: str = "ner_tags"

    def load(self, *, data_dir: str | Path | None = None, **params: Any) -> list[TaggedSentence]:
        args = self.arguments(**params)
        source = self.dataset or args["path"]
        config = self.config.format(**args) if self.config else args.get("config", "")
        table = self._open(source, config or None, args.get("split"))
        return self.sentences(table, where=f"{source}{f' ({config})' if config else ''}")

    def describe_origin(self) -> str:
        return self.dataset or "the Hugging Face hub or a save_to_disk folder, named by path"

    def _open(self, source: str, config: str | None, split: str | None) -> Any:
        datasets = _datasets(self.name)
        folder = Path(source).expanduser()
        try:
            if folder.is_dir():
                return _split(self.name, _from_disk(datasets, folder, config), split)
            return datasets.load_dataset(source, config, split=split)
        except (OSError, ValueError) as error:
            # datasets raises ConnectionError offline, FileNotFoundError (DatasetNotFoundError)
            # for an unknown name, ValueError for an unknown config or split.
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            problem = f"corpus {self.name!r}: could not load {source!r}: {first_line}"
            if isinstance(error, ValueError):
                raise ComponentError(problem) from error
            raise CorpusUnavailable(problem) from error

    def sentences(self, table: Any, where: str) -> list[TaggedSentence]:
        """The rows of a ``datasets.Dataset`` as tagged sentences."""
        columns = list(table.column_names)
        for column in (self.tokens_column, self.tags_column):
            if column not in columns:
                raise ComponentError(
                    f"corpus {self.name!r}: {where} has no column {column!r}; "
                    f"its columns: {', '.join(columns)}"
                )
        names = _label_names(table.features[self.tags_column])
        sentences = []
        for index, row in enumerate(table):
            tokens, tags = list(row[self.tokens_column]), row[self.tags_column]
            if names is not None:
                tags = [names[tag] for tag in tags]
            if len(tags) != len(tokens):
                raise ComponentError(
                    f"corpus {self.name!r}: {where} row {index}: "
                    f"{len(tokens)} tokens but {len(tags)} tags"
                )
            sentences.append(TaggedSentence(tokens, tags_to_spans(tags, "iob2", repair=True)))
        return sentences


def _datasets(name: str) -> Any:
    try:
        import datasets
    except ImportError as error:
        raise CorpusUnavailable(
            f"corpus {name!r} needs the datasets library: pip install 'xlner[hub]'"
        ) from error
    quiet_datasets()
    return datasets


def _from_disk(datasets: Any, folder: Path, config: str | None) -> Any:
    """A ``save_to_disk`` folder; a config names a subfolder (one saved dataset per config)."""
    if config:
        if not (folder / config).is_dir():
            raise ValueError(f"{folder} has no folder for config {config!r}")
        folder = folder / config
    return datasets.load_from_disk(str(folder))


def _split(name: str, loaded: Any, split: str | None) -> Any:
    """One split of a ``DatasetDict`` (a saved ``Dataset`` is its own only split)."""
    if not hasattr(loaded, "keys"):
        return loaded
    splits: Sequence[str] = list(loaded.keys())
    if split not in splits:
        raise ValueError(f"no split {split!r}; its splits: {', '.join(splits)}")
    return loaded[split]


def _label_names(feature: Any) -> list[str] | None:
    """The class names of a ``ClassLabel`` sequence; None when the tags are strings."""
    inner: Any = getattr(feature, "feature", None)
    return list(inner.names) if hasattr(inner, "names") else None


HF = register_corpus(
    HubCorpus(
        name="hf",
        title="A Hugging Face dataset with tokens and ner_tags (hub name or save_to_disk folder)",
        folder="",
        licence="that of the dataset",
        citation="",
        parameter_choices={"path": None, "config": None, "split": None},
        defaults={"config": "", "split": "test"},
    )
)
