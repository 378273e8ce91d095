"""What every stage is made of: its declaration, its components, its per-sentence isolation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.registry import Catalogue, ComponentError

Inputs = Mapping[str, Sequence[Any]]  # stage name -> its records, one per sentence
Batch = Callable[[Inputs, int, int], list[Any]]


class StageError(RuntimeError):
    """A stage cannot run at all (bad settings, missing model), as opposed to one sentence."""


@dataclass
class Stage:
    """A named step: what it reads, what determines its output, and how to compute it.

    ``run(inputs)`` computes every record at once; batched stages instead compute
    ``run_batch(inputs, start, end)`` for consecutive sentence ranges of ``batch_size``
    sentences (0: all of them in one batch), each on the run's engine, so that an interrupted
    stage resumes at its first unfinished batch. ``record`` is the type of the records it
    returns (see :mod:`xlner.pipeline.records`).
    """

    name: str
    deps: tuple[str, ...]
    settings: dict[str, Any]
    record: type
    run: Callable[[Inputs], list[Any]] | None = None
    run_batch: Batch | None = None
    batch_size: int = 0  # sentences per batch of ``run_batch``; 0: every sentence in one
    cached: bool = True  # False: recomputed every run and keyed by its content (the corpus)
    single: bool = False  # one record in all (the scores) instead of one per sentence

    @property
    def batched(self) -> bool:
        return self.run_batch is not None

    def size(self, inputs: Inputs) -> int:
        """The number of sentences: as many as the first stage it reads has records."""
        return len(inputs[self.deps[0]]) if self.deps else 0

    def expected(self, inputs: Inputs) -> int:
        """The number of records this stage must return for ``inputs``."""
        return 1 if self.single else self.size(inputs)


def batched_stage(
    name: str,
    deps: str | tuple[str, ...],
    settings: dict[str, Any],
    record: type,
    section: Mapping[str, Any],
    run_batch: Batch,
    *,
    where: str | None = None,
    whole: bool = False,
) -> Stage:
    """A stage computed ``section.batch_size`` sentences (one finished shard) at a time, or
    with ``whole`` all of them in one batch (records that depend on the whole input, such as
    a statistical aligner's). ``where`` names the section in messages (default: ``name``)."""
    size = section["batch_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise StageError(
            f"{where or name}.batch_size must be a whole number of at least 1, not {size!r}"
        )
    deps = (deps,) if isinstance(deps, str) else deps
    return Stage(name, deps, settings, record, run_batch=run_batch, batch_size=0 if whole else size)


def build_component(
    catalogue: Catalogue[Any],
    where: str,
    name: str,
    options: Any,
    data_dir: Path | None,
    temp_dir: Path | None = None,
) -> Any:
    """``catalogue.build(name, **options)``, a bad name or option a one-line StageError.

    A component that declares a ``data_dir`` option (one that reads a corpus itself, such as
    the ``parallel`` translator or the ``gold`` tagger) gets the run's data directory unless
    its options name one; one that declares ``temp_dir`` (eflomal's work files) gets
    ``temp_dir``, a folder inside the run directory, so nothing is left in the system's.
    """
    if not isinstance(options, Mapping):
        raise StageError(f"{where.rpartition('.')[0]}.options must be a table, not {options!r}")
    options = dict(options)
    try:
        if data_dir is not None and "data_dir" in catalogue.options(name):
            options.setdefault("data_dir", data_dir)
        if temp_dir is not None and "temp_dir" in catalogue.options(name):
            options.setdefault("temp_dir", temp_dir)
        return catalogue.build(name, **options)
    except ComponentError as error:
        raise StageError(f"{where}: {error}") from None


# ---------------------------------------------------------------------------- isolation


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def isolate(fn: Callable[[list[Any]], list[Any]], items: list[Any]) -> list[tuple[Any, str | None]]:
    """``fn(items)`` as (result, None) pairs; when it fails, each item again on its own.

    A fault in one sentence (a crash, a missing output) then costs that sentence only. Only
    ``Exception`` is caught: an interrupt still stops the run (and leaves finished shards).
    """
    try:
        results = fn(items)
        if len(results) != len(items):
            raise RuntimeError(f"{len(results)} results for {len(items)} inputs")
        return [(result, None) for result in results]
    except Exception as error:
        if len(items) == 1:
            return [(None, describe(error))]
    return [isolate(fn, [item])[0] for item in items]


def isolated_batch(
    stage: str, fn: Callable[[list[Any]], list[Any]], items: list[Any], start: int
) -> list[tuple[Any, str | None]]:
    """:func:`isolate` over one batch; a first batch in which every sentence failed alike is
    a broken setup (missing model, wrong language pair), not bad sentences, and stops the run.
    """
    outcomes = isolate(fn, items)
    _abort_if_all_failed(stage, outcomes, start)
    return outcomes


def _abort_if_all_failed(
    stage: str, outcomes: Sequence[tuple[Any, str | None]], start: int
) -> None:
    errors = [error for _, error in outcomes]
    if start == 0 and len(errors) > 1 and all(errors) and len(set(errors)) == 1:
        raise StageError(f"{stage}: every sentence of the first batch failed: {errors[0]}")
