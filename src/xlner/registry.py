"""One registry with a catalogue per kind of component, in the manner of spaCy's ``registry``.

Every pluggable part of xlner — aligners, translators, source taggers, projectors, matching
scores and solvers, corpora, label maps, noise operators, the engines that run the stages —
is registered by name in the catalogue of its kind and built with one verb::

    from xlner.registry import registry

    @registry.aligners.register("myaligner")
    class MyAligner(Aligner):
        def __init__(self, window: int = 3) -> None: ...

    aligner = registry.aligners.build("myaligner", window=5)

A component declares its options, with their defaults, once: as the keyword parameters of its
constructor (``registry.aligners.options("eflomal")`` reads them from there, and so do the CLI,
the TOML configs, the benchmarks and the study). ``build`` passes a component only the
options it declares; an unknown name, an unknown option or a value its constructor refuses is
a :class:`ComponentError` of one line that lists the valid choices.

Built-in components are found without importing them: each catalogue names the package that
holds its kind (``xlner.align`` for aligners), and the first look-up reads (but does not run)
the modules there for registrations with a literal name (``@registry.aligners.register("x")``,
``registry.label_maps.register("x", ...)``, ``register_corpus(Corpus(name="x", ...))``). So
``build("eflomal")`` works without the caller importing the backend first, heavy backends
(torch, spaCy) load only when asked for, and adding a component is one new file in that
package, nothing else.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
F = TypeVar("F")

_NO_DEFAULT = inspect.Parameter.empty


class ComponentError(ValueError):
    """A component name, option or option value that does not exist or does not fit."""


@dataclass(frozen=True)
class OptionSpec:
    """One declared option of a component: its name, default and annotation (as written)."""

    name: str
    default: Any
    annotation: str

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


def suggest(name: str, choices: list[str]) -> str:
    """``"; did you mean 'x'?"`` when a choice is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Catalogue(Generic[T]):
    """Name -> component (a class, a factory function, or plain data such as a label map)."""

    def __init__(self, kind: str, *packages: str) -> None:
        self.kind = kind
        self.packages = packages  # where the components of this kind are looked for
        self.attribute = ""  # the catalogue's name on ``registry``, set by __set_name__
        self._entries: dict[str, Any] = {}
        self._found: dict[str, str] | None = None  # name -> module, read from the sources

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @property
    def _builtin_modules(self) -> dict[str, str]:
        if self._found is None:
            self._found = {}
            for package in self.packages:
                for name, module in discover(package, self.attribute).items():
                    self._found.setdefault(name, module)
        return self._found

    def add_package(self, package: str) -> None:
        """Also look for components of this kind in ``package`` (a plugin's own package)."""
        self.packages = (*self.packages, package)
        self._found = None

    # ------------------------------------------------------------------ registering

    @overload
    def register(self, name: str) -> Callable[[F], F]: ...

    @overload
    def register(self, name: str, component: F) -> F: ...

    def register(self, name: str, component: Any = None) -> Any:
        """Register ``component`` as ``name``; without it, a decorator that does so."""

        def add(item: F) -> F:
            known = self._entries.get(name)
            if known is not None and known is not item:
                raise ComponentError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = item
            return item

        return add if component is None else add(component)

    # ------------------------------------------------------------------ looking up

    def available(self) -> list[str]:
        """Every registered name, built-in ones included, sorted."""
        return sorted(set(self._entries) | set(self._builtin_modules))

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._builtin_modules

    def get(self, name: str) -> Any:
        """The registered component itself (class, function or data); imports it if built in."""
        if name not in self._entries and name in self._builtin_modules:
            importlib.import_module(self._builtin_modules[name])
        if name not in self._entries:
            choices = self.available()
            raise ComponentError(
                f"unknown {self.kind} {name!r}; choose from {', '.join(choices)}"
                f"{suggest(str(name), choices)}"
            )
        return self._entries[name]

    def all(self) -> dict[str, Any]:
        """Every component by name, importing the built-in ones."""
        return {name: self.get(name) for name in self.available()}

    def options(self, name: str) -> dict[str, OptionSpec]:
        """The options ``name`` declares (its constructor's keyword parameters)."""
        return declared_options(self.get(name))

    def defaults(self, name: str) -> dict[str, Any]:
        """The declared options of ``name`` that have defaults, with those defaults."""
        return {key: spec.default for key, spec in self.options(name).items() if not spec.required}

    # ------------------------------------------------------------------ building

    def check_options(self, name: str, options: Mapping[str, Any]) -> None:
        """Raise a one-line :class:`ComponentError` for an option ``name`` does not declare."""
        declared = self.options(name)
        for key in options:
            if key not in declared:
                choices = list(declared)
                listed = ", ".join(choices) if choices else "none"
                raise ComponentError(
                    f"{self.kind} {name!r} has no option {key!r}; its options: {listed}"
                    f"{suggest(key, choices)}"
                )

    def build(self, name: str, /, **options: Any) -> T:
        """Construct ``name`` with ``options``; every fault is a one-line ComponentError."""
        factory = self.get(name)
        self.check_options(name, options)
        missing = [
            k for k, spec in self.options(name).items() if spec.required and k not in options
        ]
        if missing:
            raise ComponentError(
                f"{self.kind} {name!r} needs option {', '.join(map(repr, missing))}"
            )
        try:
            return factory(**options)
        except ComponentError:
            raise
        except (ValueError, TypeError) as error:
            raise ComponentError(f"{self.kind} {name!r}: {error}") from error


def declared_options(component: Any) -> dict[str, OptionSpec]:
    """The keyword parameters of a class's constructor or of a factory function."""
    if not callable(component):
        return {}
    target = component.__init__ if inspect.isclass(component) else component
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return {}
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {
        p.name: OptionSpec(p.name, p.default, str(p.annotation))
        for p in parameters
        if p.kind in kinds and p.name != "self"
    }


class registry:  # noqa: N801 - a namespace, named as spaCy's
    """The catalogues, one per kind of component, each with the package of its built-ins."""

    aligners: Catalogue[Any] = Catalogue("aligner", "xlner.align")
    translators: Catalogue[Any] = Catalogue("translator", "xlner.translate")
    taggers: Catalogue[Any] = Catalogue("tagger", "xlner.tagging")
    projectors: Catalogue[Any] = Catalogue("projection method", "xlner.project")
    scores: Catalogue[Any] = Catalogue("score", "xlner.project.match.scores")
    solvers: Catalogue[Any] = Catalogue("solver", "xlner.project.match.solvers")
    corpora: Catalogue[Any] = Catalogue("corpus", "xlner.corpora")
    label_maps: Catalogue[Any] = Catalogue("label map", "xlner.evaluate")
    noise: Catalogue[Any] = Catalogue("noise operator", "xlner.study")
    degradations: Catalogue[Any] = Catalogue("silver degradation", "xlner.study")
    engines: Catalogue[Any] = Catalogue("engine", "xlner.engine")


# ---------------------------------------------------------------------------- discovery

# Registration calls by another name than ``registry.<kind>.register``, by catalogue.
_ALIASES = {
    "aligners": "register_aligner",
    "translators": "register_translator",
    "taggers": "register_tagger",
    "corpora": "register_corpus",
}


def discover(package: str, attribute: str) -> dict[str, str]:
    """Name -> module of every component of ``package`` registered in catalogue ``attribute``.

    The modules are parsed, not imported. A registration counts when its name is a literal:
    ``registry.<attribute>.register("name", ...)`` (a call or a decorator), the catalogue's
    alias (``register_aligner("name")``), or ``register_corpus(Corpus(name="name", ...))``,
    and when importing the module runs it (not when it is inside a function).
    """
    found: dict[str, str] = {}
    # Only a module that holds one of these can register in the catalogue (its alias, or
    # ``.<attribute>.register(`` written as above): the others need no parsing.
    needles = [f".{attribute}.register(", *filter(None, [_ALIASES.get(attribute)])]
    for module, path in _modules_of(package):
        text = path.read_text(encoding="utf-8")
        if not any(needle in text for needle in needles):
            continue
        for node in _run_on_import(ast.parse(text, str(path))):
            name = _registered_name(node, attribute)
            if name is not None:
                found.setdefault(name, module)
    return found


def _run_on_import(tree: ast.Module) -> Iterator[ast.AST]:
    """The nodes of what importing a module runs: its statements (class bodies included)
    and the decorators of its functions, not the functions' bodies, which are most of a
    module and run only when called."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(getattr(node, "decorator_list", ()))
        else:
            stack.extend(ast.iter_child_nodes(node))


def _modules_of(package: str) -> Iterator[tuple[str, Path]]:
    """Every module below ``package`` (sub-packages included), with its source file."""
    for root in _package_folders(package):
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package, *parts)), path


def _package_folders(package: str) -> list[Path]:
    """The folders of ``package``, found without importing it: ``find_spec`` of a
    sub-package imports its parents, and a parent's ``__init__`` may load numpy or scipy."""
    top, *below = package.split(".")
    spec = importlib.util.find_spec(top)
    locations = (spec.submodule_search_locations or []) if spec else []
    folders = [Path(location, *below) for location in locations]
    return [folder for folder in folders if folder.is_dir()]


def _registered_name(node: ast.AST, attribute: str) -> str | None:
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func, first = node.func, node.args[0]
    is_register = (
        isinstance(func, ast.Attribute)
        and func.attr == "register"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == attribute
    )
    is_alias = isinstance(func, ast.Name) and func.id == _ALIASES.get(attribute)
    if not (is_register or is_alias):
        return None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.Call):  # register_corpus(Corpus(name="...", ...))
        for keyword in first.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return None
