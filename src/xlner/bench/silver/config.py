"""The silver benchmark's settings: the config files, their variants, and each language's
plan (its components built and checked before any work).

The settings are data: ``configs/benchmarks/silver.toml``; another config names only what
differs from it (or from the config it ``extends``); a ``[variants]`` table makes it an
ablation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.bench.masakhaner import zero_shot_options
from xlner.bench.silver.degrade import DegradeSettings
from xlner.bench.silver.selftrain import SelfTraining
from xlner.bench.silver.vote import TRANSLATIONS, has_translation
from xlner.config import (
    apply_overrides,
    builtin_config,
    check_key,
    check_types,
    dotted_keys,
    merge,
    read_toml,
)
from xlner.corpora import get_corpus
from xlner.corpora.mafand_mt import MafandMT
from xlner.pipeline.stages.base import StageError
from xlner.presets import resolve
from xlner.registry import ComponentError, registry
from xlner.silver import Selection
from xlner.silver.places import cldr_place_names
from xlner.silver.runner import Component, tagger_options
from xlner.tagging.training import TrainConfig

DEFAULT_CONFIG = "benchmarks/silver"
BASE: dict[str, Any] = read_toml(builtin_config(DEFAULT_CONFIG))
LANGUAGES: tuple[str, ...] = tuple(BASE["languages"])
# Tables whose keys are not the base config's: component options, Selection's, TrainConfig's,
# DegradeSettings' and SelfTraining's fields, the anchors, and an aligner or method that
# replaces the preset's.
FREE_TABLES = (
    "options",
    "selection",
    "config",
    "anchors",
    "align",
    "project",
    "variants",
    "degrade",
    "selftrain",
)
INITS = ("source", "encoder")
# A config's parent, whose settings it changes (the base config is the root).
EXTENDS = "extends"


def load_settings(config: str = DEFAULT_CONFIG, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The base config, then config ``config`` (a built-in name or a ``.toml`` file) over it,
    then the ``key=value`` overrides; a key the base lacks is a one-line ValueError. A config
    may name the config it changes (``extends = "benchmarks/silver-quick"``)."""
    settings = apply_overrides(_config_table(config, ()), overrides, BASE, free=FREE_TABLES)
    check_types(settings, BASE, FREE_TABLES)
    settings["config"] = config
    return settings


def _config_table(config: str, seen: tuple[str, ...]) -> dict[str, Any]:
    """Config ``config`` merged over the configs it extends, down to the base."""
    if config in seen:
        raise ValueError(f"{config}: extends itself through {' -> '.join(seen)}")
    if config.removesuffix(".toml") == DEFAULT_CONFIG:
        return copy.deepcopy(BASE)
    path = Path(config)
    table = read_toml(path) if path.suffix == ".toml" else read_toml(builtin_config(config))
    parent = table.pop(EXTENDS, DEFAULT_CONFIG)
    if not isinstance(parent, str):
        raise ValueError(f"{config}: {EXTENDS} names a config, not {parent!r}")
    if path.suffix == ".toml" and parent.endswith(".toml"):  # a file beside this one
        parent = str(path.parent / parent)
    for key in dotted_keys(table):
        try:
            check_key(key.split("."), BASE, FREE_TABLES, key)
        except ValueError as error:  # its message speaks of an override
            raise ValueError(f"{config}: {str(error).split(': ', 1)[1]}") from None
    return merge(_config_table(parent, (*seen, config)), table)


def load_variants(
    config: str = DEFAULT_CONFIG, overrides: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """The settings of each variant of the config's ``[variants]`` table (name -> its
    ``key=value`` settings, given after ``overrides``); {} when the config has none."""
    variants = load_settings(config, overrides)["variants"]
    found = {}
    for name, extra in variants.items():
        if not isinstance(extra, list) or not all(isinstance(item, str) for item in extra):
            raise ValueError(f"variants.{name}: a list of key=value settings, not {extra!r}")
        try:
            found[name] = load_settings(config, [*overrides, *extra]) | {"variant": extra}
        except ValueError as error:
            raise ValueError(f"variants.{name}: {error}") from None
    return found


@dataclass
class Plan:
    """One language's components and settings, built and checked before any work."""

    lang: str
    pair: str
    tagger: Any
    aligner: Any
    projector: Any
    selection: Selection
    train: TrainConfig
    transfer_tagger: Any  # the source tagger reading the target language; None if it cannot
    specs: tuple[Component, Component, Component]  # how the first three were built
    degrade: DegradeSettings  # the silver data made worse before training (the study)
    selftrain: SelfTraining  # rounds of relabelling and training after the first tagger

    @property
    def pivot(self) -> str:
        return self.pair.split("-")[0]


def plan(lang: str, settings: Mapping[str, Any], run_root: Path, data_dir: Path | None) -> Plan:
    """The components of ``lang``; a bad language or setting is a one-line ValueError."""
    if lang not in settings["languages"]:
        raise ValueError(
            f"unknown language {lang!r}; choose from {', '.join(settings['languages'])}"
        )
    bitext = get_corpus(settings["bitext"])
    # Only a line-parallel pair corpus (MafandMT) names a pair per language.
    pair = bitext.pair_for(lang) if isinstance(bitext, MafandMT) else None
    if pair is None:
        raise ValueError(f"corpus {settings['bitext']!r} has no pair for {lang!r}")
    _check_files(settings, lang, pair, data_dir)
    pivot = pair.split("-")[0]
    tag = settings["tagger"]
    name, options = tag["name"], dict(tag["options"])
    align, project = _preset(settings)
    specs = (
        Component("taggers", "tagger", name, pivot_options(name, options, pivot)),
        Component("aligners", "align.aligner", align["aligner"], align["options"]),
        Component("projectors", "project.method", project["method"], project["options"]),
    )
    tagger = _component(specs[0], data_dir)
    transfer = None
    if "zero_shot" in registry.taggers.options(name):
        reading = options | {"lang": lang, "zero_shot": True}
        transfer = _component(Component("taggers", "tagger", name, reading), data_dir)
    aligner = _component(specs[1], data_dir, run_root / lang / "tmp")
    projector = _component(specs[2], data_dir)
    _check_label_maps({"label_map": settings["label_map"], "tagger.label_map": tag["label_map"]})
    train = settings["train"]
    if train["init"] not in INITS:
        raise ValueError(f"train.init must be one of {', '.join(INITS)}, not {train['init']!r}")
    degraded = _degrade(settings.get("degrade") or {})
    selftrain = _selftrain(settings.get("selftrain") or {})
    if train["pooled"] and degraded.active:
        raise ValueError("train.pooled trains on the silver data as it is; leave degrade out")
    if selftrain.active and (train["pooled"] or degraded.active):
        raise ValueError(
            "selftrain relabels one language's silver data as projection made it; "
            "leave train.pooled and degrade out"
        )
    if train["init"] == "source" and not hasattr(tagger, "path"):
        raise ValueError(
            f"train.init = 'source' continues from an xlner tagger; tagger {name!r} is none "
            "(set train.init = 'encoder')"
        )
    selection = _dataclass(Selection, "selection", settings["selection"])
    if selection.place_names != "off":
        try:
            cldr_place_names(lang)
        except ComponentError as error:
            raise ValueError(f"selection.place_names: {error}") from None
    return Plan(
        lang, pair, tagger, aligner, projector, selection,
        _train_config(train["config"]), transfer, specs, degraded, selftrain,
    )  # fmt: skip


def _check_files(settings: Mapping[str, Any], lang: str, pair: str, data_dir: Path | None) -> None:
    """CorpusNotFound for the first file of ``lang`` that is missing: every split of its
    bitext pair, and the evaluation corpus's gold (train and dev for silver F1, test)."""
    bitext = get_corpus(settings["bitext"])
    for split in bitext.choices("split", pair=pair) or ():
        for side in pair.split("-"):
            bitext.path(pair=pair, split=split, lang=side, data_dir=data_dir)
    evaluation = get_corpus(settings["evaluation"])
    scored = dict.fromkeys(("test", settings["dev_split"] or "test"))
    for split in dict.fromkeys(("train", "dev", *scored)):
        evaluation.path(lang=lang, split=split, data_dir=data_dir)
    if settings["ensemble"]["with_translate_test"] and has_translation(lang, evaluation.name):
        for split in scored:  # the translations the vote's translate-test reads
            TRANSLATIONS.path(lang=lang, split=split, data_dir=data_dir)


def _check_label_maps(names: Mapping[str, str]) -> None:
    for where, name in names.items():
        try:
            registry.label_maps.get(name)
        except ComponentError as error:
            raise ValueError(f"{where}: {error}") from None


def pivot_options(tagger: str, options: Mapping[str, Any], pivot: str) -> dict[str, Any]:
    """``options`` of ``tagger`` pointed at the pivot language: its ``lang`` as the silver
    job sets it, and ``zero_shot`` where the pivot is read zero-shot (options given win)."""
    return zero_shot_options(tagger, pivot) | tagger_options(tagger, options, pivot)


def _component(spec: Component, data_dir: Path | None, temp_dir: Path | None = None) -> Any:
    try:
        return spec.build(data_dir, temp_dir)
    except StageError as error:
        raise ValueError(str(error)) from None


def _preset(settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The preset's aligner and method, with the config's ``align``/``project`` tables on
    top (:func:`xlner.presets.resolve`)."""
    try:
        tables = resolve(settings["preset"], settings.get("align"), settings.get("project"))
    except ComponentError as error:
        raise ValueError(str(error)) from None
    return tables["align"], tables["project"]


def _dataclass(kind: type, where: str, fields: Mapping[str, Any]) -> Any:
    try:
        return kind(**fields)
    except TypeError as error:
        raise ValueError(f"{where}: {str(error).split('() ')[-1]}") from None


def _degrade(fields: Mapping[str, Any]) -> DegradeSettings:
    try:
        return _dataclass(DegradeSettings, "degrade", fields)
    except ComponentError as error:
        raise ValueError(f"degrade.operator: {error}") from None


def _selftrain(fields: Mapping[str, Any]) -> SelfTraining:
    try:
        return _dataclass(SelfTraining, "selftrain", fields)
    except ValueError as error:
        raise ValueError(f"selftrain: {str(error).removeprefix('selftrain: ')}") from None


def _train_config(fields: Mapping[str, Any]) -> TrainConfig:
    if fields.get("stop_after") is not None:
        raise ValueError(
            "train.config.stop_after pauses training; give a step budget with max_steps"
        )
    return _dataclass(TrainConfig, "train.config", fields)
