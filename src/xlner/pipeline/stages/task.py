"""A batched stage of ``xlner run`` (translate, tag, align, backtranslate, align_back, project)
as an engine's task.

The stage's builder is called with the run's config in each worker (``setup()``: its
model is loaded there, once), and ``process_batch`` computes one range of sentences with
the stage's own ``run_batch``: the stage logic lives in its module only, whichever engine
runs it. In this process the already-built stage is used as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.engine.base import import_plugins, plugin_modules
from xlner.pipeline.stages.base import Stage

Range = tuple[int, int, dict[str, list[Any]]]  # start, end, the deps' records of the range


class StageTask:
    """``setup()`` + ``process_batch((start, end, inputs))`` for one batched stage."""

    def __init__(
        self,
        name: str,
        config: Mapping[str, Any],
        data_dir: Path | None,
        stage: Stage | None = None,
    ) -> None:
        self.name = name
        self.config = config  # plain data: the resolved run config
        self.data_dir = data_dir
        self.stage = stage
        self.plugins = plugin_modules()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "stage": None}  # a worker builds its own

    def setup(self) -> None:
        if self.stage is None:
            from xlner.pipeline.stages import STAGE_BUILDERS  # the builders import every stage

            import_plugins(self.plugins)
            self.stage = STAGE_BUILDERS[self.name](self.config, self.data_dir)

    def process_batch(self, records: Range) -> list[Any]:
        start, end, inputs = records
        assert self.stage is not None and self.stage.run_batch is not None, "setup() first"
        window = {dep: _Window(items, start) for dep, items in inputs.items()}
        return self.stage.run_batch(window, start, end)


class _Window(Sequence[Any]):
    """The records of sentences ``start..`` indexed as in the whole corpus (``run_batch``
    slices its inputs by the batch's position in the corpus)."""

    def __init__(self, records: list[Any], start: int) -> None:
        self.records, self.start = records, start

    def __len__(self) -> int:
        return self.start + len(self.records)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            begin = (index.start or 0) - self.start
            stop = None if index.stop is None else index.stop - self.start
            return self.records[slice(begin, stop, index.step)]
        return self.records[index - self.start]
