"""``xlner study noise``: F1 of every projection method against controlled noise.

For each dataset and language the sentence pairs are aligned ONCE per aligner; the noise
operators then work on those cached links (or on the source entities), so a sweep costs one
eflomal run per aligner and language plus cheap projections.

A run directory holds:

* ``results.json``: every cell (dataset, language, axis, operator, level, seed, method, aligner)
  with its scores, per-class scores, error counts and signature, plus the aligners' proxy
  agreement and the reference lines;
* ``examples.jsonl``: per-sentence records for the configured example settings (source tokens
  and entities, target tokens and gold, links, every method's projection and error types);
* ``manifest.json``: the configuration, command, versions, machine and wall time.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

import xlner
from xlner.corpora import require
from xlner.evaluate import evaluate_spans, map_spans
from xlner.evaluate.errors import ERROR_TYPES, classify_errors
from xlner.io import atomic_write, make_folder
from xlner.project import make_projector
from xlner.project.base import Projector
from xlner.registry import registry
from xlner.signature import Signature, make_signature
from xlner.study.aligners import Alignment, proxy_agreement, run_aligner
from xlner.study.config import DatasetSpec, ExampleSetting, StudyConfig
from xlner.study.data import LanguageData, labels_of, load_dataset
from xlner.study.noise import SentenceInput, apply_corpus, get_operator
from xlner.types import Link, Span

Progress = Callable[[str], None]
CLEAN = "none"  # the operator name of the undegraded setting


@dataclass
class Projection:
    """One method's projection of a whole language, scored."""

    predicted: list[list[Span]]
    cell: dict[str, Any]


@dataclass
class LanguageRun:
    """What one language contributes to the run directory."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    aligners: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)


def build_projectors(methods: Mapping[str, Mapping[str, Any]]) -> dict[str, Projector]:
    projectors = {}
    for name, options in methods.items():
        settings = dict(options)
        projectors[name] = make_projector(settings.pop("method"), **settings)
    return projectors


# ----------------------------------------------------------------------------- scoring


def project_all(
    projector: Projector, items: Sequence[SentenceInput], data: LanguageData
) -> tuple[list[list[Span]], float]:
    """Projected spans per sentence and the seconds projection took."""
    started = time.perf_counter()
    predicted = [
        [p.span for p in projector.project(src.tokens, item.source_spans, tgt.tokens, item.links)]
        for item, src, tgt in zip(items, data.source, data.target, strict=True)
    ]
    return predicted, time.perf_counter() - started


def score(
    predicted: Sequence[Sequence[Span]], data: LanguageData, label_map: str
) -> dict[str, Any]:
    """Strict span F1, per class, and error-type counts, after the dataset's label map."""
    table = registry.label_maps.get(label_map)
    gold = [t.spans for t in data.target]
    scores = evaluate_spans(gold, predicted, [len(t.tokens) for t in data.target], table)
    errors = dict.fromkeys(ERROR_TYPES, 0)
    for g, p in zip(gold, predicted, strict=True):
        for error in classify_errors(map_spans(g, table), map_spans(p, table)):
            errors[error.kind] += 1
    return {**scores.as_dict(), "errors": errors}


def clean_items(data: LanguageData, links: Sequence[Sequence[Link]]) -> list[SentenceInput]:
    return [
        SentenceInput(list(src.spans), list(pair_links), len(src.tokens), len(tgt.tokens))
        for src, tgt, pair_links in zip(data.source, data.target, links, strict=True)
    ]


def noise_seed(seed: int, operator: str, language: str) -> list[int]:
    """A stable seed per (seed, operator, language); crc32, as hash() changes between runs."""
    return [seed, zlib.crc32(operator.encode()), zlib.crc32(language.encode())]


# ----------------------------------------------------------------------------- one language


@dataclass
class LanguageContext:
    config: StudyConfig
    dataset: DatasetSpec
    data: LanguageData
    projectors: dict[str, Projector]
    progress: Progress
    example_indices: list[int]


def run_language(ctx: LanguageContext) -> LanguageRun:
    out = LanguageRun()
    alignments = _align(ctx)
    base = alignments[0]
    clean = clean_items(ctx.data, base.links)
    # The clean projection is computed once: the first aligner's point on the aligner axis
    # and level 0 of every operator's curve.
    baseline = {
        name: _cell(ctx, projector, name, clean, base, "noise", CLEAN, 0.0, 0)
        for name, projector in ctx.projectors.items()
    }
    for alignment in alignments:
        reference = base.intersection
        agreement = proxy_agreement(alignment.links, reference) if reference else None
        out.aligners.append(_aligner_row(ctx, alignment, agreement))
        for name, projector in ctx.projectors.items():
            if alignment is base:
                out.cells.append(dict(baseline[name].cell, axis="aligner"))
                continue
            items = clean_items(ctx.data, alignment.links)
            projection = _cell(ctx, projector, name, items, alignment, "aligner", CLEAN, 0.0, 0)
            out.cells.append(projection.cell)
    _examples(ctx, CLEAN, 0.0, clean, baseline, out)
    _noise_axis(ctx, base, clean, baseline, out)
    return out


def _align(ctx: LanguageContext) -> list[Alignment]:
    alignments = []
    for spec in ctx.dataset.aligners:
        ctx.progress(f"{ctx.dataset.name}/{ctx.data.language}: aligning with {spec.name}")
        alignment = run_aligner(spec, ctx.data, ctx.config.symmetrization)
        ctx.progress(f"  {spec.name}: {alignment.seconds:.1f}s")
        alignments.append(alignment)
    return alignments


def _noise_axis(
    ctx: LanguageContext,
    base: Alignment,
    clean: list[SentenceInput],
    baseline: Mapping[str, Projection],
    out: LanguageRun,
) -> None:
    labels = labels_of(ctx.data.source) or ["PER", "ORG", "LOC", "MISC"]
    started = time.perf_counter()
    for operator in ctx.config.operators:
        for seed in ctx.config.seeds:
            for level in ctx.config.levels:
                items = _degrade(operator, clean, level, seed, ctx.data.language, labels)
                results = {
                    name: _relabel(baseline[name], operator, seed, ctx, base, projector)
                    if level == 0.0
                    else _cell(ctx, projector, name, items, base, "noise", operator, level, seed)
                    for name, projector in ctx.projectors.items()
                }
                out.cells.extend(result.cell for result in results.values())
                if seed == ctx.config.seeds[0]:
                    _examples(ctx, operator, level, items, results, out)
        elapsed = time.perf_counter() - started
        ctx.progress(f"{ctx.dataset.name}/{ctx.data.language}: {operator} done ({elapsed:.0f}s)")


def _degrade(
    operator: str,
    clean: list[SentenceInput],
    level: float,
    seed: int,
    language: str,
    labels: list[str],
) -> list[SentenceInput]:
    if level == 0.0:
        return clean
    return apply_corpus(
        get_operator(operator), clean, level, noise_seed(seed, operator, language), labels
    )


def _relabel(
    projection: Projection,
    operator: str,
    seed: int,
    ctx: LanguageContext,
    alignment: Alignment,
    projector: Projector,
) -> Projection:
    """The clean cell, filed under ``operator`` at level 0 (same numbers, own signature)."""
    signature = _signature(ctx, alignment, projector, operator, 0.0, seed)
    return Projection(
        projection.predicted,
        dict(projection.cell, operator=operator, seed=seed, **signature.stored()),
    )


def _signature(
    ctx: LanguageContext,
    alignment: Alignment,
    projector: Projector,
    operator: str,
    level: float,
    seed: int,
) -> Signature:
    return make_signature(
        {
            "corpus": ctx.dataset.corpus,
            "lang": f"{ctx.data.source_language}-{ctx.data.language}",
            "source_entities": ctx.data.source_entities,
            **alignment.signature,
            "noise.operator": operator,
            "noise.level": level,
            "noise.seed": seed,
            "project": projector.signature(),
            "label_map": ctx.dataset.label_map,
        }
    )


def _cell(  # noqa: PLR0913
    ctx: LanguageContext,
    projector: Projector,
    method: str,
    items: Sequence[SentenceInput],
    alignment: Alignment,
    axis: str,
    operator: str,
    level: float,
    seed: int,
) -> Projection:
    predicted, seconds = project_all(projector, items, ctx.data)
    scores = score(predicted, ctx.data, ctx.dataset.label_map)
    signature = _signature(ctx, alignment, projector, operator, level, seed)
    cell = {
        "dataset": ctx.dataset.name,
        "language": ctx.data.language,
        "axis": axis,
        "aligner": alignment.spec.name,
        "operator": operator,
        "level": level,
        "seed": seed,
        "method": method,
        "f1": scores["f1"],
        "project_seconds": seconds,
        "scores": scores,
        **signature.stored(),
    }
    return Projection(predicted, cell)


def _aligner_row(
    ctx: LanguageContext, alignment: Alignment, agreement: dict[str, float] | None
) -> dict[str, Any]:
    return {
        "dataset": ctx.dataset.name,
        "language": ctx.data.language,
        "aligner": alignment.spec.name,
        "spec": alignment.spec.describe(),
        "seconds": alignment.seconds,
        "links": sum(len(links) for links in alignment.links),
        "proxy": agreement,
        "proxy_reference": f"{ctx.dataset.aligners[0].name}/intersection",
        **make_signature(alignment.signature).stored(),
    }


# ----------------------------------------------------------------------------- examples


def pick_examples(data: LanguageData, count: int, max_tokens: int, seed: int = 0) -> list[int]:
    """A seeded sample of sentences with entities, short ones when there are enough."""
    with_entities = [
        index
        for index, (src, tgt) in enumerate(zip(data.source, data.target, strict=True))
        if src.spans or tgt.spans
    ]
    short = [i for i in with_entities if len(data.source[i].tokens) <= max_tokens]
    pool = short if len(short) >= count else with_entities
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    return sorted(pool[int(i)] for i in chosen)


def _examples(
    ctx: LanguageContext,
    operator: str,
    level: float,
    items: Sequence[SentenceInput],
    results: Mapping[str, Projection],
    out: LanguageRun,
) -> None:
    if ExampleSetting(operator, level) not in ctx.config.example_settings:
        return
    table = registry.label_maps.get(ctx.dataset.label_map)
    for index in ctx.example_indices:
        out.examples.append(_example(ctx, operator, level, index, items[index], results, table))


def _example(
    ctx: LanguageContext,
    operator: str,
    level: float,
    index: int,
    item: SentenceInput,
    results: Mapping[str, Projection],
    table: Mapping[str, str | None],
) -> dict[str, Any]:
    # Spans as evaluated: after the label map (MasakhaNER's DATE, a tagger's MISC dropped).
    gold = map_spans(ctx.data.target[index].spans, table)
    projected = {name: map_spans(r.predicted[index], table) for name, r in results.items()}
    return {
        "dataset": ctx.dataset.name,
        "language": ctx.data.language,
        "source_language": ctx.data.source_language,
        "operator": operator,
        "level": level,
        "index": index,
        "source_tokens": ctx.data.source[index].tokens,
        "source_spans": _spans(ctx.data.source[index].spans),
        "noisy_source_spans": _spans(item.source_spans),
        "target_tokens": ctx.data.target[index].tokens,
        "gold_spans": _spans(gold),
        "label_map": ctx.dataset.label_map,
        "links": [[link.src, link.tgt] for link in item.links],
        "projected": {name: _spans(spans) for name, spans in projected.items()},
        "errors": {
            name: [
                {"kind": e.kind, "gold": _span(e.gold), "predicted": _span(e.predicted)}
                for e in classify_errors(gold, spans)
            ]
            for name, spans in projected.items()
        },
    }


def _spans(spans: Iterable[Span]) -> list[list[Any]]:
    return [[s.start, s.end, s.label] for s in spans]


def _span(span: Span | None) -> list[Any] | None:
    return None if span is None else [span.start, span.end, span.label]


# ----------------------------------------------------------------------------- the run


def run_study(
    config: StudyConfig,
    run_dir: Path,
    data_dir: Path | None = None,
    progress: Progress = lambda message: None,
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run every dataset and language of ``config`` and write the run directory."""
    started = time.perf_counter()
    created = datetime.now(UTC).isoformat(timespec="seconds")

    roots = check_corpora(config, data_dir)  # a missing corpus stops the run before any work

    def languages() -> Iterable[tuple[DatasetSpec, LanguageData]]:
        for dataset in config.datasets:
            for data in load_dataset(dataset, roots[dataset.name], progress):
                yield dataset, data

    results, examples = sweep(config, languages(), progress)
    wall = time.perf_counter() - started
    manifest = make_manifest(config, created, wall, command, len(results["cells"]), len(examples))
    write_run_dir(run_dir, results, examples, manifest)
    progress(
        f"wrote {run_dir} ({len(results['cells'])} cells, {len(examples)} examples, {wall:.0f}s)"
    )
    return results


def check_corpora(config: StudyConfig, data_dir: Path | None) -> dict[str, Path]:
    """The data directory of each dataset; CorpusNotFound names the first missing corpus."""
    roots = {}
    for dataset in config.datasets:
        roots[dataset.name] = require(dataset.corpus, data_dir)
        if any(spec.extra == "mafand-train" for spec in dataset.aligners):
            require("mafand-mt", data_dir)
    return roots


def sweep(
    config: StudyConfig,
    languages: Iterable[tuple[DatasetSpec, LanguageData]],
    progress: Progress = lambda message: None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Align, degrade, project and score every language; the results and the examples."""
    projectors = build_projectors(config.methods)
    cells, aligners, examples = [], [], []
    datasets: dict[str, dict[str, Any]] = {}
    for dataset, data in languages:
        indices = pick_examples(data, config.example_sentences, config.example_max_tokens)
        ctx = LanguageContext(config, dataset, data, projectors, progress, indices)
        result = run_language(ctx)
        cells += result.cells
        aligners += result.aligners
        examples += result.examples
        info = datasets.setdefault(dataset.name, _dataset_info(dataset))
        info["languages"][data.language] = {
            "sentences": len(data.target),
            "source_language": data.source_language,
            "source_entities": data.source_entities,
        }
    return _results(config, cells, aligners, datasets), examples


def _dataset_info(dataset: DatasetSpec) -> dict[str, Any]:
    return {
        "corpus": dataset.corpus,
        "label_map": dataset.label_map,
        "aligners": [spec.describe() for spec in dataset.aligners],
        "reference_lines": dataset.reference_lines,
        "reference_label": dataset.reference_label,
        "languages": {},
    }


def _results(
    config: StudyConfig,
    cells: list[dict[str, Any]],
    aligners: list[dict[str, Any]],
    datasets: dict[str, Any],
) -> dict[str, Any]:
    return {
        "study": "noise",
        "levels": config.levels,
        "seeds": config.seeds,
        "operators": config.operators,
        "methods": list(config.methods),
        "symmetrization": config.symmetrization,
        "datasets": datasets,
        "aligners": aligners,
        "cells": cells,
    }


def make_manifest(
    config: StudyConfig,
    created: str,
    wall: float,
    command: Sequence[str] | None,
    n_cells: int,
    n_examples: int,
) -> dict[str, Any]:
    packages = ("eflomal", "numpy", "scipy")
    return {
        "study": "noise",
        "created": created,
        "command": list(command) if command is not None else sys.argv,
        "wall_seconds": wall,
        "xlner_version": xlner.__version__,
        "versions": {name: version(name) for name in packages},
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "config": config.raw,
        "files": {"results.json": n_cells, "examples.jsonl": n_examples},
    }


def write_run_dir(
    run_dir: Path,
    results: Mapping[str, Any],
    examples: Sequence[Mapping[str, Any]],
    manifest: Mapping[str, Any],
) -> None:
    make_folder(run_dir)
    with atomic_write(run_dir / "results.json") as handle:
        json.dump(results, handle, ensure_ascii=False)
        handle.write("\n")
    with atomic_write(run_dir / "examples.jsonl") as handle:
        for example in examples:
            handle.write(json.dumps(example, ensure_ascii=False) + "\n")
    # The manifest last: a run directory with a manifest is complete.
    with atomic_write(run_dir / "manifest.json") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")
