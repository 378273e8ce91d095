"""The word-alignment interface and the registry that picks a backend by name.

Backends register themselves with :func:`register_aligner`. Built-in backends whose module has
not been imported yet are listed in ``_BUILTIN_MODULES`` so that ``get_aligner("eflomal")``
works without the caller importing the backend module first, while heavy backends (e.g. an
embedding aligner needing torch) are imported only when asked for.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xlner.types import Link, Tokens

SentencePair = tuple[Tokens, Tokens]


class Aligner(ABC):
    """Aligns the words of sentence pairs; one list of links per pair."""

    name: str = "aligner"

    @abstractmethod
    def align(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[list[Link]]:
        """Return the links of each pair in ``pairs`` (``Link.src`` indexes the first sentence).

        ``extra_bitext`` is additional parallel text a statistical aligner may learn from; no
        links are returned for it.
        """

    def signature(self) -> dict[str, Any]:
        """Settings that determine this aligner's output, for result signatures."""
        return {"method": self.name}


A = TypeVar("A", bound=type[Aligner])

_REGISTRY: dict[str, Callable[..., Aligner]] = {}

# Backends shipped with xlner, imported on first use; importing the module registers it.
_BUILTIN_MODULES: dict[str, str] = {
    "eflomal": "xlner.align.eflomal",
    "simalign": "xlner.align.simalign",
}


def register_aligner(name: str) -> Callable[[A], A]:
    """Class decorator: make ``get_aligner(name, **options)`` build ``cls(**options)``."""

    def decorate(cls: A) -> A:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"aligner {name!r} is already registered")
        _REGISTRY[name] = cls
        return cls

    return decorate


def available_aligners() -> list[str]:
    """Names accepted by :func:`get_aligner`."""
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def get_aligner(name: str, **options: Any) -> Aligner:
    """Build the aligner registered as ``name`` with backend-specific ``options``."""
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown aligner {name!r}; choose one of {', '.join(available_aligners())}"
        )
    return _REGISTRY[name](**options)


def check_pairs(pairs: Sequence[SentencePair], what: str = "pairs") -> None:
    """Reject anything that is not a sequence of (tokens, tokens) with string tokens."""
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f"{what}[{index}] is not a (source, target) pair")
        for side in pair:
            if isinstance(side, str) or not all(isinstance(token, str) for token in side):
                raise TypeError(f"{what}[{index}] must hold two lists of string tokens")
