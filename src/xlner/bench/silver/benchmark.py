"""The silver benchmark run: every language's row (:func:`run_silver`), or the rows of each
variant of an ablation and how the tagger follows the silver F1 (:func:`run_ablation`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.bench.report import machine
from xlner.bench.silver.config import DEFAULT_CONFIG, Plan, load_settings, load_variants, plan
from xlner.bench.silver.crossover import crossover_study
from xlner.bench.silver.report import anchors, averages, quality_study, read_translate_test
from xlner.bench.silver.stages import (
    POOLED,
    PooledTrain,
    Progress,
    Work,
    finished_row,
    pooled_key,
    pooled_train,
    pooled_work,
    prepare,
    run_language,
)
from xlner.pipeline.cache import run_lock


@dataclass(frozen=True)
class Scope:
    """Which rows a run gives: its languages (``None``: the config's), the variants of a
    config with [variants] (``None``: all), and whether only the rows already finished,
    read back without running anything (safe beside a run in progress)."""

    languages: Sequence[str] | None = None
    variants: Sequence[str] | None = None
    finished: bool = False


def run_silver(
    data_dir: Path | None,
    run_root: Path,
    scope: Scope = Scope(),
    *,
    config: str = DEFAULT_CONFIG,
    overrides: Sequence[str] = (),
    translate_test: Path | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Every language's row (see the module docstring), their averages, the settings; for a
    config with variants, :func:`run_ablation`'s result (of the ones the ``scope`` names, in
    the config's order, where it names some)."""
    chosen_variants = config_variants(config, overrides, scope.variants)
    if chosen_variants is not None:
        return run_ablation(
            data_dir, run_root, scope.languages, chosen_variants,
            translate_test=translate_test, finished=scope.finished, progress=progress,
        )  # fmt: skip
    settings = load_settings(config, overrides)
    chosen = list(scope.languages or settings["languages"])
    plans = [plan(lang, settings, run_root, data_dir) for lang in chosen]  # all checked first
    translated = read_translate_test(translate_test)
    started = time.perf_counter()
    rows = _rows(plans, settings, run_root, data_dir, translated, progress, scope.finished)
    return {
        "benchmark": "masakhaner2-silver",
        "config": config,
        "settings": settings,
        "machine": machine(),
        "rows": rows,
        "average": averages(rows, settings),
        "wall_seconds": time.perf_counter() - started,
    }


def config_variants(
    config: str, overrides: Sequence[str], names: Sequence[str] | None
) -> dict[str, Mapping[str, Any]] | None:
    """The variants of the config's [variants] table that ``names`` picks
    (:func:`pick_variants`); None for a config without one, where naming variants is a
    one-line error."""
    if load_settings(config, overrides)["variants"]:
        return pick_variants(load_variants(config, overrides), names)
    if names:
        raise ValueError(f"--variants: config {config} has no [variants] table")
    return None


def plan_variants(
    variants: Mapping[str, Mapping[str, Any]],
    languages: Sequence[str] | None,
    run_root: Path,
    data_dir: Path | None,
) -> dict[str, list[Plan]]:
    """Each variant's plans for ``languages`` (None: the first variant's), every variant and
    language checked before any work; a bad one is a one-line error naming its variant (a
    config without variants is the one named "")."""
    chosen = list(languages or next(iter(variants.values()))["languages"])
    plans = {}
    for name, settings in variants.items():
        try:
            plans[name] = [plan(lang, settings, run_root, data_dir) for lang in chosen]
        except ValueError as error:
            raise ValueError(f"variants.{name}: {error}" if name else str(error)) from None
    return plans


def pick_variants(
    variants: Mapping[str, Mapping[str, Any]], names: Sequence[str] | None
) -> dict[str, Mapping[str, Any]]:
    """The variants ``names`` picks, in the config's order (all of them for ``None``); a
    name the config lacks is a one-line error that lists the config's."""
    if names is None:
        return dict(variants)
    unknown = [name for name in names if name not in variants]
    if unknown:
        raise ValueError(
            f"--variants: no variant {', '.join(map(repr, unknown))} in the config "
            f"(it has {', '.join(variants)})"
        )
    return {name: settings for name, settings in variants.items() if name in names}


def _rows(
    plans: list[Plan],
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    translated: Mapping[str, float],
    progress: Progress,
    finished: bool = False,
) -> list[dict[str, Any]]:
    """The row of each planned language, in order, with its translate-test F1 and anchors;
    with ``train.pooled``, every language scored with one tagger trained on all of them;
    ``finished``: only the rows already finished (:func:`_finished`)."""
    if finished:
        rows = _finished(plans, settings, run_root, data_dir, progress)
    elif not settings["train"]["pooled"]:
        rows = _each(plans, settings, run_root, data_dir, progress, None)
    else:
        with run_lock(run_root / POOLED):  # the pooled tagger's folder, like a language's
            pooled = pooled_train(plans, settings, run_root, data_dir, progress)
            rows = _each(plans, settings, run_root, data_dir, progress, pooled)
    for row in rows:
        row["translate_test"] = translated.get(row["lang"])
        row["anchors"] = anchors(settings, row["lang"])
    return rows


def _each(
    plans: list[Plan],
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    progress: Progress,
    pooled: PooledTrain | None,
) -> list[dict[str, Any]]:
    rows = []
    while plans:  # each language's components (and the models they loaded) freed after it
        step = plans.pop(0)
        with run_lock(run_root / step.lang):  # a second run on the same folders is refused
            rows.append(run_language(step, settings, run_root, data_dir, progress, pooled))
    return rows


def _finished(
    plans: list[Plan],
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    progress: Progress,
) -> list[dict[str, Any]]:
    """The rows of ``plans`` that a run has finished, read back without locks or running;
    each language left out is named."""
    works: Iterable[Work] = (prepare(step, settings, data_dir) for step in plans)
    if settings["train"]["pooled"]:  # the pooled tagger's key needs every language's first
        read = list(works)
        key = pooled_key(plans, settings, [work.keys["silver"] for work in read])
        works = [pooled_work(w, step, settings, key) for w, step in zip(read, plans, strict=True)]
    rows = []
    for step, work in zip(plans, works, strict=True):
        row = finished_row(step, work, run_root)
        if row is None:
            progress(f"{step.lang}: not finished, left out")
        else:
            rows.append(row)
    return rows


def run_ablation(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] | None,
    variants: Mapping[str, Mapping[str, Any]],
    *,
    translate_test: Path | None = None,
    finished: bool = False,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """The rows of each variant (:func:`load_variants`) in the same stage folders, so a
    variant that equals another run's settings reads that run back; and the quality study
    (``finished``: of the rows already finished, as :func:`run_silver`)."""
    first = next(iter(variants.values()))
    plans = plan_variants(variants, languages, run_root, data_dir)
    translated = read_translate_test(translate_test)
    started = time.perf_counter()
    done = []
    for name, settings in variants.items():
        progress(f"variant {name}: {' '.join(settings['variant']) or 'the config as it is'}")
        rows = _rows(plans[name], settings, run_root, data_dir, translated, progress, finished)
        done.append({
            "name": name, "overrides": settings["variant"], "settings": settings,
            "rows": rows, "average": averages(rows, settings),
        })  # fmt: skip
    return {
        "benchmark": "masakhaner2-silver-ablation",
        "config": first["config"],
        "machine": machine(),
        "variants": done,
        "study": quality_study(done),
        # The crossover study, where some variant degraded the silver data on purpose.
        "crossover": crossover_study(done) if _degraded(done) else None,
        "wall_seconds": time.perf_counter() - started,
    }


def _degraded(variants: Sequence[Mapping[str, Any]]) -> bool:
    return any(row.get("degrade") for variant in variants for row in variant["rows"])
