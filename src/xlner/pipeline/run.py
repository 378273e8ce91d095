"""Running the translate-test pipeline from a TOML config, with cached, resumable stages.

``xlner run CONFIG [key=value ...]`` (or :func:`run_pipeline`) runs the stages of
:mod:`xlner.pipeline.stages` in order: data -> translate -> tag -> align
[-> backtranslate -> align_back] -> project -> evaluate. Each stage's artifact is cached under
``<run.dir>/stages`` by a hash of its settings and inputs (see :mod:`xlner.pipeline.cache`):

* a rerun reuses every finished stage;
* a changed setting recomputes that stage and the ones after it, nothing before it;
* an interrupted run resumes at the first unfinished stage, and inside a batched stage
  (translate, tag, align, backtranslate, align_back, project) at the first batch without a
  finished shard. A statistical aligner's ``align`` is one batch, the whole input (see
  :mod:`xlner.pipeline.stages.align`).

A cached file found damaged (cut short, emptied, edited) is reported by name and its stage
recomputed; a second process on the same run directory is refused while the first runs.

``<run.dir>/manifest.json`` (rewritten atomically after every stage) records the versions,
the resolved settings, per-stage keys, status, timings, counts and throughput, every
per-sentence failure and the run's signature; ``report.json`` and ``predictions.conll`` hold
the result.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import xlner
from xlner.config import FREE_TABLES, check_key, merge, parse_override, read_toml
from xlner.config import apply_overrides as apply_overrides  # re-exported for the pipeline's users
from xlner.corpora import get_corpus
from xlner.corpora.conll import write_conll
from xlner.engine.base import Engine, build_engine
from xlner.io import atomic_write
from xlner.pipeline.cache import (
    CacheDamage,
    CacheWarning,
    StageStore,
    content_key,
    run_lock,
    stage_key,
)
from xlner.pipeline.records import Evaluation
from xlner.pipeline.stages import Stage, StageError, build_stages
from xlner.pipeline.stages.task import StageTask
from xlner.presets import DEFAULT_PRESET, REPLACED, preset_defaults, with_preset
from xlner.signature import Signature, make_signature, preset_baseline
from xlner.types import TaggedSentence

# Everything but the aligner and the projection method, which come from the preset.
_BASE: dict[str, Any] = {
    "run": {"dir": "runs/default"},
    "preset": DEFAULT_PRESET,
    "data": {"corpus": "", "lang": "", "pivot": "en", "split": "test", "limit": 0},
    "translate": {"translator": "nllb", "batch_size": 32, "options": {}},
    "tag": {"tagger": "spacy", "batch_size": 64, "options": {}},
    "align": {"batch_size": 64, "options": {}, "extra": []},
    "backtranslate": {
        "enabled": False,
        "translator": "nllb",
        "batch_size": 32,
        "options": {},
        "min_similarity": 0.5,
        "align": {"aligner": "eflomal", "batch_size": 64, "options": {}, "similar_words": 0.8},
    },
    "project": {"mode": "forward", "batch_size": 256, "options": {}},
    "evaluate": {"label_map": "none"},
}
# Every setting of a run and its default: the default preset's ``[align]`` and ``[project]``
# filled in (configs/presets/default.toml).
DEFAULTS: dict[str, Any] = with_preset(_BASE, {})
_VERSIONED = ("eflomal", "torch", "transformers", "spacy", "numpy")

Progress = Callable[[str, int, int], None]  # stage, batches done, batches total
Warn = Callable[[str], None]


# ---------------------------------------------------------------------------- config


def load_run_config(
    path: str | Path | Traversable | None, overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """:data:`DEFAULTS`, then the TOML file, then the ``key=value`` overrides, checked; the
    aligner and projection of the preset the config names (see :func:`resolve_config`).

    An override must name a key of :data:`DEFAULTS`, or under ``data`` a parameter of the
    chosen corpus (``data.pair`` for a corpus of language pairs); else a one-line ValueError
    suggests the nearest key. A missing ``data.lang``/``data.pivot`` is one too.
    """
    file = read_toml(path) if path is not None else {}
    # What the file and the overrides name (the preset, the components), their keys checked.
    given = apply_overrides(file, overrides, DEFAULTS, free=(*FREE_TABLES, "data"))
    defaults = preset_defaults(_BASE, given, given.get("preset", DEFAULT_PRESET))
    config = apply_overrides(merge(defaults, file, replace=REPLACED), overrides)
    data_keys = [*DEFAULTS["data"], *_corpus_parameters(config["data"]["corpus"])]
    for text in overrides:
        keys, _ = parse_override(text)
        if keys[0] == "data":
            check_key(keys, {"data": dict.fromkeys(data_keys)}, (), text)
    for key in ("lang", "pivot"):
        if not config["data"].get(key):
            raise ValueError(f"the config needs data.{key}")
    return config


def resolve_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` over :data:`DEFAULTS`, with the aligner and the projection of the preset it
    names (``preset = "light"``; default: the default preset) where it names none of its own.

    Resolving a resolved config changes nothing.
    """
    return with_preset(_BASE, config, config.get("preset", DEFAULT_PRESET))


def _corpus_parameters(name: str) -> tuple[str, ...]:
    """The ``[data]`` keys corpus ``name`` reads; none for an unknown corpus (the data stage
    reports that one)."""
    try:
        return get_corpus(name).parameters
    except ValueError:
        return ()


# ---------------------------------------------------------------------------- running


@dataclass
class StageReport:
    name: str
    key: str
    status: str = "pending"  # computed | reused | resumed
    seconds: float = 0.0
    count: int = 0
    failures: int = 0
    batches: int = 0
    batches_reused: int = 0

    def as_dict(self) -> dict[str, Any]:
        rate = self.count / self.seconds if self.seconds > 0 and self.status != "reused" else None
        return {**vars(self), "sentences_per_second": rate}


@dataclass
class RunResult:
    """The records of every stage, what keyed them, and how the run went."""

    run_dir: Path
    config: dict[str, Any]
    stages: dict[str, StageReport] = field(default_factory=dict)
    records: dict[str, list[Any]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # what keyed each stage
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)  # what ran the batches (no effect)

    @property
    def evaluation(self) -> Evaluation:
        return self.records["evaluate"][0]

    @property
    def scores(self) -> dict[str, Any]:
        return self.evaluation.scores

    @property
    def signature(self) -> Signature:
        """Every setting that keyed a stage's cache, component signatures included; the short
        form shows what differs from the preset and from the default settings."""
        preset = self.config.get("preset", DEFAULT_PRESET)
        return make_signature(self.settings, preset=preset, baseline=self._baseline(preset))

    def _baseline(self, preset: str) -> dict[str, Any]:
        """The run's stage settings with the preset's aligner and projection method in place
        of its own, and the default ``[data]`` and ``[evaluate]`` settings in place of the
        given ones."""
        components = preset_baseline(preset)
        base: dict[str, Any] = {"evaluate": {"labels": DEFAULTS["evaluate"]["label_map"]}}
        if "data" in self.settings:
            data = self.settings["data"]
            base["data"] = {**data, **{k: v for k, v in DEFAULTS["data"].items() if k in data}}
        for stage, key in (("align", "aligner"), ("project", "projector")):
            if stage in self.settings and stage in components:
                base[stage] = {**self.settings[stage], key: components[stage]}
        return base

    def failure_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for failure in self.failures:
            counts[failure["stage"]] = counts.get(failure["stage"], 0) + 1
        return counts


def run_pipeline(
    config: Mapping[str, Any],
    *,
    run_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Run (or resume) every stage of ``config``; return the records and the report.

    ``engine`` runs the batches of the batched stages (every stage but ``data`` and
    ``evaluate``; default: the local engine, in this process); a batch finished by any engine
    is reused by any.

    ``warn`` receives one line per damaged cache file that was recomputed (default: a
    :class:`~xlner.pipeline.cache.CacheWarning`). Raises
    :class:`~xlner.pipeline.cache.RunLocked` when another process runs in the directory.
    """
    config = resolve_config(config)
    root = Path(run_dir or config["run"]["dir"])
    config["run"]["dir"] = str(root)  # where the stages put work files (eflomal's)
    data_path = Path(data_dir) if data_dir is not None else None
    engine = engine or build_engine()
    result = RunResult(root, config, engine=engine.describe())

    def note(message: str) -> None:
        result.warnings.append(message)
        (warn or _warn)(message)

    started = time.perf_counter()
    with run_lock(root), engine:
        stages = build_stages(config, data_path)  # every setting checked before any work
        keys: dict[str, str] = {}
        while stages:
            stage = stages.pop(0)  # dropped once run, and its models with it
            task = StageTask(stage.name, config, data_path, stage)
            try:
                keys[stage.name] = _run_stage(stage, keys, result, progress, note, (engine, task))
            except BaseException:
                # Also on Ctrl-C: the manifest shows where the run stopped and what was done.
                result.stages[stage.name].status = "interrupted"
                _write_manifest(result, time.perf_counter() - started)
                raise
            _write_manifest(result, time.perf_counter() - started)
        _write_outputs(result)
        _write_manifest(result, time.perf_counter() - started)
    return result


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=4)


def _run_stage(
    stage: Stage,
    keys: Mapping[str, str],
    result: RunResult,
    progress: Progress | None,
    warn: Warn,
    runner: tuple[Engine, StageTask],
) -> str:
    """Reuse or compute one stage (its batches on ``runner``'s engine); return its key."""
    report = result.stages[stage.name] = StageReport(stage.name, "")
    inputs = {dep: result.records[dep] for dep in stage.deps}
    settings = stage.settings
    t0 = time.perf_counter()
    if stage.cached:
        report.key = stage_key(stage.name, settings, [keys[dep] for dep in stage.deps])
        store = StageStore(result.run_dir / "stages", stage.name, report.key, stage.record)
        records = _CachedStage(stage, store, inputs, report, progress, warn, runner).records()
    else:
        # Read every time and keyed by what was read: an edited corpus is a new one.
        records, report.status = stage.run(inputs), "computed"  # type: ignore[misc]
        settings = {**settings, "content": content_key(records)[:16]}
        report.key = stage_key(stage.name, settings, [])
    report.seconds = time.perf_counter() - t0
    report.count = stage.size(inputs) or len(records)  # sentences, also for ``evaluate``
    result.records[stage.name] = records
    result.settings[stage.name] = settings
    _collect_failures(stage.name, records, report, result)
    return report.key


@dataclass
class _CachedStage:
    """One cached stage of one run: what it reads, where it is stored, how it went."""

    stage: Stage
    store: StageStore
    inputs: Mapping[str, list[Any]]
    report: StageReport
    progress: Progress | None
    warn: Warn
    runner: tuple[Engine, StageTask]

    def records(self) -> list[Any]:
        """The stage's finished records from the cache, else computed (and then stored)."""
        stage, store = self.stage, self.store
        expected = stage.expected(self.inputs)
        try:
            records = store.read(expected)
        except CacheDamage as damage:
            self.warn(f"{damage}; recomputing {stage.name}")
            records = None
        if records is not None:
            self.report.status = "reused"
            return records
        if stage.batched:
            records = self._batches()
        else:
            records, self.report.status = stage.run(self.inputs), "computed"  # type: ignore[misc]
        if len(records) != expected:
            raise StageError(f"{stage.name} returned {len(records)} records for {expected}")
        store.write(records, {"stage": stage.name, "key": store.key, "settings": stage.settings})
        store.drop_shards()
        return records

    def _batches(self) -> list[Any]:
        """Each batch from its finished shard, else computed (by the engine, as each one is
        done) and stored as one."""
        stage, report = self.stage, self.report
        size = stage.size(self.inputs)
        step = stage.batch_size or max(size, 1)  # 0: the whole input in one batch
        ranges = [(start, min(start + step, size)) for start in range(0, size, step)]
        report.batches = len(ranges)
        shards: dict[int, list[Any]] = {}
        for number, (start, end) in enumerate(ranges):
            try:
                shard = self.store.read_shard(start, end)
            except CacheDamage as damage:
                self.warn(f"{damage}; recomputing that batch of {stage.name}")
                shard = None
            if shard is not None:
                shards[number] = shard
        report.batches_reused = len(shards)
        if shards and self.progress is not None:
            self.progress(stage.name, len(shards), len(ranges))
        todo = (
            (n, (start, end, {dep: self.inputs[dep][start:end] for dep in stage.deps}))
            for n, (start, end) in enumerate(ranges)
            if n not in shards
        )
        engine, task = self.runner
        for number, shard in engine.map(task, todo):
            self.store.write_shard(*ranges[number], shard)
            shards[number] = shard
            if self.progress is not None:
                self.progress(stage.name, len(shards), len(ranges))
        report.status = "resumed" if report.batches_reused else "computed"
        return [record for number in range(len(ranges)) for record in shards[number]]


def _collect_failures(
    name: str, records: Sequence[Any], report: StageReport, result: RunResult
) -> None:
    for index, record in enumerate(records):
        error = getattr(record, "error", None)
        if error:
            result.failures.append({"stage": name, "index": index, "error": error})
            report.failures += 1


# ---------------------------------------------------------------------------- outputs


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version  # slow to import: only here

    out = {"xlner": xlner.__version__, "python": platform.python_version()}
    for package in _VERSIONED:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out


def _write_manifest(result: RunResult, seconds: float) -> None:
    manifest = {
        "versions": versions(),
        "command": sys.argv,
        "config": result.config,
        **result.signature.stored(),
        "stages": {name: report.as_dict() for name, report in result.stages.items()},
        "failures": {"counts": result.failure_counts(), "sentences": result.failures},
        "warnings": result.warnings,
        "engine": result.engine,
        "wall_seconds": seconds,
    }
    if "evaluate" in result.records:
        manifest["scores"] = result.scores
    with atomic_write(result.run_dir / "manifest.json") as out:
        json.dump(manifest, out, indent=2, ensure_ascii=False, default=str)
        out.write("\n")


def _write_outputs(result: RunResult) -> None:
    data, projected = result.records["data"], result.records["project"]
    sentences = [
        TaggedSentence(sentence.tokens, projection.labelled())
        for sentence, projection in zip(data, projected, strict=True)
    ]
    write_conll(result.run_dir / "predictions.conll", sentences, sep="\t")
    report = {
        "scores": result.scores,
        "label_map": result.evaluation.label_map,
        **result.signature.stored(),
        "sentences": len(data),
        "failures": result.failure_counts(),
        "stages": {name: report.as_dict() for name, report in result.stages.items()},
    }
    with atomic_write(result.run_dir / "report.json") as out:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
