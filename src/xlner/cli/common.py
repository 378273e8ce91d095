"""Pieces shared by the CLI commands: consoles, common options, error exits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from xlner.registry import Catalogue, ComponentError, registry

console = Console(stderr=True, soft_wrap=True)  # progress and messages; never wrapped
out = Console(soft_wrap=True)  # results, so they can be piped

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Corpus directory (default: $XLNER_DATA, then the cache)."),
]


def one_of(catalogue: Catalogue) -> str:
    """``One of a, b, c.``: the names a catalogue offers, for an option's help."""
    return f"One of {', '.join(catalogue.available())}."


LabelMapOption = Annotated[str, typer.Option(help=one_of(registry.label_maps))]


def fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(2)


def say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]", highlight=False)


def label_map_table(name: str) -> dict[str, str | None]:
    """The label map registered as ``name``, or a one-line error listing the choices."""
    try:
        return registry.label_maps.get(name)
    except ComponentError as error:
        fail(str(error))
