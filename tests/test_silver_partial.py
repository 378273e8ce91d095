"""Partial silver labels (words of unknown label instead of a wrong ``O``) and the corpus-level
consistency pass: the selection settings, the files, and ``xlner silver`` with them.

``test-misc`` tags capitalised words as PER and the words of :data:`MISC` as MISC (which the
default label map drops); ``test-diagonal`` links word i to word i.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from entry_point import xlner_cli
from pipeline_fakes import CALLS, fresh_counters  # noqa: F401 (an autouse fixture)

from xlner.corpora.conll import read_conll, write_conll
from xlner.errors import InputError
from xlner.pipeline.cache import canonical
from xlner.silver import Selection
from xlner.silver.consistency import make_consistent
from xlner.tagging.base import SourceTagger, register_tagger
from xlner.tags import UNKNOWN, TagError, mark_unknown, split_tag, split_unknown
from xlner.types import ProjectedSpan, Span, TaggedSentence

MISC = {"American", "Kenyan"}
FAKES = ("--tagger", "test-misc", "--aligner", "test-diagonal", "--preset", "light")


@register_tagger("test-misc")
class MiscTagger(SourceTagger):
    """Capitalised words are PER, the words of MISC are MISC."""

    name = "test-misc"

    def tag(self, sentences):
        CALLS["tag"] += 1
        return [
            [
                Span(i, i + 1, "MISC" if word in MISC else "PER")
                for i, word in enumerate(sentence)
                if word[:1].isupper()
            ]
            for sentence in sentences
        ]


ENGLISH = [
    "Anna met American Omar .",  # a MISC entity: "Marekani" below
    "Juma saw Ravi there .",
    "the Kenyan team won today .",  # only a MISC entity
]
SWAHILI = [
    "Anna alikutana Marekani Omar .",
    "Juma aliona Ravi huko .",
    "timu Kenya ilishinda mechi leo .",
]


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def bitext(tmp_path: Path) -> tuple[str, ...]:
    english = _lines(tmp_path / "en.txt", ENGLISH)
    swahili = _lines(tmp_path / "sw.txt", SWAHILI)
    return ("--source", str(english), "--target", str(swahili), *FAKES, "--keep-empty", "1")


def _silver(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "silver", "-o", output, *args)


def _summary(output: Path) -> dict:
    return json.loads((output / "summary.json").read_text(encoding="utf-8"))


def _records(output: Path) -> list[dict]:
    lines = (output / "silver.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# ---------------------------------------------------------------------------- the tag


def test_the_unknown_tag_marks_words_and_is_read_back_as_o() -> None:
    tags = ["B-PER", "O", "O", "B-LOC"]
    marked = mark_unknown(tags, [1, 3])
    assert marked == ["B-PER", UNKNOWN, "O", UNKNOWN]
    assert split_unknown(marked) == (["B-PER", "O", "O", "O"], [1, 3])
    with pytest.raises(TagError, match="unknown label"):
        split_tag(UNKNOWN)


def test_conll_files_carry_unknown_words_only_where_a_reader_accepts_them(tmp_path) -> None:
    path = tmp_path / "partial.conll"
    sentence = TaggedSentence(["Anna", "met", "Marekani", "."], [Span(0, 1, "PER")], unknown=[2])
    write_conll(path, [sentence])
    assert path.read_text(encoding="utf-8") == "Anna B-PER\nmet O\nMarekani -\n. O\n\n"
    assert read_conll(path, "auto", unknown=True) == [sentence]
    with pytest.raises(InputError) as refused:  # gold, evaluation: every word labelled
        read_conll(path, "auto")
    assert str(refused.value).startswith(f"{path}:3: tag '-' marks a word of unknown label")


# ---------------------------------------------------------------------------- the selection


def test_the_selection_keys_of_the_defaults_are_as_before() -> None:
    # Silver stage keys (xlner benchmark silver, the shards) hash Selection.as_dict(): the
    # fields added for partial labels and consistency must leave it alone at their defaults.
    before = {
        "require_all": True,
        "min_score": 0.0,
        "keep_empty": 0.1,
        "min_length": 3,
        "max_length": 100,
        "seed": 0,
    }
    assert Selection().as_dict() == before
    assert canonical(Selection().as_dict()) == canonical(before)
    masked = Selection(dropped_class="mask", consistency=0.8).as_dict()
    assert masked == before | {"dropped_class": "mask", "consistency": 0.8}


def test_a_dropped_class_entity_keeps_drops_or_masks_its_sentence() -> None:
    person, misc = Span(0, 1, "PER"), Span(2, 3, "MISC")
    found = [ProjectedSpan(Span(0, 1, "PER"), person)]
    assert Selection().choose([person], found, "s", [misc]) == (found, None)
    assert Selection(dropped_class="drop").choose([person], found, "s", [misc]) == (
        [],
        "dropped_class",
    )
    assert Selection(dropped_class="drop").choose([person], found, "s", []) == (found, None)
    masking = Selection(dropped_class="mask")

    def linked(entity):
        return {entity.start}

    assert masking.unknown_words([person], found, [{2}, {0, 3}], linked, 5) == [2, 3]
    assert Selection().unknown_words([person], found, [{2}], linked, 5) == []


def test_unprojected_entities_mask_their_linked_words_or_the_sentence() -> None:
    person, place = Span(0, 1, "PER"), Span(3, 5, "LOC")
    kept = [ProjectedSpan(Span(0, 1, "PER"), person)]

    def linked(entity):
        return {1, 2} if entity == place else set()

    partial = Selection(require_all=False, unprojected="mask")
    assert partial.unknown_words([person, place], kept, [], linked, 5) == [1, 2]
    whole = Selection(require_all=False, unprojected="mask-sentence")
    assert whole.unknown_words([person, place], kept, [], linked, 5) == [1, 2, 3, 4]
    assert whole.unknown_words([person], kept, [], linked, 5) == []  # nothing lost
    with pytest.raises(ValueError, match="turn require_all off"):
        Selection(unprojected="mask")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dropped_class": "keep"}, "dropped_class is one of outside, drop, mask, not 'keep'"),
        ({"consistency": 0.5}, "consistency is 0 (off) or a share above 0.5 up to 1, not 0.5"),
        ({"consistency_action": "x"}, "consistency_action is one of label, mask, not 'x'"),
        ({"consistency_min_count": 0}, "consistency_min_count must be at least 1, not 0"),
    ],
)
def test_bad_partial_label_settings(fields, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Selection(**fields)


# ---------------------------------------------------------------------------- xlner silver


def test_dropped_class_outside_drop_and_mask_through_the_cli(capsys, tmp_path, bitext) -> None:
    plain = tmp_path / "plain"
    assert _silver(capsys, plain, *bitext).code == 0
    assert "Marekani O\n" in (plain / "silver.conll").read_text(encoding="utf-8")
    assert "dropped_class" not in _summary(plain)["dropped"]  # the summary of old
    assert "unknown_words" not in _summary(plain)

    dropped = tmp_path / "drop"
    assert _silver(capsys, dropped, *bitext, "--dropped-class", "drop").code == 0
    assert _summary(dropped)["dropped"]["dropped_class"] == 2
    assert [r["id"].split(":")[-1] for r in _records(dropped)] == ["2"]

    masked = tmp_path / "mask"
    result = _silver(capsys, masked, *bitext, "--dropped-class", "mask")
    assert result.code == 0, result.err
    text = (masked / "silver.conll").read_text(encoding="utf-8")
    assert "Anna B-PER\nalikutana O\nMarekani -\nOmar B-PER\n" in text
    assert "Kenya -\n" in text
    records = _records(masked)
    assert records[0]["tags"] == ["B-PER", "O", UNKNOWN, "B-PER", "O"]
    assert _summary(masked)["unknown_words"] == 2
    assert _summary(masked)["selection"]["dropped_class"] == "mask"
    training = read_conll(masked / "silver.conll", unknown=True)
    assert [s.unknown for s in training] == [[2], [], [1]]


def test_unprojected_mask_through_the_cli(capsys, tmp_path, bitext) -> None:
    # Every projection scores below 1.5: all entities are lost, their (diagonal) words masked.
    args = (*bitext, "--allow-partial", "--min-score", "1.5")
    masked = tmp_path / "mask"
    assert _silver(capsys, masked, *args, "--unprojected", "mask").code == 0
    assert _records(masked)[1]["tags"] == [UNKNOWN, "O", UNKNOWN, "O", "O"]
    whole = tmp_path / "whole"
    assert _silver(capsys, whole, *args, "--unprojected", "mask-sentence").code == 0
    assert _records(whole)[1]["tags"] == [UNKNOWN] * 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unprojected", "mask"), "unprojected mask marks the words of entities"),
        (("--dropped-class", "mask", "--export", "hf"), "--export: the hf and spacy exports"),
        (("--consistency", "0.3"), "consistency is 0 (off) or a share above 0.5"),
        (("--consistency", "0.8", "--shard-size", "2"), "--consistency looks at all the"),
        (("--place-names", "label"), "--place-names needs the target language: give --lang"),
        (("--place-names", "label", "--lang", "fon"), "--place-names: CLDR (babel"),
        (("--place-names", "all"), "Invalid value for '--place-names'"),
    ],
)
def test_bad_partial_label_options_are_one_line_errors(
    capsys, tmp_path, bitext, args, message
) -> None:
    result = _silver(capsys, tmp_path / "out", *bitext, *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "out" / "silver.conll").exists()


def test_export_of_partial_labels_is_refused_in_one_line(capsys, tmp_path) -> None:
    path = tmp_path / "partial.conll"
    write_conll(path, [TaggedSentence(["Anna", "Marekani"], [Span(0, 1, "PER")], unknown=[1])])
    for fmt, target in (("hf", tmp_path / "out.hf"), ("spacy", tmp_path / "out.spacy")):
        result = xlner_cli(capsys, "export", path, "--to", fmt, "-o", target)
        assert result.code == 2
        assert f"{path}:2: tag '-' marks a word of unknown label" in result.err
        assert not target.exists()


# ---------------------------------------------------------------------------- consistency


def _sentence(text: str, *spans: tuple[int, int, str], unknown=()) -> TaggedSentence:
    return TaggedSentence(text.split(), [Span(*s) for s in spans], unknown=list(unknown))


def test_consistency_labels_a_name_as_most_of_its_occurrences() -> None:
    sentences = [
        _sentence("Marekani ni nchi", (0, 1, "LOC")),
        _sentence("tulienda Marekani jana", (1, 2, "LOC")),
        _sentence("Marekani iko mbali", (0, 1, "LOC")),
        _sentence("watu wa Marekani", unknown=[2]),  # masked (MISC American): neutral
        _sentence("Marekani ilishinda", (0, 1, "ORG")),
        _sentence("nchi ya Marekani Kusini", (2, 4, "LOC")),  # inside a longer name: none
        _sentence(
            "tuliona Marekani",
        ),
    ]
    result = make_consistent(sentences, 0.6, min_count=3)
    # 3 LOC, 1 ORG, 1 O: LOC in 3 of 5 occurrences that count.
    assert result.decisions[("Marekani",)].label == "LOC"
    assert result.decisions[("Marekani",)].share == pytest.approx(0.6)
    after = result.sentences
    assert after[3].spans == [Span(2, 3, "LOC")] and after[3].unknown == []
    assert after[4].spans == [Span(0, 1, "LOC")]
    assert after[5].spans == [Span(2, 4, "LOC")]
    assert after[6].spans == [Span(1, 2, "LOC")]
    assert result.changes == {"added": 2, "relabelled": 1}
    assert sentences[6].spans == []  # the input is left alone
    assert make_consistent(sentences, 0.7, min_count=3).decisions == {}  # 0.6 < 0.7
    assert make_consistent(sentences, 0.6, min_count=4).decisions == {}  # 3 < 4


def test_consistency_can_mask_instead() -> None:
    sentences = [_sentence("Juma alikuja", (0, 1, "PER"))] * 3 + [_sentence("Juma na Ali")]
    result = make_consistent(sentences, 0.7, action="mask")
    assert result.sentences[3].spans == [] and result.sentences[3].unknown == [0]
    assert result.changes == {"masked": 1}


def test_consistency_through_the_cli(capsys, tmp_path) -> None:
    # "Omar" is tagged in three sentences; in the fourth the source has no name to project.
    english = ["Omar came home .", "we saw Omar .", "Omar left early .", "he met someone there ."]
    swahili = ["Omar alikuja nyumbani .", "sisi tuliona Omar .", "Omar aliondoka mapema .",
               "alikutana na Omar huko ."]  # fmt: skip
    source, target = _lines(tmp_path / "en.txt", english), _lines(tmp_path / "sw.txt", swahili)
    args = ("--source", source, "--target", target, *FAKES, "--keep-empty", "1")
    plain, consistent = tmp_path / "plain", tmp_path / "consistent"
    assert _silver(capsys, plain, *args).code == 0
    assert _records(plain)[3]["tags"] == ["O"] * 5
    assert "consistency" not in _summary(plain)
    result = _silver(capsys, consistent, *args, "--consistency", "0.7")
    assert result.code == 0, result.err
    record = _records(consistent)[3]
    assert record["tags"] == ["O", "O", "B-PER", "O", "O"]
    assert record["entities"][0]["source"] is None
    assert record["entities"][0]["score"] == pytest.approx(0.75)
    assert _summary(consistent)["consistency"] == {
        "surfaces": 1,
        "added": 1,
        "relabelled": 0,
        "masked": 0,
    }
    assert _summary(consistent)["entities"] == {"PER": 4}
    unmet = tmp_path / "unmet"
    options = ("--consistency", "0.7", "--consistency-min-count", "4")
    assert _silver(capsys, unmet, *args, *options).code == 0
    assert _records(unmet)[3]["tags"] == ["O"] * 5


def test_partial_labels_in_shards_are_those_of_one_job(capsys, tmp_path, bitext) -> None:
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert _silver(capsys, whole, *bitext, "--dropped-class", "mask").code == 0
    args = (*bitext, "--dropped-class", "mask", "--shard-size", "2")
    result = _silver(capsys, sharded, *args)
    assert result.code == 0, result.err
    for name in ("silver.conll", "silver.jsonl"):
        assert (sharded / name).read_bytes() == (whole / name).read_bytes()
    assert _summary(sharded)["unknown_words"] == _summary(whole)["unknown_words"] == 2


# ---------------------------------------------------------------------------- place names


def test_place_names_label_or_mask_only_words_outside_every_span() -> None:
    from xlner.silver.places import mark_places

    names = {("Marekani",), ("Kenya",), ("Afrika", "Kusini"), ("Afrika",)}
    sentence = _sentence(
        "Rais wa Marekani na Afrika Kusini alikwenda Kenya Airways Kenya", (7, 9, "ORG"),
        unknown=[9],
    )  # fmt: skip
    labelled, marked = mark_places(sentence, names, "label")
    # The longest name first; a name inside a span or on a word of unknown label is left.
    assert labelled.spans == [Span(2, 3, "LOC"), Span(4, 6, "LOC"), Span(7, 9, "ORG")]
    assert marked == 2 and labelled.unknown == [9]
    masked, marked = mark_places(sentence, names, "mask")
    assert masked.spans == sentence.spans and masked.unknown == [2, 4, 5, 9] and marked == 2
    assert sentence.spans == [Span(7, 9, "ORG")] and sentence.unknown == [9]  # not changed


def test_cldr_place_names_by_language() -> None:
    from xlner.registry import ComponentError
    from xlner.silver.places import cldr_place_names

    assert ("Marekani",) in cldr_place_names("swa") and ("Marekani",) in cldr_place_names("sw")
    assert ("Amɛrika",) in cldr_place_names("twi")  # filed under Akan in CLDR
    # Not the world, a common noun, nor the organisations CLDR lists among its territories.
    assert ("dunia",) not in cldr_place_names("swa")
    assert ("Umoja", "wa", "Mataifa") not in cldr_place_names("swa")
    # Ewe's names end with "nutome" (land), which running text leaves out: both forms.
    assert {("Ghana", "nutome"), ("Ghana",)} <= cldr_place_names("ewe")
    assert ("Amerika", "Kaskazini") in cldr_place_names("swa")  # no generic head there
    assert ("Amerika",) in cldr_place_names("swa")  # its own entry, not a stripped one
    with pytest.raises(ComponentError, match="has no place names in 'fon'"):
        cldr_place_names("fon")


def test_place_names_through_the_cli(capsys, tmp_path, bitext) -> None:
    from xlner.silver.places import cldr_place_names

    # The source tagger's MISC ("American", "Kenyan") is dropped: "Marekani" and "Kenya" are O.
    args = (*bitext, "--lang", "swa")
    labelled = tmp_path / "label"
    result = _silver(capsys, labelled, *args, "--place-names", "label")
    assert result.code == 0, result.err
    text = (labelled / "silver.conll").read_text(encoding="utf-8")
    assert "Marekani B-LOC\n" in text and "Kenya B-LOC\n" in text
    (place,) = [e for e in _records(labelled)[0]["entities"] if e["text"] == "Marekani"]
    assert place["source"] is None and place["score"] == 1.0  # a name list's, no source
    summary = _summary(labelled)
    assert summary["place_names"] == 2 and summary["selection"]["place_names"] == "label"
    assert summary["place_name_list"]["names"] == len(cldr_place_names("swa"))
    masked = tmp_path / "mask"
    assert _silver(capsys, masked, *args, "--place-names", "mask").code == 0
    assert [s.unknown for s in read_conll(masked / "silver.conll", unknown=True)] == [[2], [], [1]]
    # In shards, the same silver data.
    sharded = tmp_path / "sharded"
    shards = ("--place-names", "label", "--shard-size", "2")
    assert _silver(capsys, sharded, *args, *shards).code == 0
    assert (sharded / "silver.jsonl").read_bytes() == (labelled / "silver.jsonl").read_bytes()
    assert _summary(sharded)["place_names"] == 2
    # A sentence whose only name is a place is kept, beyond the share of empty sentences.
    strict, plain_strict = tmp_path / "strict", tmp_path / "plain-strict"
    assert _silver(capsys, plain_strict, *args, "--keep-empty", "0").code == 0
    assert _summary(plain_strict)["dropped"]["no_entities"] == 1
    assert _silver(capsys, strict, *args, "--keep-empty", "0", "--place-names", "label").code == 0
    assert _summary(strict)["dropped"]["no_entities"] == 0
    assert "timu O\nKenya B-LOC\n" in (strict / "silver.conll").read_text(encoding="utf-8")
    masked_strict = tmp_path / "mask-strict"
    assert (
        _silver(capsys, masked_strict, *args, "--keep-empty", "0", "--place-names", "mask").code
        == 0
    )
    assert _summary(masked_strict)["dropped"]["no_entities"] == 1  # unknown words are no name
    # Off (the default): neither the summary nor the selection's key changes.
    plain = tmp_path / "plain"
    assert _silver(capsys, plain, *args).code == 0
    assert "place_names" not in _summary(plain) and "place_names" not in Selection().as_dict()


def test_place_names_without_babel_is_a_one_line_error(capsys, tmp_path, bitext, monkeypatch):
    import sys

    from xlner.silver.places import cldr_place_names

    cldr_place_names.cache_clear()
    monkeypatch.setitem(sys.modules, "babel", None)  # as if it were not installed
    try:
        result = _silver(
            capsys, tmp_path / "out", *bitext, "--lang", "swa", "--place-names", "label"
        )
    finally:
        cldr_place_names.cache_clear()
    assert result.code == 2
    assert "pip install 'xlner[places]'" in result.err and "Traceback" not in result.err
