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
without MISC (spaCy's MISC, mapped from OntoNotes, is not Europarl-NER's MISC).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.masakhaner import write_json
from xlner.pipeline.run import merge, run_pipeline
from xlner.pipeline.stages import PROJECTION_MODES
from xlner.signature import make_signature

LABEL_MAPS = ("none", "drop-misc")
__all__ = ["config_for", "format_table", "run_europarl_mt", "write_json"]


def config_for(
    mode: str, label_map: str, run_root: Path, overrides: Mapping[str, Any] | None = None
) -> dict:
    config = {
        "run": {"dir": str(run_root)},
        "data": {"corpus": "europarl-ner", "lang": "es", "pivot": "en"},
        "translate": {"translator": "apertium", "batch_size": 100},
        "tag": {"tagger": "spacy", "options": {"lang": "en"}},
        "align": {
            "aligner": "eflomal",
            "options": {"symmetrization": "grow-diag-final-and", "rel_iterations": 0.25},
        },
        "backtranslate": {
            "enabled": True,
            "translator": "apertium",
            "batch_size": 100,
            "align": {
                "aligner": "eflomal",
                "options": {"symmetrization": "grow-diag-final-and", "rel_iterations": 0.25},
                "similar_words": 0.8,
            },
        },
        "project": {"method": "heuristic", "mode": mode},
        "evaluate": {"label_map": label_map},
    }
    return merge(config, overrides or {})


def run_europarl_mt(
    data_dir: Path | None,
    run_root: Path,
    modes: Sequence[str] = PROJECTION_MODES,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    started = time.perf_counter()
    rows = []
    for mode in modes:
        for label_map in LABEL_MAPS:
            progress(f"europarl-ner es: {mode} projection, labels {label_map}")
            config = config_for(mode, label_map, run_root, overrides)
            result = run_pipeline(config, data_dir=data_dir)
            rows.append(
                {
                    "mode": mode,
                    "label_map": label_map,
                    "f1": result.scores["f1"],
                    "precision": result.scores["precision"],
                    "recall": result.scores["recall"],
                    "predicted_to_gold": result.scores["predicted_to_gold"],
                    "scores": result.scores,
                    "failures": result.failure_counts(),
                    "stages": {n: r.as_dict() for n, r in result.stages.items()},
                    "signature": _signature(config),
                }
            )
    return {
        "benchmark": "europarl-ner-es-translate-test-apertium",
        "rows": rows,
        "wall_seconds": time.perf_counter() - started,
    }


def _signature(config: Mapping[str, Any]) -> str:
    return make_signature(
        {"corpus": "europarl-ner/es", "translate": "apertium:spa-eng", "tag": "spacy:en"},
        {f"align.{k}": v for k, v in config["align"]["options"].items()},
        {"back": "apertium:eng-spa", "mode": config["project"]["mode"]},
        {"labels": config["evaluate"]["label_map"]},
    )


def format_table(result: Mapping[str, Any]) -> str:
    lines = [["mode", "labels", "P", "R", "F1", "pred/gold"]]
    for row in result["rows"]:
        lines.append(
            [row["mode"], row["label_map"]]
            + [f"{row[k]:.1f}" for k in ("precision", "recall", "f1")]
            + [f"{row['predicted_to_gold']:.2f}"]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    rates = ", ".join(f"{name} {rate:.0f}" for name, rate in stage_rates(result["rows"]).items())
    text.append(f"sentences/s: {rates or 'all cached'}; wall time {result['wall_seconds']:.1f}s")
    return "\n".join(text)


def stage_rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Sentences per second of each stage, from the first run that computed it."""
    rates: dict[str, float] = {}
    for row in rows:
        for name, stage in row["stages"].items():
            rate = stage.get("sentences_per_second")
            if rate and name not in rates and name not in ("data", "evaluate"):
                rates[name] = rate
    return rates
