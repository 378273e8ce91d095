"""``xlner align`` (Pharaoh links of any aligner) and ``xlner evaluate --alignment`` (AER,
precision and recall against gold with sure and possible links), through the command line;
and warnings about the user's input shown at the user's file and line."""

from __future__ import annotations

import pytest
from entry_point import xlner_cli

from xlner.align.base import Aligner, register_aligner
from xlner.align.pharaoh import format_pharaoh, parse_pharaoh
from xlner.types import Link, LinkSets

SOURCE = ["the house is small", "a b", "Anna sees Berlin ."]
TARGET = ["das Haus ist klein", "x y z", "Anna sieht Berlin ."]


@register_aligner("test-align-shift")
class Shift(Aligner):
    """Links word i to word i + shift; names the set ``back`` (i to i - 1) too."""

    name = "test-align-shift"
    per_sentence = True
    extra_seen: list[int] = []

    def __init__(self, shift: int = 0) -> None:
        self.shift = shift

    def link_set_names(self):
        return ("back",)

    def align(self, pairs, *, extra_bitext=()):
        return [list(links) for links in self.align_sets(pairs, extra_bitext=extra_bitext)]

    def align_sets(self, pairs, *, extra_bitext=()):
        Shift.extra_seen.append(len(extra_bitext))
        return [
            LinkSets(_diagonal(s, t, self.shift), {"back": _diagonal(s, t, -1)}) for s, t in pairs
        ]


def _diagonal(source, target, shift):
    return [Link(i, i + shift) for i in range(len(source)) if 0 <= i + shift < len(target)]


@pytest.fixture
def bitext(tmp_path):
    source, target = tmp_path / "src.txt", tmp_path / "tgt.txt"
    source.write_text("\n".join(SOURCE) + "\n", encoding="utf-8")
    target.write_text("\n".join(TARGET) + "\n", encoding="utf-8")
    return source, target


def align(capsys, bitext, output, *args):
    source, target = bitext
    return xlner_cli(capsys, "align", "--source", source, "--target", target, "-o", output, *args)


def expected(shift: int) -> list[str]:
    pairs = [(s.split(), t.split()) for s, t in zip(SOURCE, TARGET, strict=True)]
    return [format_pharaoh(_diagonal(s, t, shift)) for s, t in pairs]


# ---------------------------------------------------------------------------- xlner align


@pytest.mark.parametrize(
    ("args", "shift"),
    [
        (["--aligner", "test-align-shift"], 0),
        (["--aligner", "test-align-shift", "--aligner-option", "shift=1"], 1),
        (["--aligner", "test-align-shift", "--links", "back"], -1),
    ],
)
def test_align_writes_one_pharaoh_line_per_pair(capsys, bitext, tmp_path, args, shift):
    output = tmp_path / "out.txt"
    result = align(capsys, bitext, output, *args)
    assert result.code == 0, result.err
    assert output.read_text(encoding="utf-8").splitlines() == expected(shift)
    assert "aligning sentence pairs 1-3 with test-align-shift" in result.err
    assert f"of 3 sentence pairs to {output}" in result.err


def test_align_writes_each_named_set_of_the_combined_aligner(capsys, bitext, tmp_path):
    members = "members={one={aligner='test-align-shift',shift=1},two={aligner='test-align-shift'}}"
    combined = ["--aligner", "combined", "--aligner-option", members]
    for links, shift in (("one", 1), ("two", 0), ("one:back", -1), ("two:back", -1)):
        output = tmp_path / f"{links}.txt"
        assert align(capsys, bitext, output, *combined, "--links", links).code == 0
        assert output.read_text(encoding="utf-8").splitlines() == expected(shift)
    primary = tmp_path / "primary.txt"
    assert align(capsys, bitext, primary, *combined).code == 0  # the first member's links
    assert primary.read_text(encoding="utf-8").splitlines() == expected(1)


def test_align_to_standard_output_in_chunks_with_extra_bitext(capsys, bitext, tmp_path):
    Shift.extra_seen.clear()
    source, target = bitext
    args = ["--aligner", "test-align-shift", "--chunk-size", "1"]
    extra = ["--extra-source", source, "--extra-target", target]
    result = align(capsys, bitext, "-", *args, *extra)
    assert result.code == 0, result.err
    assert result.out.splitlines() == expected(0)
    # A rest of less than half a chunk joins the last one: with chunks of 1, three chunks.
    assert "aligning sentence pairs 3-3 with test-align-shift (+3 extra)" in result.err
    assert Shift.extra_seen == [3, 3, 3]


def test_eflomal_symmetrisations_are_written_from_the_light_preset(capsys, bitext, tmp_path):
    written = {}
    for links in ("intersection", "union"):
        output = tmp_path / f"{links}.txt"
        assert align(capsys, bitext, output, "--preset", "light", "--links", links).code == 0
        written[links] = [parse_pharaoh(line) for line in output.read_text().splitlines()]
    assert len(written["union"]) == len(SOURCE)
    for inter, union, source, target in zip(*written.values(), SOURCE, TARGET, strict=True):
        assert inter.sure <= union.sure and not inter.possible  # the light preset is seeded
        assert all(i < len(source.split()) and j < len(target.split()) for i, j in union.sure)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--aligner", "test-align-shift", "--links", "front"], "--links front: aligner "),
        (["--aligner", "nope"], "unknown aligner 'nope'"),
        (["--aligner", "test-align-shift", "--aligner-option", "width=2"], "has no option 'width'"),
        (["--aligner", "test-align-shift", "--aligner-option", "shift"], "not KEY=VALUE"),
        (["--chunk-size", "0"], "--chunk-size must be at least 1, got 0"),
        (["--extra-source", "e.txt"], "give both --extra-source and --extra-target, or neither"),
        (["--preset", "fast"], "unknown preset 'fast'"),
    ],
)
def test_bad_align_options_are_one_line_errors(capsys, bitext, tmp_path, args, message):
    result = align(capsys, bitext, tmp_path / "out.txt", *args)
    assert result.code == 2 and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1 and not (tmp_path / "out.txt").exists()


def test_bad_align_inputs_name_the_file_and_keep_the_output(capsys, bitext, tmp_path):
    source, target = bitext
    output = tmp_path / "out.txt"
    output.write_text("kept\n", encoding="utf-8")
    target.write_text("\n".join(TARGET[:2]) + "\n", encoding="utf-8")
    result = align(capsys, bitext, output, "--aligner", "test-align-shift")
    assert result.code == 2 and f"error: {target}: line counts differ: " in result.err
    target.write_text("das Haus\n\nAnna\n", encoding="utf-8")
    result = align(capsys, bitext, output, "--aligner", "test-align-shift")
    assert result.code == 2 and f"error: {target}:2: empty sentence" in result.err
    assert output.read_text(encoding="utf-8") == "kept\n"  # nothing lost
    result = align(capsys, bitext, source, "--aligner", "test-align-shift")
    assert result.code == 2 and "--output is the same file as --source" in result.err
    result = align(capsys, bitext, tmp_path, "--aligner", "test-align-shift")
    assert result.code == 2 and "--output is a directory; give a file name" in result.err


# ---------------------------------------------------------------------------- evaluate


def evaluate(capsys, tmp_path, gold: str, predicted: str, *args):
    gold_file, predicted_file = tmp_path / "gold.txt", tmp_path / "pred.txt"
    gold_file.write_text(gold, encoding="utf-8")
    predicted_file.write_text(predicted, encoding="utf-8")
    return xlner_cli(capsys, "evaluate", "--alignment", gold_file, predicted_file, *args)


def scores(output: str) -> dict[str, float]:
    rows = [line.split() for line in output.splitlines()[:3]]
    return {name: float(value) for name, value in rows}


# Gold: sure 0-0 2-2 and 3-3, possible 1-1. Predicted: 0-0 1-1 1-2 and 3-3.
# |A| 4, |S| 3, A & S = {0-0, 3-3}, A & P = {0-0, 1-1, 3-3}:
# precision 3/4, recall 2/3, AER 1 - (2 + 3) / (4 + 3) = 2/7.
PREDICTED = "0-0 1-1\n1-2 3-3\n"
HAND = {"AER": 28.6, "precision": 75.0, "recall": 66.7}


@pytest.mark.parametrize(
    ("gold", "args"),
    [
        ("0-0 1?1\n2-2 3-3\n", []),
        ("0-0 1p1\n2-2 3-3\n", []),
        ("0-0-s 1-1-p\n2-2-S 3-3\n", []),
        ("0-0 1-1-P 1?1\n2-2 3-3\n", []),  # the same link twice
        ("1-1 2?2\n3-3 4-4\n", ["--index-base", "1"]),
    ],
)
def test_alignment_scores_by_hand(capsys, tmp_path, gold, args):
    result = evaluate(capsys, tmp_path, gold, PREDICTED, *args)
    assert result.code == 0, result.err
    assert scores(result.out) == HAND
    assert "4 predicted, 3 sure and 1 possible in gold, over 2 sentence pairs" in result.out
    base = args[-1] if args else "0"
    assert f"metric=aer|index_base={base}|" in result.out


def test_the_sentences_check_both_files(capsys, tmp_path):
    source, target = tmp_path / "s.txt", tmp_path / "t.txt"
    source.write_text("a b\nc d e f\n", encoding="utf-8")
    target.write_text("x y\nu v w z\n", encoding="utf-8")
    sentences = ["--source", source, "--target", target]
    result = evaluate(capsys, tmp_path, "0-0 1?1\n2-2 3-3\n", PREDICTED, *sentences)
    assert result.code == 0 and scores(result.out) == HAND
    # A 1-based gold read as 0-based: its last words lie just beyond their sentences.
    result = evaluate(capsys, tmp_path, "1-1 2?2\n3-3 4-4\n", PREDICTED, *sentences)
    gold = tmp_path / "gold.txt"
    assert result.code == 2 and result.err.strip() == (
        f"error: {gold}:1: link 2-2: source word 2 is beyond the sentence of 2 words "
        "(a 1-based file? --index-base 1)"
    )
    result = evaluate(capsys, tmp_path, "0-0\n0-0\n", "0-0\n0-7\n", *sentences)
    assert result.code == 2
    assert f"{tmp_path / 'pred.txt'}:2: link 0-7: target word 7 is beyond" in result.err
    assert "1-based" not in result.err  # 7 is no length: not the shift by one


@pytest.mark.parametrize(
    ("gold", "predicted", "args", "message"),
    [
        # 1-based gold read as 0-based, no sentences given: no link at word 0 anywhere
        ("1-1 2-2\n3-3\n", "0-0\n\n", [], "gold.txt: no link holds word 0 of any sentence"),
        # 0-based gold read as 1-based
        ("0-0 1-1\n2-2\n", "0-0\n\n", ["--index-base", "1"], "gold.txt:1: link '0-0' has index 0"),
        ("0-0\n", "0-0\n", ["--index-base", "2"], "--index-base must be 0 or 1, not 2"),
        ("0-0 1~1\n", "0-0\n", [], "gold.txt:1: '1~1' is not a link (i-j, i?j, ipj or i-j-p)"),
        ("0-0\n", "0-0\n1-1 x-1\n", [], "pred.txt:2: 'x-1' is not a link"),
        ("0-0\n1-1\n", "0-0\n", [], "pred.txt: 1 lines, but"),
        ("0?0\n", "0-0\n", [], "gold.txt: no sure link (i-j): nothing to measure recall against"),
        ("", "", [], "gold.txt: no sentence: the file is empty"),
        ("0-0\n", "0-0\n", ["--source", "s.txt"], "give both --source and --target, or neither"),
        ("0-0\n", "0-0\n", ["--label-map", "drop-misc"], "--label-map and --scheme score entit"),
    ],
)
def test_bad_alignment_input_is_a_one_line_error(capsys, tmp_path, gold, predicted, args, message):
    result = evaluate(capsys, tmp_path, gold, predicted, *args)
    assert result.code == 2 and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1


def test_sentence_counts_must_match_the_gold(capsys, tmp_path):
    source, target = tmp_path / "s.txt", tmp_path / "t.txt"
    source.write_text("a b\n", encoding="utf-8")
    target.write_text("x y\n", encoding="utf-8")
    args = ["--source", source, "--target", target]
    result = evaluate(capsys, tmp_path, "0-0\n1-1\n", "0-0\n1-1\n", *args)
    assert result.code == 2 and f"{source}: 1 sentences, but " in result.err


def test_alignment_options_need_alignment(capsys, tmp_path):
    gold = tmp_path / "gold.conll"
    gold.write_text("Anna B-PER\n", encoding="utf-8")
    result = xlner_cli(capsys, "evaluate", gold, gold, "--index-base", "1")
    assert result.code == 2 and "--index-base, --source and --target go with --alignment" in (
        result.err
    )


def test_align_then_evaluate_round_trip(capsys, bitext, tmp_path):
    output = tmp_path / "links.txt"
    assert align(capsys, bitext, output, "--aligner", "test-align-shift").code == 0
    source, target = bitext
    args = ["--source", source, "--target", target]
    result = xlner_cli(capsys, "evaluate", "--alignment", output, output, *args)
    assert result.code == 0 and scores(result.out) == {"AER": 0, "precision": 100, "recall": 100}


# ---------------------------------------------------------------------------- warnings


def test_a_repaired_input_is_warned_about_at_its_file_and_line(capsys, tmp_path):
    gold = tmp_path / "gold.conll"
    gold.write_text("Anna O\nsees I-PER\n", encoding="utf-8")
    result = xlner_cli(capsys, "evaluate", gold, gold, "--scheme", "iob2")
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {gold}:2: read 1 I- tag(s) without a preceding B- or I- "
                        "of the same class as B- (the first here)"] * 2  # fmt: skip
    assert ".py:" not in result.err  # no place in xlner's code
