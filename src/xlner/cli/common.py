"""Pieces shared by the CLI commands: consoles, common options, error exits."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

console = Console(stderr=True, soft_wrap=True)  # progress and messages; never wrapped
out = Console(soft_wrap=True)  # results, so they can be piped

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Corpus directory (default: $XLNER_DATA, then the cache)."),
]


class TagScheme(StrEnum):
    """The tag scheme of token-per-line input files; ``auto`` detects it from the tags."""

    auto = "auto"
    iob1 = "iob1"
    iob2 = "iob2"
    bioes = "bioes"


SchemeOption = Annotated[
    TagScheme,
    typer.Option(
        "--scheme",
        help="Tag scheme of the token-per-line inputs; auto: E-/S- tags mean BIOES, "
        "entities opening with I- mean IOB1, else IOB2.",
    ),
]


def fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(2)


def say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]", highlight=False)
