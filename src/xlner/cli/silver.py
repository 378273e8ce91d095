"""``xlner silver``: silver training data from bitext (tag the source side, align, project).

A thin layer over :func:`xlner.silver.build_silver` and :func:`xlner.silver.write_silver`.
The selection options take their defaults from :class:`xlner.silver.Selection`, the
components theirs from the components; every setting is checked before any file is read or
any model runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.cli.common import (
    DataDir,
    LabelMapOption,
    SignatureForm,
    SignatureOption,
    fail,
    key_values,
    label_map_table,
    one_of,
    out,
    print_signature,
    progress_bar,
    say,
    step_updater,
    warn,
)
from xlner.cli.engine import DEFAULT_ENGINE, make_engine, with_engine_options
from xlner.cli.project import PresetAligner, PresetMethod, PresetName, resolve_settings
from xlner.engine.base import Engine, EngineError
from xlner.errors import InputError
from xlner.export import FORMATS
from xlner.pipeline.cache import RunLocked, run_lock
from xlner.pipeline.stages.base import StageError, build_component
from xlner.presets import DEFAULT_PRESET
from xlner.project.corpus import check_link_sets, signature_fields
from xlner.registry import Catalogue, ComponentError, registry
from xlner.signature import Signature, make_signature, preset_baseline
from xlner.silver import MASAKHANER_CLASSES, Selection, build_silver, read_corpus, write_silver
from xlner.silver.bitext import (
    BitextPair,
    bitext_corpora,
    iter_files,
    iter_parquet,
    languages_of,
)
from xlner.silver.exclude import Exclusion, from_corpus, from_file
from xlner.silver.parquet import pyarrow
from xlner.silver.shards import (
    DEFAULT_PRIORS_SAMPLE,
    Component,
    SilverShardTask,
    learn_priors,
    priors_learner,
    run_shards,
)
from xlner.silver.writers import RECORD_FORMATS, exports_from_files, write_summary

# The aligner and the projection come from a preset (configs/presets/), as in xlner project:
# --aligner/--method and their options change only what they name.

# The source tagger: a trained xlner tagger (the English CoNLL-2003 one), by name.
DEFAULT_TAGGER = "xlner"
# The tagger's MISC has no MasakhaNER class; DATE is kept where a tagger gives it.
DEFAULT_LABEL_MAP = "drop-misc"
DEFAULT_EXCLUDE_SPLITS = ("test",)
# Bad settings or input, a busy output folder, a missing corpus, model or package, an engine
# that cannot start: one line.
SILVER_ERRORS = (
    ComponentError, InputError, StageError, RunLocked, OSError, ImportError, EngineError,
)  # fmt: skip


class Tokenizer(StrEnum):
    words = "words"
    whitespace = "whitespace"


ExportFormat = StrEnum("ExportFormat", {name: name for name in FORMATS})
RecordFormat = StrEnum("RecordFormat", {name: name for name in RECORD_FORMATS})


@dataclass(frozen=True)
class Bitext:
    """The bitext as given: what opens it (each call reads it from the start), its name in
    messages, and what the summary records of it."""

    open: Callable[[], Iterable[BitextPair]]
    name: str
    fields: dict[str, Any]


@with_engine_options
def silver(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the silver data and its cache (rerun to resume)."
        ),
    ],
    source: Annotated[
        Path | None, typer.Option(help="Source side: one sentence a line (with --target).")
    ] = None,
    target: Annotated[
        Path | None, typer.Option(help="Target side, line-parallel to --source.")
    ] = None,
    bitext: Annotated[
        Path | None,
        typer.Option(help="A Parquet file holding both sides, a text column each (--columns)."),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(help="--bitext's source and target columns, comma-separated: en,sw."),
    ] = None,
    corpus: Annotated[
        str | None, typer.Option(help="A bitext corpus instead of files, e.g. mafand-mt.")
    ] = None,
    pair: Annotated[
        str | None, typer.Option(help="The corpus's pair, source language first: en-swa.")
    ] = None,
    split: Annotated[
        list[str] | None, typer.Option(help="A split of the pair; repeatable (default: all).")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            help="Target language (default: the pair's second), for --exclude-corpus and "
            "the spaCy export."
        ),
    ] = None,
    source_lang: Annotated[
        str | None,
        typer.Option(
            help="Source language (default: the pair's first, else en), for taggers "
            "that have a lang option (spacy)."
        ),
    ] = None,
    tokenizer: Annotated[
        Tokenizer,
        typer.Option(
            help="words: split punctuation off, as MasakhaNER is tokenised; whitespace: the "
            "text is tokenised already."
        ),
    ] = Tokenizer.words,
    tagger: Annotated[str, typer.Option(help=one_of(registry.taggers))] = DEFAULT_TAGGER,
    tagger_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE: an option the tagger declares, e.g. model=... (spacy), "
            "path=gold.conll (gold); repeatable."
        ),
    ] = None,
    labels: Annotated[
        str, typer.Option(help="The target label set, comma-separated (MasakhaNER 2.0's).")
    ] = ",".join(MASAKHANER_CLASSES),
    label_map: LabelMapOption = DEFAULT_LABEL_MAP,
    preset: PresetName = DEFAULT_PRESET,
    aligner: PresetAligner = None,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE: an option the aligner declares; repeatable."),
    ] = None,
    method: PresetMethod = None,
    method_option: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE: an option of the projection method; repeatable."),
    ] = None,
    require_all: Annotated[
        bool,
        typer.Option(
            "--require-all/--allow-partial",
            help="Keep only sentences whose every source entity was projected.",
        ),
    ] = Selection.require_all,
    min_score: Annotated[
        float, typer.Option(help="Drop projections scoring below this.")
    ] = Selection.min_score,
    keep_empty: Annotated[
        float, typer.Option(help="Share of the sentences without entities to keep (seeded).")
    ] = Selection.keep_empty,
    min_length: Annotated[int, typer.Option(help="Fewest tokens of either side.")] = (
        Selection.min_length
    ),
    max_length: Annotated[int, typer.Option(help="Most tokens of either side.")] = (
        Selection.max_length
    ),
    seed: Annotated[int, typer.Option(help="Seed of the kept share.")] = Selection.seed,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(
            help="An evaluation file whose sentences never enter the silver data "
            "(token-per-line, or one sentence a line); repeatable."
        ),
    ] = None,
    exclude_corpus: Annotated[
        list[str] | None,
        typer.Option(help="An evaluation corpus (e.g. masakhaner2) to exclude; repeatable."),
    ] = None,
    exclude_split: Annotated[
        list[str] | None,
        typer.Option(help="Its splits to exclude; repeatable (default: test)."),
    ] = None,
    export: Annotated[
        list[ExportFormat] | None,
        typer.Option(help="Also write hf (a datasets folder) or spacy (a DocBin); repeatable."),
    ] = None,
    record_format: Annotated[
        RecordFormat,
        typer.Option(
            "--format",
            help="The records beside silver.conll (and each shard's): jsonl (silver.jsonl) "
            "or parquet (silver.parquet, a row a sentence).",
        ),
    ] = RecordFormat.jsonl,
    batch_size: Annotated[
        int, typer.Option(help="Sentences per tagging batch (each one kept when done).")
    ] = 256,
    shard_size: Annotated[
        int,
        typer.Option(
            help="Sentence pairs per shard (each one kept when done, and the unit an engine "
            "hands a worker); 0: the whole bitext in one job, as without an engine."
        ),
    ] = 0,
    priors_sample: Annotated[
        int,
        typer.Option(
            help="With several shards and eflomal: pairs of the seeded sample its priors are "
            "learned from (0: none, each shard aligned alone)."
        ),
    ] = DEFAULT_PRIORS_SAMPLE,
    data_dir: DataDir = None,
    signature: SignatureOption = SignatureForm.short,
    *,
    engine_options: dict[str, Any],
) -> None:
    """Tag the source side of bitext, align, project the entities onto the target side and
    keep the sentences the projection can be trusted on: silver training data."""
    given = _check_input(source, target, bitext, columns, corpus, pair, split, data_dir)
    if bitext is not None or record_format == RecordFormat.parquet:
        try:
            pyarrow()  # before any model runs
        except ImportError as error:
            fail(str(error))
    if output.exists() and not output.is_dir():
        fail(f"-o {output} is a file; give a folder")
    if batch_size < 1:
        fail(f"--batch-size must be at least 1, not {batch_size}")
    if shard_size < 0:
        fail(f"--shard-size must be 0 (one shard) or more, not {shard_size}")
    if priors_sample < 0:
        fail(f"--priors-sample must be 0 (no priors) or more, not {priors_sample}")
    runner = make_engine(engine_options, output)
    sharded = shard_size > 0 or runner.name != DEFAULT_ENGINE
    if exclude_split and not exclude_corpus:
        fail("--exclude-split selects splits of --exclude-corpus")
    first, second = languages_of(pair) if pair else (None, None)
    source_lang, lang = source_lang or first or "en", lang or second
    try:
        selection = Selection(require_all, min_score, keep_empty, min_length, max_length, seed)
    except ValueError as error:
        fail(str(error).replace("_", "-"))
    classes = _classes(labels)
    table = label_map_table(label_map)
    components, specs = _components(
        output, data_dir, source_lang, (tagger, tagger_option),
        _preset_tables(preset, (aligner, aligner_option), (method, method_option)),
    )  # fmt: skip
    # Shards change what a statistical aligner learns from (and its priors): in the signature.
    sharding = {"shards.size": shard_size} if shard_size else {}
    if shard_size and priors_learner(components[1]) is not None:
        sharding["shards.priors_sample"] = priors_sample
    settings = _settings(given.fields, components, classes, label_map, sharding, preset)
    settings.update(
        selection=selection.as_dict(),
        tokenizer=tokenizer.value,
        languages={"source": source_lang, "target": lang},
    )
    try:
        with run_lock(output):
            exclusions = _exclusions(exclude, exclude_corpus, exclude_split, lang, data_dir)
            if sharded:
                task = SilverShardTask(
                    *specs, work_dir=output.resolve(), data_dir=data_dir, classes=tuple(classes),
                    label_map=table, selection=selection, exclusions=exclusions,
                    tokenizer=tokenizer.value, batch_size=batch_size, built=components,
                )  # fmt: skip
                summary = _sharded(
                    given.open, task, runner, output, shard_size, priors_sample, settings,
                    [e.value for e in export or ()], lang, record_format.value,
                )  # fmt: skip
                _report(summary, output, signature)
                return
            pairs = _read(given)
            bar = progress_bar()
            try:
                result = build_silver(
                    pairs,
                    *components,
                    cache_dir=output / "cache",
                    classes=classes,
                    label_map=table,
                    selection=selection,
                    exclusions=exclusions,
                    tokenizer=tokenizer.value,
                    batch_size=batch_size,
                    progress=step_updater(bar),
                    warn=warn,
                )
            finally:
                if bar.live.is_started:
                    bar.stop()
            summary = write_silver(
                output,
                result,
                classes=classes,
                settings=settings,
                exports=[e.value for e in export or ()],
                lang=lang,
                record_format=record_format.value,
            )
    except SILVER_ERRORS as error:
        fail(str(error))
    _report(summary, output, signature)


def _sharded(
    pairs: Callable[[], Iterable[BitextPair]],
    task: SilverShardTask,
    engine: Engine,
    output: Path,
    shard_size: int,
    priors_sample: int,
    settings: dict[str, Any],
    exports: Sequence[str],
    lang: str | None,
    record_format: str,
) -> dict[str, Any]:
    """The job shard by shard on ``engine``, the pairs streamed (``pairs()`` opens them); the
    eflomal priors first where there are several shards."""
    if engine.name != DEFAULT_ENGINE and not shard_size:
        warn(f"--engine {engine.name} without --shard-size: one shard, for one worker")
    learner = priors_learner(task.built[1]) if task.built else None
    priors = None
    bar = progress_bar()
    try:
        with engine:
            if shard_size and priors_sample > 0 and learner is not None:
                priors = learn_priors(
                    learner[0], pairs(), priors_sample, output, shard_size=shard_size,
                    seed=task.selection.seed, tokenizer=task.tokenizer,
                    selection=task.selection, exclusions=task.exclusions,
                    progress=step_updater(bar),
                )  # fmt: skip
                if priors is not None:
                    task.with_priors(priors, learner[1])
            result = run_shards(
                pairs(), task, engine, output, shard_size=shard_size,
                record_format=record_format, progress=step_updater(bar), warn=warn,
            )  # fmt: skip
    finally:
        if bar.live.is_started:
            bar.stop()
    outputs = exports_from_files(
        output, exports, classes=task.classes, lang=lang, record_format=record_format
    )
    run = {
        "shard_size": shard_size,
        "priors_sample": priors_sample if priors is not None else 0,
        "shards": result.shards,
        "shards_reused": result.reused,
        **engine.describe(),
    }
    return write_summary(output, result.summary, outputs, {**settings, "run": run})


def _check_input(
    source: Path | None,
    target: Path | None,
    bitext: Path | None,
    columns: str | None,
    corpus: str | None,
    pair: str | None,
    split: Sequence[str] | None,
    data_dir: Path | None,
) -> Bitext:
    """The bitext given (nothing is read yet); exactly one of the three inputs must be."""
    if (source is None) != (target is None):
        fail("--source and --target go together")
    if (bitext is None) != (columns is None):
        fail("--bitext and --columns go together (--columns SOURCE,TARGET names its columns)")
    if corpus is not None and pair is None:
        fail(f"--corpus {corpus} needs --pair (e.g. en-swa)")
    if pair is not None and corpus is None:
        fail(f"--pair needs --corpus (one of {', '.join(bitext_corpora())})")
    if sum(given is not None for given in (source, bitext, corpus)) != 1:
        fail(
            "give the bitext: --source and --target, --bitext and --columns, or --corpus and --pair"
        )
    if split and corpus is None:
        fail("--split selects splits of --corpus")
    if source is not None and target is not None:
        fields: dict[str, Any] = {"source": str(source), "target": str(target)}
        return Bitext(partial(iter_files, source, target), f"{source} and {target}", fields)
    if bitext is not None and columns is not None:
        names = _columns(columns)
        fields = {"bitext": str(bitext), "columns": list(names)}
        return Bitext(partial(iter_parquet, bitext, names), str(bitext), fields)
    assert corpus is not None and pair is not None
    # A corpus pair is small: read once, on first use, for the priors' sample and the shards.
    read = cache(partial(read_corpus, corpus, pair, tuple(split or ()), data_dir=data_dir))
    fields = {"corpus": corpus, "pair": pair, "splits": list(split or ["all"])}
    return Bitext(read, f"{corpus} {pair}", fields)


def _columns(text: str) -> tuple[str, str]:
    """``en,sw`` -> ``("en", "sw")``: two different column names, the source's first."""
    names = [name.strip() for name in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        fail(f"--columns is two different columns, source first (en,sw), not {text!r}")
    return names[0], names[1]


def _classes(labels: str) -> list[str]:
    classes = [label.strip() for label in labels.split(",") if label.strip()]
    if not classes:
        fail("--labels needs at least one class, e.g. PER,ORG,LOC")
    if bad := [c for c in classes if "-" in c or c == "O"]:
        fail(f"--labels are classes such as PER, not tags: {bad[0]!r}")
    return classes


def _components(
    output: Path,
    data_dir: Path | None,
    source_lang: str,
    tagger: tuple[str, list[str] | None],
    tables: dict[str, Any],
) -> tuple[tuple[Any, Any, Any], tuple[Component, Component, Component]]:
    """The tagger, aligner and projector, built and checked before any input is read, and
    how to build them again (in a worker of an engine)."""
    tagger_options = key_values("--tagger-option", tagger[1])
    try:
        if "lang" in registry.taggers.options(tagger[0]):
            tagger_options.setdefault("lang", source_lang)
    except ComponentError as error:
        fail(f"--tagger: {error}")
    built_tagger = _build(registry.taggers, "--tagger", tagger[0], tagger_options, data_dir)
    align, project = tables["align"], tables["project"]
    built_aligner = _build(
        registry.aligners, "--aligner", align["aligner"], align["options"], data_dir,
        output / "tmp",
    )  # fmt: skip
    projector = _build(
        registry.projectors, "--method", project["method"], project["options"], data_dir
    )
    try:
        check_link_sets(built_aligner, projector)
    except ComponentError as error:
        chosen = tables.get("chosen_by")  # the preset chose the method: say so
        fail(f"{error}" + (f" ({chosen} chose {project['method']})" if chosen else ""))
    specs = (
        Component("taggers", "--tagger", tagger[0], tagger_options),
        Component("aligners", "--aligner", align["aligner"], align["options"]),
        Component("projectors", "--method", project["method"], project["options"]),
    )
    return (built_tagger, built_aligner, projector), specs


def _preset_tables(
    preset: str,
    aligner: tuple[str | None, list[str] | None],
    method: tuple[str | None, list[str] | None],
) -> dict[str, Any]:
    """The preset's ``[align]`` and ``[project]`` tables with the options given on top, and
    ``chosen_by`` when the preset chose the projection method."""
    for catalogue, flag, name in (
        (registry.aligners, "--aligner", aligner[0]),
        (registry.projectors, "--method", method[0]),
    ):
        try:
            if name is not None:
                catalogue.get(name)
        except ComponentError as error:
            fail(f"{flag}: {error}")
    try:  # xlner project's tables; the method's options are checked when it is built
        tables = resolve_settings(preset, aligner[0], None, aligner[1] or [], method[0], [])
    except ComponentError as error:
        fail(str(error))
    tables["project"]["options"] |= key_values("--method-option", method[1])
    chosen_by = {"chosen_by": f"--preset {preset}"} if method[0] is None else {}
    return tables | chosen_by


def _build(
    catalogue: Catalogue[Any],
    flag: str,
    name: str,
    options: dict[str, Any],
    data_dir: Path | None,
    temp_dir: Path | None = None,
) -> Any:
    try:
        return build_component(catalogue, flag, name, options, data_dir, temp_dir)
    except StageError as error:
        fail(str(error))


def _read(bitext: Bitext) -> list[BitextPair]:
    """Every pair of the bitext, for the job that is one shard."""
    pairs = list(bitext.open())
    if not pairs:
        raise InputError(bitext.name, None, "no sentence pair: the bitext is empty")
    say(f"read {len(pairs)} sentence pairs from {bitext.name}")
    return pairs


def _exclusions(
    files: Sequence[Path] | None,
    corpora: Sequence[str] | None,
    splits: Sequence[str] | None,
    lang: str | None,
    data_dir: Path | None,
) -> list[Exclusion]:
    found = [from_file(path) for path in files or ()]
    for name in corpora or ():
        for split in splits or DEFAULT_EXCLUDE_SPLITS:
            found.append(from_corpus(name, lang, split, data_dir=data_dir))
    return found


def _settings(
    source: Mapping[str, Any],
    components: tuple[Any, Any, Any],
    classes: Sequence[str],
    label_map: str,
    extra: Mapping[str, Any],
    preset: str,
) -> dict[str, Any]:
    """What made the silver data, for the summary: the input, the components, the signature
    (with the ``extra`` fields)."""
    tagger, aligner, projector = components
    signed = {
        "data": dict(source),
        "tag": tagger.signature(),
        **signature_fields(aligner, projector),
        "labels": list(classes),
        "label_map": label_map,
        **extra,
    }
    baseline = preset_baseline(preset, {"align": aligner, "project": projector})
    signature = make_signature(signed, preset=preset, baseline=baseline)
    return {
        "input": dict(source),
        "tagger": tagger.signature(),
        "aligner": aligner.signature(),
        "projector": projector.signature(),
        "labels": list(classes),
        "label_map": label_map,
        **signature.stored(),
    }


def _report(summary: dict[str, Any], output: Path, form: SignatureForm) -> None:
    if "run" in summary:  # a sharded job streams its input: the count is known at the end
        say(f"read {summary['sentences_in']} sentence pairs in {summary['run']['shards']} shards")
    entities = ", ".join(f"{label} {n}" for label, n in summary["entities"].items()) or "none"
    dropped = ", ".join(f"{reason} {n}" for reason, n in summary["dropped"].items() if n)
    out.print(
        f"kept {summary['sentences_out']} of {summary['sentences_in']} sentences; "
        f"entities: {entities}; dropped: {dropped or 'none'}; "
        f"excluded (evaluation sentences): {summary['excluded']}",
        highlight=False,
    )
    print_signature(Signature.from_stored(summary), form)
    outputs = ", ".join(summary["outputs"].values())
    say(f"silver data in {output}: {outputs}, summary.json")
