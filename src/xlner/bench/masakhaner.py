"""Translate-test on MasakhaNER 2.0 with human translations: the benchmark's configurations.

For lug, tsn and twi the English side, for ewe and wol the French side of
``masakhaner2-parallel`` (the MAFAND-MT translation each test sentence was made from or into)
is tagged by spaCy (``en_core_web_sm``, ``fr_core_news_sm``), aligned to the African sentence
by eflomal with that language's MAFAND-MT train and dev pairs as extra bitext, and the
entities are projected with the heuristic. DATE and MISC are dropped before scoring: the
CoNLL-style taggers have no DATE, and MasakhaNER has no MISC. Only the test sentences that
have a human translation are scored (``masakhaner2-parallel`` keeps the matched ones).

Each language is one :func:`~xlner.pipeline.run.run_pipeline` run, so its stages are cached
under ``run_root/<lang>`` and a rerun with other projection settings reuses the alignment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.io import atomic_write
from xlner.pipeline.run import RunResult, merge, run_pipeline
from xlner.signature import make_signature

# Language -> the language of its human translation (the pivot the tagger reads).
LANGUAGES: dict[str, str] = {"lug": "en", "tsn": "en", "twi": "en", "ewe": "fr", "wol": "fr"}
TIMED_STAGES = ("translate", "tag", "align", "project", "evaluate")


def config_for(lang: str, run_root: Path, overrides: Mapping[str, Any] | None = None) -> dict:
    """The pipeline config of one language; ``overrides`` is merged in (nested tables)."""
    pivot = LANGUAGES[lang]
    config = {
        "run": {"dir": str(run_root / lang)},
        "data": {"corpus": "masakhaner2-parallel", "lang": lang, "pivot": pivot, "split": "test"},
        "translate": {
            "translator": "parallel",
            "options": {"corpus": "masakhaner2-parallel", "lang": lang, "split": "test"},
        },
        "tag": {"tagger": "spacy", "options": {"lang": pivot}},
        "align": {
            "aligner": "eflomal",
            "options": {"symmetrization": "grow-diag-final-and", "rel_iterations": 0.25},
            "extra": [
                {"corpus": "mafand-mt", "pair": f"{pivot}-{lang}", "splits": ["train", "dev"]}
            ],
        },
        "project": {"method": "heuristic", "mode": "forward"},
        "evaluate": {"label_map": "drop-date-misc"},
    }
    return merge(config, overrides or {})


def run_masakhaner(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] = tuple(LANGUAGES),
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run every language; return scores, stage throughput and signatures as JSON data."""
    started = time.perf_counter()
    rows = []
    for lang in languages:
        progress(f"{lang}: translate-test with the human {LANGUAGES[lang]} translation")
        config = config_for(lang, run_root, overrides)
        result = run_pipeline(config, data_dir=data_dir)
        rows.append(row_json(lang, config, result))
    return {
        "benchmark": "masakhaner2-translate-test-human",
        "rows": rows,
        "average_f1": sum(r["f1"] for r in rows) / len(rows) if rows else float("nan"),
        "wall_seconds": time.perf_counter() - started,
    }


def row_json(lang: str, config: Mapping[str, Any], result: RunResult) -> dict[str, Any]:
    stages = {name: report.as_dict() for name, report in result.stages.items()}
    return {
        "lang": lang,
        "pivot": config["data"]["pivot"],
        "sentences": len(result.records["data"]),
        "f1": result.scores["f1"],
        "precision": result.scores["precision"],
        "recall": result.scores["recall"],
        "predicted_to_gold": result.scores["predicted_to_gold"],
        "scores": result.scores,
        "failures": result.failure_counts(),
        "stages": stages,
        "signature": make_signature(
            {"corpus": f"masakhaner2-parallel/{lang}/test"},
            {"translate": config["translate"]["translator"], "tag": config["tag"]["tagger"]},
            {f"align.{k}": v for k, v in config["align"]["options"].items()},
            {"align.extra": "mafand-mt:train+dev", "project": config["project"]["method"]},
            {"mode": config["project"]["mode"], "labels": config["evaluate"]["label_map"]},
        ),
        "run_dir": str(result.run_dir),
    }


def format_table(result: Mapping[str, Any]) -> str:
    """Plain text: F1/P/R per language, then each stage's sentences per second."""
    header = ["lang", "pivot", "sents", "P", "R", "F1", "pred/gold"]
    header += [f"{stage} s/s" for stage in TIMED_STAGES]
    lines = [header]
    for row in result["rows"]:
        cells = [row["lang"], row["pivot"], str(row["sentences"])]
        cells += [f"{row[k]:.1f}" for k in ("precision", "recall", "f1")]
        cells.append(f"{row['predicted_to_gold']:.2f}")
        cells += [_rate(row["stages"].get(stage, {})) for stage in TIMED_STAGES]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.append(f"average F1 {result['average_f1']:.1f}; wall time {result['wall_seconds']:.1f}s")
    return "\n".join(text)


def _rate(stage: Mapping[str, Any]) -> str:
    if stage.get("status") == "reused":
        return "cached"
    rate = stage.get("sentences_per_second")
    return f"{rate:.0f}" if rate else "-"


def write_json(result: Mapping[str, Any], path: Path) -> None:
    with atomic_write(path) as out:
        json.dump(result, out, indent=2, ensure_ascii=False)
        out.write("\n")
