"""Training defaults live in TrainConfig alone; both training commands read them from there.

No model is trained: the commands run with ``fit`` (or the benchmark) replaced by a recorder of
the TrainConfig they were given.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import xlner.bench.model_transfer
import xlner.cli.benchmark
import xlner.cli.tagger
import xlner.tagging
from xlner.cli import app
from xlner.tagging.training import TrainConfig
from xlner.types import Span, TaggedSentence

# The CPU-trained CoNLL-2003 tagger of BENCHMARKS.md (CoNLL test F1 90.1): learning rate 1e-4,
# 3 epochs, batch 32, word embeddings frozen; everything else as TrainConfig has it.
BENCHMARK_RUN = {"epochs": 3, "batch_size": 32, "learning_rate": 1e-4, "freeze_embeddings": True}
SENTENCES = [TaggedSentence(["Juma", "lives", "here"], [Span(0, 1, "PER")])]


def test_train_config_defaults_are_the_benchmark_run():
    config = TrainConfig()
    assert {key: getattr(config, key) for key in BENCHMARK_RUN} == BENCHMARK_RUN


class _Corpus:
    def load(self, split: str, data_dir: Path | None = None) -> list[TaggedSentence]:
        return SENTENCES


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[TrainConfig]:
    """The TrainConfig each command passes on, with no corpus, no encoder and no training."""
    configs: list[TrainConfig] = []

    def fit(tagger, train, *, dev=None, config=None, output_dir=None, resume=True, progress=None):
        configs.append(config)
        return []

    def run_model_transfer(data_dir, model_dir, *, config=None, **options):
        configs.append(config)
        return {"results": {}, "train_seconds": None, "signature": "sig"}

    tagger = SimpleNamespace(model=SimpleNamespace(device="cpu"), labels=["O", "B-PER", "I-PER"])
    fake_tagger = SimpleNamespace(from_encoder=lambda *args, **kwargs: tagger)
    monkeypatch.setattr(xlner.tagging, "fit", fit)
    monkeypatch.setattr(xlner.cli.tagger, "TokenTagger", fake_tagger)
    monkeypatch.setattr(xlner.cli.tagger, "require", lambda name, data_dir: tmp_path)
    monkeypatch.setattr(xlner.cli.tagger, "get_corpus", lambda name: _Corpus())
    monkeypatch.setattr(xlner.cli.benchmark, "require", lambda name, data_dir: tmp_path)
    monkeypatch.setattr(xlner.bench.model_transfer, "run_model_transfer", run_model_transfer)
    return configs


def test_both_commands_default_to_train_config(recorded, tmp_path):
    runner = CliRunner()
    train = runner.invoke(app, ["train", "tagger", "-o", str(tmp_path / "tagger")])
    assert train.exit_code == 0, train.output
    out = str(tmp_path / "mt.json")
    bench = runner.invoke(
        app, ["benchmark", "model-transfer", "--model-dir", str(tmp_path), "--output", out]
    )
    assert bench.exit_code == 0, bench.output
    assert recorded == [TrainConfig(), TrainConfig()]


def test_options_reach_train_config(recorded, tmp_path):
    args = ["train", "tagger", "-o", str(tmp_path / "t"), "--epochs", "1", "--batch-size", "4"]
    args += ["--learning-rate", "0.001", "--no-freeze-embeddings", "--stop-after", "7"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = dict(epochs=1, batch_size=4, learning_rate=1e-3, freeze_embeddings=False)
    assert recorded == [TrainConfig(**expected, stop_after=7)]


@pytest.mark.parametrize("command", [["train", "tagger"], ["benchmark", "model-transfer"]])
def test_help_shows_train_config_defaults(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0
    text = re.sub(r"\s+", " ", result.output)
    defaults = TrainConfig()
    for field in fields(TrainConfig):
        option = "--" + field.name.replace("_", "-")
        value = getattr(defaults, field.name)
        if option not in text or value is None:  # stop_after, max_steps: no default shown
            continue
        shown = field.name.replace("_", "-") if value is True else f"{value:g}"
        assert re.search(f"{option} [^\\[]*\\[default: {re.escape(shown)}\\]", text), option
    for option in ("--epochs", "--batch-size", "--learning-rate", "--freeze-embeddings"):
        assert option in text
