"""``xlner silver``: silver training data from bitext (tag the source side, align, project).

A thin layer over :func:`xlner.silver.runner.make_silver`: the options become a
:class:`~xlner.silver.runner.SilverSettings` (the selection options take their defaults from
:class:`xlner.silver.Selection`, the components theirs from the components), which is
checked whole before the folder is locked and before any model loads.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.cli.common import (
    DataDir,
    LabelMapOption,
    PresetAligner,
    PresetMethod,
    PresetName,
    SignatureForm,
    SignatureOption,
    fail,
    key_values,
    label_classes,
    one_of,
    out,
    print_signature,
    progress_bar,
    say,
    step_updater,
    warn,
)
from xlner.cli.engine import make_engine, with_engine_options
from xlner.export import FORMATS
from xlner.presets import DEFAULT_PRESET, resolve
from xlner.registry import ComponentError, registry
from xlner.signature import Signature
from xlner.silver import MASAKHANER_CLASSES, Selection
from xlner.silver.bitext import (
    Bitext,
    BitextCorpus,
    BitextFiles,
    BitextParquet,
    bitext_corpora,
    languages_of,
)
from xlner.silver.runner import (
    DEFAULT_LABEL_MAP,
    SILVER_ERRORS,
    Component,
    LinkSetError,
    SilverSettings,
    check_silver,
    run_silver,
)
from xlner.silver.select import CONSISTENCY_ACTIONS, DROPPED_CLASS, PLACE_ACTIONS, UNPROJECTED
from xlner.silver.shards import DEFAULT_PRIORS_SAMPLE
from xlner.silver.writers import RECORD_FORMATS

# The aligner and the projection come from a preset (configs/presets/), as in xlner project:
# --aligner/--method and their options change only what they name.

# The source tagger: a trained xlner tagger (the English CoNLL-2003 one), by name.
DEFAULT_TAGGER = "xlner"
# How the messages of the silver job name its settings: by the options that set them.
FLAGS = {
    "output": "-o",
    "source": "--source",
    "target": "--target",
    "bitext": "--bitext",
    "exclude": "--exclude",
    "batch_size": "--batch-size",
    "shard_size": "--shard-size",
    "priors_sample": "--priors-sample",
    "classes": "--labels",
    "record_format": "--format",
    "exports": "--export",
    "consistency": "--consistency",
    "place_names": "--place-names",
    "lang": "--lang",
    "engine": "--engine",
}


class Tokenizer(StrEnum):
    words = "words"
    whitespace = "whitespace"


# Choices built from a table (mypy cannot list such an Enum's members: its ignore[misc]).
ExportFormat = StrEnum("ExportFormat", {name: name for name in FORMATS})  # type: ignore[misc]
# The evaluation sets that never enter silver data (xlner silver, xlner relabel).
ExcludeFiles = Annotated[
    list[Path] | None,
    typer.Option(
        help="An evaluation file whose sentences never enter the silver data "
        "(token-per-line, or one sentence a line); repeatable."
    ),
]
ExcludeCorpora = Annotated[
    list[str] | None,
    typer.Option(help="An evaluation corpus (e.g. masakhaner2) to exclude; repeatable."),
]
ExcludeSplits = Annotated[
    list[str] | None, typer.Option(help="Its splits to exclude; repeatable (default: test).")
]
DroppedClass = StrEnum("DroppedClass", {name: name for name in DROPPED_CLASS})  # type: ignore[misc]
Unprojected = StrEnum("Unprojected", {name: name for name in UNPROJECTED})  # type: ignore[misc]
# Selection's defaults, as the options' choices.
DEFAULT_DROPPED_CLASS = DroppedClass(Selection.dropped_class)
DEFAULT_UNPROJECTED = Unprojected(Selection.unprojected)
ConsistencyAction = StrEnum("ConsistencyAction", {name: name for name in CONSISTENCY_ACTIONS})  # type: ignore[misc]
DEFAULT_CONSISTENCY_ACTION = ConsistencyAction(Selection.consistency_action)
PlaceNames = StrEnum("PlaceNames", {name: name for name in PLACE_ACTIONS})  # type: ignore[misc]
DEFAULT_PLACE_NAMES = PlaceNames(Selection.place_names)
RecordFormat = StrEnum("RecordFormat", {name: name for name in RECORD_FORMATS})  # type: ignore[misc]
DEFAULT_RECORD_FORMAT = RecordFormat("jsonl")


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
    dropped_class: Annotated[
        DroppedClass,
        typer.Option(
            help="A source entity whose class the label map drops (MISC): its target words "
            "train as O (outside), the sentence is dropped (drop), or its words are of unknown "
            "label, left out of training (mask)."
        ),
    ] = DEFAULT_DROPPED_CLASS,
    unprojected: Annotated[
        Unprojected,
        typer.Option(
            help="With --allow-partial, a source entity left unprojected: its words train as "
            "O (outside), the words linked to it are unknown (mask), or every O word of the "
            "sentence is (mask-sentence)."
        ),
    ] = DEFAULT_UNPROJECTED,
    consistency: Annotated[
        float,
        typer.Option(
            help="A word sequence labelled as one class in at least this share of its silver "
            "occurrences is labelled so where it is not (0: off; docs/silver.md)."
        ),
    ] = Selection.consistency,
    consistency_min_count: Annotated[
        int, typer.Option(help="--consistency: the fewest occurrences labelled as the class.")
    ] = Selection.consistency_min_count,
    consistency_action: Annotated[
        ConsistencyAction,
        typer.Option(help="--consistency labels those occurrences (label) or masks them (mask)."),
    ] = DEFAULT_CONSISTENCY_ACTION,
    place_names: Annotated[
        PlaceNames,
        typer.Option(
            help="CLDR's names of countries and regions in the target language (--lang; babel) "
            "that the silver data leaves outside every entity: labelled LOC (label) or made "
            "unknown (mask); off by default."
        ),
    ] = DEFAULT_PLACE_NAMES,
    exclude: ExcludeFiles = None,
    exclude_corpus: ExcludeCorpora = None,
    exclude_split: ExcludeSplits = None,
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
    ] = DEFAULT_RECORD_FORMAT,
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
    bitext_input = _bitext(source, target, bitext, columns, corpus, pair, split)
    if exclude_split and not exclude_corpus:
        fail("--exclude-split selects splits of --exclude-corpus")
    first, second = languages_of(pair) if pair else (None, None)
    try:
        selection = Selection(
            require_all, min_score, keep_empty, min_length, max_length, seed,
            dropped_class.value, unprojected.value,
            consistency, consistency_min_count, consistency_action.value, place_names.value,
        )  # fmt: skip
    except ValueError as error:
        fail(str(error).replace("_", "-"))
    tables = _preset_tables(preset, (aligner, aligner_option), (method, method_option))
    try:
        settings = SilverSettings(
            output, bitext_input,
            Component("taggers", "--tagger", tagger, key_values("--tagger-option", tagger_option)),
            Component("aligners", "--aligner", **tables["align"]),
            Component("projectors", "--method", **tables["project"]),
            classes=tuple(label_classes(labels)), label_map=label_map, selection=selection,
            exclude=tuple(exclude or ()), exclude_corpora=tuple(exclude_corpus or ()),
            exclude_splits=tuple(exclude_split or SilverSettings.exclude_splits),
            tokenizer=tokenizer.value, source_lang=source_lang or first or "en",
            lang=lang or second, exports=tuple(e.value for e in export or ()),
            record_format=record_format.value, batch_size=batch_size, shard_size=shard_size,
            priors_sample=priors_sample, data_dir=data_dir, preset=preset, names=FLAGS,
        )  # fmt: skip
        # Everything the options name is checked, read or built before the folder is locked
        # and before any model loads (a component loads its model when first used).
        job = check_silver(settings)
    except LinkSetError as error:
        chosen = f" (--preset {preset} chose {tables['project']['name']})" if method is None else ""
        fail(f"{error}{chosen}")
    except SILVER_ERRORS as error:
        fail(str(error))
    engine = make_engine(engine_options, output)
    bar = progress_bar()
    try:
        outcome = run_silver(job, engine=engine, progress=step_updater(bar), warn=warn)
    except SILVER_ERRORS as error:
        fail(str(error))
    finally:
        if bar.live.is_started:
            bar.stop()
    _report(outcome.summary, settings, signature)


def _bitext(
    source: Path | None,
    target: Path | None,
    bitext: Path | None,
    columns: str | None,
    corpus: str | None,
    pair: str | None,
    split: list[str] | None,
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
        return BitextFiles(source, target)
    if bitext is not None and columns is not None:
        return BitextParquet(bitext, _columns(columns))
    assert corpus is not None and pair is not None
    return BitextCorpus(corpus, pair, tuple(split or ()))


def _columns(text: str) -> tuple[str, str]:
    """``en,sw`` -> ``("en", "sw")``: two different column names, the source's first."""
    names = [name.strip() for name in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        fail(f"--columns is two different columns, source first (en,sw), not {text!r}")
    return names[0], names[1]


def _preset_tables(
    preset: str,
    aligner: tuple[str | None, list[str] | None],
    method: tuple[str | None, list[str] | None],
) -> dict[str, Any]:
    """The aligner and the projection method, ``{"name", "options"}`` each: the preset's
    with the options given on top (:func:`xlner.presets.resolve`)."""
    for catalogue, flag, name in (
        (registry.aligners, "--aligner", aligner[0]),
        (registry.projectors, "--method", method[0]),
    ):
        try:
            if name is not None:
                catalogue.get(name)
        except ComponentError as error:
            fail(f"{flag}: {error}")
    options = key_values("--method-option", method[1])
    try:  # the method's options are checked when it is built
        tables = resolve(
            preset, {"aligner": aligner[0]}, {"method": method[0], "options": options},
            aligner_overrides=aligner[1] or [],
        )  # fmt: skip
    except ComponentError as error:
        fail(str(error))
    align, project = tables["align"], tables["project"]
    return {
        "align": {"name": align["aligner"], "options": align["options"]},
        "project": {"name": project["method"], "options": project["options"]},
    }


def _report(summary: dict[str, Any], settings: SilverSettings, form: SignatureForm) -> None:
    if "run" in summary:  # a sharded job streams its input: the count is known at the end
        say(f"read {summary['sentences_in']} sentence pairs in {summary['run']['shards']} shards")
    else:
        say(f"read {summary['sentences_in']} sentence pairs from {settings.bitext.name}")
    entities = ", ".join(f"{label} {n}" for label, n in summary["entities"].items()) or "none"
    dropped = ", ".join(f"{reason} {n}" for reason, n in summary["dropped"].items() if n)
    out.print(
        f"kept {summary['sentences_out']} of {summary['sentences_in']} sentences; "
        f"entities: {entities}; dropped: {dropped or 'none'}; "
        f"excluded (evaluation sentences): {summary['excluded']}",
    )
    print_signature(Signature.from_stored(summary), form)
    outputs = ", ".join(summary["outputs"].values())
    say(f"silver data in {settings.output}: {outputs}, summary.json")
