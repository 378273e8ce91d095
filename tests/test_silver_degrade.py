"""Degradation of silver spans: seeded, monotone in the rate, calibrated to a silver F1."""

from __future__ import annotations

import numpy as np
import pytest

from xlner.registry import ComponentError
from xlner.study.degrade import (
    Sentence,
    add_entities,
    calibrate,
    degrade,
    error_profile,
    get_degradation,
    mix_rates,
    silver_f1,
)
from xlner.types import Span

LABELS = ("PER", "ORG", "LOC", "DATE")


def _corpus(count: int = 300, seed: int = 0) -> list[Sentence]:
    """Sentences of 24 words with 1-3 entities of one or two words, apart from each other."""
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(count):
        spans = []
        for start in sorted(rng.choice([0, 8, 16], size=rng.integers(1, 4), replace=False)):
            spans.append(Span(int(start), int(start) + int(rng.integers(1, 3)), LABELS[0]))
        sentences.append(Sentence(24, tuple(spans)))
    return sentences


def _f1(corpus: list[Sentence], name: str, rate: float, seed: int = 0) -> float:
    degraded = degrade(get_degradation(name), corpus, rate, seed, LABELS, _SHARES)
    return silver_f1(degraded, [list(s.spans) for s in corpus])


_SHARES = {"missed": 0.5, "boundary": 0.2, "class": 0.1, "spurious": 0.2}


@pytest.mark.parametrize(
    "name", ["drop_entities", "shift_boundaries", "swap_classes", "add_entities", "mix"]
)
def test_each_degradation_is_seeded_and_rate_zero_changes_nothing(name) -> None:
    corpus = _corpus(50)
    degradation = get_degradation(name)
    first = degrade(degradation, corpus, 0.5, 7, LABELS, _SHARES)
    assert first == degrade(degradation, corpus, 0.5, 7, LABELS, _SHARES)
    assert first != degrade(degradation, corpus, 0.5, 8, LABELS, _SHARES)
    assert degrade(degradation, corpus, 0.0, 7, LABELS, _SHARES) == [list(s.spans) for s in corpus]


@pytest.mark.parametrize(
    "name", ["drop_entities", "shift_boundaries", "swap_classes", "add_entities", "mix"]
)
def test_silver_f1_falls_with_the_rate(name) -> None:
    corpus = _corpus()
    scale = 2.0 if name == "add_entities" else 1.0  # spurious spans per span, not a share
    scores = [_f1(corpus, name, rate * scale) for rate in (0.0, 0.2, 0.4, 0.6, 0.8)]
    assert scores[0] == 100.0
    assert all(a >= b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[-1] < 80.0


def test_drop_entities_drops_about_the_rate() -> None:
    corpus = _corpus(500)
    degraded = degrade(get_degradation("drop_entities"), corpus, 0.3, 0, LABELS)
    before = sum(len(s.spans) for s in corpus)
    assert sum(map(len, degraded)) / before == pytest.approx(0.7, abs=0.03)


def test_a_higher_rate_drops_a_superset() -> None:
    corpus = _corpus(100)
    low = degrade(get_degradation("drop_entities"), corpus, 0.2, 3, LABELS)
    high = degrade(get_degradation("drop_entities"), corpus, 0.5, 3, LABELS)
    assert all(set(h) <= set(lo) for lo, h in zip(low, high, strict=True))


def test_add_entities_adds_about_rate_spans_per_span_without_overlap() -> None:
    rng = np.random.default_rng(0)
    spans = [Span(0, 1, "PER"), Span(30, 32, "LOC")]
    added = [len(add_entities(spans, 1.5, rng, 60, LABELS)) - 2 for _ in range(400)]
    assert np.mean(added) == pytest.approx(3.0, abs=0.3)
    out = add_entities(spans, 4.0, np.random.default_rng(1), 60, LABELS)
    assert all(not a.overlaps(b) for i, a in enumerate(out) for b in out[i + 1 :])
    assert set(spans) <= set(out)
    with pytest.raises(ValueError, match="spurious rate"):
        add_entities(spans, -1.0, rng, 60, LABELS)


def test_the_mix_scales_each_error_by_its_share() -> None:
    rates = mix_rates(0.8, _SHARES)
    assert rates == pytest.approx(
        {"missed": 0.8, "boundary": 0.32, "class": 0.16, "spurious": 0.32}
    )
    assert mix_rates(3.0, _SHARES)["missed"] == 1.0  # a probability stays one
    with pytest.raises(ValueError, match="error profile"):
        mix_rates(0.5, dict.fromkeys(_SHARES, 0.0))


def test_error_profile_names_each_kind_of_error() -> None:
    gold = [[Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(5, 6, "ORG"), Span(8, 9, "PER")]]
    silver = [[Span(0, 2, "PER"), Span(3, 4, "ORG"), Span(5, 7, "ORG"), Span(10, 11, "LOC")]]
    # PER right; LOC -> ORG a class error; ORG one word too long a boundary error; the gold
    # PER at 8 missed; the LOC at 10 spurious.
    assert error_profile(silver, gold) == {
        "missed": 0.25, "boundary": 0.25, "class": 0.25, "spurious": 0.25,
    }  # fmt: skip
    assert error_profile(gold, gold) == dict.fromkeys(
        ("missed", "boundary", "class", "spurious"), 0.0
    )


@pytest.mark.parametrize("target", [80.0, 60.0, 45.0, 30.0])
@pytest.mark.parametrize("name", ["drop_entities", "mix"])
def test_calibration_reaches_the_requested_silver_f1(name, target) -> None:
    corpus = _corpus()
    found = calibrate(lambda rate: _f1(corpus, name, rate), target, 1.0, tolerance=1.0)
    assert found.silver_f1 == pytest.approx(target, abs=1.0)
    assert _f1(corpus, name, found.rate) == pytest.approx(found.silver_f1)


def test_calibration_refuses_a_level_out_of_reach() -> None:
    corpus = _corpus()
    with pytest.raises(ValueError, match="above the clean"):
        calibrate(lambda rate: 70.0 - 40 * rate, 75.0, 1.0)
    with pytest.raises(ValueError, match="below what the degradation reaches"):
        calibrate(lambda rate: _f1(corpus, "swap_classes", rate * 0.1), 10.0, 1.0)


def test_an_unknown_degradation_is_a_one_line_error() -> None:
    with pytest.raises(ComponentError, match="unknown silver degradation 'drop'"):
        get_degradation("drop")


def _silver_file(path, corpus: list[Sentence]):
    """A silver records file of ``corpus`` (as xlner silver writes it) and its gold by line:
    gold is the silver data itself on even lines, and absent on odd ones."""
    import json

    from xlner.tags import spans_to_tags
    from xlner.types import TaggedSentence

    gold = {}
    with path.open("w", encoding="utf-8") as out:
        for line, item in enumerate(corpus, start=1):
            tokens = [f"w{line}x{i}" for i in range(item.length)]
            tags = spans_to_tags(item.spans, item.length)
            where = {"split": "train", "line": line}
            out.write(json.dumps({"tokens": tokens, "tags": tags, "provenance": where}) + "\n")
            if line % 2 == 0:
                gold[("train", line)] = TaggedSentence(tokens, list(item.spans))
    return gold


@pytest.mark.parametrize("operator", ["mix", "drop_entities"])
def test_the_degrade_stage_reaches_its_level_and_writes_the_training_file(
    tmp_path, operator
) -> None:
    from xlner.bench.silver.degrade import DegradeSettings, degrade_silver
    from xlner.corpora.conll import read_conll

    corpus = _corpus(400)
    gold = _silver_file(tmp_path / "silver.jsonl", corpus)
    # Some errors in the clean silver data, so that the mix has a profile: gold loses a span.
    first = next(key for key in sorted(gold) if len(gold[key].spans) > 1)
    gold[first].spans = gold[first].spans[1:]
    settings = DegradeSettings(operator=operator, level=0.5, floor=30.0, tolerance=1.0)
    found = degrade_silver(tmp_path / "silver.jsonl", gold, settings, LABELS, tmp_path)
    assert found["target_silver_f1"] == pytest.approx(
        found["clean_silver_f1"] - 0.5 * (found["clean_silver_f1"] - 30.0)
    )
    assert found["quality_no_date"]["f1"] == pytest.approx(found["target_silver_f1"], abs=1.0)
    low, high = found["quality_no_date"]["f1_interval"]
    assert low < found["quality_no_date"]["f1"] < high
    written = read_conll(tmp_path / "silver.conll")
    assert len(written) == len(corpus)
    assert sum(len(s.spans) for s in written) == found["entities"]["degraded"]
    again = degrade_silver(tmp_path / "silver.jsonl", gold, settings, LABELS, tmp_path / "b")
    assert again["rate"] == found["rate"]  # seeded


def test_partial_labels_survive_the_degrade_stage(tmp_path) -> None:
    """Silver data with words of unknown label (selection.dropped_class = mask) degrades like
    any other: those words count as outside for silver F1 and stay unknown in training."""
    import json

    from xlner.bench.silver.degrade import DegradeSettings, degrade_silver
    from xlner.corpora.conll import read_conll

    corpus = _corpus(200)
    gold = _silver_file(tmp_path / "silver.jsonl", corpus)
    lines = (tmp_path / "silver.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["tags"] = ["-", *first["tags"][1:]]  # its first word's label unknown
    (tmp_path / "silver.jsonl").write_text(
        "\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8"
    )
    settings = DegradeSettings(operator="drop_entities", level=0.5, floor=30.0, tolerance=1.0)
    degrade_silver(tmp_path / "silver.jsonl", gold, settings, LABELS, tmp_path / "out")
    written = read_conll(tmp_path / "out" / "silver.conll", unknown=True)
    assert written[0].unknown == [0]
    assert all(not sentence.unknown for sentence in written[1:])


def test_degrade_settings_are_checked() -> None:
    from xlner.bench.silver.degrade import DegradeSettings

    with pytest.raises(ComponentError, match="unknown silver degradation"):
        DegradeSettings(operator="shuffle")
    with pytest.raises(ValueError, match="degrade.level"):
        DegradeSettings(operator="mix", level=1.5)
    assert not DegradeSettings().active
