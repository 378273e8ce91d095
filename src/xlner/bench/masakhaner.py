"""Translate-test on MasakhaNER 2.0 with human translations: the benchmark's configurations.

For lug, tsn and twi the English side, for ewe and wol the French side of
``masakhaner2-parallel`` (the MAFAND-MT translation each test sentence was made from or into)
is tagged, aligned to the African sentence (eflomal also learns from that language's MAFAND-MT
train and dev pairs) and the entities are projected back. With the default config that is
xlner's CoNLL-2003 tagger (French read zero-shot by its multilingual encoder) and the default
preset; ``translate-test/masakhaner-lug-spacy`` is spaCy (``en_core_web_sm``,
``fr_core_news_sm``) with eflomal and the heuristic. DATE and MISC are dropped before scoring:
the CoNLL-style taggers have no DATE, and MasakhaNER has no MISC. Only the test sentences that
have a human translation are scored (``masakhaner2-parallel`` keeps the matched ones).

The settings are data: ``configs/benchmarks/masakhaner.toml`` names the languages, their pivots
and the pipeline config every language runs (``configs/translate-test/masakhaner-lug.toml``
unless another is named, with the language put in). Each language is one
:func:`~xlner.pipeline.run.run_pipeline` run, so its stages are cached under ``run_root/<lang>``
and a rerun with other projection settings reuses the alignment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, machine, run_row, stage_rate
from xlner.config import apply_overrides, builtin_config, read_builtin
from xlner.evaluate.errors import ERROR_TYPES, count_errors
from xlner.evaluate.span_f1 import map_spans
from xlner.pipeline.run import DEFAULTS, RunResult, load_run_config, run_pipeline
from xlner.registry import registry

SETTINGS = read_builtin("benchmarks/masakhaner")
# Language -> the language of its human translation (the pivot the tagger reads).
LANGUAGES: dict[str, str] = SETTINGS["pivots"]
DEFAULT_CONFIG: str = SETTINGS["config"]
# Pivots a tagger trained on English reads zero-shot (where the tagger has that option).
ZERO_SHOT_PIVOTS: list[str] = SETTINGS["zero_shot_pivots"]
TIMED_STAGES = ("translate", "tag", "align", "project", "evaluate")


def config_for(
    lang: str, run_root: Path, overrides: Sequence[str] = (), config_name: str = DEFAULT_CONFIG
) -> dict[str, Any]:
    """The pipeline config ``config_name`` of one language, then the ``key=value``
    ``overrides``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}")
    # The overrides go in when the config is read, so that one naming a preset takes its
    # aligner and projection, and again after the language, which they may change.
    config = load_run_config(builtin_config(config_name), overrides)
    pivot = LANGUAGES[lang]
    # Every place the config names its language or its pivot.
    config["run"]["dir"] = str(run_root / lang)
    config["data"] |= {"lang": lang, "pivot": pivot}
    config["translate"]["options"]["lang"] = lang
    config["tag"]["options"]["lang"] = pivot
    for extra in config["align"]["extra"]:
        extra["pair"] = f"{pivot}-{lang}"
    config = apply_overrides(config, overrides, DEFAULTS)
    # After the overrides, which may name another tagger (spaCy has a French model).
    tag = config["tag"]
    tag["options"] = zero_shot_options(tag["tagger"], pivot) | tag["options"]  # given ones win
    return config


def zero_shot_options(tagger: str, pivot: str) -> dict[str, Any]:
    """``zero_shot = true`` where ``pivot`` is read zero-shot and ``tagger`` has the option."""
    if pivot in ZERO_SHOT_PIVOTS and "zero_shot" in registry.taggers.options(tagger):
        return {"zero_shot": True}
    return {}


def run_masakhaner(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] = tuple(LANGUAGES),
    overrides: Sequence[str] = (),
    progress: Callable[[str], None] = lambda message: None,
    config_name: str = DEFAULT_CONFIG,
) -> dict[str, Any]:
    """Run every language; return scores, stage throughput and signatures as JSON data."""
    configs = {  # all checked before any work
        lang: config_for(lang, run_root, overrides, config_name) for lang in languages
    }
    started = time.perf_counter()
    rows = []
    for lang, config in configs.items():
        progress(f"{lang}: translate-test with the human {LANGUAGES[lang]} translation")
        result = run_pipeline(config, data_dir=data_dir)
        row = {"lang": lang, "pivot": config["data"]["pivot"], **run_row(result)}
        rows.append(row | {"errors": error_types(result, config["evaluate"]["label_map"])})
    return {
        "benchmark": "masakhaner2-translate-test-human",
        "config": config_name,
        "machine": machine(),
        "rows": rows,
        "average_f1": sum(r["f1"] for r in rows) / len(rows) if rows else float("nan"),
        "wall_seconds": time.perf_counter() - started,
    }


def error_types(result: RunResult, label_map: str) -> dict[str, int]:
    """Correct, class, boundary, missed and spurious entities of a run, under its label map."""
    mapping = registry.label_maps.get(label_map)
    gold = [map_spans(sentence.spans, mapping) for sentence in result.records["data"]]
    predicted = [map_spans(p.labelled(), mapping) for p in result.records["project"]]
    return count_errors(gold, predicted)


def format_results(result: dict[str, Any]) -> str:
    """Plain text: F1/P/R per language, then each stage's sentences per second."""
    header = ["lang", "pivot", "sents", "P", "R", "F1", "pred/gold"]
    header += [f"{stage} s/s" for stage in TIMED_STAGES]
    rows = [
        [row["lang"], row["pivot"], str(row["sentences"])]
        + [f"{row[k]:.1f}" for k in ("precision", "recall", "f1")]
        + [f"{row['predicted_to_gold']:.2f}"]
        + [stage_rate(row["stages"].get(stage, {})) for stage in TIMED_STAGES]
        for row in result["rows"]
    ]
    kinds = ", ".join(ERROR_TYPES)
    errors = [
        f"{row['lang']} " + " ".join(str(row["errors"][k]) for k in ERROR_TYPES)
        for row in result["rows"]
    ]
    footer = f"errors ({kinds}): " + "; ".join(errors) + "\n"
    footer += f"average F1 {result['average_f1']:.1f}; wall time {result['wall_seconds']:.1f}s"
    return f"{format_table(header, rows)}\n{footer}"
