"""Running the translate-test pipeline from a TOML config, with cached, resumable stages.

``xlner run CONFIG [key=value ...]`` (or :func:`run_pipeline`) runs the stages of
:mod:`xlner.pipeline.stages` in order: data -> translate -> tag -> align
[-> backtranslate -> align_back] -> project -> evaluate. Each stage's artifact is cached under
``<run.dir>/stages`` by a hash of its settings and inputs (see :mod:`xlner.pipeline.cache`):

* a rerun reuses every finished stage;
* a changed setting recomputes that stage and the ones after it, nothing before it;
* an interrupted run resumes at the first unfinished stage, and inside a batched stage
  (translate, tag, backtranslate) at the first batch without a finished shard.

``<run.dir>/manifest.json`` (rewritten atomically after every stage) records the versions,
the resolved settings, per-stage keys, status, timings, counts and throughput, and every
per-sentence failure; ``report.json`` and ``predictions.conll`` hold the result.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import xlner
from xlner.config import load_config, merge
from xlner.corpora.conll import write_conll
from xlner.io import atomic_write
from xlner.pipeline.cache import Record, StageStore, content_key, stage_key
from xlner.pipeline.stages import (
    STAGE_BUILDERS,
    Stage,
    data_records,
    load_sentences,
    spans_from,
    stage_names,
)
from xlner.types import TaggedSentence

DEFAULTS: dict[str, Any] = {
    "run": {"dir": "runs/default"},
    "data": {"corpus": "", "path": "", "lang": "", "pivot": "en", "split": "test", "limit": 0},
    "translate": {"translator": "nllb", "batch_size": 32, "options": {}},
    "tag": {"tagger": "spacy", "batch_size": 64, "options": {}},
    "align": {"aligner": "eflomal", "options": {}, "extra": []},
    "backtranslate": {
        "enabled": False,
        "translator": "nllb",
        "batch_size": 32,
        "options": {},
        "min_similarity": 0.5,
        "align": {"aligner": "eflomal", "options": {}, "similar_words": 0.8},
    },
    "project": {"method": "heuristic", "mode": "forward", "options": {}},
    "evaluate": {"label_map": "none"},
}
_VERSIONED = ("eflomal", "torch", "transformers", "spacy", "numpy", "seqeval")

Progress = Callable[[str, int, int], None]  # stage, batches done, batches total


# ---------------------------------------------------------------------------- config


def load_run_config(path: str | Path | None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """:data:`DEFAULTS`, then the TOML file, then the ``key=value`` overrides, checked.

    An override of a key :data:`DEFAULTS` does not have, a missing ``data.lang``/``data.pivot``
    or a bad ``data.limit`` is a one-line ValueError.
    """
    config = load_config(path, overrides, DEFAULTS)
    for key in ("lang", "pivot"):
        if not config["data"].get(key):
            raise ValueError(f"the config needs data.{key}")
    limit = config["data"]["limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"data.limit must be a non-negative integer (0: all), not {limit!r}")
    return config


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
    run_dir: Path
    config: dict[str, Any]
    stages: dict[str, StageReport] = field(default_factory=dict)
    records: dict[str, list[Record]] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scores(self) -> dict[str, Any]:
        return self.records["evaluate"][0]["scores"]

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
) -> RunResult:
    """Run (or resume) every stage of ``config``; return the records and the report."""
    config = merge(DEFAULTS, config)
    root = Path(run_dir or config["run"]["dir"])
    data_path = Path(data_dir) if data_dir is not None else None
    result = RunResult(root, config)
    started = time.perf_counter()
    data = _data_stage(config, data_path, result)
    keys = {"data": data}
    for name in stage_names(config):
        stage = STAGE_BUILDERS[name](config, data_path)
        keys[name] = stage_key(name, stage.settings, [keys[dep] for dep in stage.deps])
        try:
            _run_stage(stage, keys[name], root, result, progress)
        except BaseException:
            # Also on Ctrl-C: the manifest shows where the run stopped and what was done.
            result.stages[name].status = "interrupted"
            _write_manifest(result, time.perf_counter() - started)
            raise
        _write_manifest(result, time.perf_counter() - started)
    _write_outputs(result)
    _write_manifest(result, time.perf_counter() - started)
    return result


def _data_stage(config: Mapping[str, Any], data_dir: Path | None, result: RunResult) -> str:
    """Read the corpus (cheap, so always); its key is the hash of what was read."""
    t0 = time.perf_counter()
    records = data_records(load_sentences(config["data"], data_dir))
    key = stage_key("data", content_key(records), [])
    result.records["data"] = records
    result.stages["data"] = StageReport(
        "data", key, "computed", time.perf_counter() - t0, len(records)
    )
    return key


def _run_stage(
    stage: Stage, key: str, root: Path, result: RunResult, progress: Progress | None
) -> None:
    store = StageStore(root / "stages", stage.name, key)
    report = StageReport(stage.name, key)
    result.stages[stage.name] = report
    inputs = {dep: result.records[dep] for dep in stage.deps}
    t0 = time.perf_counter()
    if store.done():
        records, report.status = store.read(), "reused"
    elif stage.batched:
        records = _run_batches(stage, store, inputs, report, progress)
    else:
        records, report.status = stage.run(inputs), "computed"  # type: ignore[misc]
    if not store.done():
        store.write(records, {"stage": stage.name, "key": key, "settings": stage.settings})
        store.drop_shards()
    report.seconds = time.perf_counter() - t0
    report.count = stage.size(inputs) or len(records)  # sentences, also for ``evaluate``
    result.records[stage.name] = records
    _collect_failures(stage.name, records, report, result)


def _run_batches(
    stage: Stage,
    store: StageStore,
    inputs: Mapping[str, list[Record]],
    report: StageReport,
    progress: Progress | None,
) -> list[Record]:
    size = stage.size(inputs)
    ranges = [(s, min(s + stage.batch_size, size)) for s in range(0, size, stage.batch_size)]
    report.batches = len(ranges)
    records: list[Record] = []
    for done, (start, end) in enumerate(ranges):
        shard = store.read_shard(start, end)
        if shard is None:
            shard = stage.run_batch(inputs, start, end)  # type: ignore[misc]
            store.write_shard(start, end, shard)
        else:
            report.batches_reused += 1
        records.extend(shard)
        if progress is not None:
            progress(stage.name, done + 1, len(ranges))
    report.status = "resumed" if report.batches_reused else "computed"
    return records


def _collect_failures(
    name: str, records: Sequence[Record], report: StageReport, result: RunResult
) -> None:
    for index, record in enumerate(records):
        if record.get("error"):
            result.failures.append({"stage": name, "index": index, "error": record["error"]})
            report.failures += 1


# ---------------------------------------------------------------------------- outputs


def versions() -> dict[str, str]:
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
        "stages": {name: report.as_dict() for name, report in result.stages.items()},
        "failures": {"counts": result.failure_counts(), "sentences": result.failures},
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
        TaggedSentence(d["tokens"], spans_from(p["spans"]))
        for d, p in zip(data, projected, strict=True)
    ]
    write_conll(result.run_dir / "predictions.conll", sentences, sep="\t")
    report = {
        "scores": result.scores,
        "label_map": result.records["evaluate"][0]["label_map"],
        "sentences": len(data),
        "failures": result.failure_counts(),
        "stages": {name: report.as_dict() for name, report in result.stages.items()},
    }
    with atomic_write(result.run_dir / "report.json") as out:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
