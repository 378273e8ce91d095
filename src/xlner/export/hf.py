"""A Hugging Face ``datasets`` folder: ``tokens`` and ``ner_tags`` (a ``ClassLabel`` sequence).

The layout of the hub's NER datasets (``masakhane/masakhaner2``, ``conll2003``)::

    DatasetDict({split: Dataset({id, tokens, ner_tags})})

written with ``save_to_disk`` and read with ``datasets.load_from_disk(path)[split]``, or as
xlner's ``hf`` corpus (``get_corpus("hf").load(path=..., split=...)``). A ``conll`` file is
no substitute: ``datasets``' own ``conll`` loader drops the tag column unless given
``column_names``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.base import CorpusUnavailable
from xlner.errors import OutputError
from xlner.export import classes_in, iob2_tags
from xlner.tags import spans_to_tags
from xlner.types import TaggedSentence


def _datasets() -> Any:
    try:
        import datasets
    except ImportError as error:
        raise CorpusUnavailable(
            "the hf export needs the datasets library: pip install 'xlner[hub]'"
        ) from error
    return datasets


def to_dataset(
    sentences: Sequence[TaggedSentence],
    *,
    classes: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> Any:
    """A ``datasets.Dataset`` of ``sentences``; ``classes`` fixes the label order (default:
    the classes found, sorted). A span of a class not in ``classes`` is a ValueError."""
    datasets = _datasets()
    names = iob2_tags(classes if classes is not None else classes_in(sentences))
    index = {name: i for i, name in enumerate(names)}
    rows = []
    for number, sentence in enumerate(sentences):
        tags = spans_to_tags(sentence.spans, len(sentence.tokens))
        if unknown := sorted(set(tags) - set(index)):
            raise ValueError(f"sentence {number}: tag {unknown[0]!r} is not among {names}")
        rows.append([index[tag] for tag in tags])
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    table = {
        "id": list(ids) if ids is not None else [str(i) for i in range(len(sentences))],
        "tokens": [list(sentence.tokens) for sentence in sentences],
        "ner_tags": rows,
    }
    return datasets.Dataset.from_dict(table, features=features)


def export(
    path: str | Path,
    sentences: Sequence[TaggedSentence],
    *,
    classes: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    split: str = "train",
    **_: Any,
) -> Path:
    """Write ``sentences`` as split ``split`` of a ``save_to_disk`` folder at ``path``.

    The folder is written beside ``path`` and moved into place, so an interrupted export
    leaves the previous one (or none), never half of one.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(path, "exists and is not a folder; a datasets export is a folder")
    datasets = _datasets()
    table = datasets.DatasetDict({split: to_dataset(sentences, classes=classes, ids=ids)})
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # xlner reports its own progress
    try:
        table.save_to_disk(str(staging / "dataset"))
        if path.exists():
            shutil.rmtree(path)
        (staging / "dataset").rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if bars:
            datasets.enable_progress_bars()
    return path


def load(path: str | Path, split: str = "train") -> list[TaggedSentence]:
    """The sentences of split ``split`` of a ``save_to_disk`` folder (xlner's ``hf`` corpus)."""
    from xlner.corpora import get_corpus

    return get_corpus("hf").load(path=str(path), split=split)
