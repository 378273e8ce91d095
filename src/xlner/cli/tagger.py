"""``xlner train tagger`` and ``xlner tag``: the model-transfer tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import DataDir, out, say
from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll, write_conll
from xlner.corpora.registry import get_corpus, require
from xlner.types import TaggedSentence

train_app = typer.Typer(help="Train models.", no_args_is_help=True)


@train_app.callback()
def train() -> None:
    """Train models (for now: the NER tagger on CoNLL-2003)."""


@train_app.command("tagger")
def train_tagger(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the tagger.")],
    data_dir: DataDir = None,
    encoder: Annotated[str, typer.Option(help="Encoder name or path.")] = "e5-small",
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 3,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = 32,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 5e-5,
    max_length: Annotated[int, typer.Option(help="Subwords per chunk.")] = 128,
    freeze_embeddings: Annotated[
        bool,
        typer.Option(
            help="Keep word embeddings fixed: 4x faster on CPU and better zero-shot transfer "
            "(BENCHMARKS.md)."
        ),
    ] = True,
    stop_after: Annotated[
        int | None, typer.Option(help="Stop after this many steps; rerun to resume.")
    ] = None,
) -> None:
    """Fine-tune ENCODER on CoNLL-2003 English; checkpoints let an interrupted run resume."""
    from xlner.tagging import TokenTagger, TrainConfig, fit, labels_from

    root = require("conll2003", data_dir)
    conll = get_corpus("conll2003")
    train_set, dev = conll.load("train", data_dir=root), conll.load("valid", data_dir=root)
    tagger = TokenTagger.from_encoder(encoder, labels_from(train_set), max_length=max_length)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        freeze_embeddings=freeze_embeddings,
        stop_after=stop_after,
    )
    say(f"training {encoder} on {len(train_set)} sentences on {tagger.model.device}")
    history = fit(
        tagger,
        train_set,
        dev=dev,
        config=config,
        output_dir=output,
        progress=lambda report: say(str(report)),
    )
    for record in history:
        out.print(record, highlight=False)
    say(f"tagger in {output}")


def tag(
    model: Annotated[Path, typer.Option(help="A trained tagger directory.")],
    input_file: Annotated[Path, typer.Argument(help="Sentences: one a line, or token-per-line.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Token-per-line output.")],
    conll: Annotated[bool, typer.Option(help="The input is token-per-line.")] = False,
) -> None:
    """Tag text with a trained tagger (model transfer: any language the encoder knows)."""
    from xlner.tagging import TokenTagger

    tokens = [s.tokens for s in read_conll(input_file)] if conll else read_sentences(input_file)
    tagger = TokenTagger.load(model)
    spans = tagger.predict_spans(tokens)
    write_conll(
        output, [TaggedSentence(t, s) for t, s in zip(tokens, spans, strict=True)], sep="\t"
    )
    say(f"tagged {len(tokens)} sentences: wrote {output}")
