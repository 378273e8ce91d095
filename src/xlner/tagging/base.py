"""The source-tagger interface: entity spans for tokenised sentences, from any NER model.

Translate-test transfer tags the high-resource side (the translation) and projects the spans
back. Every tagger returns xlner's classes PER, ORG, LOC and MISC (plus DATE where asked), so
that taggers trained on other label sets (OntoNotes, WikiNER) compare on equal terms.

Backends register themselves with :func:`register_tagger`; the built-in ones are imported on
first use so that ``get_tagger("spacy")`` does not import transformers and vice versa:
``"spacy"`` (spaCy pipelines), ``"hf"`` (any transformers token classifier) and ``"gold"``
(gold spans, to evaluate the rest of the pipeline in isolation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from xlner.registry import registry
from xlner.signature import Signed
from xlner.types import Span, Tokens

LabelMap = Mapping[str, str | None]


class SourceTagger(Signed, ABC):
    """Finds named entities in tokenised sentences; spans never overlap within a sentence."""

    name: str = "tagger"
    # The option that says which language the tagger reads; the pipeline sets it to the run's
    # pivot language when a config leaves it out. None: the tagger takes no language.
    pivot_option: str | None = None

    @abstractmethod
    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        """One list of spans per sentence, in order."""


def relabel(spans: Sequence[Span], label_map: LabelMap) -> list[Span]:
    """Rename span classes with ``label_map``; a class mapped to None (or absent) is dropped."""
    out = []
    for span in spans:
        label = label_map.get(span.label)
        if label:
            out.append(Span(span.start, span.end, label))
    return out


def check_label_map(label_map: object) -> dict[str, str | None] | None:
    """A label map option as given (``{ MISC = "LOC" }``; ``""`` or None drops a class)."""
    if label_map is None:
        return None
    if not isinstance(label_map, Mapping) or not all(
        isinstance(key, str) and (value is None or isinstance(value, str))
        for key, value in label_map.items()
    ):
        raise ValueError(
            f'label_map must be a table of class = new class, such as {{ MISC = "LOC" }}, '
            f"not {label_map!r}"
        )
    return {key: value or None for key, value in label_map.items()}


def rename(sentences: list[list[Span]], label_map: LabelMap | None) -> list[list[Span]]:
    """Rename the classes ``label_map`` names (None drops one); the others stay as they are."""
    if not label_map:
        return sentences
    table: dict[str, str | None] = {
        label: label for label in {span.label for spans in sentences for span in spans}
    }
    table.update(label_map)
    return [relabel(spans, table) for spans in sentences]


# Built-in backends are listed in xlner.registry and imported on first use.
_REGISTRY = registry.taggers
register_tagger = _REGISTRY.register
available_taggers = _REGISTRY.available


def get_tagger(name: str, **options: Any) -> SourceTagger:
    """Build the tagger registered as ``name`` with backend-specific ``options``."""
    return _REGISTRY.build(name, **options)
