"""Run ``xlner`` in-process through its real console entry point, as a user's shell would.

The entry point turns bad input into ``error: ...`` and exit code 2; any other exception
escapes from :func:`xlner_cli` unchanged, so a test that expects a one-line error fails on
a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import pytest

from xlner.cli import run


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def xlner_cli(capsys: pytest.CaptureFixture[str], *args: object) -> Outcome:
    capsys.readouterr()  # drop what earlier steps of the test printed
    saved = sys.argv
    sys.argv = ["xlner", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as exit_info:
            run()
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    code = exit_info.value.code
    return Outcome(code if isinstance(code, int) else (0 if code is None else 1), *captured)


def full_signature(stdout: str) -> dict:
    """The full signature that ``--signature full`` printed last on ``stdout`` (JSON)."""
    start = 0 if stdout.startswith("{") else stdout.rindex("\n{") + 1
    return json.loads(stdout[start:])
