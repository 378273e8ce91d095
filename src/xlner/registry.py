"""Backends chosen by name: one small registry class serves aligners, taggers and translators.

Backends register themselves with a class decorator. Built-in backends whose module has not
been imported yet are listed by module path, so ``get("eflomal")`` works without the caller
importing the backend first, while heavy backends (torch, spaCy) load only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

B = TypeVar("B")
C = TypeVar("C", bound=type)


class Registry(Generic[B]):
    """Name → constructor for one kind of backend (``kind`` names it in error messages)."""

    def __init__(self, kind: str, builtin_modules: Mapping[str, str]) -> None:
        self.kind = kind
        self._builtin_modules = dict(builtin_modules)
        self._constructors: dict[str, Callable[..., B]] = {}

    def register(self, name: str) -> Callable[[C], C]:
        """Class decorator: make ``get(name, **options)`` build ``cls(**options)``."""

        def decorate(cls: C) -> C:
            known = self._constructors.get(name)
            if known is not None and known is not cls:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._constructors[name] = cls
            return cls

        return decorate

    def available(self) -> list[str]:
        return sorted(set(self._constructors) | set(self._builtin_modules))

    def get(self, name: str, **options: Any) -> B:
        """Build the backend registered as ``name`` with its own ``options``."""
        if name not in self._constructors and name in self._builtin_modules:
            importlib.import_module(self._builtin_modules[name])
        if name not in self._constructors:
            raise ValueError(
                f"unknown {self.kind} {name!r}; choose one of {', '.join(self.available())}"
            )
        return self._constructors[name](**options)
