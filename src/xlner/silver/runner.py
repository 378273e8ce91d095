"""One silver job, from a typed settings record to the written folder: the library call
behind ``xlner silver`` and the silver benchmark's silver stage.

:class:`SilverSettings` holds everything a job is made of, as plain data (the bitext, the
three components by name and options, the label set and map, the selection, the
exclusions, the outputs, the batch and shard sizes). :func:`check_silver` turns it into a
:class:`SilverJob` before any model loads: every setting checked, the components built (a
component loads its model when first used), the exclusions read, the first pair of the
bitext read, the output folder checked against the inputs. :func:`run_silver` then locks
the folder and runs the job, in this process or shard by shard on an engine
(:mod:`xlner.silver.shards`), and writes the folder (:mod:`xlner.silver.writers`).
:func:`make_silver` is both.

Every fault of the settings or the input is a one-line error of the kinds in
:data:`SILVER_ERRORS` (a :class:`SettingError` names the field of the record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.engine.base import DEFAULT_ENGINE, Engine, EngineError
from xlner.errors import InputError
from xlner.pipeline.cache import RunLocked, run_lock
from xlner.pipeline.stages.base import StageError
from xlner.presets import DEFAULT_PRESET
from xlner.project.corpus import check_link_sets, signature_fields
from xlner.registry import ComponentError, registry
from xlner.signature import make_signature, preset_baseline
from xlner.silver.bitext import (
    Bitext,
    BitextCorpus,
    BitextFiles,
    BitextPair,
    BitextPairs,
    BitextParquet,
)
from xlner.silver.exclude import DEFAULT_SPLITS, Exclusion, gather
from xlner.silver.job import MASAKHANER_CLASSES, SilverResult, build_silver
from xlner.silver.parquet import pyarrow
from xlner.silver.places import PlaceName, cldr_place_names, names_key
from xlner.silver.select import Selection
from xlner.silver.shards import (
    DEFAULT_PRIORS_SAMPLE,
    Component,
    SilverShardTask,
    learn_priors,
    priors_learner,
    run_shards,
)
from xlner.silver.writers import (
    PARTIAL_EXPORT,
    RECORD_FORMATS,
    check_folder,
    exports_from_files,
    write_silver,
    write_summary,
)

# The tagger's MISC has no MasakhaNER class; DATE is kept where a tagger gives it.
DEFAULT_LABEL_MAP = "drop-misc"
CACHE = "cache"  # the tagging and alignment caches, under the output folder by default
# Bad settings or input, a busy output folder, a missing corpus, model or package, an engine
# that cannot start: one line each.
SILVER_ERRORS = (
    ComponentError, InputError, StageError, RunLocked, OSError, ImportError, EngineError,
)  # fmt: skip

Progress = Callable[[str, int, int | None], None]  # step, done, total (None: not known)
Warn = Callable[[str], None]


class SettingError(ComponentError):
    """A field of :class:`SilverSettings` with a value it cannot have; names the field (as
    the settings' ``names`` say: ``--batch-size`` for the CLI)."""


class LinkSetError(ComponentError):
    """The projection method reads a named link set the aligner does not provide."""


# ---------------------------------------------------------------------------- the settings


@dataclass(frozen=True)
class SilverSettings:
    """Everything a silver job is made of (see the module docstring); the defaults are
    ``xlner silver``'s."""

    output: Path  # the folder: outputs, caches (rerun to resume), the lock
    bitext: Bitext
    tagger: Component
    aligner: Component
    projector: Component
    classes: tuple[str, ...] = MASAKHANER_CLASSES
    label_map: str = DEFAULT_LABEL_MAP
    selection: Selection = field(default_factory=Selection)
    exclude: tuple[Path, ...] = ()  # evaluation files whose sentences never enter
    exclude_corpora: tuple[str, ...] = ()  # evaluation corpora (masakhaner2), of ``lang``
    exclude_splits: tuple[str, ...] = DEFAULT_SPLITS
    tokenizer: str = "words"
    source_lang: str = "en"  # for a tagger with a ``lang`` option
    lang: str | None = None  # the target language: exclusion corpora, the spaCy export
    exports: tuple[str, ...] = ()
    record_format: str = "jsonl"
    batch_size: int = 256
    shard_size: int = 0  # 0: the whole bitext in one job
    priors_sample: int = DEFAULT_PRIORS_SAMPLE
    data_dir: Path | None = None
    cache_dir: Path | None = None  # default: ``output/cache``
    preset: str = DEFAULT_PRESET  # what the short signature compares the components with
    summary_extra: Mapping[str, Any] = field(default_factory=dict)  # added to summary.json
    # How the caller names the fields in messages (the CLI: batch_size -> --batch-size).
    names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, low, meaning in (
            ("batch_size", self.batch_size, 1, "at least 1"),
            ("shard_size", self.shard_size, 0, "0 (one shard) or more"),
            ("priors_sample", self.priors_sample, 0, "0 (no priors) or more"),
        ):
            if value < low:
                raise SettingError(f"{self.name(name)} must be {meaning}, not {value}")
        if self.record_format not in RECORD_FORMATS:
            choices = ", ".join(RECORD_FORMATS)
            raise SettingError(f"{self.name('record_format')} is one of {choices}")
        if not self.classes:
            raise SettingError(f"{self.name('classes')} needs at least one class, e.g. PER")
        if self.selection.partial and self.exports:
            raise SettingError(f"{self.name('exports')}: {PARTIAL_EXPORT}")
        if self.selection.consistency and self.shard_size:
            raise SettingError(_consistency_sharded(self))

    def name(self, field_name: str) -> str:
        """How messages name a field."""
        return self.names.get(field_name, field_name)

    @property
    def caches(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else self.output / CACHE


def _consistency_sharded(settings: SilverSettings) -> str:
    """The consistency pass needs every silver sentence in one process."""
    return (
        f"{settings.name('consistency')} looks at all the silver data at once: not with "
        f"{settings.name('shard_size')} or {settings.name('engine')}"
    )


def tagger_options(name: str, options: Mapping[str, Any], source_lang: str) -> dict[str, Any]:
    """``options`` of tagger ``name``, its ``lang`` the source language unless given."""
    found = dict(options)
    if name in registry.taggers and "lang" in registry.taggers.options(name):
        found.setdefault("lang", source_lang)
    return found


# ---------------------------------------------------------------------------- checking


@dataclass
class SilverJob:
    """A job whose every setting is checked, ready to run: its components built (no model
    loaded yet) and how to build them again (in a worker of an engine), its exclusions
    read."""

    settings: SilverSettings
    specs: tuple[Component, Component, Component]  # tagger, aligner, projector
    components: tuple[Any, Any, Any]
    label_map: dict[str, str | None]
    exclusions: list[Exclusion]
    places: frozenset[PlaceName] = frozenset()  # the target's place names (place_names)
    _read: list[BitextPair] | None = field(default=None, repr=False)

    def open(self) -> Iterable[BitextPair]:
        """The bitext from its start; a corpus pair (small) is read once, for the priors'
        sample and the shards."""
        bitext, data_dir = self.settings.bitext, self.settings.data_dir
        if not isinstance(bitext, BitextCorpus):
            return bitext.open(data_dir)
        if self._read is None:
            self._read = list(bitext.open(data_dir))
        return self._read


@dataclass
class SilverOutcome:
    """What a job wrote: the summary (as in ``summary.json``), and the job's sentences where
    it ran in this process as one shard (None for a sharded job, which holds none)."""

    summary: dict[str, Any]
    result: SilverResult | None = None


def check_silver(settings: SilverSettings, built: tuple[Any, Any, Any] | None = None) -> SilverJob:
    """Every setting checked before any model loads (see the module docstring); the
    components as ``built`` where the caller built them already."""
    output, bitext = settings.output, settings.bitext
    if isinstance(bitext, BitextParquet) or settings.record_format == "parquet":
        pyarrow()  # an ImportError that says how to install it
    if output.exists() and not output.is_dir():
        raise SettingError(f"{settings.name('output')} {output} is a file; give a folder")
    check_folder(output, {settings.name(key): path for key, path in bitext.paths().items()})
    for path in settings.exclude:
        check_folder(output, {settings.name("exclude"): path})
    label_map = registry.label_maps.get(settings.label_map)
    tagger = settings.tagger
    options = tagger_options(tagger.name, tagger.options, settings.source_lang)
    specs = (
        Component(tagger.kind, tagger.flag, tagger.name, options),
        settings.aligner,
        settings.projector,
    )
    components = built or _build(specs, settings)
    exclusions = _exclusions(settings)
    _first_pair(bitext, settings.data_dir)
    places = _place_names(settings)
    return SilverJob(settings, specs, components, dict(label_map), exclusions, places)


def _place_names(settings: SilverSettings) -> frozenset[PlaceName]:
    """The target language's place names where the selection uses them."""
    if settings.selection.place_names == "off":
        return frozenset()
    if settings.lang is None:
        raise SettingError(
            f"{settings.name('place_names')} needs the target language: "
            f"give {settings.name('lang')}"
        )
    try:
        return cldr_place_names(settings.lang, settings.tokenizer)
    except ComponentError as error:
        raise SettingError(f"{settings.name('place_names')}: {error}") from None


def _build(
    specs: tuple[Component, Component, Component], settings: SilverSettings
) -> tuple[Any, Any, Any]:
    """The tagger, aligner and projector, built (each loads its model when first used)."""
    tagger, aligner, projector = specs
    built = (
        tagger.build(settings.data_dir),
        aligner.build(settings.data_dir, settings.output / "tmp"),
        projector.build(settings.data_dir),
    )
    try:
        check_link_sets(built[1], built[2])
    except ComponentError as error:
        raise LinkSetError(str(error)) from None
    return built


def _exclusions(settings: SilverSettings) -> list[Exclusion]:
    return gather(
        settings.exclude, settings.exclude_corpora, settings.exclude_splits, settings.lang,
        settings.data_dir,
    )  # fmt: skip


def _first_pair(bitext: Bitext, data_dir: Path | None) -> None:
    """Read the first pair: a missing, unreadable or empty input fails here."""
    pairs = iter(bitext.open(data_dir))
    try:
        first = next(pairs, None)
    finally:
        getattr(pairs, "close", lambda: None)()  # a file's stream is closed at once
    if first is None:
        raise InputError(bitext.name, None, "no sentence pair: the bitext is empty")


# ---------------------------------------------------------------------------- running


def make_silver(
    settings: SilverSettings,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> SilverOutcome:
    """:func:`check_silver`, then :func:`run_silver`."""
    return run_silver(check_silver(settings), engine=engine, progress=progress, warn=warn)


def run_silver(
    job: SilverJob,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> SilverOutcome:
    """Lock the output folder (before any model loads), run the job and write the folder;
    shard by shard where the settings have a shard size or ``engine`` is another than the
    local one. A folder in use is :class:`~xlner.pipeline.cache.RunLocked`."""
    settings = job.settings
    sharded = settings.shard_size > 0 or (engine is not None and engine.name != DEFAULT_ENGINE)
    if sharded and settings.selection.consistency:
        raise SettingError(_consistency_sharded(settings))
    with run_lock(settings.output):
        if sharded:
            return _sharded(job, engine or _local(), progress, warn)
        pairs = list(job.open())
        if not pairs:
            raise InputError(settings.bitext.name, None, "no sentence pair: the bitext is empty")
        result = build_silver(
            pairs, *job.components, cache_dir=settings.caches, classes=settings.classes,
            label_map=job.label_map, selection=settings.selection, exclusions=job.exclusions,
            tokenizer=settings.tokenizer, batch_size=settings.batch_size, places=job.places,
            progress=progress, warn=warn,
        )  # fmt: skip
        summary = write_silver(
            settings.output, result, classes=settings.classes, settings=summary_settings(job),
            exports=settings.exports, lang=settings.lang, record_format=settings.record_format,
        )  # fmt: skip
        return SilverOutcome(summary, result)


def _local() -> Engine:
    return registry.engines.build(DEFAULT_ENGINE)


def _sharded(
    job: SilverJob, engine: Engine, progress: Progress | None, warn: Warn | None
) -> SilverOutcome:
    """The job shard by shard on ``engine``, the pairs streamed; the eflomal priors first
    where there are several shards."""
    settings, output = job.settings, job.settings.output
    if engine.name != DEFAULT_ENGINE and not settings.shard_size and warn is not None:
        warn(f"engine {engine.name} without a shard size: one shard, for one worker")
    task = SilverShardTask(
        *job.specs, work_dir=output.resolve(),
        data_dir=settings.data_dir, classes=tuple(settings.classes), label_map=job.label_map,
        selection=settings.selection, exclusions=job.exclusions, tokenizer=settings.tokenizer,
        batch_size=settings.batch_size, places=job.places, built=job.components,
    )  # fmt: skip
    learner = priors_learner(job.components[1])
    priors = None
    with engine:
        if settings.shard_size and settings.priors_sample > 0 and learner is not None:
            priors = learn_priors(
                learner[0], job.open(), settings.priors_sample, output,
                shard_size=settings.shard_size, seed=settings.selection.seed,
                tokenizer=settings.tokenizer, selection=settings.selection,
                exclusions=job.exclusions, progress=progress, warn=warn,
            )  # fmt: skip
            if priors is not None:
                task.with_priors(priors, learner[1])
        result = run_shards(
            job.open(), task, engine, output, shard_size=settings.shard_size,
            record_format=settings.record_format, progress=progress, warn=warn,
        )  # fmt: skip
    outputs = exports_from_files(
        output, settings.exports, classes=settings.classes, lang=settings.lang,
        record_format=settings.record_format,
    )  # fmt: skip
    run = {
        "shard_size": settings.shard_size,
        "priors_sample": settings.priors_sample if priors is not None else 0,
        "shards": result.shards,
        "shards_reused": result.reused,
        **engine.describe(),
    }
    written = write_summary(output, result.summary, outputs, {**summary_settings(job), "run": run})
    return SilverOutcome(written)


def summary_settings(job: SilverJob) -> dict[str, Any]:
    """What made the silver data, for the summary: the input, the components, the label set
    and map, the selection, the tokenizer, the languages and the signature (the shard size,
    and the priors' sample where an aligner learns priors, are in it: they change what a
    statistical aligner learns from)."""
    settings = job.settings
    tagger, aligner, projector = job.components
    source = settings.bitext.fields()
    sharding: dict[str, Any] = {}
    if settings.shard_size:
        sharding["shards.size"] = settings.shard_size
        if priors_learner(aligner) is not None:
            sharding["shards.priors_sample"] = settings.priors_sample
    signed = {
        "data": dict(source),
        "tag": tagger.signature(),
        **signature_fields(aligner, projector),
        "labels": list(settings.classes),
        "label_map": settings.label_map,
        **sharding,
    }
    baseline = preset_baseline(settings.preset, {"align": aligner, "project": projector})
    signature = make_signature(signed, preset=settings.preset, baseline=baseline)
    return {
        "input": dict(source),
        "tagger": tagger.signature(),
        "aligner": aligner.signature(),
        "projector": projector.signature(),
        "labels": list(settings.classes),
        "label_map": settings.label_map,
        **signature.stored(),
        "selection": settings.selection.as_dict(),
        **({"place_name_list": _place_list(job.places)} if job.places else {}),
        "tokenizer": settings.tokenizer,
        "languages": {"source": settings.source_lang, "target": settings.lang},
        **settings.summary_extra,
    }


def _place_list(places: frozenset[PlaceName]) -> dict[str, Any]:
    """The place names a job used: how many, and a digest of them (babel's CLDR may change)."""
    return {"names": len(places), "digest": names_key(places)[:16]}


__all__ = [
    "SILVER_ERRORS",
    "Bitext",
    "BitextCorpus",
    "BitextFiles",
    "BitextPairs",
    "BitextParquet",
    "Component",
    "LinkSetError",
    "SettingError",
    "SilverJob",
    "SilverOutcome",
    "SilverSettings",
    "check_silver",
    "make_silver",
    "run_silver",
    "summary_settings",
    "tagger_options",
]
