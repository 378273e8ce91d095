"""``xlner train tagger`` and ``xlner tag``: the model-transfer tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import (
    DataDir,
    SchemeOption,
    TagScheme,
    check_output_paths,
    fail,
    out,
    say,
)
from xlner.corpora import get_corpus, require
from xlner.corpora.base import CorpusNotFound, require_sentences
from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll, write_conll
from xlner.registry import declared_options
from xlner.tagging.data import mix, read_labelled, read_training_files
from xlner.tagging.head import extend_labels
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
    """Train models: the NER tagger, on CoNLL-2003 or on labelled files of any language."""


@train_app.command("tagger")
def train_tagger(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the tagger.")],
    data_dir: DataDir = None,
    train_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--train",
            help="A labelled token-per-line file, silver or gold; repeatable "
            "(default: CoNLL-2003 English).",
        ),
    ] = None,
    dev_file: Annotated[
        Path | None,
        typer.Option(
            "--dev", help="Labelled file for dev F1 after each epoch (default with CoNLL: valid)."
        ),
    ] = None,
    init: Annotated[
        Path | None,
        typer.Option(
            help="A trained tagger directory to continue from; its labels are kept and the "
            "new data's added (docs: xlner.tagging.head)."
        ),
    ] = None,
    mix_conll2003: Annotated[
        float,
        typer.Option(
            help="Mix in RATIO times as many CoNLL-2003 English training sentences as the "
            "--train files hold (drawn with the training seed)."
        ),
    ] = 0.0,
    scheme: SchemeOption = TagScheme.auto,
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
    """Fine-tune ENCODER (or continue a tagger, --init) on CoNLL-2003 English or on any
    labelled files; checkpoints let an interrupted run resume."""
    from xlner.tagging import fit, labels_from

    if init is not None:
        for name in ("encoder", "max_length"):
            source = ctx.get_parameter_source(name)  # typer's own click: compare by name
            if source is not None and source.name == "COMMANDLINE":
                fail(f"--{name.replace('_', '-')} is the --init tagger's; leave it out")
    train_set, dev = _training_data(train_files, dev_file, mix_conll2003, scheme, data_dir)
    labels = labels_from(train_set)
    if init is not None:
        try:
            loaded = TokenTagger.load(init)
        except FileNotFoundError as error:
            fail(f"--init: {error}")
        tagger = extend_labels(loaded, labels, seed=TrainConfig.seed)
    else:
        tagger = TokenTagger.from_encoder(encoder, labels, max_length=max_length)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        freeze_embeddings=freeze_embeddings,
        stop_after=stop_after,
    )
    start = f"tagger {init}" if init is not None else encoder
    say(f"training {start} on {len(train_set)} sentences on {tagger.model.device}")
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


def _training_data(
    train_files: list[Path] | None,
    dev_file: Path | None,
    mix_conll2003: float,
    scheme: TagScheme,
    data_dir: Path | None,
) -> tuple[list[TaggedSentence], list[TaggedSentence] | None]:
    """The training and dev sentences: the files given (with CoNLL-2003 mixed in), or
    CoNLL-2003 train and valid."""
    if not mix_conll2003 >= 0:
        fail(f"--mix-conll2003 must be 0 or more, not {mix_conll2003}")
    if not train_files and mix_conll2003:
        fail("--mix-conll2003 mixes CoNLL-2003 into --train files; give --train")
    dev = read_labelled(dev_file, scheme.value) if dev_file is not None else None
    if train_files:
        train_set = read_training_files(train_files, scheme.value)
        if not mix_conll2003:
            return train_set, dev
    conll = get_corpus("conll2003")
    try:
        root = require("conll2003", data_dir)
    except CorpusNotFound as error:
        fail(str(error))
    english = conll.load(split="train", data_dir=root)
    if train_files:
        return mix(train_set, english, mix_conll2003, TrainConfig.seed), dev
    return english, dev if dev is not None else conll.load(split="valid", data_dir=root)


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
