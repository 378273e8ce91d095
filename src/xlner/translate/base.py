"""The translator interface and the registry that picks a backend by name.

A translator turns a batch of sentences (plain strings, one sentence each) into exactly as
many translations, in order. Backends register themselves with :func:`register_translator`;
built-in ones are imported on first use so that ``get_translator("nllb")`` does not import
torch unless asked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from xlner.registry import registry
from xlner.signature import Signed


class TranslationError(RuntimeError):
    """A translator could not produce a translation (missing tool, pair, model or output)."""


class Translator(Signed, ABC):
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


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Built-in backends are listed in xlner.registry and imported on first use.
_REGISTRY = registry.translators
register_translator = _REGISTRY.register
available_translators = _REGISTRY.available


def get_translator(name: str, **options: Any) -> Translator:
    """Build the translator registered as ``name`` with backend-specific ``options``."""
    return _REGISTRY.build(name, **options)
