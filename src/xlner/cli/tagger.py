"""``xlner train tagger`` and ``xlner tag``: the model-transfer tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import DataDir, check_output_paths, out, say
from xlner.corpora import get_corpus, require
from xlner.corpora.base import require_sentences
from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll, write_conll
from xlner.registry import declared_options
from xlner.tagging.tagger import DEFAULT_ENCODER, TokenTagger
from xlner.tagging.training import TrainConfig
from xlner.types import TaggedSentence

# The training options of `xlner train tagger` and `xlner benchmark model-transfer`. Their
# defaults are TrainConfig's (its class attributes), never restated here.
Encoder = Annotated[str, typer.Option(help="Encoder to fine-tune: a name or a path.")]
Epochs = Annotated[int, typer.Option(help="Training epochs.")]
BatchSize = Annotated[int, typer.Option(help="Sentence chunks per optimizer step.")]
LearningRate = Annotated[float, typer.Option(help="Peak learning rate (warm-up, then decay).")]
FreezeEmbeddings = Annotated[
    bool,
    typer.Option(
        help="Keep word embeddings fixed: 4x faster on CPU and better zero-shot transfer "
        "(BENCHMARKS.md)."
    ),
]
MAX_LENGTH = declared_options(TokenTagger.from_encoder)["max_length"].default

train_app = typer.Typer(help="Train models.", no_args_is_help=True)


@train_app.callback()
def train() -> None:
    """Train models (for now: the NER tagger on CoNLL-2003)."""


@train_app.command("tagger")
def train_tagger(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the tagger.")],
    data_dir: DataDir = None,
    encoder: Encoder = DEFAULT_ENCODER,
    epochs: Epochs = TrainConfig.epochs,
    batch_size: BatchSize = TrainConfig.batch_size,
    learning_rate: LearningRate = TrainConfig.learning_rate,
    max_length: Annotated[int, typer.Option(help="Subwords per chunk.")] = MAX_LENGTH,
    freeze_embeddings: FreezeEmbeddings = TrainConfig.freeze_embeddings,
    stop_after: Annotated[
        int | None, typer.Option(help="Stop after this many steps; rerun to resume.")
    ] = TrainConfig.stop_after,
) -> None:
    """Fine-tune ENCODER on CoNLL-2003 English; checkpoints let an interrupted run resume."""
    from xlner.tagging import fit, labels_from

    root = require("conll2003", data_dir)
    conll = get_corpus("conll2003")
    train_set, dev = (
        conll.load(split="train", data_dir=root),
        conll.load(split="valid", data_dir=root),
    )
    tagger = TokenTagger.from_encoder(encoder, labels_from(train_set), max_length=max_length)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        freeze_embeddings=freeze_embeddings,
        stop_after=stop_after,
    )
    say(f"training {encoder} on {len(train_set)} sentences on {tagger.model.device}")
    for record in fit(tagger, train_set, dev=dev, config=config, output_dir=output):
        out.print(record, highlight=False)
    say(f"tagger in {output}")


def tag(
    model: Annotated[Path, typer.Option(help="A trained tagger directory.")],
    input_file: Annotated[Path, typer.Argument(help="Sentences: one a line, or token-per-line.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Token-per-line output ('-': standard output).")
    ],
    conll: Annotated[bool, typer.Option(help="The input is token-per-line.")] = False,
) -> None:
    """Tag text with a trained tagger (model transfer: any language the encoder knows)."""
    check_output_paths({"--output": output}, {"INPUT_FILE": input_file})
    tokens = [s.tokens for s in read_conll(input_file)] if conll else read_sentences(input_file)
    require_sentences(tokens, input_file)
    tagger = TokenTagger.load(model)
    spans = tagger.predict_spans(tokens)
    write_conll(
        output, [TaggedSentence(t, s) for t, s in zip(tokens, spans, strict=True)], sep="\t"
    )
    say(f"tagged {len(tokens)} sentences: wrote {output}")
