"""A resumed training run never executes a pickle planted in its checkpoint folder."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_models import save_tiny_bert  # noqa: E402

from xlner.errors import InputError  # noqa: E402
from xlner.tagging import TokenTagger, TrainConfig, fit, labels_from, latest_checkpoint  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

DATA = [
    TaggedSentence(["Juma", "lives", "in", "Kampala"], [Span(0, 1, "PER"), Span(3, 4, "LOC")]),
    TaggedSentence(["Nakato", "is", "in", "Nairobi"], [Span(0, 1, "PER"), Span(3, 4, "LOC")]),
] * 4
CONFIG = dict(epochs=2, batch_size=4, warmup_ratio=0.0, log_every=0, checkpoint_every=1)


class Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    words = ["Juma", "Nakato", "lives", "is", "in", "Kampala", "Nairobi"]
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-encoder"), words)


def _tagger(encoder: Path) -> TokenTagger:
    return TokenTagger.from_encoder(encoder, labels_from(DATA), max_length=16, device="cpu")


@pytest.mark.parametrize("planted", ["scheduler.pt", "rng.pt", "optimizer.pt", "model.pt"])
def test_a_planted_pickle_is_refused_and_never_run(tiny_encoder, tmp_path, planted) -> None:
    out = tmp_path / "tagger"
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=1), output_dir=out)
    checkpoint = latest_checkpoint(out)
    marker = tmp_path / "payload-ran"
    torch.save({"state": Payload(marker)}, checkpoint / planted)

    with pytest.raises(InputError) as error:
        fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG), output_dir=out)
    assert not marker.exists()
    message = str(error.value)
    assert message.startswith(f"{checkpoint / planted}: holds objects other than tensors")
    assert "\n" not in message


def test_a_damaged_checkpoint_file_is_named(tiny_encoder, tmp_path) -> None:
    out = tmp_path / "tagger"
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=1), output_dir=out)
    rng = latest_checkpoint(out) / "rng.pt"
    rng.write_bytes(rng.read_bytes()[:20])
    with pytest.raises(InputError, match=r"rng\.pt: not a readable checkpoint file"):
        fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG), output_dir=out)


def test_safe_checkpoints_still_resume(tiny_encoder, tmp_path) -> None:
    out = tmp_path / "tagger"
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=1), output_dir=out)
    history = fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG), output_dir=out)
    assert [record["epoch"] for record in history] == [1, 2]


def test_another_trainers_checkpoints_are_never_deleted(tiny_encoder, tmp_path) -> None:
    out = tmp_path / "tagger"
    for step in ("500", "1000"):  # a transformers Trainer's, say
        (out / f"checkpoint-{step}").mkdir(parents=True)
        (out / f"checkpoint-{step}" / "trainer_state.json").write_text("{}", encoding="utf-8")
    config = TrainConfig(**CONFIG, stop_after=1)  # keep_checkpoints=1
    fit(_tagger(tiny_encoder), DATA, config=config, output_dir=out)
    names = sorted(path.name for path in out.iterdir())
    assert names == ["checkpoint-00000001", "checkpoint-1000", "checkpoint-500"]
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=2), output_dir=out)
    names = sorted(path.name for path in out.iterdir())
    assert names == ["checkpoint-00000002", "checkpoint-1000", "checkpoint-500"]


def test_a_checkpoint_with_a_cut_state_json_is_a_one_line_error(tiny_encoder, tmp_path) -> None:
    out = tmp_path / "tagger"
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=1), output_dir=out)
    state = latest_checkpoint(out) / "state.json"
    state.write_bytes(state.read_bytes()[:30])
    with pytest.raises(InputError) as error:
        fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG), output_dir=out)
    message = str(error.value)
    assert message.startswith(f"{state}: not a readable training state") and "\n" not in message
    assert "--restart" in message


@pytest.mark.parametrize("planted", ["rng.pt", "scheduler.pt", "model.pt"])
def test_a_checkpoint_file_of_other_tensors_is_a_one_line_error(
    tiny_encoder, tmp_path, planted
) -> None:
    out = tmp_path / "tagger"
    fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG, stop_after=1), output_dir=out)
    path = latest_checkpoint(out) / planted
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(InputError) as error:
        fit(_tagger(tiny_encoder), DATA, config=TrainConfig(**CONFIG), output_dir=out)
    message = str(error.value)
    assert message.startswith(f"{path}: does not hold this training run's state")
    assert "\n" not in message
