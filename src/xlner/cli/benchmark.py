"""``xlner benchmark ...``: the benchmarks behind BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.align.symmetrize import METHODS
from xlner.bench import europarl as europarl_bench
from xlner.bench import project_scale as scale_bench
from xlner.bench.report import write_json
from xlner.cli.common import (
    DataDir,
    SignatureForm,
    SignatureOption,
    fail,
    out,
    print_full_signatures,
    say,
)
from xlner.cli.tagger import BatchSize, Encoder, Epochs, FreezeEmbeddings, LearningRate
from xlner.corpora import CorpusNotFound, require
from xlner.pipeline.cache import RunLocked
from xlner.registry import ComponentError, registry
from xlner.tagging.tagger import DEFAULT_ENCODER
from xlner.tagging.training import TrainConfig

app = typer.Typer(help="Benchmarks that print a table and write JSON.", no_args_is_help=True)


@app.callback()
def benchmarks() -> None:
    """Benchmarks that print a table and write JSON (kept a group even with one command)."""


@app.command("europarl")
def europarl(
    data_dir: DataDir = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/europarl.json"
    ),
    languages: Annotated[str, typer.Option(help="Comma-separated target languages.")] = ",".join(
        europarl_bench.LANGUAGES
    ),
    preset: Annotated[
        str,
        typer.Option(
            help="Projector rows (configs/benchmarks/europarl.toml): default (the shipped "
            "presets, default and light), heuristic (once per symmetrisation), match (matching "
            "configurations), all (both), or embedding (the presets and more rows on the "
            "e5-small SimAlign links)."
        ),
    ] = europarl_bench.PRESETS[0],
    symmetrizations: Annotated[
        str, typer.Option(help="Comma-separated eflomal symmetrisations, or 'all'.")
    ] = "all",
    tagger_probabilities: Annotated[
        Path | None,
        typer.Option(
            help="Add tagger-score rows from the probabilities that "
            "`xlner benchmark model-transfer --export-dir` saved."
        ),
    ] = None,
    signature: SignatureOption = SignatureForm.short,
) -> None:
    """Project the gold English entities of Europarl-NER onto de/es/it and score them."""
    try:
        projectors = europarl_bench.preset_projectors(preset)
    except ValueError as error:
        fail(str(error))
    root = require("europarl-ner", data_dir)
    if tagger_probabilities is not None:
        projectors |= europarl_bench.tagger_projectors(tagger_probabilities, root)
    result = europarl_bench.run_europarl(
        root,
        languages.split(","),
        projectors=projectors,
        symmetrizations=METHODS if symmetrizations == "all" else symmetrizations.split(","),
        progress=say,
    )
    out.print(europarl_bench.format_results(result))
    out.print(europarl_bench.format_errors(result))
    if signature is SignatureForm.full:
        print_full_signatures(result)
    write_json(result, output)
    say(f"wrote {output}")


@app.command("model-transfer")
def model_transfer(
    model_dir: Annotated[Path, typer.Option(help="Trained tagger (or where to train one).")],
    data_dir: DataDir = None,
    train: Annotated[bool, typer.Option(help="Fine-tune on CoNLL-2003 first (resumes).")] = False,
    encoder: Encoder = DEFAULT_ENCODER,
    epochs: Epochs = TrainConfig.epochs,
    batch_size: BatchSize = TrainConfig.batch_size,
    learning_rate: LearningRate = TrainConfig.learning_rate,
    freeze_embeddings: FreezeEmbeddings = TrainConfig.freeze_embeddings,
    export_dir: Annotated[
        Path | None, typer.Option(help="Also save per-word label probabilities here (npz).")
    ] = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/model_transfer.json"
    ),
    signature: SignatureOption = SignatureForm.short,
) -> None:
    """Model transfer: CoNLL-2003 tagger on CoNLL test, Europarl-NER and MasakhaNER 2.0."""
    from xlner.bench import model_transfer as bench

    root = require("conll2003", data_dir)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        freeze_embeddings=freeze_embeddings,
    )
    result = bench.run_model_transfer(
        root,
        model_dir,
        train=train,
        config=config,
        encoder=encoder,
        progress=say,
        export_dir=export_dir,
    )
    out.print(bench.format_results(result))
    if signature is SignatureForm.full:
        print_full_signatures(result)
    write_json(result, output)
    say(f"wrote {output}")


@app.command("project-scale")
def project_scale(
    data_dir: DataDir = None,
    output: Annotated[
        Path, typer.Option(help="Where to write the JSON results.")
    ] = scale_bench.DEFAULT_OUTPUT,
    sizes: Annotated[
        str,
        typer.Option(
            help="Comma-separated corpus sizes in sentence pairs (MAFAND-MT en-swa repeated); "
            "'' for none."
        ),
    ] = ",".join(map(str, scale_bench.SIZES)),
    solvers: Annotated[
        str, typer.Option(help="Comma-separated solvers for the long-pair rows; '' for none.")
    ] = ",".join(scale_bench.SOLVERS),
    long_tokens: Annotated[
        int, typer.Option(help="Tokens of the long pair (Europarl-NER en-de joined).")
    ] = scale_bench.LONG_TOKENS,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE for eflomal in every row, as in xlner project."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Stop a row after this many seconds and estimate its time."),
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="Where the corpora are written (default: the system's).")
    ] = None,
) -> None:
    """Peak memory and time of `xlner project` for growing corpora and one very long pair."""
    try:
        size_list = [int(size) for size in sizes.split(",") if size.strip()]
    except ValueError:
        fail(f"--sizes must be comma-separated whole numbers, not {sizes!r}")
    if any(size < 1 for size in size_list):
        fail(f"--sizes must be positive, not {sizes!r}")
    solver_list = [name.strip() for name in solvers.split(",") if name.strip()]
    try:
        for name in solver_list:
            registry.solvers.get(name)
    except ComponentError as error:
        fail(str(error))
    if long_tokens < 1:
        fail(f"--long-tokens must be positive, got {long_tokens}")
    if time_limit is not None and time_limit <= 0:
        fail(f"--time-limit must be positive, got {time_limit}")
    result = scale_bench.run_project_scale(
        data_dir,
        sizes=size_list,
        solvers=solver_list,
        long_tokens=long_tokens,
        aligner_options=aligner_option or [],
        limit=time_limit,
        work_dir=work_dir,
        progress=say,
    )
    out.print(scale_bench.format_results(result))
    write_json(result, output)
    say(f"wrote {output}")


@app.command("throughput")
def throughput(
    data_dir: DataDir = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/throughput.json"
    ),
    parts: Annotated[
        str, typer.Option(help="Comma-separated parts: simalign, tagging, training.")
    ] = "simalign,tagging,training",
    repeats: Annotated[int, typer.Option(min=1, help="Measurements per part and setting.")] = 2,
    pairs: Annotated[
        int, typer.Option(min=0, help="Europarl-NER sentence pairs a language (0: all 799).")
    ] = 300,
    sentences: Annotated[
        int, typer.Option(min=0, help="CoNLL-2003 test sentences to tag (0: all 3,453).")
    ] = 1000,
    steps: Annotated[int, typer.Option(min=1, help="Training steps timed.")] = 10,
    tagger: Annotated[
        Path | None,
        typer.Option(help="A trained tagger, for tagging F1 (default: an untrained one)."),
    ] = None,
) -> None:
    """SimAlign, tagging and training throughput: the old settings against today's."""
    from xlner.bench import throughput as bench
    from xlner.tagging.tagger import META_FILE

    chosen = parts.split(",")
    unknown = [part for part in chosen if part not in bench.PARTS]
    if unknown:
        fail(f"unknown part {unknown[0]!r}; choose from {', '.join(bench.PARTS)}")
    if tagger is not None and not (tagger / META_FILE).is_file():
        fail(f"{tagger} is not a saved xlner tagger (no {META_FILE})")
    needed = {"europarl-ner"} if "simalign" in chosen else set()
    needed |= {"conll2003"} if {"tagging", "training"} & set(chosen) else set()
    try:
        roots = [require(name, data_dir) for name in sorted(needed)]  # one root holds them all
    except CorpusNotFound as error:
        fail(str(error))
    settings = {
        "data_dir": str(roots[0]),
        "pairs": pairs,
        "sentences": sentences,
        "steps": steps,
        "tagger": str(tagger) if tagger is not None else None,
    }
    try:
        result = bench.run_throughput(settings, chosen, repeats, progress=say)
    except bench.WorkerError as error:
        fail(str(error))
    out.print(bench.format_results(result))
    write_json(result, output)
    say(f"wrote {output}")


@app.command("cli")
def cli_speed(
    runs: Annotated[int, typer.Option(min=1, help="Timed runs of each command in each tree.")] = 5,
    tree: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=FOLDER: a source tree to time, the folder holding its xlner package "
            "(e.g. base=/tmp/xlner-base/src); repeatable, the first is the others' baseline "
            "(default: this xlner's)."
        ),
    ] = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/cli_speed.json"
    ),
) -> None:
    """How long `xlner --help`, a command's help, `xlner evaluate`, `xlner data list`, an
    option error and `xlner silver` without a trained tagger take, each in a fresh process."""
    from xlner.bench import cli_speed as bench

    trees = {"this": bench.THIS_TREE}
    if tree:
        trees = {}
        for text in tree:
            name, _, folder = text.partition("=")
            if not name or not folder:
                fail(f"--tree {text!r} is not NAME=FOLDER")
            if not (Path(folder) / "xlner" / "__init__.py").is_file():
                fail(f"--tree {name}: {folder} holds no xlner package (give its src folder)")
            trees[name] = Path(folder)
    try:
        result = bench.run_cli_speed(trees, runs, progress=say)
    except RuntimeError as error:
        fail(str(error))
    out.print(bench.format_results(result))
    write_json(result, output)
    say(f"wrote {output}")


def _silver_only(
    data_dir: Path | None,
    runs: Path,
    languages: list[str] | None,
    variants: list[str] | None,
    config: str,
    overrides: list[str],
    output: Path,
) -> None:
    """``benchmark silver --silver-only``: the silver stages, their table and JSON."""
    from xlner.bench import silver as bench

    try:
        result = bench.run_silver_only(
            data_dir, runs, languages, variants, config=config, overrides=overrides, progress=say
        )
    except (ValueError, OSError, RunLocked) as error:
        fail(str(error))
    out.print(bench.format_silver_only(result))
    write_json(result, output)
    say(f"wrote {output}")


@app.command("silver")
def silver(
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="key=value settings over the config, e.g. train.config.max_steps=50."),
    ] = None,
    data_dir: DataDir = None,
    languages: Annotated[
        str | None,
        typer.Option(help="Comma-separated MasakhaNER 2.0 languages (default: the config's 18)."),
    ] = None,
    config: Annotated[
        str,
        typer.Option(
            help="A built-in benchmark config (benchmarks/silver-quick: a 300-step budget) or "
            "a .toml file; it names what differs from benchmarks/silver."
        ),
    ] = "benchmarks/silver",
    variants: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated variants of a config with \\[variants] to run (default: all; "
            "the others' stages stay where they are)."
        ),
    ] = None,
    runs: Annotated[
        Path, typer.Option(help="Stage folders, one per language; rerun to resume.")
    ] = Path("runs/bench-silver"),
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/silver.json"
    ),
    chart: Annotated[
        Path | None,
        typer.Option(help="The offline HTML page with the chart (default: --output as .html)."),
    ] = None,
    translate_test: Annotated[
        Path | None,
        typer.Option(
            help="Results of `python benchmarks/masakhaner.py` (results/masakhaner.json): "
            "their translate-test F1 goes beside each language that has one."
        ),
    ] = None,
    finished: Annotated[
        bool,
        typer.Option(
            "--finished",
            help="Report only the rows a run has finished, running nothing (safe beside a "
            "run in progress on the same --runs).",
        ),
    ] = False,
    silver_only: Annotated[
        bool,
        typer.Option(
            "--silver-only",
            help="Run only the silver stages, nothing trained: each row's silver data and "
            "silver F1 (a cheap look at a setting; a full run later reads them back).",
        ),
    ] = False,
    signature: SignatureOption = SignatureForm.short,
) -> None:
    """Silver data from MAFAND-MT (MasakhaNER 2.0 test excluded), a tagger trained on it, its
    MasakhaNER 2.0 test F1 beside model transfer and silver F1: one row per language."""
    from xlner.bench import silver as bench
    from xlner.bench.silver_chart import write_chart

    chosen = _names("--languages", "languages", languages)
    picked = _names("--variants", "variant names", variants)
    page = chart or output.with_suffix(".html")
    if page == output:
        fail(f"--chart {page} is the --output file; give another")
    if silver_only:
        if finished or chart or translate_test:
            fail("--silver-only reports silver data alone: not with --finished, --chart or "
                 "--translate-test")  # fmt: skip
        _silver_only(data_dir, runs, chosen, picked, config, overrides or [], output)
        return
    try:
        result = bench.run_silver(
            data_dir,
            runs,
            bench.Scope(chosen, picked, finished),
            config=config,
            overrides=overrides or [],
            translate_test=translate_test,
            progress=say,
        )
    except (ValueError, OSError, RunLocked) as error:  # bad settings or input: one line
        fail(str(error))
    table = bench.format_results(result)
    out.print(table)
    if signature is SignatureForm.full:
        print_full_signatures(result)
    write_json(result, output)
    write_chart(result, page)
    say(f"wrote {output} and {page}")


def _names(option: str, what: str, value: str | None) -> list[str] | None:
    """A comma-separated option's names (``None`` when not given); an empty name: one line."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        fail(f"{option} must be comma-separated {what}, not {value!r}")
    return names
