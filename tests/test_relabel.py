"""Self-training's relabelling (``xlner relabel``): the merge rules, unlabelled text, the
exclusions, and one whole round (train, relabel, train again) on tiny models built locally."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from entry_point import xlner_cli  # noqa: E402
from pipeline_fakes import fresh_counters  # noqa: E402, F401 (an autouse fixture)
from tiny_models import save_tiny_bert, save_tiny_token_classifier  # noqa: E402

from xlner.corpora.conll import read_conll, write_conll  # noqa: E402
from xlner.corpora.parallel_tsv import normalise  # noqa: E402
from xlner.errors import InputError  # noqa: E402
from xlner.silver.relabel import merge, read_unlabelled, scored_spans  # noqa: E402
from xlner.tagging import TokenTagger  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

FAKES = ("--tagger", "test-caps", "--aligner", "test-diagonal", "--preset", "light")
ENGLISH = ["Anna visits Berlin today .", "we met Omar there .", "Ravi and Mona met at noon ."]
SWAHILI = ["Anna anatembelea Berlin leo .", "tulikutana na Omar huko .",
           "Ravi na Mona walikutana mchana ."]  # fmt: skip
TEST_SENTENCE = "Juma alikwenda Kampala jana ."  # a MasakhaNER-like test sentence


# ---------------------------------------------------------------------------- the rules


def test_scored_spans_take_the_least_probable_word() -> None:
    labels = ["O", "B-PER", "I-PER"]
    probabilities = np.array([[0.1, 0.9, 0.0], [0.2, 0.1, 0.7], [0.6, 0.3, 0.1]])
    assert scored_spans(probabilities, labels) == [(Span(0, 2, "PER"), pytest.approx(0.7))]


def test_merge_keeps_projections_adds_confident_spans_and_masks_conflicts() -> None:
    silver = TaggedSentence(
        ["Anna", "met", "Omar", "in", "Kampala", "City", "yesterday", "with", "Juma"],
        [Span(0, 1, "PER"), Span(4, 6, "LOC"), Span(8, 9, "PER")],
        unknown=[2],
    )
    predicted = [
        (Span(0, 1, "PER"), 0.95),  # agrees
        (Span(2, 3, "PER"), 0.92),  # added over an unknown word
        (Span(4, 5, "LOC"), 0.99),  # conflicts with Kampala City: both masked
        (Span(6, 7, "DATE"), 0.5),  # below the threshold: nothing
        (Span(8, 9, "ORG"), 0.91),  # conflicts in class
    ]
    counts: Counter[str] = Counter()
    merged = merge(silver, predicted, 0.9, counts)
    assert merged.spans == [Span(0, 1, "PER"), Span(2, 3, "PER")]
    assert merged.unknown == [4, 5, 8]
    assert counts == {"agreed": 1, "added": 1, "conflicts": 2}
    assert merge(silver, predicted, 1.0) == silver  # nothing confident enough


def test_unlabelled_files_one_sentence_a_line_or_token_per_line(tmp_path) -> None:
    lines = tmp_path / "mafand.lug"
    lines.write_text("Juma yagenda e Kampala.\n\n  Nakato   alikuja  \n", encoding="utf-8")
    found = read_unlabelled(lines)
    assert [(s.text, s.line) for s in found] == [
        ("Juma yagenda e Kampala.", 1),
        ("Nakato alikuja", 3),
    ]
    assert [w.text for w in found[0].words] == ["Juma", "yagenda", "e", "Kampala", "."]
    conll = tmp_path / "train.txt"
    write_conll(conll, [TaggedSentence(["Juma", "yagenda", "."], [Span(0, 1, "PER")])])
    assert [(s.text, s.line) for s in read_unlabelled(conll)] == [("Juma yagenda .", 1)]
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no sentence: the unlabelled file is empty"):
        read_unlabelled(empty)


# ---------------------------------------------------------------------------- through the CLI


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def silver(capsys, tmp_path) -> Path:
    """A silver folder of three sentences (every capitalised word a PER)."""
    english, swahili = _lines(tmp_path / "en.txt", ENGLISH), _lines(tmp_path / "sw.txt", SWAHILI)
    folder = tmp_path / "silver"
    args = ("--source", english, "--target", swahili, *FAKES, "--keep-empty", "1")
    result = xlner_cli(capsys, "silver", "-o", folder, *args)
    assert result.code == 0, result.err
    return folder


@pytest.fixture(scope="module")
def favouring(tmp_path_factory: pytest.TempPathFactory):
    """A saved xlner tagger that gives every word the tag ``favour``, probability 0.97."""

    def make(favour: str) -> Path:
        root = tmp_path_factory.mktemp(f"favour-{favour}")
        model_dir = save_tiny_token_classifier(root / "model", favour=favour)
        model = transformers.AutoModelForTokenClassification.from_pretrained(model_dir)
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        return TokenTagger(model, tokenizer, labels, device="cpu").save(root / "tagger")

    return make


def _relabel(capsys, *args: object):
    return xlner_cli(capsys, "relabel", *args)


def _records(folder: Path) -> list[dict]:
    lines = (folder / "silver.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_a_confident_tagger_adds_its_spans_beside_the_projected_ones(
    capsys, tmp_path, silver, favouring
) -> None:
    output = tmp_path / "r1"
    result = _relabel(capsys, silver, "-o", output, "--model", favouring("B-PER"))
    assert result.code == 0, result.err
    records = _records(output)
    # Every word is a confident one-word PER: the projected ones agree, the rest are added.
    assert all(record["tags"] == ["B-PER"] * len(record["tokens"]) for record in records)
    projected = sum(len(r["entities"]) for r in _records(silver))
    words = sum(len(r["tokens"]) for r in records)
    assert _summary(output)["relabel"] == {
        "added": words - projected,
        "agreed": projected,
        "silver": 3,
        "unlabelled": 0,
    }
    first = records[0]["entities"]
    assert first[0]["source"]["text"] == "Anna" and first[0]["score"] == 1.0  # projected
    added = [e for e in first if e["source"] is None]
    assert [e["text"] for e in added] == ["anatembelea", "leo", "."]
    assert all(e["score"] == pytest.approx(0.97, abs=0.01) for e in added)
    assert read_conll(output / "silver.conll", unknown=True)[0].spans[1] == Span(1, 2, "PER")


def test_test_sentences_given_as_unlabelled_text_never_enter(
    capsys, tmp_path, silver, favouring
) -> None:
    test_file = tmp_path / "test.conll"
    write_conll(test_file, [TaggedSentence(TEST_SENTENCE.split(), [Span(0, 1, "PER")])])
    text = _lines(tmp_path / "mafand.sw", ["Ravi alifika jana .", TEST_SENTENCE.lower()])
    output = tmp_path / "r1"
    args = ("--unlabelled", text, "--exclude", test_file, "--keep-empty", "1")
    result = _relabel(capsys, silver, "-o", output, "--model", favouring("O"), *args)
    assert result.code == 0, result.err
    texts = [normalise(record["text"]) for record in _records(output)]
    assert normalise(TEST_SENTENCE) not in texts
    assert normalise("Ravi alifika jana .") in texts
    summary = _summary(output)
    assert summary["relabel"]["excluded_unlabelled"] == 1
    assert summary["relabel"]["unlabelled"] == 1 and summary["sentences_out"] == 4
    assert summary["exclusions"] == [{"name": str(test_file), "sentences": 1, "matched": 1}]
    added = _records(output)[-1]
    assert added["provenance"]["target_file"] == str(text) and added["source_text"] is None
    # A file of nothing but test sentences is refused; without any exclusion, a warning.
    only_test = _lines(tmp_path / "test.txt", [TEST_SENTENCE])
    refused = _relabel(capsys, silver, "-o", tmp_path / "r2", "--model", favouring("O"),
                       "--unlabelled", only_test, "--exclude", test_file)  # fmt: skip
    assert refused.code == 2
    assert f"{only_test}: every one of its 1 sentences is in an evaluation set" in refused.err
    assert not (tmp_path / "r2" / "silver.conll").exists()
    unguarded = _relabel(capsys, silver, "-o", tmp_path / "r3", "--model", favouring("O"),
                         "--unlabelled", text)  # fmt: skip
    assert unguarded.code == 0 and "unlabelled text without any exclusion" in unguarded.err


def test_silver_records_of_an_evaluation_set_are_left_out_too(
    capsys, tmp_path, silver, favouring
) -> None:
    test_file = _lines(tmp_path / "test.txt", [SWAHILI[1]])
    output = tmp_path / "r1"
    args = ("--model", favouring("O"), "--exclude", test_file)
    assert _relabel(capsys, silver, "-o", output, *args).code == 0
    assert [r["text"] for r in _records(output)] == [SWAHILI[0], SWAHILI[2]]
    assert _summary(output)["relabel"]["excluded_silver"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unlabelled", "{empty}"), "no sentence: the unlabelled file is empty"),
        (("--threshold", "0"), "threshold is a probability above 0, not 0.0"),
        (("--label-map", "none", "--model", "{misc}"), "the tagger gives MISC, which the"),
        (("-o", "{silver}"), "-o is the silver folder itself"),
        (("--weight", "1"), "--weight weighs the taggers of an ensemble"),
    ],
)
def test_bad_relabel_input_is_one_line(capsys, tmp_path, silver, favouring, args, message):
    empty = _lines(tmp_path / "empty.txt", [""])
    misc_root = tmp_path / "misc"
    model_dir = save_tiny_token_classifier(misc_root, ("O", "B-MISC", "I-MISC"), favour="O")
    model = transformers.AutoModelForTokenClassification.from_pretrained(model_dir)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    misc = TokenTagger(model, tokenizer, ["O", "B-MISC", "I-MISC"], device="cpu").save(
        tmp_path / "misc-tagger"
    )
    paths = {"empty": empty, "silver": silver, "misc": misc}
    given = [str(arg).format(**paths) for arg in args]
    if "--model" not in given:
        given += ["--model", str(favouring("O"))]
    if "-o" not in given:
        given += ["-o", str(tmp_path / "out")]
    result = _relabel(capsys, silver, *given)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "out" / "silver.conll").exists()


def test_relabel_never_replaces_an_input_and_leaves_no_stale_output(
    capsys, tmp_path, silver, favouring
) -> None:
    pytest.importorskip("pyarrow")
    output, model = tmp_path / "r1", ("--model", favouring("O"))
    assert _relabel(capsys, silver, "-o", output, *model, "--format", "parquet").code == 0
    # The earlier output's CoNLL as unlabelled text: writing silver.conll would replace it.
    earlier = output / "silver.conll"
    before = earlier.read_bytes()
    refused = _relabel(capsys, silver, "-o", output, *model, "--unlabelled", earlier)
    assert refused.code == 2 and "Traceback" not in refused.err
    assert "the output silver.conll is the same file as --unlabelled" in refused.err
    assert earlier.read_bytes() == before and (output / "silver.parquet").exists()
    # Another record format: the earlier run's silver.parquet goes.
    assert _relabel(capsys, silver, "-o", output, *model, "--format", "jsonl").code == 0
    names = {p.name for p in output.iterdir()} - {".lock", "summary.json"}
    assert names == {"silver.conll", "silver.jsonl"}
    assert set(_summary(output)["outputs"].values()) == names


def test_not_a_silver_folder_is_one_line(capsys, tmp_path, favouring) -> None:
    result = _relabel(capsys, tmp_path, "-o", tmp_path / "out", "--model", favouring("O"))
    assert result.code == 2
    assert f"{tmp_path}: not a silver folder: no silver.jsonl or silver.parquet" in result.err


def test_one_round_of_self_training(capsys, tmp_path, silver) -> None:
    """Train on the silver data, relabel it (and unlabelled text) with that tagger, train
    again on the relabelled data: the round a benchmark runs as stages."""
    words = sorted({w for line in SWAHILI + ["Ravi alifika jana ."] for w in line.split()})
    encoder = save_tiny_bert(tmp_path / "encoder", words)
    fast = ("--epochs", "1", "--batch-size", "2", "--learning-rate", "0.003")
    first = tmp_path / "tagger-0"
    trained = xlner_cli(capsys, "train", "tagger", "-o", first, "--train",
                        silver / "silver.conll", "--encoder", encoder, *fast)  # fmt: skip
    assert trained.code == 0, trained.err
    text = _lines(tmp_path / "mafand.sw", ["Ravi alifika jana ."])
    relabelled = tmp_path / "silver-1"
    result = _relabel(capsys, silver, "-o", relabelled, "--model", first, "--threshold", "0.3",
                      "--unlabelled", text, "--keep-empty", "1", "--format", "parquet")  # fmt: skip
    assert result.code == 0, result.err
    summary = _summary(relabelled)
    assert summary["sentences_out"] == 4 and summary["relabel"]["silver"] == 3
    assert summary["outputs"] == {"conll": "silver.conll", "parquet": "silver.parquet"}
    sentences = read_conll(relabelled / "silver.conll", unknown=True)
    assert [s.tokens for s in sentences][:3] == [line.split() for line in SWAHILI]
    second = tmp_path / "tagger-1"
    retrained = xlner_cli(capsys, "train", "tagger", "-o", second, "--train",
                          relabelled / "silver.conll", "--init", first, *fast)  # fmt: skip
    assert retrained.code == 0, retrained.err
    assert TokenTagger.load(second).labels[:3] == ["O", "B-PER", "I-PER"]
