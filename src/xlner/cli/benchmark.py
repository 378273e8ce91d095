"""``xlner benchmark ...``: the benchmarks behind BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.align.symmetrize import METHODS
from xlner.bench import europarl as europarl_bench
from xlner.cli.common import DataDir, out, say
from xlner.corpora import require

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
    languages: Annotated[str, typer.Option(help="Comma-separated target languages.")] = "de,es,it",
    preset: Annotated[
        str,
        typer.Option(
            help="Projectors: heuristic, match (matching configurations), all (both), or "
            "embedding (with the e5-small SimAlign aligner; about 40 s more on a CPU)."
        ),
    ] = "heuristic",
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
) -> None:
    """Project the gold English entities of Europarl-NER onto de/es/it and score them."""
    root = require("europarl-ner", data_dir)
    projectors = europarl_bench.preset_projectors(preset)
    if tagger_probabilities is not None:
        projectors |= europarl_bench.tagger_projectors(tagger_probabilities, root)
    result = europarl_bench.run_europarl(
        root,
        languages.split(","),
        projectors=projectors,
        symmetrizations=METHODS if symmetrizations == "all" else symmetrizations.split(","),
        progress=say,
    )
    out.print(europarl_bench.format_table(result), highlight=False)
    out.print(europarl_bench.format_errors(result), highlight=False)
    europarl_bench.write_json(result, output)
    say(f"wrote {output}")


@app.command("model-transfer")
def model_transfer(
    model_dir: Annotated[Path, typer.Option(help="Trained tagger (or where to train one).")],
    data_dir: DataDir = None,
    train: Annotated[bool, typer.Option(help="Fine-tune on CoNLL-2003 first (resumes).")] = False,
    encoder: Annotated[str, typer.Option(help="Encoder to fine-tune.")] = "e5-small",
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 3,
    batch_size: Annotated[int, typer.Option(help="Training batch size.")] = 32,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-4,
    freeze_embeddings: Annotated[
        bool, typer.Option(help="Keep word embeddings fixed (the better setting here).")
    ] = True,
    export_dir: Annotated[
        Path | None, typer.Option(help="Also save per-word label probabilities here (npz).")
    ] = None,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "results/model_transfer.json"
    ),
) -> None:
    """Model transfer: CoNLL-2003 tagger on CoNLL test, Europarl-NER and MasakhaNER 2.0."""
    from xlner.bench import model_transfer as bench
    from xlner.tagging import TrainConfig

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
    out.print(bench.format_table(result), highlight=False)
    bench.write_json(result, output)
    say(f"wrote {output}")
