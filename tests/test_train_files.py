"""``xlner train tagger`` on labelled files: silver or gold, continued from a tagger, mixed with
CoNLL-2003, on a tiny random BERT built locally (no download, seconds per run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from entry_point import xlner_cli  # noqa: E402
from tiny_models import save_tiny_bert  # noqa: E402

from xlner.corpora.conll import write_conll  # noqa: E402
from xlner.tagging import TokenTagger, latest_checkpoint  # noqa: E402
from xlner.tagging.data import mix  # noqa: E402
from xlner.tagging.head import extend_labels  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

WORDS = ["Juma", "Nakato", "Kampala", "Nairobi", "Bank", "lives", "in", "works", "at", "."]
# Every weight trained and a high rate: a random toy encoder has nothing worth keeping.
FAST = ("--epochs", "2", "--batch-size", "4", "--learning-rate", "0.003")
FAST += ("--no-freeze-embeddings",)


def _s(text: str, *spans: tuple[int, int, str]) -> TaggedSentence:
    return TaggedSentence(text.split(), [Span(*span) for span in spans])


SILVER = [
    _s("Juma lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC")),
    _s("Nakato lives in Nairobi .", (0, 1, "PER"), (3, 4, "LOC")),
    _s("Juma lives in Nairobi ."),
] * 3
WITH_ORG = [_s("Nakato works at Bank .", (0, 1, "PER"), (3, 4, "ORG"))] * 4
CONLL = [_s("Juma works at Kampala Bank .", (0, 1, "PER"), (3, 5, "MISC"))] * 10


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny"), WORDS)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"silver": tmp_path / "silver.conll", "org": tmp_path / "org.conll"}
    write_conll(paths["silver"], SILVER)
    write_conll(paths["org"], WITH_ORG)
    return paths


@pytest.fixture
def conll_dir(tmp_path: Path) -> Path:
    """A data directory with a small CoNLL-2003 (what `require("conll2003")` needs)."""
    root = tmp_path / "data"
    for split in ("train", "valid", "test"):
        write_conll(root / "conll2003" / f"{split}.txt", CONLL)
    return root


def _train(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "train", "tagger", "-o", output, *args)


def test_train_on_files_with_a_dev_file(capsys, tmp_path, encoder, files) -> None:
    output = tmp_path / "tagger"
    args = ("--train", files["silver"], "--train", files["org"], "--dev", files["silver"])
    args += ("--labels", "LOC,ORG,PER")  # the two files' classes differ: their union
    result = _train(capsys, output, *args, "--encoder", encoder, "--max-length", "16", *FAST)
    assert result.code == 0, result.err
    assert f"on {len(SILVER) + len(WITH_ORG)} sentences" in result.err
    assert result.out.count("'dev_f1'") == 2  # one record per epoch
    tagger = TokenTagger.load(output)
    assert tagger.labels == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert tagger.max_length == 16


def test_continue_from_a_tagger_extends_its_labels(capsys, tmp_path, encoder, files) -> None:
    first = tmp_path / "first"
    base = ("--encoder", encoder, *FAST)
    assert _train(capsys, first, "--train", files["silver"], *base).code == 0
    second = tmp_path / "second"
    result = _train(capsys, second, "--train", files["org"], "--init", first, *FAST)
    assert result.code == 0, result.err
    assert f"training tagger {first} on 4 sentences" in result.err
    labels = TokenTagger.load(second).labels
    assert labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER", "B-ORG", "I-ORG"]


def test_extending_labels_keeps_the_rows_of_the_old_ones(encoder) -> None:
    tagger = TokenTagger.from_encoder(encoder, ["O", "B-PER", "I-PER"], device="cpu")
    batch = tagger.collate(tagger.chunks([["Juma", "lives", "in", "Kampala"]]))
    before = tagger.model(**batch).logits
    extend_labels(tagger, ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"])
    after = tagger.model(**batch).logits
    assert tagger.labels == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    assert after.shape[-1] == 5 and torch.allclose(before, after[..., :3])
    assert tagger.model.config.id2label[4] == "I-LOC"
    assert extend_labels(tagger, ["O", "B-PER"]).labels == tagger.labels  # nothing new


def test_init_refuses_an_encoder_or_a_max_length(capsys, tmp_path, encoder, files) -> None:
    args = ("--train", files["silver"], "--init", tmp_path)
    for option, value in (("--encoder", encoder), ("--max-length", "16")):
        result = _train(capsys, tmp_path / "t", *args, option, value)
        assert result.code == 2
        assert f"error: {option} is the --init tagger's; leave it out" in result.err


def test_init_that_is_not_a_tagger_is_one_line(capsys, tmp_path, files) -> None:
    result = _train(capsys, tmp_path / "t", "--train", files["silver"], "--init", tmp_path)
    assert result.code == 2
    assert f"error: --init: {tmp_path}: not a saved xlner tagger" in result.err


def test_a_training_file_with_no_entity_is_an_error(capsys, tmp_path, encoder) -> None:
    empty = tmp_path / "target.conll"
    write_conll(empty, [_s("Juma lives in Kampala ."), _s("nothing here .")])
    for option in ("--train", "--dev"):
        args = ("--train", empty) if option == "--train" else ("--dev", empty)
        result = _train(capsys, tmp_path / "t", *args, "--encoder", encoder)
        assert result.code == 2
        assert f"error: {empty}: no entity in its 2 sentences" in result.err
        assert "Traceback" not in result.err
    assert not (tmp_path / "t").exists()


def test_mix_conll2003_adds_a_share_of_english(capsys, tmp_path, encoder, files, conll_dir):
    output = tmp_path / "mixed"
    args = ("--train", files["silver"], "--mix-conll2003", "0.5", "--data-dir", conll_dir)
    result = _train(capsys, output, *args, "--encoder", encoder, *FAST)
    assert result.code == 0, result.err
    assert f"on {len(SILVER) + round(0.5 * len(SILVER))} sentences" in result.err
    assert "B-MISC" in TokenTagger.load(output).labels


def test_mix_is_seeded_and_capped() -> None:
    extra = [_s(f"w{i}", (0, 1, "PER")) for i in range(20)]
    assert mix(SILVER, extra, 1.0, seed=1) == mix(SILVER, extra, 1.0, seed=1)
    assert mix(SILVER, extra, 1.0, seed=1) != mix(SILVER, extra, 1.0, seed=2)
    assert len(mix(SILVER, extra, 10.0, seed=1)) == len(SILVER) + 20
    assert mix(SILVER, extra, 0.0, seed=1) == SILVER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mix-conll2003", "0.5"), "--mix-conll2003 mixes CoNLL-2003 into --train files"),
        (("--train", "{silver}", "--mix-conll2003", "-1"), "--mix-conll2003 must be 0 or more"),
        (("--train", "{silver}", "--mix-conll2003", "nan"), "--mix-conll2003 must be 0 or more"),
        (("--train", "missing.conll"), "missing.conll: no such file"),
        (("--train", "{silver}", "--mix-conll2003", "1", "--data-dir", "{tmp}"), "conll2003"),
    ],
)
def test_bad_training_inputs_are_one_line(capsys, tmp_path, files, args, message) -> None:
    args = [a.format(silver=files["silver"], tmp=tmp_path) for a in args]
    result = _train(capsys, tmp_path / "t", *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


def test_training_on_files_resumes_from_its_checkpoint(capsys, tmp_path, encoder, files):
    output = tmp_path / "tagger"
    args = ("--train", files["silver"], "--encoder", encoder, *FAST)
    assert _train(capsys, output, *args, "--stop-after", "2").code == 0
    checkpoint = latest_checkpoint(output)
    assert checkpoint is not None and checkpoint.name.endswith("00000002")
    assert not (output / "xlner-tagger.json").exists()
    result = _train(capsys, output, *args)
    assert result.code == 0, result.err
    # 9 sentences, batches of 4: 3 steps an epoch; the resumed run ends both epochs.
    assert re.findall(r"'epoch': (\d)", result.out) == ["1", "2"]
    assert TokenTagger.load(output).labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_max_steps_ends_training_with_a_saved_tagger(capsys, tmp_path, encoder, files):
    """9 sentences in batches of 4 are 3 steps an epoch: 2 epochs would be 6 steps."""
    output = tmp_path / "tagger"
    args = ("--train", files["silver"], "--encoder", encoder, *FAST, "--max-steps", "4")
    result = _train(capsys, output, *args)
    assert result.code == 0, result.err
    assert (output / "xlner-tagger.json").exists()
    assert "step 4/4" in result.err + result.out
    bad = _train(capsys, tmp_path / "bad", "--train", files["silver"], "--max-steps", "0")
    assert bad.code == 2 and "max-steps" in bad.err and "Traceback" not in bad.err


def test_retraining_on_other_data_names_the_restart_flag(capsys, tmp_path, encoder, files):
    output = tmp_path / "tagger"
    args = ("--encoder", encoder, *FAST, "--stop-after", "1")
    assert _train(capsys, output, "--train", files["silver"], *args).code == 0
    other = _train(capsys, output, "--train", files["org"], *args)
    assert other.code == 2 and "Traceback" not in other.err
    assert "was written with other settings or data" in other.err
    assert "xlner train tagger --restart" in other.err
    restarted = _train(capsys, output, "--train", files["org"], *args, "--restart")
    assert restarted.code == 0, restarted.err
    assert [p.name for p in output.glob("checkpoint-*")] == ["checkpoint-00000001"]


def test_a_tagger_folder_without_weights_is_one_line(capsys, tmp_path, encoder, files) -> None:
    tagger = tmp_path / "t0"
    tagger.mkdir()
    (tagger / "xlner-tagger.json").write_text('{"labels": ["O"], "max_length": 16}\n')
    result = _train(capsys, tmp_path / "t", "--train", files["silver"], "--init", tagger)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"error: --init: {tagger}: cannot load the tagger's model" in result.err
    tagged = xlner_cli(capsys, "tag", files["silver"], "--conll", "--model", tagger, "-o", "-")
    assert tagged.code == 2 and "Traceback" not in tagged.err
    assert f"{tagger}: cannot load the tagger's model" in tagged.err


def test_weights_refused_by_weights_only_are_one_line(capsys, tmp_path, encoder, files) -> None:
    output = tmp_path / "tagger"
    assert _train(capsys, output, "--train", files["silver"], "--encoder", encoder, *FAST).code == 0
    (output / "model.safetensors").unlink()
    marker = tmp_path / "payload-ran"
    torch.save({"weights": _Payload(marker)}, output / "pytorch_model.bin")
    result = xlner_cli(capsys, "tag", files["silver"], "--conll", "--model", output, "-o", "-")
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{output}: its weights hold objects other than tensors" in result.err
    assert not marker.exists()


class _Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def test_dev_classes_the_training_data_lacks_are_warned(capsys, tmp_path, encoder, files):
    dev = tmp_path / "dev.conll"
    write_conll(dev, [_s("Juma works at Kampala Bank .", (0, 1, "PER"), (3, 5, "MISC"))])
    args = ("--train", files["silver"], "--dev", dev, "--encoder", encoder, *FAST)
    result = _train(capsys, tmp_path / "t", *args, "--stop-after", "1")
    assert result.code == 0, result.err
    assert "warning: --dev has entities of MISC, which the training data lacks" in result.err


def test_the_hint_after_training_is_a_command_that_works(
    capsys, tmp_path, encoder, files, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _train(capsys, Path("t1"), "--train", files["silver"], "--encoder", encoder, *FAST)
    assert result.code == 0, result.err
    assert "`xlner tag --model ./t1`" in result.err
    tagged = xlner_cli(capsys, "tag", files["silver"], "--conll", "--model", "./t1", "-o", "-")
    assert tagged.code == 0, tagged.err
