"""The named-corpus type and the catalogue (line reading is :mod:`xlner.corpora.lines`).

Named corpora are instances of :class:`Corpus` (data: name, title, folder, licence, citation,
origin, parameters and their choices), one module per corpus family, registered in
``registry.corpora`` and loaded with one verb, whatever the corpus::

    get_corpus("masakhaner2").load(lang="lug", split="test")

The data directory is, in order of precedence: the ``data_dir`` argument, the ``XLNER_DATA``
environment variable, the user cache ``$XDG_CACHE_HOME/xlner/data`` (``~/.cache/xlner/data``
when ``XDG_CACHE_HOME`` is unset). Corpora are never bundled with xlner: several are licensed
for research or non-commercial use only, so each user fetches them from where they are
published, at a fixed commit (:mod:`xlner.corpora.fetch`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from xlner.corpora.conll import read_conll
from xlner.corpora.pins import damaged_files
from xlner.paths import user_cache
from xlner.registry import ComponentError, registry, suggest
from xlner.types import TaggedSentence

ENV_VAR = "XLNER_DATA"
_EXPLICIT = "given explicitly"
Choices = tuple[str, ...] | None  # None: any value (a file of the user's, a hub name)
C = TypeVar("C", bound="Corpus")


class CorpusNotFound(FileNotFoundError):
    """A corpus file is missing; the message says where it was looked for and how to get it."""

    def __init__(self, corpus: Corpus, missing: Path, data_dir: Path, chosen_by: str) -> None:
        self.corpus = corpus
        self.missing = missing
        self.data_dir = data_dir
        super().__init__(_not_found_message(corpus, missing, data_dir, chosen_by))


class CorpusUnavailable(OSError):
    """A corpus that cannot be read here: its hub is out of reach, or a library is missing."""


@dataclass(frozen=True)
class Origin:
    """Where a corpus is published: a GitHub repository at a commit, and its folder there."""

    repo: str
    commit: str  # full SHA where known; GitHub also resolves the abbreviated ones
    path: str = ""

    def describe(self) -> str:
        return f"https://github.com/{self.repo} @ {self.commit[:8]}, {self.path or '/'}"


@dataclass(frozen=True)
class Translation:
    """A sentence with gold entities and the human translation it is parallel to.

    ``source`` is the translation tokenised with its own gold entities where the corpus
    annotates both sides (Europarl-NER); otherwise it is None and only the published text
    ``source_text`` is known (MAFAND-MT), for a tagger to annotate.
    """

    target: TaggedSentence
    source_text: str
    source_lang: str
    source: TaggedSentence | None = None


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory to use: argument, else ``$XLNER_DATA``, else the user cache."""
    return _locate(data_dir)[0]


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/xlner/data``, or ``~/.cache/xlner/data``."""
    return user_cache("data")


def _locate(data_dir: str | Path | None) -> tuple[Path, str]:
    """The data directory and, for error messages, what chose it."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), _EXPLICIT
    from_env = os.environ.get(ENV_VAR, "")
    if from_env:
        return Path(from_env).expanduser(), f"from ${ENV_VAR}"
    return user_cache_dir(), f"the user cache; set ${ENV_VAR} to use another directory"


@dataclass(frozen=True)
class Corpus:
    """A named corpus: its parameters, where its files lie, where they come from.

    An instance is data. ``parameter_choices`` declares the parameters in order with the
    values each may take (None: any value); ``defaults`` the value of the optional ones.
    ``layout`` is the path of one file under ``folder``, with a ``{field}`` per parameter
    (``"{lang}/{split}.txt"``); ``aliases`` are other spellings a user may give (``dev`` for
    ``valid``) and ``spelled`` how the upstream file names spell a value (``en_luo``).

    ``load(data_dir=..., **params)`` returns the annotated sentences for every corpus, so a
    caller passes the parameters of a config section without knowing the corpus
    (:meth:`parameters_in`). A subclass changes how a file is read or adds calls of its own.
    """

    name: str
    title: str
    folder: str
    licence: str
    citation: str
    origin: Origin | None = None
    derived_from: tuple[str, ...] = ()
    layout: str = ""
    parameter_choices: Mapping[str, Choices] = field(default_factory=dict, hash=False)
    defaults: Mapping[str, str] = field(default_factory=dict, hash=False)
    aliases: Mapping[str, str] = field(default_factory=dict, hash=False)
    spelled: Mapping[str, str] = field(default_factory=dict, hash=False)

    # What the corpus holds: entity annotation (``load``), and human translations of its
    # sentences (``load_translations``), which the study projects over.
    tagged: ClassVar[bool] = True
    translated: ClassVar[bool] = False

    # ------------------------------------------------------------------ parameters

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(self.parameter_choices)

    def choices(self, parameter: str, **given: str) -> Choices:
        """The values ``parameter`` may take (None: any), given the parameters before it."""
        if parameter not in self.parameter_choices:
            names = list(self.parameters)
            raise ComponentError(
                f"corpus {self.name!r} has no parameter {parameter!r}; its parameters: "
                f"{', '.join(names) or 'none'}{suggest(parameter, names)}"
            )
        return self.parameter_choices[parameter]

    def arguments(self, **params: Any) -> dict[str, str]:
        """``params`` checked and completed with the defaults, as strings, in order.

        An unknown or missing parameter, or a value not among the choices, is a one-line
        :class:`ComponentError` that lists what is allowed. None counts as not given.
        """
        for key in params:
            self.choices(key)
        resolved: dict[str, str] = {}
        for parameter in self.parameters:
            value = params.get(parameter)
            value = self.defaults.get(parameter) if value is None else str(value)
            if value is None:
                allowed = self.choices(parameter, **resolved)
                listed = f" (one of {', '.join(allowed)})" if allowed else ""
                raise ComponentError(f"corpus {self.name!r} needs {parameter}{listed}")
            resolved[parameter] = self.check(parameter, value, **resolved)
        return resolved

    def check(self, parameter: str, value: str, **given: str) -> str:
        """``value`` of ``parameter`` as the corpus spells it; ComponentError if not allowed."""
        value = self.aliases.get(value, value)
        allowed = self.choices(parameter, **given)
        if allowed is not None and value not in allowed:
            context = ""
            if allowed != self.parameter_choices[parameter]:
                context = " for " + ", ".join(f"{key} {v}" for key, v in given.items())
            raise ComponentError(
                f"corpus {self.name!r}: unknown {parameter} {value!r}{context}; "
                f"expected one of {', '.join(allowed)}{suggest(value, list(allowed))}"
            )
        return value

    def parameters_in(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The entries of ``settings`` (a config section) that are parameters of this corpus."""
        return {key: settings[key] for key in self.parameters if key in settings}

    def combinations(self) -> list[dict[str, str]]:
        """Every combination of parameter values; none when a parameter takes any value."""
        combos: list[dict[str, str]] = [{}]
        for parameter in self.parameters:
            combos = [
                {**combo, parameter: value}
                for combo in combos
                for value in self.choices(parameter, **combo) or ()
            ]
        return combos

    # ------------------------------------------------------------------ files

    def relpath(self, **params: Any) -> str:
        """The file that ``params`` select, relative to the data directory."""
        values = {key: self.spelled.get(v, v) for key, v in self.arguments(**params).items()}
        return f"{self.folder}/{self.layout.format(**values)}"

    def files(self) -> list[str]:
        """Every file of the corpus, relative to the data directory (none if it has none)."""
        return [self.relpath(**combo) for combo in self.combinations()] if self.layout else []

    def path(
        self, *, data_dir: str | Path | None = None, must_exist: bool = True, **params: Any
    ) -> Path:
        root, chosen_by = _locate(data_dir)
        path = root / self.relpath(**params)
        if must_exist and not path.is_file():
            raise CorpusNotFound(self, path, root, chosen_by)
        return path

    def missing_files(self, data_dir: str | Path | None = None) -> list[str]:
        root = resolve_data_dir(data_dir)
        return [rel for rel in self.files() if not (root / rel).is_file()]

    def is_present(self, data_dir: str | Path | None = None) -> bool:
        """True when every file of the corpus is in the data directory."""
        return not self.missing_files(data_dir)

    def require(self, data_dir: str | Path | None = None) -> Path:
        """The data directory, which holds every file; CorpusNotFound naming the first missing."""
        root, chosen_by = _locate(data_dir)
        missing = self.missing_files(root)
        if missing:
            raise CorpusNotFound(self, root / missing[0], root, chosen_by)
        return root

    def origin_path(self, relpath: str) -> str:
        """The path in the origin repository of a file given relative to the data dir."""
        if self.origin is None:
            raise ValueError(f"{self.name} is derived data and has no origin repository")
        inner = relpath.removeprefix(self.folder + "/")
        return f"{self.origin.path}/{inner}" if self.origin.path else inner

    def describe_origin(self) -> str:
        if self.origin is not None:
            return self.origin.describe()
        return "derived from " + " and ".join(self.derived_from)

    def check_sources(self, data_dir: Path) -> None:
        """For a derived corpus: CorpusNotFound unless the corpora it is built from are there."""
        for name in self.derived_from:
            get_corpus(name).require(data_dir)

    def build_file(self, dest: Path, *, data_dir: Path, **params: str) -> str:
        """For a derived corpus: write the file of ``params``; return a one-line summary."""
        raise NotImplementedError(f"{self.name} is not derived from other corpora")

    # ------------------------------------------------------------------ reading

    def load(self, *, data_dir: str | Path | None = None, **params: Any) -> list[TaggedSentence]:
        """The annotated sentences that ``params`` select."""
        return self.read(self.path(data_dir=data_dir, **params))

    def read(self, path: Path) -> list[TaggedSentence]:
        """One file of the corpus; token-per-line IOB2 unless a subclass says otherwise."""
        return read_conll(path, "iob2")

    def load_translations(
        self, *, data_dir: str | Path | None = None, **params: Any
    ) -> list[Translation]:
        """The sentences with their human translations (corpora where ``translated``)."""
        with_translations = [c.name for c in all_corpora() if c.translated]
        raise ComponentError(
            f"corpus {self.name!r} has no translations of its sentences; "
            f"corpora with translations: {', '.join(with_translations)}"
        )


# ---------------------------------------------------------------------------- the catalogue


def register_corpus(corpus: C) -> C:
    """Add ``corpus`` to ``registry.corpora`` under its name: all a new corpus module does."""
    return registry.corpora.register(corpus.name, corpus)


def get_corpus(name: str) -> Corpus:
    """The corpus called ``name``; a one-line ComponentError listing the names otherwise."""
    return registry.corpora.get(name)


def all_corpora() -> list[Corpus]:
    """Every registered corpus, built-in ones imported, by name."""
    return list(registry.corpora.all().values())


def find(name: str, data_dir: str | Path | None = None) -> Path | None:
    """The data directory when corpus ``name`` is complete in it, else None."""
    root = resolve_data_dir(data_dir)
    return root if get_corpus(name).is_present(root) else None


def require(name: str, data_dir: str | Path | None = None) -> Path:
    """The data directory holding all of corpus ``name``; CorpusNotFound when incomplete.

    Paths inside it follow ``Corpus.files()``, e.g. ``root / "conll2003" / "test.txt"``.
    """
    return get_corpus(name).require(data_dir)


@dataclass(frozen=True)
class CorpusStatus:
    """One row of ``xlner data list``; ``files_total`` is 0 for a corpus read from elsewhere."""

    name: str
    title: str
    present: bool
    path: Path
    origin: str
    licence: str
    files_present: int
    files_total: int
    parameters: str  # "lang: en de es it; split: train dev test"
    tagged: bool
    files_damaged: int = 0  # present, but not the pinned content (counted in files_present)


def list_corpora(data_dir: str | Path | None = None) -> list[CorpusStatus]:
    """Every known corpus with whether all its files are in the data directory, each with
    its pinned content (:mod:`xlner.corpora.pins`)."""
    root = resolve_data_dir(data_dir)
    rows = []
    for corpus in all_corpora():
        total = len(corpus.files())
        missing = len(corpus.missing_files(root))
        damaged = len(damaged_files(corpus.files(), root))
        rows.append(
            CorpusStatus(
                corpus.name,
                corpus.title,
                total > 0 and missing == 0 and damaged == 0,
                root / corpus.folder,
                corpus.describe_origin(),
                corpus.licence,
                total - missing,
                total,
                describe_parameters(corpus),
                corpus.tagged,
                damaged,
            )
        )
    return rows


def describe_parameters(corpus: Corpus) -> str:
    """``lang: en de; split: train test (default test); path: any``, for listings."""
    parts = []
    for name, allowed in corpus.parameter_choices.items():
        text = f"{name}: {' '.join(allowed) if allowed is not None else 'any'}"
        if name in corpus.defaults:
            text += f" (default {corpus.defaults[name] or 'none'})"
        parts.append(text)
    return "; ".join(parts) or "none"


def _not_found_message(corpus: Corpus, missing: Path, data_dir: Path, chosen_by: str) -> str:
    lines = [
        f"corpus {corpus.name!r} not found: {missing} does not exist "
        f"(data directory {data_dir}, {chosen_by}).",
    ]
    if corpus.origin is not None:
        lines.append(f"It comes from {corpus.origin.describe()} (licence: {corpus.licence}).")
    else:
        sources = " and ".join(corpus.derived_from)
        lines.append(
            f"It is derived from {sources}; the fetch command builds it from them "
            "(fetch those first if they are missing)."
        )
    option = f" --data-dir {data_dir}" if chosen_by == _EXPLICIT else ""
    lines.append(f"Get it with: xlner data fetch {corpus.name}{option}")
    return "\n".join(lines)
