"""Silver data scored against gold (``xlner.bench.silver_quality``), on a made-up en-lug."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_fakes import fresh_counters  # noqa: F401 (an autouse fixture)

from xlner.bench.silver_quality import (
    KEEP_ALL,
    empty_rows,
    gold_by_line,
    length_rows,
    selection_rows,
)
from xlner.corpora.conll import write_conll
from xlner.registry import registry
from xlner.silver import Selection, build_silver, read_corpus
from xlner.types import Span, TaggedSentence

PAIRS = {
    "train": [
        ("Anna visits Berlin today .", "Anna agenda Berlin leero."),
        ("the rain fell on us .", "enkuba yatonnya ku ffe ."),
    ],
    "dev": [("we met Omar at home today .", "twasisinkana ne Omar ewaka leero .")],
    "test": [("nothing to see here .", "tewali kya kulaba wano .")],
}
GOLD_TRAIN = [
    # MasakhaNER 2.0 is tokenised: "leero ." where MAFAND-MT has "leero."
    TaggedSentence(
        ["Anna", "agenda", "Berlin", "leero", "."], [Span(0, 1, "PER"), Span(2, 3, "LOC")]
    ),
    TaggedSentence(["Enkuba", "yatonnya", "ku", "ffe", "."], [Span(0, 1, "PER")]),  # for the test
    TaggedSentence(["not", "in", "mafand"], []),
]
GOLD_DEV = [
    TaggedSentence(["twasisinkana", "ne", "Omar", "ewaka", "leero", "."], [Span(2, 3, "PER")])
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "mafand-mt" / "text_files" / "en-lug"
    folder.mkdir(parents=True)
    for split, pairs in PAIRS.items():
        (folder / f"{split}.en").write_text("".join(f"{a}\n" for a, _ in pairs), "utf-8")
        (folder / f"{split}.lug").write_text("".join(f"{b}\n" for _, b in pairs), "utf-8")
    write_conll(tmp_path / "masakhaner2" / "lug" / "train.txt", GOLD_TRAIN)
    write_conll(tmp_path / "masakhaner2" / "lug" / "dev.txt", GOLD_DEV)
    return tmp_path


@pytest.fixture
def result(data: Path, tmp_path: Path):
    return build_silver(
        read_corpus("mafand-mt", "en-lug", data_dir=data),
        registry.taggers.build("test-caps"),
        registry.aligners.build("test-diagonal"),
        registry.projectors.build("heuristic"),
        cache_dir=tmp_path / "cache",
        selection=KEEP_ALL,
    )


def test_gold_is_found_by_mafand_split_and_line(data: Path) -> None:
    gold = gold_by_line("lug", data_dir=data)
    assert gold == {
        ("train", 1): GOLD_TRAIN[0],
        ("train", 2): GOLD_TRAIN[1],
        ("dev", 1): GOLD_DEV[0],
    }


def test_selection_rows_score_the_kept_sentences(data: Path, result) -> None:
    gold = gold_by_line("lug", data_dir=data)
    settings = {"all": KEEP_ALL, "no empties": Selection(keep_empty=0.0, min_length=1)}
    rows = {row["setting"]: row for row in selection_rows(result, gold, settings)}
    everything = rows["all"]
    # Anna PER (right), Berlin PER (gold LOC), Omar PER (right); Enkuba PER missed (the
    # English "the" is not capitalised); the test-split sentence has no gold.
    assert everything["kept"] == 4 and everything["sentences"] == 3
    assert (everything["n_predicted"], everything["n_gold"]) == (3, 4)
    assert everything["precision"] == pytest.approx(200 / 3) and everything["recall"] == 50.0
    assert rows["no empties"]["kept"] == 2 and rows["no empties"]["dropped"] == {"no_entities": 2}
    assert rows["no empties"]["n_gold"] == 3  # the missed Enkuba sentence is gone


def test_length_and_empty_rows(data: Path, result) -> None:
    gold = gold_by_line("lug", data_dir=data)
    lengths = {row["length"]: row["sentences"] for row in length_rows(result, gold)}
    assert lengths["3-5"] == 2 and lengths["6-10"] == 1 and sum(lengths.values()) == 3
    assert empty_rows(result, gold) == {"empty_with_gold": 1, "truly_empty": 0}
