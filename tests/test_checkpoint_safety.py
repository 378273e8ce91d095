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
