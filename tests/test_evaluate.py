import random

import pytest

from xlner.evaluate import evaluate_spans, map_spans
from xlner.registry import registry
from xlner.types import Span


def test_hand_computed_example():
    # Sentence 1: PER exact (tp), LOC predicted as ORG (fp ORG, fn LOC).
    # Sentence 2: ORG boundary wrong (fp ORG, fn ORG); extra PER (fp PER).
    gold = [[Span(0, 2, "PER"), Span(3, 4, "LOC")], [Span(1, 3, "ORG")]]
    pred = [[Span(0, 2, "PER"), Span(3, 4, "ORG")], [Span(1, 2, "ORG"), Span(4, 5, "PER")]]
    scores = evaluate_spans(gold, pred, [5, 6])
    # tp = 1, predicted = 4, gold = 3: P = 25, R = 33.3, F1 = 2PR/(P+R) = 28.57
    assert scores.precision == pytest.approx(25.0)
    assert scores.recall == pytest.approx(100 / 3)
    assert scores.f1 == pytest.approx(200 / 7)
    assert scores.n_gold == 3 and scores.n_predicted == 4
    assert scores.predicted_to_gold == pytest.approx(4 / 3)
    per = scores.per_class
    assert per["PER"].precision == pytest.approx(50.0) and per["PER"].recall == 100.0
    assert per["LOC"].recall == 0.0 and per["LOC"].support == 1
    assert per["ORG"].precision == 0.0 and per["ORG"].support == 1


def test_label_map_applies_to_gold_and_prediction():
    gold = [[Span(0, 1, "DATE"), Span(2, 3, "PER")]]
    pred = [[Span(0, 1, "DATE"), Span(1, 2, "DATE"), Span(2, 3, "PER")]]
    scores = evaluate_spans(gold, pred, [4], registry.label_maps.get("drop-date"))
    assert scores.f1 == 100.0
    assert scores.n_gold == 1 and scores.n_predicted == 1
    assert "DATE" not in scores.per_class


def test_label_map_can_rename():
    scores = evaluate_spans([[Span(0, 1, "GPE")]], [[Span(0, 1, "LOC")]], [1], {"GPE": "LOC"})
    assert scores.f1 == 100.0


def _random_spans(rng: random.Random, length: int) -> list[Span]:
    """Non-overlapping spans of 1-3 words, of three classes, at random places."""
    spans, start = [], rng.randrange(3)
    while start < length:
        end = min(length, start + rng.randint(1, 3))
        if rng.random() < 0.5:
            spans.append(Span(start, end, rng.choice(["PER", "LOC", "DATE"])))
        start = end + rng.randrange(2)
    return spans


@pytest.mark.parametrize("seed", range(40))
def test_the_scores_are_seqevals_strict_iob2_scores_to_the_last_bit(seed):
    seqeval = pytest.importorskip("seqeval.metrics")
    from seqeval.scheme import IOB2

    from xlner.tags import spans_to_tags

    rng = random.Random(seed)
    lengths = [rng.randint(1, 12) for _ in range(rng.randint(1, 30))]
    gold = [_random_spans(rng, n) for n in lengths]
    # predictions: mostly the gold spans, some dropped, moved or of another class
    pred = [[s for s in spans if rng.random() < 0.7] for spans in gold]
    pred = [
        p if rng.random() < 0.7 else _random_spans(rng, n)
        for p, n in zip(pred, lengths, strict=True)
    ]
    for label_map in (None, {"DATE": None}, {"LOC": "PER"}):
        scores = evaluate_spans(gold, pred, lengths, label_map)
        tags = [
            [spans_to_tags(map_spans(s, label_map), n) for s, n in zip(side, lengths, strict=True)]
            for side in (gold, pred)
        ]
        if not any(t != "O" for sentence in tags[0] + tags[1] for t in sentence):
            continue  # seqeval has no classes to report; xlner: all 0 (above)
        report = seqeval.classification_report(
            *tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )
        micro = report.pop("micro avg")
        expected = [100 * float(micro[k]) for k in ("precision", "recall", "f1-score")]
        assert [scores.precision, scores.recall, scores.f1] == expected
        classes = {label: row for label, row in report.items() if not label.endswith(" avg")}
        assert list(scores.per_class) == list(classes)
        for label, row in classes.items():
            found = scores.per_class[label]
            assert (found.precision, found.recall, found.f1, found.support) == (
                100 * float(row["precision"]),
                100 * float(row["recall"]),
                100 * float(row["f1-score"]),
                int(row["support"]),
            )


def test_mismatched_sentence_counts_are_refused():
    with pytest.raises(ValueError, match="sentence counts differ"):
        evaluate_spans([[]], [[], []], [1])


def test_no_entities_anywhere():
    scores = evaluate_spans([[]], [[]], [3])
    assert scores.f1 == 0.0 and scores.n_gold == 0


def test_error_types():
    from xlner.evaluate.errors import classify_errors, count_errors

    gold = [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(5, 7, "ORG"), Span(8, 9, "MISC")]
    pred = [Span(0, 2, "PER"), Span(3, 4, "ORG"), Span(5, 6, "ORG"), Span(10, 11, "LOC")]
    kinds = [(e.kind, e.gold, e.predicted) for e in classify_errors(gold, pred)]
    assert kinds == [
        ("correct", gold[0], pred[0]),
        ("class", gold[1], pred[1]),
        ("boundary", gold[2], pred[2]),
        ("missed", gold[3], None),
        ("spurious", None, pred[3]),
    ]
    counts = count_errors([gold, []], [pred, [Span(0, 1, "PER")]])
    assert counts == {"correct": 1, "class": 1, "boundary": 1, "missed": 1, "spurious": 2}
