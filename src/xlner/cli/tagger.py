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
    label_classes,
    out,
    say,
    warn,
)
from xlner.config import parse_options
from xlner.corpora import get_corpus, require
from xlner.corpora.base import CorpusNotFound
from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll, write_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.export import iob2_tags
from xlner.registry import ComponentError, declared_options, registry
from xlner.tagging.base import SourceTagger
from xlner.tagging.data import classes_of, mix, read_labelled, read_training_files
from xlner.tagging.ensemble import ProbabilityEnsemble, check_weights, union_labels
from xlner.tagging.head import extend_labels
from xlner.tagging.tagger import DEFAULT_ENCODER, META_FILE, TokenTagger, read_meta
from xlner.tagging.training import TrainConfig
from xlner.tagging.xlner import DEFAULT_NAME, TRAINING_LANGUAGES, is_path, locate, tagger_dir
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
    labels: Annotated[
        str | None,
        typer.Option(
            help="The classes to train, comma-separated (default: those of the data): "
            "--train files whose classes differ train together when these hold them all."
        ),
    ] = None,
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
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Start afresh: delete xlner's checkpoints in the output folder instead of "
            "resuming from them.",
        ),
    ] = False,
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
    check_output_paths(
        {},
        {"--init": init, **{f"--train {p}": p for p in train_files or ()}, "--dev": dev_file},
        folders={"--output": folder},
    )
    classes = label_classes(labels) if labels is not None else None
    train_set, dev = _training_data(train_files, dev_file, mix_conll2003, scheme, data_dir, classes)
    tag_labels = labels_from(train_set) if classes is None else iob2_tags(classes)
    if init is not None:
        try:
            loaded = TokenTagger.load(init)
        except (FileNotFoundError, InputError) as error:
            fail(f"--init: {error}")
        tagger = extend_labels(loaded, tag_labels, seed=TrainConfig.seed)
    else:
        tagger = TokenTagger.from_encoder(encoder, tag_labels, max_length=max_length)
    if not train_files:
        tagger.languages = TRAINING_LANGUAGES  # CoNLL-2003 English
    _warn_unknown_dev_classes(dev, tagger.labels)
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
    try:
        history = fit(
            tagger,
            train_set,
            dev=dev,
            config=config,
            output_dir=folder,
            resume=not restart,
            progress=lambda report: say(str(report)),
        )
    except InputError as error:  # a checkpoint of other data, or a damaged one
        fail(str(error))
    for record in history:
        out.print(record)
    if not (folder / META_FILE).is_file():  # --stop-after ended it before the last step
        say(f"stopped at a checkpoint in {folder}; rerun the same command to resume")
        return
    use = _model_argument(folder) if output is not None else name or DEFAULT_NAME
    say(
        f"tagger in {folder}: `xlner tag --model {use}`; in a run config: "
        f'tagger = "xlner" with model = "{use}"'
    )


def _model_argument(folder: Path) -> str:
    """How ``--model`` names the folder ``-o`` gave: a bare name (``t1``) would be a tagger
    name, so a relative folder gets ``./`` (``xlner.tagging.xlner.is_path``)."""
    text = str(folder)
    return text if is_path(text) else f"./{text}"


def _warn_unknown_dev_classes(dev: list[TaggedSentence] | None, labels: Sequence[str]) -> None:
    """The dev classes the tagger cannot predict: each of their entities counts as a miss."""
    known = {label.partition("-")[2] for label in labels}
    dev_classes = {span.label for sentence in dev or () for span in sentence.spans}
    if missing := sorted(dev_classes - known):
        warn(
            f"--dev has entities of {', '.join(missing)}, which the training data lacks: the "
            "tagger never predicts them, so dev F1 counts every one as a miss"
        )


def _training_data(
    train_files: list[Path] | None,
    dev_file: Path | None,
    mix_conll2003: float,
    scheme: TagScheme,
    data_dir: Path | None,
    classes: list[str] | None = None,
) -> tuple[list[TaggedSentence], list[TaggedSentence] | None]:
    """The training and dev sentences: the files given (with CoNLL-2003 mixed in), or
    CoNLL-2003 train and valid. ``classes`` (--labels) must hold every class trained on."""
    if not mix_conll2003 >= 0:
        fail(f"--mix-conll2003 must be 0 or more, not {mix_conll2003}")
    if not train_files and mix_conll2003:
        fail("--mix-conll2003 mixes CoNLL-2003 into --train files; give --train")
    dev = read_labelled(dev_file, scheme.value) if dev_file is not None else None
    if train_files:
        train_set = read_training_files(train_files, scheme.value, classes)
        if not mix_conll2003:
            return train_set, dev
    conll = get_corpus("conll2003")
    try:
        root = require("conll2003", data_dir)
    except CorpusNotFound as error:
        fail(str(error))
    english = conll.load(split="train", data_dir=root)  # never its valid or test sentences
    if classes is not None and (extra := classes_of(english) - set(classes)):
        what = "the CoNLL-2003 sentences mixed in have" if train_files else "CoNLL-2003 has"
        fail(f"--labels lacks {', '.join(sorted(extra))}, which {what}")
    if train_files:
        return mix(train_set, english, mix_conll2003, TrainConfig.seed), dev
    return english, dev if dev is not None else conll.load(split="valid", data_dir=root)


def tag(
    input_file: Annotated[Path, typer.Argument(help="Sentences: one a line, or token-per-line.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Token-per-line output ('-': standard output).")
    ],
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="A tagger name (from `xlner train tagger --name`) or directory (default: "
            f"{DEFAULT_NAME}); repeat it to tag with the ensemble of several, their label "
            "probabilities averaged."
        ),
    ] = None,
    weight: Annotated[
        list[float] | None,
        typer.Option(help="With several --model: each one's weight in the average, in order."),
    ] = None,
    conll: Annotated[bool, typer.Option(help="The input is token-per-line.")] = False,
) -> None:
    """Tag text with a trained tagger, or an ensemble of several (model transfer: any language
    the encoder knows)."""
    check_output_paths({"--output": output}, {"INPUT_FILE": input_file})
    models = model or [DEFAULT_NAME]
    folders = check_models(models, weight)
    tokens = [s.tokens for s in read_conll(input_file)] if conll else read_sentences(input_file)
    require_sentences(tokens, input_file)
    spans = load_models(folders, models, weight).predict_spans(tokens)
    write_conll(
        output, [TaggedSentence(t, s) for t, s in zip(tokens, spans, strict=True)], sep="\t"
    )
    say(f"tagged {len(tokens)} sentences: wrote {output}")


def check_models(models: Sequence[str], weights: Sequence[float] | None) -> list[Path]:
    """The folders of ``--model`` (one, or the members of an ensemble with their
    ``--weight``); no such tagger, not a tagger, labels that cannot be mapped onto each
    other's: a one-line error, before any work."""
    if weights and len(models) < 2:
        fail("--weight weighs the taggers of an ensemble: give --model more than once")
    try:
        folders = [locate(name) for name in models]
        if len(folders) > 1:
            check_weights(weights, len(folders))
            union_labels([read_meta(folder)["labels"] for folder in folders], models)
    except (ComponentError, InputError) as error:
        fail(str(error))
    return folders


def load_models(
    folders: Sequence[Path], models: Sequence[str], weights: Sequence[float] | None
) -> TokenTagger | ProbabilityEnsemble:
    """The tagger of :func:`check_models`'s folders: itself, or their ensemble."""
    try:
        taggers = [TokenTagger.load(folder) for folder in folders]
    except InputError as error:  # unreadable metadata
        fail(str(error))
    return taggers[0] if len(taggers) == 1 else ProbabilityEnsemble(taggers, models, weights)


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
