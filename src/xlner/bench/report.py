"""What every benchmark shares: its plain-text table, its JSON file, and the row of a pipeline run.

A benchmark returns JSON data (scores, timings, signatures); these functions print it as an
aligned table and write it to disk, the same way for every benchmark.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.io import atomic_write
from xlner.pipeline.run import RunResult


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell, a rule of dashes under the header."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in text)


def write_json(result: Mapping[str, Any], path: Path) -> None:
    """The benchmark's result as indented JSON, written atomically."""
    with atomic_write(path) as out:
        json.dump(result, out, indent=2, ensure_ascii=False, default=str)
        out.write("\n")


# The CPU flags that decide which precisions are fast (bf16 autocast, int8 matmuls).
CPU_FLAGS = ("avx2", "avx512_f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def machine() -> dict[str, Any]:
    """The machine a benchmark row came from: CPU model and flags, cores, load, torch, GPU."""
    import torch

    from xlner.encoders.base import cpu_capabilities

    flags = cpu_capabilities()
    return {
        "cpu": flags.get("cpu_name") or platform.processor(),
        "cpu_flags": {flag: bool(flags.get(flag)) for flag in CPU_FLAGS},
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


# ---------------------------------------------------------------------------- pipeline runs


def run_row(result: RunResult) -> dict[str, Any]:
    """The JSON row of one :func:`~xlner.pipeline.run.run_pipeline` run of a benchmark."""
    scores = result.scores
    return {
        "sentences": len(result.records["data"]),
        **{key: scores[key] for key in ("f1", "precision", "recall", "predicted_to_gold")},
        "scores": scores,
        "failures": result.failure_counts(),
        "stages": {name: report.as_dict() for name, report in result.stages.items()},
        # Every setting that keyed a stage's cache, the components' signatures included.
        **result.signature.stored(),
        "run_dir": str(result.run_dir),
    }


def stage_rate(stage: Mapping[str, Any]) -> str:
    """A stage's sentences per second for a table cell; ``cached`` when it was reused."""
    if stage.get("status") == "reused":
        return "cached"
    rate = stage.get("sentences_per_second")
    return f"{rate:.0f}" if rate else "-"
