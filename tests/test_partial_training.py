"""Training with partial labels and on several files: words of unknown label change no gradient;
files whose label sets disagree are refused by name; CoNLL-2003 is mixed in from its train
split only. On a tiny random BERT built locally."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from entry_point import xlner_cli  # noqa: E402
from tiny_models import save_tiny_bert  # noqa: E402

from xlner.cli.common import TagScheme  # noqa: E402
from xlner.cli.tagger import _training_data  # noqa: E402
from xlner.corpora.conll import write_conll  # noqa: E402
from xlner.tagging import TokenTagger  # noqa: E402
from xlner.tagging.tagger import IGNORE  # noqa: E402
from xlner.tagging.training import TrainConfig, _train_step, training_chunks  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

WORDS = ["Juma", "Nakato", "Kampala", "Marekani", "Bank", "lives", "in", "works", "at", "."]
LABELS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
FAST = ("--epochs", "1", "--batch-size", "4", "--learning-rate", "0.003")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny"), WORDS)


def _s(text: str, *spans: tuple[int, int, str], unknown=()) -> TaggedSentence:
    return TaggedSentence(text.split(), [Span(*span) for span in spans], unknown=list(unknown))


class Recorder:
    """An optimizer (or scheduler) that keeps the gradients of the step instead of taking it."""

    def __init__(self, model) -> None:
        self.model = model
        self.gradients: dict[str, torch.Tensor] = {}

    def step(self) -> None:
        self.gradients = {
            name: p.grad.clone() for name, p in self.model.named_parameters() if p.grad is not None
        }

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.model.zero_grad(set_to_none=set_to_none)


def _gradients(encoder: Path, sentences: list[TaggedSentence]) -> dict[str, torch.Tensor]:
    """The gradients of one training step (the training loop's own loss) on ``sentences``."""
    tagger = TokenTagger.from_encoder(encoder, LABELS, device="cpu", seed=0)
    chunks = training_chunks(tagger, sentences)
    recorder = Recorder(tagger.model)
    torch.manual_seed(0)  # the same dropout draws for every call
    config = TrainConfig(max_grad_norm=0.0, micro_batch_size=None)
    _train_step(tagger, chunks, recorder, Recorder(tagger.model), config, use_bf16=False)
    return recorder.gradients


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_masked_words_change_no_gradient(encoder) -> None:
    def sentences(label: str | None, unknown: tuple[int, ...]) -> list[TaggedSentence]:
        under = [(3, 4, label)] if label else []
        return [
            _s("Juma lives in Marekani .", (0, 1, "PER"), *under, unknown=unknown),
            _s("Nakato works at Kampala Bank .", (0, 1, "PER"), (3, 4, "LOC")),
        ]

    masked = [_gradients(encoder, sentences(label, (3,))) for label in ("LOC", "PER", None)]
    assert _same(masked[0], masked[1]) and _same(masked[0], masked[2])
    labelled = [_gradients(encoder, sentences(label, ())) for label in ("LOC", "PER")]
    assert not _same(labelled[0], labelled[1])  # without the mask, the label does count
    assert not _same(masked[0], labelled[0])


def test_a_masked_word_gets_no_label_id(encoder) -> None:
    tagger = TokenTagger.from_encoder(encoder, LABELS, device="cpu")
    sentence = _s("Juma lives in Marekani .", (0, 1, "PER"), unknown=[3])
    (chunk,) = training_chunks(tagger, [sentence])
    labels = [chunk.labels[p] for p in chunk.word_positions]
    assert labels == [LABELS.index("B-PER"), 0, 0, IGNORE, 0]
    with pytest.raises(ValueError, match="no training example has a labelled subword"):
        training_chunks(tagger, [_s("Juma lives", unknown=[0, 1])])


# ---------------------------------------------------------------------------- the CLI


def _train(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "train", "tagger", "-o", output, *args)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    sets = {
        "partial": [
            _s("Juma lives in Marekani .", (0, 1, "PER"), unknown=[3]),
            _s("Nakato lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC")),
        ]
        * 2,
        "lug": [_s("Nakato lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC"))] * 4,
        "swa": [_s("Juma works at Kampala .", (0, 1, "PER"), (3, 4, "LOC"))] * 4,
        "org": [_s("Nakato works at Bank .", (0, 1, "PER"), (3, 4, "ORG"))] * 4,
    }
    paths = {}
    for name, sentences in sets.items():
        paths[name] = tmp_path / f"{name}.conll"
        write_conll(paths[name], sentences)
    return paths


def test_training_reads_partial_labels_and_dev_refuses_them(capsys, tmp_path, encoder, files):
    base = ("--encoder", encoder, "--max-length", "16", *FAST)
    output = tmp_path / "tagger"
    result = _train(capsys, output, "--train", files["partial"], "--train", files["lug"], *base)
    assert result.code == 0, result.err
    assert TokenTagger.load(output).labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    refused = _train(capsys, tmp_path / "t2", "--train", files["lug"], "--dev", files["partial"])
    assert refused.code == 2
    assert f"{files['partial']}:4: tag '-' marks a word of unknown label" in refused.err


def test_training_files_that_disagree_on_labels_are_named(capsys, tmp_path, encoder, files):
    base = ("--encoder", encoder, "--max-length", "16", *FAST)
    both = ("--train", files["lug"], "--train", files["org"])
    refused = _train(capsys, tmp_path / "t", *both, *base)
    assert refused.code == 2
    assert (
        f"error: {files['org']}: its classes (ORG, PER) differ from those of {files['lug']} "
        "(LOC, PER): the files of a training set share one label set; name their union to "
        "train on it (--labels LOC,ORG,PER)"
    ) in " ".join(refused.err.split())
    output = tmp_path / "union"
    union = _train(capsys, output, *both, "--labels", "PER,ORG,LOC", *base)
    assert union.code == 0, union.err
    assert TokenTagger.load(output).labels == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"] + [
        "B-LOC",
        "I-LOC",
    ]
    lacking = _train(capsys, tmp_path / "t3", *both, "--labels", "PER,LOC", *base)
    assert lacking.code == 2
    assert f"{files['org']}: has ORG, which the label set (LOC, PER) lacks" in lacking.err
    same = _train(capsys, tmp_path / "t4", "--train", files["lug"], "--train", files["swa"], *base)
    assert same.code == 0, same.err  # same classes: a multilingual set


def test_mixed_conll2003_comes_from_its_train_split_only(capsys, tmp_path, files) -> None:
    root = tmp_path / "data"
    splits = {
        "train": [_s("Juma works at Bank .", (0, 1, "PER"), (3, 4, "ORG"))] * 20,
        "valid": [_s("Nakato lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC"))] * 5,
        "test": [_s("Marekani lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC"))] * 5,
    }
    for split, sentences in splits.items():
        write_conll(root / "conll2003" / f"{split}.txt", sentences)
    train, dev = _training_data([files["swa"]], None, 4.0, TagScheme.auto, root)
    held_out = {tuple(s.tokens) for split in ("valid", "test") for s in splits[split]}
    assert len(train) == 4 + 16 and dev is None
    assert not {tuple(s.tokens) for s in train} & held_out
    lacking = _train(capsys, tmp_path / "t", "--train", files["swa"], "--mix-conll2003", "1",
                     "--labels", "PER,LOC", "--data-dir", root)  # fmt: skip
    assert lacking.code == 2
    assert "--labels lacks ORG, which the CoNLL-2003 sentences mixed in have" in lacking.err
