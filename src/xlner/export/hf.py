"""A Hugging Face ``datasets`` folder: ``tokens`` and ``ner_tags`` (a ``ClassLabel`` sequence).

The layout of the hub's NER datasets (``masakhane/masakhaner2``, ``conll2003``)::

    DatasetDict({split: Dataset({id, tokens, ner_tags})})

written with ``save_to_disk`` and read with ``datasets.load_from_disk(path)[split]``, or as
xlner's ``hf`` corpus (``get_corpus("hf").load(path=..., split=...)``). A ``conll`` file is
no substitute: ``datasets``' own ``conll`` loader drops the tag column unless given
``column_names``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.base import CorpusUnavailable
from xlner.export import classes_in, iob2_tags
from xlner.io import atomic_folder, check_folder
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


# What ``datasets`` accepts as a split name (its ``_split_re``): no path separators.
SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")
WHAT = "a datasets export (save_to_disk folder)"
# The files ``save_to_disk`` writes in a split's folder, and caches ``datasets`` adds there.
_SPLIT_FILES = re.compile(r"^(dataset_info\.json|state\.json|(data|cache)-[\w.-]+\.arrow)$")


def check_split(split: str) -> str:
    """``split`` if ``datasets`` can name a split so (letters, digits, ``_``, inner dots);
    a ValueError otherwise (``../x`` would be a folder outside the export)."""
    if not SPLIT_NAME.match(split):
        raise ValueError(
            f"split name {split!r} is not a word (letters, digits, '_', and dots between them)"
        )
    return split


def is_export(folder: Path) -> bool:
    """True for a folder ``save_to_disk`` of a ``DatasetDict`` wrote (an earlier export):
    ``dataset_dict.json`` and one folder of dataset files per split it names, nothing else."""
    try:
        splits = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
        names = {path.name for path in folder.iterdir()}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(splits, list) or names != {"dataset_dict.json", *map(str, splits)}:
        return False
    for split in splits:
        try:
            files = list((folder / str(split)).iterdir())
        except OSError:
            return False
        if not all(f.is_file() and _SPLIT_FILES.match(f.name) for f in files):
            return False
    return True


def check_output(path: str | Path, inputs: Mapping[str, str | Path | None] | None = None) -> Path:
    """The folder an export to ``path`` replaces; an OutputError, before any work, where it
    is a file, holds an input or is not an earlier export."""
    return check_folder(path, ours=is_export, what=WHAT, inputs=inputs)


def export(
    path: str | Path,
    sentences: Sequence[TaggedSentence],
    *,
    classes: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    split: str = "train",
    inputs: Mapping[str, str | Path | None] | None = None,
    **_: Any,
) -> Path:
    """Write ``sentences`` as split ``split`` of a ``save_to_disk`` folder at ``path``.

    The folder is built beside ``path`` and swapped into place, so an interrupted export
    leaves the previous one (or none), never half of one. An existing ``path`` is replaced
    only when it is an earlier export holding none of ``inputs`` (else an OutputError).
    """
    path = Path(path)
    check_split(split)
    check_output(path, inputs)
    datasets = _datasets()
    table = datasets.DatasetDict({split: to_dataset(sentences, classes=classes, ids=ids)})
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # xlner reports its own progress
    try:
        with atomic_folder(path, ours=is_export, what=WHAT, inputs=inputs) as staging:
            table.save_to_disk(str(staging))
    finally:
        if bars:
            datasets.enable_progress_bars()
    return path


def load(path: str | Path, split: str = "train") -> list[TaggedSentence]:
    """The sentences of split ``split`` of a ``save_to_disk`` folder (xlner's ``hf`` corpus)."""
    from xlner.corpora import get_corpus

    return get_corpus("hf").load(path=str(path), split=split)
