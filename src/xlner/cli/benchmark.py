"""``xlner benchmark ...``: the benchmarks behind BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.align.symmetrize import METHODS
from xlner.bench import europarl as europarl_bench
from xlner.cli.common import DataDir, out, say
from xlner.corpora.registry import require

app = typer.Typer(help="Benchmarks that print a table and write JSON.", no_args_is_help=True)


@app.callback()
def benchmarks() -> None:
    """Benchmarks that print a table and write JSON (kept a group even with one command)."""


@app.command("europarl")
def europarl(
    data_dir: DataDir = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/europarl.json"
    ),
    languages: Annotated[str, typer.Option(help="Comma-separated target languages.")] = "de,es,it",
    preset: Annotated[
        str, typer.Option(help="Projectors: heuristic, match (matching configurations) or all.")
    ] = "heuristic",
    symmetrizations: Annotated[
        str, typer.Option(help="Comma-separated eflomal symmetrisations, or 'all'.")
    ] = "all",
) -> None:
    """Project the gold English entities of Europarl-NER onto de/es/it and score them."""
    root = require("europarl-ner", data_dir)
    result = europarl_bench.run_europarl(
        root,
        languages.split(","),
        projectors=europarl_bench.preset_projectors(preset),
        symmetrizations=METHODS if symmetrizations == "all" else symmetrizations.split(","),
        progress=say,
    )
    out.print(europarl_bench.format_table(result), highlight=False)
    out.print(europarl_bench.format_errors(result), highlight=False)
    europarl_bench.write_json(result, output)
    say(f"wrote {output}")
