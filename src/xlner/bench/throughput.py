"""Throughput of xlner's slow steps, before and after the speed-ups, in one run.

* ``simalign``: SimAlign on e5-small with the settings of the default preset's SimAlign member
  (configs/presets/default.toml) aligning Europarl-NER en→de, es, it:
  sentence pairs a second, and the F1 of the gold English entities projected over its links
  (heuristic, and coverage matching as in ``match/coverage(s)/greedy``), so that a speed-up is
  seen not to cost accuracy;
* ``tagging``: :class:`~xlner.tagging.tagger.TokenTagger` on CoNLL-2003 test: sentences a
  second, and span F1 when the tagger is a trained one;
* ``training``: fine-tuning e5-small on CoNLL-2003 train (batch 32, word embeddings frozen):
  optimizer steps a second, the first step (warm-up) left out.

Every part is measured in three settings, each in a fresh Python process: ``before`` (the old
defaults: the options in :data:`OLD_OPTIONS` and OpenMP's default wait policy, where idle
threads spin), ``passive`` (the old options with the passive wait policy that ``import xlner``
now sets, see :mod:`xlner.threads`: what the thread setting alone gives) and ``after``
(today's defaults, passive). The settings alternate, ``repeats`` times, so that each ratio
compares medians measured under the same load; the load average is recorded with every
measurement.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, machine

PARTS = ("simalign", "tagging", "training")
STAGES = ("before", "passive", "after")
UNITS = {"simalign": "pairs/s", "tagging": "sentences/s", "training": "steps/s"}
# The options of the old defaults, per part; "after" uses today's defaults.
OLD_OPTIONS: dict[str, dict[str, Any]] = {
    "simalign": {"precision": "float32", "cache_size": 0},
    "tagging": {"precision": "float32"},
    "training": {"bf16": False, "micro_batch_size": None},
}
# The training run measured: the CPU setting of BENCHMARKS.md's model-transfer tagger.
TRAINING: dict[str, Any] = {"batch_size": 32, "learning_rate": 1e-4, "freeze_embeddings": True}
# The instruction sets that decide which kernels torch can use (bf16 needs avx512_bf16 or AMX).
# Printed by a worker before its JSON result, so that library output cannot be mistaken for it.
RESULT_MARK = "xlner-throughput-result "

# A worker process: the spinning stages import torch before xlner, so that libgomp reads its
# default wait policy before ``import xlner`` sets the passive one.
_WORKER = """
import json, os, sys
spec = json.loads(sys.argv[1])
if spec["openmp"] == "spin":
    os.environ.pop("OMP_WAIT_POLICY", None)
    import torch  # noqa: F401
from xlner.bench.throughput import run_worker, RESULT_MARK
print(RESULT_MARK + json.dumps(run_worker(spec)), flush=True)
"""


class WorkerError(RuntimeError):
    """A measurement process failed; the message holds its last line of output."""


def worker_spec(part: str, stage: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What a worker process measures: ``settings`` plus the stage's options and threads."""
    if part not in PARTS or stage not in STAGES:
        raise ValueError(f"unknown part or stage {part!r}/{stage!r}")
    options = {} if stage == "after" else OLD_OPTIONS[part]
    openmp = "spin" if stage == "before" else "passive"
    return {**settings, "part": part, "stage": stage, "options": options, "openmp": openmp}


def measure(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one worker process for ``spec``; its result with the load average around it."""
    env = dict(os.environ)
    if spec["openmp"] == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise WorkerError(f"throughput worker {spec['part']}/{spec['stage']} failed: {tail[0]}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    result["load_average"] = [load_before, os.getloadavg()[0]]
    return result


def run_throughput(
    settings: Mapping[str, Any],
    parts: Sequence[str] = PARTS,
    repeats: int = 2,
    progress: Callable[[str], None] = lambda message: None,
    measure_one: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Measure every part in every stage ``repeats`` times, the stages interleaved.

    ``settings``: ``data_dir`` (the corpora), ``pairs`` (Europarl sentence pairs a language,
    0: all 799), ``sentences`` (CoNLL-2003 test sentences, 0: all), ``steps`` (training
    steps), ``tagger`` (a trained tagger directory, or None for an untrained e5-small one).
    ``measure_one`` replaces :func:`measure` (tests).
    """
    measure_one = measure_one or measure
    started = time.perf_counter()
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {p: {s: [] for s in STAGES} for p in parts}
    for part in parts:
        for repeat in range(repeats):
            for stage in STAGES:
                progress(f"{part} {stage} (run {repeat + 1} of {repeats})")
                runs[part][stage].append(measure_one(worker_spec(part, stage, settings)))
    return {
        "benchmark": "throughput",
        "machine": machine(),
        "settings": dict(settings),
        "old_options": OLD_OPTIONS,
        "parts": {part: summarise(part, runs[part]) for part in parts},
        "wall_seconds": time.perf_counter() - started,
    }


def summarise(part: str, runs: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Median rate per stage, the ratios to ``before``, and the runs themselves."""
    rates = {stage: statistics.median(r["rate"] for r in runs[stage]) for stage in STAGES}
    summary: dict[str, Any] = {
        "unit": UNITS[part],
        "rate": rates,
        "ratio": {stage: rates[stage] / rates["before"] for stage in STAGES},
        "runs": {stage: list(runs[stage]) for stage in STAGES},
    }
    scores = {stage: runs[stage][0].get("f1") for stage in STAGES}
    if any(score is not None for score in scores.values()):
        summary["f1"] = scores
    return summary


# --------------------------------------------------------------------------- workers


def run_worker(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Measure one part in one setting, in this process."""
    import torch

    workers = {"simalign": _simalign, "tagging": _tagging, "training": _training}
    result = workers[spec["part"]](spec)
    threads = {"torch_threads": torch.get_num_threads(), "openmp": spec["openmp"]}
    return {**result, **threads, "options": spec["options"]}


def _simalign(spec: Mapping[str, Any]) -> dict[str, Any]:
    from xlner.align.simalign import SimAlignAligner
    from xlner.bench import europarl
    from xlner.corpora.europarl_ner import EUROPARL_NER
    from xlner.presets import DEFAULT_PRESET, preset_section
    from xlner.project.heuristic import HeuristicProjector

    languages = europarl.LANGUAGES
    data_dir = Path(spec["data_dir"])
    corpus = EUROPARL_NER.load_languages((europarl.SOURCE_LANGUAGE, *languages), data_dir=data_dir)
    corpus = {lang: sentences[: spec["pairs"] or None] for lang, sentences in corpus.items()}
    source = corpus[europarl.SOURCE_LANGUAGE]
    members = preset_section(DEFAULT_PRESET, "align")["options"]["members"]
    aligner = SimAlignAligner(**{**members["simalign"], **spec["options"]})
    aligner.align([(["warm", "up"], ["auf", "wärmen"])])  # loads the model
    coverage = europarl.projector_group("embedding")["match/coverage(s)/greedy"].projector
    projectors = {"heuristic": HeuristicProjector(), "coverage": coverage}
    seconds = 0.0
    f1: dict[str, list[float]] = {name: [] for name in projectors}
    for lang in languages:
        pairs = [(s.tokens, t.tokens) for s, t in zip(source, corpus[lang], strict=True)]
        started = time.perf_counter()
        links = aligner.align(pairs)
        seconds += time.perf_counter() - started
        for name, projector in projectors.items():
            f1[name].append(_projection_f1(projector, source, corpus[lang], links, aligner.name))
    n_pairs = len(source) * len(languages)
    return {
        "rate": n_pairs / seconds,
        "items": n_pairs,
        "seconds": seconds,
        "signature": aligner.signature(),
        "f1": {name: statistics.mean(values) for name, values in f1.items()},
    }


def _projection_f1(
    projector: Any, source: list[Any], target: list[Any], links: list[Any], name: str
) -> float:
    """Span F1 of the gold source entities projected onto ``target`` over SimAlign ``links``
    (the link set ``name`` that the coverage score reads)."""
    from xlner.evaluate import evaluate_spans
    from xlner.types import LinkSets

    predicted = [
        [p.span for p in projector.project(s.tokens, s.spans, t.tokens, sets)]
        for s, t, sets in zip(
            source, target, [LinkSets.of({name: x}, name) for x in links], strict=True
        )
    ]
    lengths = [len(t.tokens) for t in target]
    return evaluate_spans([t.spans for t in target], predicted, lengths).f1


def _tagging(spec: Mapping[str, Any]) -> dict[str, Any]:
    from xlner.evaluate import evaluate_spans
    from xlner.tagging.tagger import TokenTagger, labels_from

    sentences = _conll("test", spec)[: spec["sentences"] or None]
    options = spec["options"]
    if spec.get("tagger"):
        tagger = TokenTagger.load(spec["tagger"], device="cpu", **options)
    else:  # an untrained classifier on e5-small: as fast as a trained one, F1 meaningless
        tagger = TokenTagger.from_encoder("e5-small", labels_from(sentences), **options)
    tokens = [s.tokens for s in sentences]
    tagger.predict_proba(tokens[:8])  # warm-up
    started = time.perf_counter()
    predicted = tagger.predict_spans(tokens)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "rate": len(tokens) / seconds,
        "items": len(tokens),
        "seconds": seconds,
        "precision": tagger.inference_precision(),
    }
    if spec.get("tagger"):
        lengths = [len(t) for t in tokens]
        result["f1"] = evaluate_spans([s.spans for s in sentences], predicted, lengths).f1
    return result


def _training(spec: Mapping[str, Any]) -> dict[str, Any]:
    from xlner.tagging.tagger import TokenTagger, labels_from
    from xlner.tagging.training import TrainConfig, TrainProgress, bf16_training, fit

    train = _conll("train", spec)
    tagger = TokenTagger.from_encoder("e5-small", labels_from(train))
    reports: list[tuple[TrainProgress, float]] = []
    config = TrainConfig(
        **{**TRAINING, **spec["options"]},
        stop_after=spec["steps"] + 1,
        log_every=1,
        checkpoint_every=None,
    )
    fit(tagger, train, config=config, progress=lambda p: reports.append((p, time.perf_counter())))
    (first, t0), (last, t1) = reports[0], reports[-1]
    steps = last.step - first.step
    return {
        "rate": steps / (t1 - t0),
        "items": steps,
        "seconds": t1 - t0,
        "loss": last.loss,
        "bf16": config.bf16 and bf16_training(tagger),
    }


def _conll(split: str, spec: Mapping[str, Any]) -> list[Any]:
    from xlner.corpora import get_corpus

    return get_corpus("conll2003").load(split=split, data_dir=Path(spec["data_dir"]))


# ---------------------------------------------------------------------------- output


def format_results(result: Mapping[str, Any]) -> str:
    """One line per part: the median rate of each stage and the ratios to ``before``."""
    header = ["part", "unit", *STAGES, "passive/before", "after/before", "F1 before/after"]
    lines = []
    for part, summary in result["parts"].items():
        rates, ratios = summary["rate"], summary["ratio"]
        lines.append(
            [
                part,
                summary["unit"],
                *(f"{rates[stage]:.2f}" for stage in STAGES),
                f"{ratios['passive']:.2f}x",
                f"{ratios['after']:.2f}x",
                _f1_cell(summary.get("f1")),
            ]
        )
    text = [format_table(header, lines)]
    info = result["machine"]
    flags = [flag for flag, present in info["cpu_flags"].items() if present]
    loads = [
        load
        for summary in result["parts"].values()
        for runs in summary["runs"].values()
        for run in runs
        for load in run["load_average"]
    ]
    text.append(
        f"{info['cpu']} ({info['cores']} cores; {', '.join(flags) or 'no AVX2'}); torch "
        f"{info['torch']}, {info['torch_threads']} threads; load average "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f}; "
        f"wall time {result['wall_seconds']:.0f} s"
    )
    return "\n".join(text)


def _f1_cell(scores: Mapping[str, Any] | None) -> str:
    if not scores:
        return "-"
    before, after = scores["before"], scores["after"]
    if isinstance(before, Mapping):
        return ", ".join(f"{k} {before[k]:.2f}/{after[k]:.2f}" for k in before)
    return f"{before:.2f}/{after:.2f}"
