"""Errors that point at the exact place in the user's input that was wrong."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input data: names the file, the 1-based line and the problem."""

    def __init__(self, path: str | Path | None, line: int | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}")


class OutputError(InputError):
    """An output path that cannot or must not be written (an input, a directory, a full disk).

    A kind of :class:`InputError` because the path is part of what the user gave; the CLI
    reports both the same way.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(path, None, problem)
