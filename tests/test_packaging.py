"""The package is marked typed (PEP 561) and `make test` type-checks it."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_is_marked_typed_and_ships_the_marker():
    assert files("xlner").joinpath("py.typed").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["xlner"]
    assert pyproject["tool"]["mypy"]["files"] == ["src"]


def test_make_test_runs_the_type_checker():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_needs = re.search(r"^test:(.*)$", makefile, re.M).group(1).split()
    assert "typecheck" in test_needs
    assert re.search(r"^typecheck:.*\n\t\$\(BIN\)/mypy\b", makefile, re.M)
