"""One registry with a catalogue per kind of component, in the manner of spaCy's ``registry``.

Every pluggable part of xlner — aligners, translators, source taggers, projectors, matching
scores and solvers, corpora, label maps, noise operators — is registered by name in the
catalogue of its kind and built with one verb::

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

Built-in components whose module has not been imported yet are listed by module path, so
``build("eflomal")`` works without the caller importing the backend first, while heavy
backends (torch, spaCy) load only when asked for.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

    def __init__(self, kind: str, builtin_modules: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._builtin_modules = dict(builtin_modules or {})
        self._entries: dict[str, Any] = {}

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
    """The catalogues, one per kind of component. Built-in entries load on first use."""

    aligners: Catalogue[Any] = Catalogue(
        "aligner",
        {
            "combined": "xlner.align.combined",
            "eflomal": "xlner.align.eflomal",
            "simalign": "xlner.align.simalign",
        },
    )
    translators: Catalogue[Any] = Catalogue(
        "translator",
        {
            "nllb": "xlner.translate.nllb",
            "apertium": "xlner.translate.apertium",
            "parallel": "xlner.translate.parallel",
        },
    )
    taggers: Catalogue[Any] = Catalogue(
        "tagger",
        {
            "spacy": "xlner.tagging.spacy",
            "hf": "xlner.tagging.hf",
            "gold": "xlner.tagging.gold",
        },
    )
    projectors: Catalogue[Any] = Catalogue(
        "projection method",
        {
            "heuristic": "xlner.project.heuristic",
            "match": "xlner.project.match.projector",
        },
    )
    scores: Catalogue[Any] = Catalogue(
        "score",
        {
            "alignment": "xlner.project.match.scores.alignment",
            "coverage": "xlner.project.match.scores.alignment",
            "string": "xlner.project.match.scores.string",
            "tagger": "xlner.project.match.scores.tagger",
            "translation": "xlner.project.match.scores.translation",
        },
    )
    solvers: Catalogue[Any] = Catalogue(
        "solver",
        {
            "greedy": "xlner.project.match.solvers.greedy",
            "ilp": "xlner.project.match.solvers.ilp",
            "dp": "xlner.project.match.solvers.dp",
        },
    )
    corpora: Catalogue[Any] = Catalogue(
        "corpus",
        {
            "conll": "xlner.corpora.conll_file",
            "conll2003": "xlner.corpora.conll2003",
            "europarl-ner": "xlner.corpora.europarl_ner",
            "hf": "xlner.corpora.hf",
            "mafand-mt": "xlner.corpora.mafand_mt",
            "masakhaner2": "xlner.corpora.masakhaner2",
            "masakhaner2-parallel": "xlner.corpora.masakhaner2_parallel",
        },
    )
    label_maps: Catalogue[Any] = Catalogue(
        "label map",
        dict.fromkeys(
            ("none", "drop-date", "drop-misc", "drop-date-misc"), "xlner.evaluate.labels"
        ),
    )
    noise: Catalogue[Any] = Catalogue(
        "noise operator",
        dict.fromkeys(
            (
                "drop_links",
                "add_links",
                "move_links",
                "drop_entities",
                "shift_boundaries",
                "swap_classes",
            ),
            "xlner.study.noise",
        ),
    )
