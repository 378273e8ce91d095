"""The silver benchmark's silver stages alone (``--silver-only``): each language's silver data
and its silver F1 under a config's settings (or each of its variants), without training.

A cheap look at a setting before the hours of training: the stages are the benchmark's own,
in the same runs folder, so the full run later reads them back and trains on them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, machine
from xlner.bench.silver.benchmark import config_variants, plan_variants
from xlner.bench.silver.config import load_settings
from xlner.bench.silver.stages import Progress, prepare, silver_of
from xlner.pipeline.cache import run_lock

# The classes whose silver F1 the table gives one by one (DATE is dropped).
CLASSES = ("PER", "ORG", "LOC")
# The counts of the passes over the kept sentences, where the settings ran them.
PASSES = ("unknown_words", "place_names", "consistency")


def run_silver_only(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] | None,
    variants: Sequence[str] | None,
    *,
    config: str,
    overrides: Sequence[str] = (),
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """A row per language (and variant, for a config with [variants]): the silver stage's
    counts and silver F1, the degraded data's where the settings degrade it."""
    chosen = config_variants(config, overrides, variants)
    if chosen is None:  # the config as it is: one unnamed variant
        chosen = {"": load_settings(config, overrides)}
    plans = plan_variants(chosen, languages, run_root, data_dir)
    started, rows = time.perf_counter(), []
    for name, steps in plans.items():
        for step in steps:
            work = prepare(step, chosen[name], data_dir)
            stages: dict[str, Any] = {}
            with run_lock(run_root / step.lang):
                made, worse = silver_of(
                    step, chosen[name], work, run_root, data_dir, progress, stages
                )
            rows.append(_row(step.lang, name, made, worse, stages))
    return {
        "benchmark": "masakhaner2-silver-data",
        "config": config,
        "machine": machine(),
        "rows": rows,
        "wall_seconds": time.perf_counter() - started,
    }


def _row(
    lang: str,
    variant: str,
    made: Mapping[str, Any],
    worse: Mapping[str, Any] | None,
    stages: Mapping[str, Any],
) -> dict[str, Any]:
    trained_on = worse or made
    return {
        "lang": lang,
        "variant": variant,
        "silver": {k: v for k, v in made.items() if not k.startswith("quality")},
        "silver_quality": trained_on["quality"],
        "silver_quality_no_date": trained_on["quality_no_date"],
        "stages": dict(stages),
    }


def format_silver_only(result: Mapping[str, Any]) -> str:
    """One line per language and variant: sentences kept, the passes' counts, silver F1
    (DATE dropped) with its interval, and each class's."""
    header = ["lang", "variant", "kept", *PASSES, "silver F1", *(f"{c} F1" for c in CLASSES)]
    lines = []
    for row in result["rows"]:
        quality, silver = row["silver_quality_no_date"], row["silver"]
        by_class = quality.get("per_class") or {}
        lines.append(
            [row["lang"], row["variant"] or "-", str(silver["sentences_out"])]
            + [_count(silver.get(name)) for name in PASSES]
            + [_f1(quality)]
            + [f"{by_class[c]['f1']:.1f}" if c in by_class else "-" for c in CLASSES]
        )
    footer = f"silver stages only, nothing trained; wall time {result['wall_seconds']:.0f}s"
    return "\n".join([format_table(header, lines), footer])


def _count(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping):  # the consistency pass's counts
        return " ".join(f"{key} {n}" for key, n in value.items())
    return str(value)


def _f1(quality: Mapping[str, Any]) -> str:
    if not quality["sentences"]:
        return "-"
    low, high = quality.get("f1_interval") or (None, None)
    interval = f" [{low:.1f}, {high:.1f}]" if low is not None else ""
    return f"{quality['f1']:.1f}{interval}"
