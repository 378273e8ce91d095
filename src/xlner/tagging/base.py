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

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from xlner.types import Span, Tokens

LabelMap = Mapping[str, str | None]


class SourceTagger(ABC):
    """Finds named entities in tokenised sentences; spans never overlap within a sentence."""

    name: str = "tagger"

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


T = TypeVar("T", bound=type[SourceTagger])

_REGISTRY: dict[str, Callable[..., SourceTagger]] = {}
_BUILTIN_MODULES: dict[str, str] = {
    "spacy": "xlner.tagging.spacy",
    "hf": "xlner.tagging.hf",
    "gold": "xlner.tagging.gold",
}


def register_tagger(name: str) -> Callable[[T], T]:
    """Class decorator: make ``get_tagger(name, **options)`` build ``cls(**options)``."""

    def decorate(cls: T) -> T:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"tagger {name!r} is already registered")
        _REGISTRY[name] = cls
        return cls

    return decorate


def available_taggers() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def get_tagger(name: str, **options: Any) -> SourceTagger:
    """Build the tagger registered as ``name`` with backend-specific ``options``."""
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise ValueError(f"unknown tagger {name!r}; choose one of {', '.join(available_taggers())}")
    return _REGISTRY[name](**options)
