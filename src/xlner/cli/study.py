"""``xlner study ...``: controlled studies of what drives projection quality."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import DataDir, check_output_paths, fail, out, say

app = typer.Typer(
    help="Controlled studies: how projection quality drives F1.", no_args_is_help=True
)


@app.callback()
def study() -> None:
    """Controlled studies that write a run directory (see ``xlner report``)."""


@app.command("noise")
def noise(
    config: Annotated[
        Path | None,
        typer.Argument(help="TOML config merged over the default (see default-config)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Run directory (default: runs/noise-<time>)."),
    ] = None,
    data_dir: DataDir = None,
    seeds: Annotated[
        str | None, typer.Option(help="Comma-separated seeds, overriding the config.")
    ] = None,
) -> None:
    """F1 of each projection method against alignment and entity noise, and across aligners."""
    from xlner.corpora import CorpusNotFound
    from xlner.study.config import load_study_config, parse_config
    from xlner.study.summary import format_aligners, format_findings
    from xlner.study.sweep import run_study

    try:
        settings = load_study_config(config)
        if seeds is not None:
            settings = parse_config(settings.raw | {"seeds": _ints(seeds)})
    except ValueError as error:
        fail(str(error))
    run_dir = output or Path("runs") / datetime.now().strftime("noise-%Y%m%d-%H%M%S")
    written = {name: run_dir / name for name in ("results.json", "examples.jsonl", "manifest.json")}
    check_output_paths(written, {"CONFIG": config}, folders={"--output": run_dir})
    command = ["xlner", *sys.argv[1:]]
    try:
        results = run_study(settings, run_dir, data_dir, progress=say, command=command)
    except CorpusNotFound as error:
        fail(str(error))
    out.print(format_findings(results))
    out.print(format_aligners(results))
    out.print(str(run_dir))
    say(f"build the report with: xlner report {run_dir}")


@app.command("default-config")
def default_config() -> None:
    """Print the built-in default sweep, a starting point for a config file."""
    from xlner.study.config import default_config_text

    out.print(default_config_text(), end="")


def _ints(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        fail(f"--seeds must be comma-separated integers, not {text!r}")
