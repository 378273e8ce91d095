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
from xlner.types import Span, Tokens

LabelMap = Mapping[str, str | None]


class SourceTagger(ABC):
    """Finds named entities in tokenised sentences; spans never overlap within a sentence."""

    name: str = "tagger"
    # The option that says which language the tagger reads; the pipeline sets it to the run's
    # pivot language when a config leaves it out. None: the tagger takes no language.
    pivot_option: str | None = None

    @abstractmethod
    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        """One list of spans per sentence, in order."""

    def signature(self) -> dict[str, Any]:
        """Settings that determine this tagger's output, for cache keys and signatures."""
        return {"method": self.name}


def relabel(spans: Sequence[Span], label_map: LabelMap) -> list[Span]:
    """Rename span classes with ``label_map``; a class mapped to None (or absent) is dropped."""
    out = []
    for span in spans:
        label = label_map.get(span.label)
        if label:
            out.append(Span(span.start, span.end, label))
    return out


# Built-in backends are listed in xlner.registry and imported on first use.
_REGISTRY = registry.taggers
register_tagger = _REGISTRY.register
available_taggers = _REGISTRY.available


def get_tagger(name: str, **options: Any) -> SourceTagger:
    """Build the tagger registered as ``name`` with backend-specific ``options``."""
    return _REGISTRY.build(name, **options)
