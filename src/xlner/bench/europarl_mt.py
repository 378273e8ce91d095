"""Translate-test on Europarl-NER Spanish with Apertium: forward, back-translation, combined.

The 799 Spanish sentences are translated into English by Apertium (``spa-eng``), tagged by
spaCy ``en_core_web_sm``, aligned to the Spanish by eflomal (the 799 pairs alone) and the
entities projected back:

* ``forward``: over the cross-lingual alignment;
* ``back``: the tagged English is translated back by Apertium (``eng-spa``) with its entities
  in brackets, the entities are recovered and the back-translation is aligned to the original
  Spanish (eflomal on Spanish-Spanish pairs plus identical/similar-word links);
* ``combined``: both alignments at once.

The three modes are three runs of one cached pipeline that differ only in ``project.mode``,
so translation, tagging and alignment run once. Scores are given with all four classes and
without MISC (spaCy's MISC, mapped from OntoNotes, is not Europarl-NER's MISC). The settings
are data: ``configs/benchmarks/europarl-apertium.toml`` names the modes, the label maps and the
pipeline config (``configs/translate-test/europarl-es-apertium.toml``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, run_row
from xlner.config import apply_overrides, builtin_config, read_builtin
from xlner.pipeline.run import DEFAULTS, load_run_config, run_pipeline

SETTINGS = read_builtin("benchmarks/europarl-apertium")
MODES: list[str] = SETTINGS["modes"]
LABEL_MAPS: list[str] = SETTINGS["label_maps"]


def config_for(
    mode: str, label_map: str, run_root: Path, overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """The pipeline config of one mode and label map, then the ``key=value`` ``overrides``."""
    config = load_run_config(builtin_config(SETTINGS["config"]))
    config["run"]["dir"] = str(run_root)
    config["project"]["mode"] = mode
    config["evaluate"]["label_map"] = label_map
    return apply_overrides(config, overrides, DEFAULTS)


def run_europarl_mt(
    data_dir: Path | None,
    run_root: Path,
    modes: Sequence[str] = MODES,
    overrides: Sequence[str] = (),
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run every mode with every label map; return scores and signatures as JSON data."""
    configs = {
        (mode, label_map): config_for(mode, label_map, run_root, overrides)
        for mode in modes
        for label_map in LABEL_MAPS
    }  # every config is checked before the first run
    started = time.perf_counter()
    rows = []
    for (mode, label_map), config in configs.items():
        progress(f"europarl-ner es: {mode} projection, labels {label_map}")
        result = run_pipeline(config, data_dir=data_dir)
        rows.append({"mode": mode, "label_map": label_map, **run_row(result)})
    return {
        "benchmark": "europarl-ner-es-translate-test-apertium",
        "rows": rows,
        "wall_seconds": time.perf_counter() - started,
    }


def format_results(result: Mapping[str, Any]) -> str:
    """Plain text: P/R/F1 per mode and label map, then each stage's sentences per second."""
    rows = [
        [row["mode"], row["label_map"]]
        + [f"{row[k]:.1f}" for k in ("precision", "recall", "f1")]
        + [f"{row['predicted_to_gold']:.2f}"]
        for row in result["rows"]
    ]
    table = format_table(["mode", "labels", "P", "R", "F1", "pred/gold"], rows)
    rates = ", ".join(f"{name} {rate:.0f}" for name, rate in stage_rates(result["rows"]).items())
    return f"{table}\nsentences/s: {rates or 'all cached'}; wall time {result['wall_seconds']:.1f}s"


def stage_rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Sentences per second of each stage, from the first run that computed it."""
    rates: dict[str, float] = {}
    for row in rows:
        for name, stage in row["stages"].items():
            rate = stage.get("sentences_per_second")
            if rate and name not in rates and name not in ("data", "evaluate"):
                rates[name] = rate
    return rates
