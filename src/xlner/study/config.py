"""The study configuration: a TOML file, or the built-in default sweep.

``xlner study noise`` with no file runs the built-in config :data:`DEFAULT_CONFIG`
(``configs/study/noise.toml``); a file given on the command line is read on top of it with
:func:`xlner.config.load_config`, so it only needs the keys it changes: tables are merged key by
key, except ``[methods]``, which replaces the default's methods; lists and values replace the
default's. ``xlner study default-config`` prints the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.align.symmetrize import METHODS as SYMMETRIZATIONS
from xlner.config import builtin_config, load_config, read_builtin
from xlner.corpora import all_corpora, get_corpus
from xlner.registry import Catalogue, ComponentError, registry

# The built-in default sweep (xlner/configs/study/noise.toml): sized to run on a 2-core machine
# in well under 15 minutes (Europarl only, one seed).
DEFAULT_CONFIG = "study/noise"
# Tables a config file replaces whole: listing two methods means "these two", not "these too".
REPLACED_TABLES = ("methods",)

EXTRA_BITEXT = ("mafand-train",)


@dataclass(frozen=True)
class AlignerSpec:
    name: str
    backend: str = "eflomal"
    options: dict[str, Any] = field(default_factory=dict)
    extra: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "backend": self.backend, "options": self.options} | (
            {"extra": self.extra} if self.extra else {}
        )


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    corpus: str
    languages: list[str]
    aligners: list[AlignerSpec]
    label_map: str = "none"
    split: str = "test"
    tagger: str | None = None
    reference_lines: dict[str, float] = field(default_factory=dict)
    reference_label: str = "model transfer"


@dataclass(frozen=True)
class ExampleSetting:
    operator: str
    level: float


@dataclass(frozen=True)
class StudyConfig:
    seeds: list[int]
    levels: list[float]
    operators: list[str]
    symmetrization: str
    methods: dict[str, dict[str, Any]]
    datasets: list[DatasetSpec]
    example_settings: list[ExampleSetting]
    example_sentences: int
    example_max_tokens: int
    raw: dict[str, Any]  # the merged TOML, kept in the manifest


def default_config_text() -> str:
    """The default sweep as written, comments included (``xlner study default-config``)."""
    return builtin_config(DEFAULT_CONFIG).read_text(encoding="utf-8")


def load_study_config(path: str | Path | None = None) -> StudyConfig:
    """The default sweep, with the TOML file at ``path`` (if any) merged on top.

    Every fault is a one-line ValueError that names the file (or "default config").
    """
    raw = load_config(path, defaults=read_builtin(DEFAULT_CONFIG), replace=REPLACED_TABLES)
    try:
        return parse_config(raw)
    except KeyError as error:
        raise ValueError(f"{path or 'default config'}: missing setting {error}") from None
    except ValueError as error:
        raise ValueError(f"{path or 'default config'}: {error}") from None


def parse_config(raw: Mapping[str, Any]) -> StudyConfig:
    """Check every setting before any work starts; ValueError names the bad key."""
    operators = [str(name) for name in raw["operators"]]
    for name in operators:
        if name not in registry.noise:
            raise ValueError(f"operators: {_unknown(registry.noise, name)}")
    levels = sorted({float(level) for level in raw["levels"]})
    if not levels or levels[0] < 0 or levels[-1] > 1:
        raise ValueError("levels: need at least one rate, all in [0, 1]")
    if 0.0 not in levels:
        levels.insert(0, 0.0)  # the clean baseline anchors every curve
    symmetrization = str(raw.get("symmetrization", "grow-diag-final-and"))
    if symmetrization not in SYMMETRIZATIONS:
        raise ValueError(f"symmetrization: unknown {symmetrization!r}")
    examples = raw.get("examples", {})
    settings = [
        ExampleSetting(str(s["operator"]), float(s["level"])) for s in examples.get("settings", [])
    ]
    for setting in settings:
        if setting.operator != "none" and setting.operator not in operators:
            raise ValueError(f"examples: operator {setting.operator!r} is not in the sweep")
    return StudyConfig(
        seeds=[int(seed) for seed in raw.get("seeds", [0])] or [0],
        levels=levels,
        operators=operators,
        symmetrization=symmetrization,
        methods=_methods(raw.get("methods", {})),
        datasets=_datasets(raw),
        example_settings=settings,
        example_sentences=int(examples.get("sentences", 40)),
        example_max_tokens=int(examples.get("max_tokens", 40)),
        raw=dict(raw),
    )


def _methods(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    if not table:
        raise ValueError("methods: at least one projection method is needed")
    methods = {}
    for name, options in table.items():
        if not isinstance(options, Mapping) or "method" not in options:
            raise ValueError(f"methods.{name}: needs a table with a 'method' key")
        methods[str(name)] = dict(options)
    return methods


def _aligners(entries: list[Mapping[str, Any]], where: str) -> list[AlignerSpec]:
    specs = []
    for entry in entries:
        if not entry.get("enabled", True):
            continue
        extra = entry.get("extra")
        if extra is not None and extra not in EXTRA_BITEXT:
            raise ValueError(f"{where}: unknown extra bitext {extra!r}")
        specs.append(
            AlignerSpec(
                str(entry["name"]),
                str(entry.get("backend", "eflomal")),
                dict(entry.get("options", {})),
                extra,
            )
        )
    if not specs:
        raise ValueError(f"{where}: at least one enabled aligner is needed")
    if len({spec.name for spec in specs}) != len(specs):
        raise ValueError(f"{where}: aligner names must be unique")
    return specs


def _references(raw: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, float]:
    """Top-level ``reference_lines``, overridden by the dataset's own, for its languages."""
    lines = {**raw.get("reference_lines", {}), **table.get("reference_lines", {})}
    return {str(lang): float(lines[lang]) for lang in table["languages"] if lang in lines}


def _check_corpus(name: str, where: str) -> None:
    """A study projects over human translations: the corpus must have them."""
    if name not in registry.corpora or not get_corpus(name).translated:
        usable = [corpus.name for corpus in all_corpora() if corpus.translated]
        raise ValueError(f"{where}: corpus must be one of {', '.join(usable)}")


def _datasets(raw: Mapping[str, Any]) -> list[DatasetSpec]:
    default_aligners = list(raw.get("aligners", []))
    datasets = []
    for name, table in raw.get("datasets", {}).items():
        if not table.get("enabled", True):
            continue
        corpus = str(table["corpus"])
        _check_corpus(corpus, f"datasets.{name}")
        label_map = str(table.get("label_map", "none"))
        if label_map not in registry.label_maps:
            raise ValueError(f"datasets.{name}: {_unknown(registry.label_maps, label_map)}")
        aligners = _aligners(table.get("aligners", default_aligners), f"datasets.{name}")
        datasets.append(
            DatasetSpec(
                name=str(name),
                corpus=corpus,
                languages=[str(lang) for lang in table["languages"]],
                aligners=aligners,
                label_map=label_map,
                split=str(table.get("split", "test")),
                tagger=table.get("tagger"),
                reference_lines=_references(raw, table),
                reference_label=str(table.get("reference_label", "model transfer")),
            )
        )
    if not datasets:
        raise ValueError("datasets: none enabled")
    return datasets


def _unknown(catalogue: Catalogue[Any], name: str) -> str:
    """The catalogue's own one-line message for a name it does not hold."""
    try:
        catalogue.get(name)
    except ComponentError as error:
        return str(error)
    return f"{catalogue.kind} {name!r}"
