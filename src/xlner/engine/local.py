"""The ``local`` engine: every batch in this process, one after the other (the default)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from xlner.engine.base import BatchTask, Engine, Keyed
from xlner.registry import registry


@registry.engines.register("local")
class LocalEngine(Engine):
    """In-process and in order: the task is set up once and given each batch in turn."""

    name = "local"

    def map(self, task: BatchTask, batches: Iterable[Keyed]) -> Iterator[Keyed]:
        task.setup()
        for number, records in batches:
            yield number, task.process_batch(records)
