"""Pieces shared by the CLI commands: consoles, common options, error exits."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from xlner.errors import InputError
from xlner.io import check_outputs
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


def check_output_paths(
    outputs: Mapping[str, Path | str | None], inputs: Mapping[str, Path | str | None]
) -> None:
    """:func:`xlner.io.check_outputs` (no output is an input or a directory) as a CLI error."""
    try:
        check_outputs(outputs, inputs)
    except InputError as error:
        fail(str(error))


def say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]", highlight=False)


def label_map_table(name: str) -> dict[str, str | None]:
    """The label map registered as ``name``, or a one-line error listing the choices."""
    try:
        return registry.label_maps.get(name)
    except ComponentError as error:
        fail(str(error))
