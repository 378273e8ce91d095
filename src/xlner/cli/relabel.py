"""``xlner relabel``: one round of self-training's relabelling, over a silver folder.

A thin layer over :func:`xlner.silver.relabel.relabel`: the tagger (``--model``, several for
an ensemble) trained on the silver data relabels it, and unlabelled target text
(``--unlabelled``) where given; the exclusions apply to both.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import (
    DataDir,
    LabelMapOption,
    fail,
    label_map_table,
    out,
    progress_bar,
    say,
    step_updater,
    warn,
)
from xlner.cli.silver import (
    DEFAULT_LABEL_MAP,
    SILVER_ERRORS,
    ExcludeCorpora,
    ExcludeFiles,
    ExcludeSplits,
    Tokenizer,
)
from xlner.cli.tagger import check_models, load_models
from xlner.pipeline.cache import run_lock
from xlner.silver import MASAKHANER_CLASSES
from xlner.silver.exclude import gather
from xlner.silver.relabel import (
    Relabelling,
    read_silver_folder,
    read_unlabelled,
    relabel,
    write_relabelled,
)
from xlner.silver.writers import RECORD_FORMATS, check_folder

# Choices built from a table (mypy cannot list such an Enum's members: its ignore[misc]).
RecordFormat = StrEnum("RecordFormat", {name: name for name in ("same", *RECORD_FORMATS)})  # type: ignore[misc]
SAME_FORMAT = RecordFormat("same")  # the input's


def relabel_command(
    silver: Annotated[
        Path, typer.Argument(help="A folder of xlner silver: silver.jsonl or silver.parquet.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the relabelled silver data.")
    ],
    model: Annotated[
        list[str],
        typer.Option(
            help="The tagger trained on the silver data (a name or directory); repeat it for "
            "the ensemble of several."
        ),
    ],
    weight: Annotated[
        list[float] | None, typer.Option(help="With several --model: each one's weight.")
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(help="A tagger span is confident when each word's tag is this probable."),
    ] = Relabelling.threshold,
    unlabelled: Annotated[
        list[Path] | None,
        typer.Option(
            help="Unlabelled target text (one sentence a line, or token-per-line with its tags "
            "ignored) to label with the confident spans; repeatable. Never dev or test text."
        ),
    ] = None,
    tokenizer: Annotated[
        Tokenizer, typer.Option(help="How --unlabelled lines are cut into words.")
    ] = Tokenizer.words,
    keep_empty: Annotated[
        float,
        typer.Option(help="Share of the unlabelled sentences without a confident entity kept."),
    ] = Relabelling.keep_empty,
    seed: Annotated[int, typer.Option(help="Seed of the kept share.")] = Relabelling.seed,
    min_length: Annotated[int, typer.Option(help="Fewest tokens of an unlabelled sentence.")] = (
        Relabelling.min_length
    ),
    max_length: Annotated[int, typer.Option(help="Most tokens of an unlabelled sentence.")] = (
        Relabelling.max_length
    ),
    label_map: LabelMapOption = DEFAULT_LABEL_MAP,
    exclude: ExcludeFiles = None,
    exclude_corpus: ExcludeCorpora = None,
    exclude_split: ExcludeSplits = None,
    lang: Annotated[
        str | None,
        typer.Option(help="Target language, for --exclude-corpus (default: the silver data's)."),
    ] = None,
    record_format: Annotated[
        RecordFormat,
        typer.Option("--format", help="jsonl or parquet records (same: the input's)."),
    ] = SAME_FORMAT,
    batch_size: Annotated[int, typer.Option(help="Sentences per tagger batch.")] = 32,
    data_dir: DataDir = None,
) -> None:
    """Relabel silver data with a tagger trained on it (self-training): its confident spans are
    merged with the projected ones (docs/silver.md), and unlabelled text labelled by them."""
    if output.resolve() == silver.resolve():
        fail("-o is the silver folder itself; write the relabelled data to another folder")
    if output.exists() and not output.is_dir():
        fail(f"-o {output} is a file; give a folder")
    if exclude_split and not exclude_corpus:
        fail("--exclude-split selects splits of --exclude-corpus")
    try:
        settings = Relabelling(threshold, keep_empty, seed, min_length, max_length)
    except ValueError as error:
        fail(str(error).replace("_", "-"))
    table = label_map_table(label_map)
    folders = check_models(model, weight)
    try:
        for flag, paths in (("--unlabelled", unlabelled), ("--exclude", exclude)):
            for path in paths or ():  # no input among the outputs (written, or removed)
                check_folder(output, {flag: path})
        with run_lock(output):
            found = read_silver_folder(silver)
            texts = [s for path in unlabelled or () for s in read_unlabelled(path, tokenizer)]
            target = lang or found.target_language()
            exclusions = gather(exclude, exclude_corpus, exclude_split, target, data_dir)
            tagger = load_models(folders, model, weight)
            say(f"relabelling {len(found.records)} silver and {len(texts)} unlabelled sentences")
            bar = progress_bar()
            try:
                result = relabel(
                    found.records, tagger, classes=found.classes(MASAKHANER_CLASSES),
                    label_map=table, settings=settings, unlabelled=texts,
                    exclusions=exclusions, batch_size=batch_size, progress=step_updater(bar),
                )  # fmt: skip
            finally:
                if bar.live.is_started:
                    bar.stop()
            fields = {
                "input": str(silver),
                "models": [str(folder) for folder in folders],
                "weights": weight,
                "label_map": label_map,
                "labels": found.classes(MASAKHANER_CLASSES),
                "unlabelled": [str(path) for path in unlabelled or ()],
                "relabelling": settings.as_dict(),
            }
            kind = found.record_format if record_format == SAME_FORMAT else record_format
            summary = write_relabelled(output, result, fields, str(kind))
    except SILVER_ERRORS as error:
        fail(str(error))
    for message in summary["warnings"]:
        warn(message)
    counts = ", ".join(f"{key} {n}" for key, n in summary["relabel"].items()) or "nothing"
    out.print(f"kept {summary['sentences_out']} sentences; {counts}")
    say(f"relabelled silver data in {output}: silver.conll, silver.{kind}, summary.json")
