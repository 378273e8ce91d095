"""``xlner signature SHORT FILE...``: the full settings a short signature stands for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.cli.common import fail, out
from xlner.errors import InputError
from xlner.signature import full_settings


def signature(
    short: Annotated[
        str,
        typer.Argument(
            metavar="SIGNATURE", help="A short signature as xlner printed it (or only its hash)."
        ),
    ],
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="Result files that store signatures, or folders holding them: a run's "
            "manifest.json or report.json, xlner silver's summary.json, a benchmark's JSON.",
        ),
    ],
) -> None:
    """Print, as JSON, the full settings whose hash the short signature carries."""
    try:
        found = (full_settings(short, _read(path)) for path in _json_files(files))
        full = next((settings for settings in found if settings is not None), None)
    except ValueError as error:
        fail(str(error))
    if full is None:
        fail(f"no settings with the hash of {short!r} in {', '.join(map(str, files))}")
    out.print(json.dumps(full, indent=2, sort_keys=True))


def _json_files(paths: list[Path]) -> list[Path]:
    """The files given, and the ``.json`` files directly inside each folder given."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(path, None, "no such file or folder")
        found += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return found


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, None, f"not a JSON result file ({error})") from None
