"""Exporters: tagged sentences (silver data, projected output) for the trainers people use.

- :mod:`xlner.export.hf`: a Hugging Face ``datasets`` folder (``save_to_disk``) with
  ``tokens`` and ``ner_tags`` as a ``ClassLabel`` sequence, read back by
  ``datasets.load_from_disk`` (or xlner's ``hf`` corpus);
- :mod:`xlner.export.spacy`: a spaCy ``DocBin`` (``.spacy``) for ``spacy train``, with a
  blank pipeline of the language, or the multi-language ``xx`` where spaCy has none.

``FORMATS`` names them for ``xlner export --to`` and ``xlner silver --export``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xlner.tags import OUTSIDE
from xlner.types import TaggedSentence

# format -> (the file or folder name it gets beside other outputs, the writer's module)
FORMATS: dict[str, tuple[str, str]] = {
    "hf": ("{stem}.hf", "xlner.export.hf"),
    "spacy": ("{stem}.spacy", "xlner.export.spacy"),
}


def iob2_tags(classes: Sequence[str]) -> list[str]:
    """``O`` and ``B-X``, ``I-X`` for each class in the order given (MasakhaNER 2.0's order
    for PER, ORG, LOC, DATE)."""
    return [OUTSIDE] + [f"{prefix}-{label}" for label in classes for prefix in "BI"]


def classes_in(sentences: Sequence[TaggedSentence]) -> list[str]:
    """The classes of ``sentences``, sorted."""
    return sorted({span.label for sentence in sentences for span in sentence.spans})


def exporter(name: str) -> Callable[..., Any]:
    """The ``export(path, sentences, **options)`` function of format ``name``."""
    import importlib

    from xlner.registry import ComponentError

    if name not in FORMATS:
        raise ComponentError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[name][1]).export


def export_path(name: str, directory: Path, stem: str) -> Path:
    """Where format ``name`` writes beside other outputs: ``silver.hf``, ``silver.spacy``."""
    return directory / FORMATS[name][0].format(stem=stem)
