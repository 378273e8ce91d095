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


# The ground floor: what every layer above builds on. Its modules import one another and
# nothing above them.
GROUND = ("corpora", "types", "tags", "errors", "io", "paths", "registry", "languages", "quiet")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def ground_modules() -> dict[str, Path]:
    files = [*(PACKAGE / "corpora").glob("*.py"), *(PACKAGE / f"{n}.py" for n in GROUND[1:])]
    return {module_name(path): path for path in files}


def test_the_ground_floor_imports_nothing_above_it():
    ground = {f"xlner.{name}" for name in GROUND}
    above = {
        module: sorted(name for name in imports(path) if name.startswith("xlner."))
        for module, path in ground_modules().items()
    }
    found = {
        module: outside
        for module, names in above.items()
        if (outside := [n for n in names if not n.startswith(tuple(ground)) and n != "xlner"])
    }
    assert found == {}  # e.g. corpora/mafand_mt.py reads the language table of xlner.languages


def test_the_ground_floor_has_no_import_circle():
    modules = ground_modules()
    graph = {
        module: {name for name in imports(path) if name in modules and name != "xlner.corpora"}
        for module, path in modules.items()
        if module != "xlner.corpora"  # the package's __init__ gathers its modules
    }

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            module, route = stack.pop()
            for name in graph.get(module, ()):
                if name == start:
                    return [*route, name]
                if name not in route:
                    stack.append((name, [*route, name]))
        return None

    circles = {module: route for module in graph if (route := circle_from(module))}
    assert circles == {}  # e.g. corpora.base <-> corpora.conll, before line reading moved out
