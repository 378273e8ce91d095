"""``xlner report RUN_DIR``: one self-contained HTML page for a study's run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import check_output_paths, fail, out, say


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory of `xlner study noise`.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file (default: RUN_DIR/report.html)."),
    ] = None,
) -> None:
    """Build an offline HTML page: F1 tables, noise curves, per-class scores, example browser."""
    from xlner.study.report import build_report

    if not (run_dir / "results.json").is_file():
        fail(f"{run_dir} is not a finished run directory (no results.json)")
    names = ("results.json", "manifest.json", "examples.jsonl")
    check_output_paths({"--output": output}, {name: run_dir / name for name in names})
    path = build_report(run_dir, output)
    say(f"open file://{path.resolve()} in a browser")
    out.print(str(path))
