"""The token-classification tagger on a tiny random local BERT: training, resume, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_models import save_tiny_bert  # noqa: E402

from xlner.tagging import TokenTagger, TrainConfig, fit, labels_from, latest_checkpoint  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "Kampala", "Nairobi", "Juma", "Nakato", "is", "in",
    "lives", "a", "city", "big", "the", "Uganda", "Kenya", ".", "play", "##ing", "##ed",
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-encoder"), VOCAB[4:])


def _data() -> list[TaggedSentence]:
    def s(text: str, *spans: tuple[int, int, str]) -> TaggedSentence:
        return TaggedSentence(text.split(), [Span(*span) for span in spans])

    return [
        s("Juma lives in Kampala .", (0, 1, "PER"), (3, 4, "LOC")),
        s("Nakato lives in Nairobi .", (0, 1, "PER"), (3, 4, "LOC")),
        s("Kampala is a big city in Uganda .", (0, 1, "LOC"), (6, 7, "LOC")),
        s("Nairobi is a big city in Kenya .", (0, 1, "LOC"), (6, 7, "LOC")),
        s("the city is big ."),
        s("Juma Nakato is playing .", (0, 2, "PER")),
    ] * 4


def _tagger(path: Path, labels: list[str], max_length: int = 32) -> TokenTagger:
    return TokenTagger.from_encoder(path, labels, max_length=max_length, device="cpu", seed=1)


def _config(**changes) -> TrainConfig:
    # Every weight trained (not TrainConfig's frozen embeddings): a random toy encoder has no
    # pretrained embeddings worth keeping.
    base = dict(
        epochs=12,
        batch_size=4,
        learning_rate=3e-3,
        warmup_ratio=0.0,
        log_every=0,
        freeze_embeddings=False,
    )
    return TrainConfig(**{**base, **changes})


def test_labels_from_data() -> None:
    assert labels_from(_data()) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_training_learns_the_toy_data(tiny_encoder: Path) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    history = fit(tagger, data, dev=data[:6], config=_config())
    assert len(history) == 12 and history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["dev_f1"] > 90
    probs = tagger.predict_proba([s.tokens for s in data[:6]])
    assert [p.shape for p in probs] == [(len(s.tokens), 5) for s in data[:6]]
    assert all(np.allclose(p.sum(axis=1), 1.0, atol=1e-5) for p in probs)
    assert tagger.predict([["Juma", "lives", "in", "Kampala", "."]]) == [
        ["B-PER", "O", "O", "B-LOC", "O"]
    ]


def test_save_and_load_give_the_same_probabilities(tiny_encoder: Path, tmp_path: Path) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    fit(tagger, data, config=_config(epochs=2))
    sentences = [s.tokens for s in data[:6]]
    tagger.save(tmp_path / "tagger")
    loaded = TokenTagger.load(tmp_path / "tagger", device="cpu")
    assert loaded.labels == tagger.labels and loaded.max_length == 32
    for a, b in zip(tagger.predict_proba(sentences), loaded.predict_proba(sentences), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_resume_continues_exactly(tiny_encoder: Path, tmp_path: Path) -> None:
    data = _data()
    labels = labels_from(data)
    config = _config(epochs=3, checkpoint_every=2, keep_checkpoints=2)

    straight = _tagger(tiny_encoder, labels)
    fit(straight, data, config=config, output_dir=tmp_path / "straight")

    interrupted = _tagger(tiny_encoder, labels)
    out = tmp_path / "interrupted"
    fit(interrupted, data, config=_config(**{**vars(config), "stop_after": 5}), output_dir=out)
    assert latest_checkpoint(out).name == "checkpoint-00000005"
    resumed = _tagger(tiny_encoder, labels)  # a fresh process would start like this
    history = fit(resumed, data, config=config, output_dir=out)

    assert len(history) == 3
    assert len(list(out.glob("checkpoint-*"))) == 2
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, msg=name)
    final = TokenTagger.load(out, device="cpu")
    assert final.labels == labels


def test_resume_refuses_other_settings(tiny_encoder: Path, tmp_path: Path) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    fit(tagger, data, config=_config(epochs=1), output_dir=tmp_path)
    with pytest.raises(ValueError, match="other settings"):
        fit(tagger, data, config=_config(epochs=1, learning_rate=1e-4), output_dir=tmp_path)


def test_long_sentences_are_chunked_not_truncated(tiny_encoder: Path) -> None:
    tagger = _tagger(tiny_encoder, ["O", "B-LOC", "I-LOC"], max_length=6)
    sentence = ["Kampala", "is", "playing", "in", "Uganda", ".", "the", "city", "is", "big", "."]
    chunks = tagger.chunks([sentence])
    assert len(chunks) > 1 and all(len(c.input_ids) <= 6 for c in chunks)
    (probs,) = tagger.predict_proba([sentence])
    assert probs.shape == (len(sentence), 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_counting_a_long_sentence_warns_of_no_overlong_input(
    tiny_encoder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Counting subwords reads the whole sentence; only chunks reach the model, so the
    tokenizer's "longer than the specified maximum ... indexing errors" warning is wrong."""
    import transformers

    tagger = _tagger(tiny_encoder, ["O", "B-LOC", "I-LOC"], max_length=6)
    tagger.tokenizer.model_max_length = 6
    sentence = ["Kampala", "is", "playing", "in", "Uganda", ".", "the", "city", "is", "big", "."]
    transformers.logging.enable_propagation()
    try:
        with caplog.at_level("WARNING"):
            assert len(tagger.chunks([sentence])) > 1
    finally:
        transformers.logging.disable_propagation()
    assert "longer than the specified maximum" not in caplog.text


def test_words_without_subwords_are_outside(tiny_encoder: Path) -> None:
    tagger = _tagger(tiny_encoder, ["O", "B-LOC", "I-LOC"])
    (probs,) = tagger.predict_proba([["Kampala", "", "city"]])
    assert probs[1].tolist() == [1.0, 0.0, 0.0]
    assert tagger.predict_proba([[]])[0].shape == (0, 3)


def test_unknown_tags_are_rejected(tiny_encoder: Path) -> None:
    tagger = _tagger(tiny_encoder, ["O", "B-LOC", "I-LOC"])
    with pytest.raises(ValueError, match="not one of"):
        fit(tagger, [TaggedSentence(["Juma"], [Span(0, 1, "PER")])], config=_config(epochs=1))
    with pytest.raises(ValueError):
        TokenTagger.from_encoder(tiny_encoder, ["O", "LOC"], device="cpu")


def test_freeze_embeddings_keeps_word_embeddings(tiny_encoder: Path) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    before = tagger.model.get_input_embeddings().weight.detach().clone()
    fit(tagger, data, config=_config(epochs=1, freeze_embeddings=True))
    torch.testing.assert_close(tagger.model.get_input_embeddings().weight, before)


def test_tag_command_writes_the_taggers_predictions(tiny_encoder: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlner.cli import app
    from xlner.corpora.conll import read_conll

    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    fit(tagger, data, config=_config())
    tagger.save(tmp_path / "tagger")
    text = tmp_path / "in.txt"
    text.write_text("Juma lives in Kampala .\nthe city is big .\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    args = ["tag", "--model", str(tmp_path / "tagger"), str(text), "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    tagged = read_conll(out)
    assert [s.tokens for s in tagged] == [t.split() for t in text.read_text().splitlines()]
    assert tagged[0].spans == [Span(0, 1, "PER"), Span(3, 4, "LOC")] and tagged[1].spans == []


def test_model_transfer_decoding_and_probability_export(tmp_path: Path) -> None:
    from xlner.bench.model_transfer import decode, save_probabilities

    labels = ["O", "B-PER", "I-PER"]
    probs = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8]])
    # A stray I- (last word) starts an entity, as in CoNLL evaluation.
    assert decode(probs, labels) == [Span(0, 2, "PER"), Span(3, 4, "PER")]
    sentences = [TaggedSentence(["a", "b"]), TaggedSentence(["c", "d"])]
    save_probabilities(tmp_path / "p.npz", sentences, [probs[:2], probs[2:]], labels)
    saved = np.load(tmp_path / "p.npz")
    assert list(saved["labels"]) == labels and list(saved["lengths"]) == [2, 2]
    assert np.allclose(saved["probabilities"], probs, atol=1e-3)


# ------------------------------------------------------------------ speed and progress


def test_progress_reports_step_loss_and_rate(tiny_encoder: Path) -> None:
    from xlner.tagging.training import TrainProgress

    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    reports: list[TrainProgress] = []
    fit(tagger, data, config=_config(epochs=2, log_every=4), progress=reports.append)
    # 24 sentences in batches of 4: 6 steps an epoch, 12 in all.
    assert [r.step for r in reports] == [1, 4, 8, 12]
    assert all(r.total_steps == 12 and r.steps_per_second > 0 for r in reports)
    assert all(np.isfinite(r.loss) and r.loss > 0 for r in reports)
    assert reports[-1].seconds_left == 0 and reports[0].seconds_left > 0
    text = str(reports[1])
    assert text.startswith("step 4/12  loss ") and "steps/s" in text and text.endswith("left")


def test_progress_counts_to_stop_after_and_from_the_resumed_step(
    tiny_encoder: Path, tmp_path: Path
) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    first: list = []
    fit(tagger, data, config=_config(stop_after=5), output_dir=tmp_path, progress=first.append)
    assert [(r.step, r.total_steps) for r in first] == [(1, 5), (5, 5)]
    resumed: list = []
    fit(tagger, data, config=_config(stop_after=8), output_dir=tmp_path, progress=resumed.append)
    assert [(r.step, r.total_steps) for r in resumed] == [(6, 8), (8, 8)]


def test_progress_time_left_formatting() -> None:
    from xlner.tagging.training import TrainProgress

    report = TrainProgress(step=100, total_steps=1317, loss=0.25, steps_per_second=0.5)
    assert report.seconds_left == pytest.approx(2434)
    assert str(report) == "step 100/1317  loss 0.2500  0.50 steps/s  40:34 left"
    slow = TrainProgress(step=100, total_steps=1317, loss=0.25, steps_per_second=0.1)
    assert str(slow).endswith("0.10 steps/s  3:22:50 left")


def _lengths_per_batch(config: TrainConfig, chunks: list, epoch: int) -> list[list[int]]:
    from xlner.tagging.training import _epoch_batches

    return [[len(chunks[i].input_ids) for i in b] for b in _epoch_batches(chunks, config, epoch)]


def test_group_by_length_batches_cover_every_chunk_with_less_padding() -> None:
    from xlner.tagging.tagger import Chunk
    from xlner.tagging.training import _epoch_batches

    rng = np.random.default_rng(0)
    chunks = [Chunk(i, 0, [1] * int(n), [0]) for i, n in enumerate(rng.integers(3, 120, 999))]
    grouped, plain = TrainConfig(batch_size=8, group_by_length=True), TrainConfig(batch_size=8)
    batches = _epoch_batches(chunks, grouped, 0)
    assert sorted(i for b in batches for i in b) == list(range(999))
    assert len(batches) == 125 and all(1 <= len(b) <= 8 for b in batches)
    assert batches == _epoch_batches(chunks, grouped, 0)  # a function of seed and epoch
    assert batches != _epoch_batches(chunks, grouped, 1)

    def padding(config: TrainConfig) -> int:
        return sum(max(b) * len(b) - sum(b) for b in _lengths_per_batch(config, chunks, 0))

    assert padding(grouped) < padding(plain) / 5
    # Batch order is shuffled too: the long batches do not all come last.
    widths = [max(b) for b in _lengths_per_batch(grouped, chunks, 0)]
    assert widths != sorted(widths)


def test_micro_batches_are_sorted_pieces_of_the_batch() -> None:
    from xlner.tagging.tagger import Chunk
    from xlner.tagging.training import _micro_batches

    batch = [Chunk(i, 0, [1] * n, [0]) for i, n in enumerate([9, 3, 7, 1, 5])]
    pieces = _micro_batches(batch, 2)
    assert [[len(c.input_ids) for c in p] for p in pieces] == [[1, 3], [5, 7], [9]]
    assert _micro_batches(batch, None) == [batch] == _micro_batches(batch, 5)


def _without_dropout(tagger: TokenTagger) -> TokenTagger:
    for module in tagger.model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return tagger


def test_micro_batches_make_the_same_step_as_one_batch(tiny_encoder: Path) -> None:
    from xlner.tagging.training import _train_step
    from xlner.tags import spans_to_tags

    data = _data()[:6]
    labels = labels_from(data)
    config = _config(bf16=False, max_grad_norm=0.0)
    results = []
    for micro in (None, 2):
        tagger = _without_dropout(_tagger(tiny_encoder, labels))
        tags = [spans_to_tags(s.spans, len(s.tokens)) for s in data]
        chunks = tagger.chunks([s.tokens for s in data], tags)
        tagger.model.eval()
        with torch.no_grad():
            reference = float(tagger.model(**tagger.collate(chunks)).loss)
        # Plain SGD: the update is the gradient itself, so any mis-weighting would show.
        optimizer = torch.optim.SGD(tagger.model.parameters(), lr=1.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
        step_config = TrainConfig(**{**config.__dict__, "micro_batch_size": micro})
        loss = _train_step(tagger, chunks, optimizer, scheduler, step_config, False)
        assert loss == pytest.approx(reference, rel=1e-5)  # the model's own mean loss
        results.append([p.detach().clone() for p in tagger.model.parameters()])
    for one, micro in zip(*results, strict=True):
        torch.testing.assert_close(one, micro, atol=1e-6, rtol=1e-4)


def test_old_checkpoints_fingerprint_without_group_by_length() -> None:
    plain = TrainConfig(group_by_length=False).fingerprint(10, ["O"])
    assert "group_by_length" not in plain and "micro_batch_size" not in plain
    assert plain == TrainConfig(micro_batch_size=None).fingerprint(10, ["O"])
    assert TrainConfig(group_by_length=True).fingerprint(10, ["O"])["group_by_length"] is True


def test_bf16_training_where_the_cpu_computes_in_bf16(
    tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlner.encoders.base as encoders
    from xlner.tagging.training import bf16_training

    tagger = _tagger(tiny_encoder, ["O", "B-PER", "I-PER"])
    monkeypatch.setattr(encoders, "cpu_supports_bf16", lambda: False)
    assert not bf16_training(tagger)
    monkeypatch.setattr(encoders, "cpu_supports_bf16", lambda: True)
    assert bf16_training(tagger)
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    history = fit(tagger, data, config=_config(epochs=6, bf16=True))
    assert history[-1]["loss"] < history[0]["loss"]  # bf16 autocast on the CPU still learns


def test_bf16_prediction_is_close_to_float32(tiny_encoder: Path) -> None:
    data = _data()
    tagger = _tagger(tiny_encoder, labels_from(data))
    fit(tagger, data, config=_config(epochs=4))
    tokens = [s.tokens for s in data[:6]]
    tagger.precision = "float32"
    exact = tagger.predict_proba(tokens)
    tagger.precision = "bfloat16"
    assert tagger.inference_precision() == "bfloat16"
    for fast, reference in zip(tagger.predict_proba(tokens), exact, strict=True):
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast, reference, atol=0.03)
    with pytest.raises(ValueError, match="unknown precision 'int8'"):
        TokenTagger.from_encoder(tiny_encoder, ["O"], precision="int8")
