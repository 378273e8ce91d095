"""``xlner data list|fetch``: which corpora are present, and how to get the missing ones."""

from __future__ import annotations

from typing import Annotated

import typer

from xlner.cli.common import DataDir, fail, out, say
from xlner.corpora.registry import (
    CORPORA,
    CorpusNotFound,
    FetchError,
    fetch,
    list_corpora,
    resolve_data_dir,
)

app = typer.Typer(
    help="Corpora: list what is present, fetch what is missing.", no_args_is_help=True
)


@app.command("list")
def list_command(data_dir: DataDir = None) -> None:
    """Show every named corpus, whether it is complete in the data directory, and its origin."""
    say(f"data directory: {resolve_data_dir(data_dir)}")
    for row in list_corpora(data_dir):
        state = "[green]present[/green]" if row.present else "[red]missing[/red]"
        out.print(
            f"[bold]{row.name:22}[/bold] {state} {row.files_present}/{row.files_total} files"
            f"  {row.path}",
            highlight=False,
        )
        out.print(f"    origin:  {row.origin}\n    licence: {row.licence}", highlight=False)
        if not row.present:
            out.print(f"    get it:  xlner data fetch {row.name}", highlight=False)


@app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(CORPORA)}.")],
    data_dir: DataDir = None,
    overwrite: Annotated[bool, typer.Option(help="Download files already present.")] = False,
) -> None:
    """Download a corpus from its public origin into the data directory (resumable)."""
    if name not in CORPORA:
        fail(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    try:
        written = fetch(name, data_dir, progress=say, overwrite=overwrite)
    except (FetchError, CorpusNotFound) as error:
        fail(str(error))
    say(f"{name}: {len(written)} file(s) written under {resolve_data_dir(data_dir)}")
