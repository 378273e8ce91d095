"""The layering of the package: lower layers import nothing above them (no import circles)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "xlner"


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_types_import_no_other_xlner_module():
    assert {name for name in imports(PACKAGE / "types.py") if name.startswith("xlner")} == set()


def test_tags_build_on_types_only():
    assert {name for name in imports(PACKAGE / "tags.py") if name.startswith("xlner")} == {
        "xlner.types"
    }


def test_config_does_not_import_the_pipeline_or_benchmarks():
    above = ("xlner.pipeline", "xlner.bench", "xlner.study")
    assert {name for name in imports(PACKAGE / "config.py") if name.startswith(above)} == set()


def test_study_does_not_import_the_benchmarks():
    found = {
        path.name: names
        for path in sorted((PACKAGE / "study").glob("*.py"))
        if (names := {name for name in imports(path) if name.startswith("xlner.bench")})
    }
    assert found == {}
