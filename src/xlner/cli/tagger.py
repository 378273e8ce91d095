"""``xlner train tagger`` and ``xlner tag``: the model-transfer tagger; source taggers for
``xlner project --tag``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

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
from xlner.config import parse_options
from xlner.corpora import get_corpus, require
from xlner.corpora.base import CorpusNotFound
from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll, write_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.registry import ComponentError, declared_options, registry
from xlner.tagging.base import SourceTagger
from xlner.tagging.data import mix, read_labelled, read_training_files
from xlner.tagging.head import extend_labels
from xlner.tagging.tagger import DEFAULT_ENCODER, META_FILE, TokenTagger
from xlner.tagging.training import TrainConfig
from xlner.tagging.xlner import DEFAULT_NAME, TRAINING_LANGUAGES, locate, tagger_dir
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
    name: Annotated[
        str | None,
        typer.Option(
            help="Save the tagger under this name in $XDG_CACHE_HOME/xlner/taggers, where "
            "the source tagger xlner and `xlner tag --model NAME` find it "
            f"(default: {DEFAULT_NAME})."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Save the tagger in this directory instead."),
    ] = None,
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
    max_steps: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="A step budget: the schedule ends here (before the last epoch if need be) "
            "and the tagger is saved.",
        ),
    ] = TrainConfig.max_steps,
) -> None:
    """Fine-tune ENCODER (or continue a tagger, --init) on CoNLL-2003 English or on any
    labelled files; checkpoints let an interrupted run resume."""
    from xlner.tagging import fit, labels_from

    if name is not None and output is not None:
        fail("give --name or -o, not both")
    try:
        folder = output if output is not None else tagger_dir(name or DEFAULT_NAME)
    except ComponentError as error:
        fail(str(error))
    if init is not None:
        for option in ("encoder", "max_length"):
            source = ctx.get_parameter_source(option)  # typer's own click: compare by name
            if source is not None and source.name == "COMMANDLINE":
                fail(f"--{option.replace('_', '-')} is the --init tagger's; leave it out")
    train_set, dev = _training_data(train_files, dev_file, mix_conll2003, scheme, data_dir)
    labels = labels_from(train_set)
    if init is not None:
        try:
            loaded = TokenTagger.load(init)
        except (FileNotFoundError, InputError) as error:
            fail(f"--init: {error}")
        tagger = extend_labels(loaded, labels, seed=TrainConfig.seed)
    else:
        tagger = TokenTagger.from_encoder(encoder, labels, max_length=max_length)
    if not train_files:
        tagger.languages = TRAINING_LANGUAGES  # CoNLL-2003 English
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        freeze_embeddings=freeze_embeddings,
        stop_after=stop_after,
        max_steps=max_steps,
    )
    start = f"tagger {init}" if init is not None else encoder
    say(f"training {start} on {len(train_set)} sentences on {tagger.model.device}")
    history = fit(
        tagger,
        train_set,
        dev=dev,
        config=config,
        output_dir=folder,
        progress=lambda report: say(str(report)),
    )
    for record in history:
        out.print(record, highlight=False)
    if not (folder / META_FILE).is_file():  # --stop-after ended it before the last step
        say(f"stopped at a checkpoint in {folder}; rerun the same command to resume")
        return
    use = folder if output is not None else name or DEFAULT_NAME
    say(
        f"tagger in {folder}: `xlner tag --model {use}`; in a run config: "
        f'tagger = "xlner" with model = "{use}"'
    )


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
    input_file: Annotated[Path, typer.Argument(help="Sentences: one a line, or token-per-line.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Token-per-line output ('-': standard output).")
    ],
    model: Annotated[
        str,
        typer.Option(help="A tagger name (from `xlner train tagger --name`) or directory."),
    ] = DEFAULT_NAME,
    conll: Annotated[bool, typer.Option(help="The input is token-per-line.")] = False,
) -> None:
    """Tag text with a trained tagger (model transfer: any language the encoder knows)."""
    check_output_paths({"--output": output}, {"INPUT_FILE": input_file})
    try:
        folder = locate(model)  # no such tagger, or not a tagger: one line, before any work
    except ComponentError as error:
        fail(str(error))
    tokens = [s.tokens for s in read_conll(input_file)] if conll else read_sentences(input_file)
    require_sentences(tokens, input_file)
    try:
        tagger = TokenTagger.load(folder)
    except InputError as error:  # unreadable metadata
        fail(str(error))
    spans = tagger.predict_spans(tokens)
    write_conll(
        output, [TaggedSentence(t, s) for t, s in zip(tokens, spans, strict=True)], sep="\t"
    )
    say(f"tagged {len(tokens)} sentences: wrote {output}")


# ---------------------------------------------------------------------------- xlner project --tag


def build_source_tagger(name: str | None, options: Sequence[str]) -> SourceTagger | None:
    """The tagger of ``--tag NAME --tag-option KEY=VALUE...`` (None without ``--tag``);
    a bad name, option or value is a one-line ComponentError, raised before any file is read."""
    if name is None:
        if options:
            raise ComponentError("--tag-option needs --tag")
        return None
    try:
        parsed = parse_options("--tag-option", options)
    except ValueError as error:
        raise ComponentError(str(error)) from None
    return registry.taggers.build(name, **parsed)


def tag_source(path: Path, tagger: SourceTagger) -> list[TaggedSentence]:
    """The sentences of the plain-text file ``path`` (one tokenised sentence a line) with
    the entities ``tagger`` finds in them."""
    tokens = require_sentences(read_sentences(path), path)
    spans = tagger.tag(tokens)
    return [TaggedSentence(t, s) for t, s in zip(tokens, spans, strict=True)]


def source_signature(tagger: SourceTagger | None) -> dict[str, Any]:
    """The source tagger's signature as ``tag``, if there is one."""
    return {"tag": tagger.signature()} if tagger else {}
