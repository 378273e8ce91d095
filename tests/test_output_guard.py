"""Every file and folder xlner writes or deletes goes through ``xlner.io``: a scan of the source.

The scan reads ``src/xlner`` (the syntax tree, not the text) for calls that write, rename or
delete files on their own: ``open`` in a write or append mode, ``os.replace``, renames,
``shutil.rmtree``, unlinking, ``mkstemp``, ``write_text`` / ``write_bytes``,
``save_pretrained``, ``torch.save``, ``save_to_disk``, ``mkdir`` and the like. Outside
``io.py`` such a call is allowed only

* inside a folder that ``xlner.io`` made and owns (a name bound by ``with
  atomic_folder(...) as staging``, ``scratch_folder`` or ``files_into``, or a path made from
  it): the folder is swapped into place, or removed, by ``xlner.io``; or into a file
  ``xlner.io`` opened (``with atomic_write_bytes(path) as out: np.savez(out, ...)``);
* or in :data:`ALLOWED`, each entry with its reason.

A failure names the file, line and call, and what to use instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "xlner"
GUARD = "io.py"

# Context managers of xlner.io that yield a folder of their own (staging or scratch) or a
# file they write atomically.
OWN_FOLDERS = {
    "atomic_folder",
    "scratch_folder",
    "files_into",
    "atomic_write",
    "atomic_write_bytes",
}

# What to use instead, by kind of call.
INSTEAD = {
    "open": "xlner.io.atomic_write / atomic_write_bytes (or write inside io.atomic_folder)",
    "replace": "xlner.io.atomic_write, or io.atomic_folder for a folder",
    "rename": "xlner.io.atomic_write, or io.atomic_folder for a folder",
    "rmtree": "xlner.io.remove_folder(path, ours=...) (it deletes only xlner's own folders)",
    "unlink": "xlner.io.remove_file",
    "temporary": "xlner.io.scratch_folder (or atomic_write, which makes its own temporary)",
    "write": "xlner.io.atomic_write / atomic_write_bytes",
    "save": "write inside `with xlner.io.atomic_folder(path, ...) as staging`",
    "mkdir": "xlner.io.make_folder",
}

# Method names that write, rename or delete whatever object they are called on.
METHODS = {
    "rename": "rename",
    "unlink": "unlink",
    "rmdir": "unlink",
    "touch": "write",
    "write_text": "write",
    "write_bytes": "write",
    "save_pretrained": "save",
    "save_to_disk": "save",
    "to_disk": "save",
    "mkdir": "mkdir",
}
# module.function calls that do.
FUNCTIONS = {
    ("os", "replace"): "replace",
    ("os", "rename"): "rename",
    ("os", "renames"): "rename",
    ("os", "remove"): "unlink",
    ("os", "unlink"): "unlink",
    ("os", "rmdir"): "unlink",
    ("os", "mkdir"): "mkdir",
    ("os", "makedirs"): "mkdir",
    ("os", "symlink"): "write",
    ("os", "link"): "write",
    ("shutil", "rmtree"): "rmtree",
    ("shutil", "move"): "rename",
    ("shutil", "copy"): "write",
    ("shutil", "copy2"): "write",
    ("shutil", "copyfile"): "write",
    ("shutil", "copytree"): "write",
    ("tempfile", "mkstemp"): "temporary",
    ("tempfile", "mkdtemp"): "temporary",
    ("tempfile", "TemporaryDirectory"): "temporary",
    ("tempfile", "NamedTemporaryFile"): "temporary",
    ("torch", "save"): "save",
    ("np", "save"): "save",
    ("np", "savez"): "save",
    ("np", "savez_compressed"): "save",
}

# (file under src/xlner, enclosing function, call) -> why it may write on its own.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("align/eflomal.py", "_write_inputs", "open"): (
        "eflomal's input files, in the io.scratch_folder of its run (_work_dir)"
    ),
    ("align/eflomal.py", "_run_jobs", "open"): (
        "the children's stderr logs, in the io.scratch_folder of the run (_work_dir)"
    ),
    ("bench/project_scale.py", "measure", "open"): (
        "the measured child's stderr, in the benchmark's io.scratch_folder"
    ),
}


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    function: str
    call: str
    kind: str

    def __str__(self) -> str:
        return (
            f"src/xlner/{self.file}:{self.line}: {self.call}(...) in {self.function}() writes, "
            f"renames or deletes on its own; use {INSTEAD[self.kind]}"
        )


def _call_kind(call: ast.Call) -> tuple[str, str] | None:
    """(the call as written, its kind) for a call that writes, renames or deletes."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "open":
        return ("open", "open") if _writes(call) else None
    if isinstance(func, ast.Name) and func.id in {"mkstemp", "mkdtemp", "TemporaryDirectory"}:
        return func.id, "temporary"
    if not isinstance(func, ast.Attribute):
        return None
    owner = func.value.id if isinstance(func.value, ast.Name) else None
    if owner is not None and (owner, func.attr) in FUNCTIONS:
        return f"{owner}.{func.attr}", FUNCTIONS[owner, func.attr]
    if func.attr in {"open", "fdopen"}:
        return (f".{func.attr}", "open") if _writes(call) else None
    if func.attr in METHODS and owner not in {"os", "shutil"}:
        return f".{func.attr}", METHODS[func.attr]
    return None


def _writes(call: ast.Call) -> bool:
    """True when an ``open`` call's mode (any literal mode argument) writes or appends."""
    modes = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    for mode in modes:
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            text = mode.value
            if text and set(text) <= set("rwxabt+") and set(text) & set("wxa+"):
                return True
    return False


def _owned_names(function: ast.AST) -> set[str]:
    """Names bound to a folder of xlner.io's (``with atomic_folder(...) as staging``) and
    the names assigned from expressions that use them (``model = staging / "model.pt"``)."""
    owned: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _name_of(call.func) in OWN_FOLDERS:
                    owned |= _targets(item.optional_vars)
    changed = True
    while changed:
        changed = False
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr | ast.For):
                value = node.iter if isinstance(node, ast.For) else node.value
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if value is not None and _uses(value, owned):
                    new = set().union(*(_targets(t) for t in targets)) - owned
                    if new:
                        owned |= new
                        changed = True
    return owned


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _targets(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _in_owned_folder(call: ast.Call, owned: set[str]) -> bool:
    parts: list[ast.AST] = [*call.args, *(k.value for k in call.keywords)]
    if isinstance(call.func, ast.Attribute):
        parts.append(call.func.value)
    return any(_uses(part, owned) for part in parts)


def violations(source: Path = SOURCE) -> list[Violation]:
    found = []
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source).as_posix()
        if relative == GUARD:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _file_violations(tree, relative)
    return found


def _file_violations(tree: ast.Module, relative: str) -> list[Violation]:
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    enclosing: dict[ast.AST, ast.AST] = {}
    for function in functions:  # the innermost function of each call
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                current = enclosing.get(node)
                if current is None or _contains(current, function):
                    enclosing[node] = function
    owned_by = {function: _owned_names(function) for function in functions}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (kind := _call_kind(node)) is None:
            continue
        function = enclosing.get(node)
        name = getattr(function, "name", "<module>")
        owned = set().union(*(owned_by[f] for f in functions if _contains(f, node)))
        if _in_owned_folder(node, owned):
            continue
        call = kind[0].lstrip(".").split(".")[-1]
        if (relative, name, call) in ALLOWED:
            continue
        found.append(Violation(relative, node.lineno, name, kind[0], kind[1]))
    return found


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))


def test_nothing_writes_or_deletes_files_outside_the_output_module() -> None:
    found = violations()
    assert not found, "\n" + "\n".join(map(str, found))


def test_every_allowed_call_is_still_there() -> None:
    """An allow-list entry whose call is gone is removed, so the list stays short and true."""
    seen = set()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and (kind := _call_kind(node)) is not None:
                        seen.add((relative, function.name, kind[0].lstrip(".").split(".")[-1]))
    assert set(ALLOWED) <= seen, set(ALLOWED) - seen


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ("def f(p):\n    open(p, 'w')\n", True),
        ("def f(p):\n    open(p, 'rb')\n", False),
        ("def f(p):\n    p.open('a', encoding='utf-8')\n", True),
        ("import shutil\ndef f(p):\n    shutil.rmtree(p)\n", True),
        ("def f(p):\n    p.unlink(missing_ok=True)\n", True),
        ("import torch\ndef f(m, p):\n    torch.save(m, p / 'model.pt')\n", True),
        (
            "import torch\nfrom xlner.io import atomic_folder\n"
            "def f(m, p):\n    with atomic_folder(p, ours=bool) as staging:\n"
            "        target = staging / 'model.pt'\n        torch.save(m, target)\n",
            False,
        ),
        ("def f(m, p):\n    m.save_pretrained(p)\n", True),
        ("def f(p):\n    p.parent.mkdir(parents=True)\n", True),
    ],
)
def test_the_scan_finds_writes_and_spares_owned_folders(code: str, flagged: bool) -> None:
    assert bool(_file_violations(ast.parse(code), "x.py")) is flagged
