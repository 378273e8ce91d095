"""The translator interface and the registry that picks a backend by name.

A translator turns a batch of sentences (plain strings, one sentence each) into exactly as
many translations, in order. Backends register themselves with :func:`register_translator`;
built-in ones are imported on first use so that ``get_translator("nllb")`` does not import
torch unless asked.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar


class TranslationError(RuntimeError):
    """A translator could not produce a translation (missing tool, pair, model or output)."""


class Translator(ABC):
    """Translates sentences from ``src_lang`` into ``tgt_lang``, ``batch_size`` at a time."""

    name: str = "translator"
    batch_size: int = 32

    @abstractmethod
    def translate_batch(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Translate one batch; may return a different count, which :meth:`translate` checks."""

    def translate(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """One translation per sentence, in order, translated ``batch_size`` at a time.

        Raises :class:`TranslationError` when the backend returns another number of
        translations than it was given sentences, since every later pairing would shift.
        """
        result: list[str] = []
        for batch in batched(sentences, self.batch_size):
            out = self.translate_batch(list(batch), src_lang, tgt_lang)
            if len(out) != len(batch):
                raise TranslationError(
                    f"{self.name} returned {len(out)} translations for {len(batch)} sentences"
                )
            result.extend(out)
        return result

    def signature(self) -> dict[str, Any]:
        """Settings that determine this translator's output, for cache keys and signatures."""
        return {"method": self.name}


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


T = TypeVar("T", bound=type[Translator])

_REGISTRY: dict[str, Callable[..., Translator]] = {}
_BUILTIN_MODULES: dict[str, str] = {
    "nllb": "xlner.translate.nllb",
    "apertium": "xlner.translate.apertium",
    "parallel": "xlner.translate.parallel",
}


def register_translator(name: str) -> Callable[[T], T]:
    """Class decorator: make ``get_translator(name, **options)`` build ``cls(**options)``."""

    def decorate(cls: T) -> T:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"translator {name!r} is already registered")
        _REGISTRY[name] = cls
        return cls

    return decorate


def available_translators() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def get_translator(name: str, **options: Any) -> Translator:
    """Build the translator registered as ``name`` with backend-specific ``options``."""
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown translator {name!r}; choose one of {', '.join(available_translators())}"
        )
    return _REGISTRY[name](**options)
