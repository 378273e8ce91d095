"""The engine seam: a per-sentence stage as ``setup()`` + ``process_batch(records)``."""

from __future__ import annotations

import importlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from xlner.registry import registry

DEFAULT_ENGINE = "local"

Keyed = tuple[int, Any]  # a batch's number (its shard) and its records or results


class EngineError(RuntimeError):
    """An engine cannot run at all (Ray missing, a cluster address that cannot be reached)."""


@runtime_checkable
class BatchTask(Protocol):
    """One per-sentence stage. An engine calls ``setup()`` once per worker (load the model
    there, not in ``__init__``: the task is sent to every worker, its model is not) and then
    ``process_batch`` on batch after batch; the results of a batch depend on that batch
    alone, so every engine gives the same results."""

    def setup(self) -> None: ...

    def process_batch(self, records: Any) -> Any: ...


class Engine(ABC):
    """Runs a :class:`BatchTask` over numbered batches; use it as a context manager."""

    name = ""

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self) -> None:  # noqa: B027 - most engines need nothing
        """Fail fast (an :class:`EngineError`) where the engine could not start."""

    def start(self) -> None:  # noqa: B027 - most engines need nothing
        """Acquire what the engine needs (a cluster); an :class:`EngineError` if it cannot."""

    def close(self) -> None:  # noqa: B027
        """Release what :meth:`start` acquired (also after an interrupt)."""

    @abstractmethod
    def map(self, task: BatchTask, batches: Iterable[Keyed]) -> Iterator[Keyed]:
        """``(number, task.process_batch(records))`` for each ``(number, records)``, as each
        batch is done (not necessarily in order)."""

    def describe(self) -> dict[str, Any]:
        """What the engine is and how it runs, for manifests and benchmark rows."""
        return {"engine": self.name}


def plugin_modules() -> list[str]:
    """The modules outside xlner that registered a component in this process (a plugin, the
    tests' fakes): a worker imports them before it builds anything, so that it finds by name
    what the driver found (xlner's own components it finds as always)."""
    found = set()
    for catalogue in vars(registry).values():
        for component in getattr(catalogue, "_entries", {}).values():
            module = getattr(component, "__module__", None)
            if module and module != "__main__" and not module.startswith("xlner."):
                found.add(module)
    return sorted(found)


def import_plugins(modules: Sequence[str]) -> None:
    """Import each of :func:`plugin_modules` not imported yet (in a worker)."""
    for module in modules:
        if module not in sys.modules:
            try:
                importlib.import_module(module)
            except ImportError:
                continue  # gone since (a test's plugin); a component it held is then unknown


def build_engine(name: str = DEFAULT_ENGINE, /, **options: Any) -> Engine:
    """The engine ``name`` of the engines catalogue with ``options`` (a bad one: one line)."""
    return registry.engines.build(name, **options)
