"""The ensemble tagger (label probabilities of several taggers averaged, labels mapped by name)
and span voting, on tiny random taggers built locally."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import pipeline_fakes  # noqa: E402, F401 (the test-diagonal aligner)
from entry_point import xlner_cli  # noqa: E402
from tiny_models import save_tiny_bert  # noqa: E402

from xlner.corpora.conll import read_conll  # noqa: E402
from xlner.registry import ComponentError, registry  # noqa: E402
from xlner.tagging import TokenTagger  # noqa: E402
from xlner.tagging.ensemble import ProbabilityEnsemble, vote_spans  # noqa: E402
from xlner.types import Span  # noqa: E402

WORDS = ["Juma", "Nakato", "Kampala", "Bank", "lives", "in", "works", "at", "."]
SENTENCES = [["Juma", "lives", "in", "Kampala", "."], ["Nakato", "works", "at", "Bank"]]
PER_LOC = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
PER_ORG = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.fixture(scope="module")
def taggers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three saved taggers on one tiny encoder: two label sets, random classifiers."""
    root = tmp_path_factory.mktemp("ensemble")
    encoder = save_tiny_bert(root / "encoder", WORDS)
    found = {}
    for name, labels, seed in (("a", PER_LOC, 1), ("b", PER_ORG, 2), ("c", PER_LOC, 3)):
        tagger = TokenTagger.from_encoder(encoder, labels, device="cpu", seed=seed)
        found[name] = tagger.save(root / name)
    return found


def _load(path: Path) -> TokenTagger:
    return TokenTagger.load(path, device="cpu", precision="float32")


def test_the_ensemble_averages_its_members_probabilities_by_label(taggers) -> None:
    a, b = _load(taggers["a"]), _load(taggers["b"])
    ensemble = ProbabilityEnsemble([a, b], ["a", "b"])
    assert ensemble.labels == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    mine = ensemble.predict_proba(SENTENCES)
    theirs = a.predict_proba(SENTENCES), b.predict_proba(SENTENCES)
    for index, rows in enumerate(mine):
        for column, label in enumerate(ensemble.labels):
            expected = [
                probabilities[index][:, member.labels.index(label)]
                if label in member.labels
                else np.zeros(len(SENTENCES[index]))  # a member without the class: 0 there
                for member, probabilities in zip((a, b), theirs, strict=True)
            ]
            assert np.allclose(rows[:, column], np.mean(expected, axis=0), atol=1e-6)
        assert np.allclose(rows.sum(axis=1), 1.0, atol=1e-5)
    weighted = ProbabilityEnsemble([a, b], ["a", "b"], [3, 1]).predict_proba(SENTENCES)
    person = ensemble.labels.index("B-PER")
    expected = 0.75 * theirs[0][0][:, 3] + 0.25 * theirs[1][0][:, 3]
    assert np.allclose(weighted[0][:, person], expected, atol=1e-6)
    spans = ensemble.predict_spans(SENTENCES)
    tags = ensemble.predict(SENTENCES)
    assert [len(t) for t in tags] == [5, 4] and len(spans) == 2


def test_members_with_other_classes_are_refused_by_name_when_asked(taggers) -> None:
    a, b = _load(taggers["a"]), _load(taggers["b"])
    with pytest.raises(ComponentError, match="ensemble member 'b' has the classes ORG, PER"):
        ProbabilityEnsemble([a, b], ["a", "b"], labels="same")
    same = ProbabilityEnsemble([a, _load(taggers["c"])], ["a", "c"], labels="same")
    assert same.labels == PER_LOC


def test_a_member_whose_labels_cannot_be_mapped_is_named(taggers, tmp_path) -> None:
    bioes = tmp_path / "bioes"
    tagger = _load(taggers["a"])
    tagger.labels = ["O", "S-PER", "B-PER", "I-PER", "E-PER"]
    tagger.save(bioes)
    with pytest.raises(ComponentError, match="ensemble member 'bioes': label 'S-PER' is not"):
        registry.taggers.build("ensemble", members=[str(taggers["a"]), str(bioes)])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"members": "a"}, "members is a list of tagger names or directories"),
        ({"members": ["a"]}, "an ensemble needs at least two members"),
        ({"weights": [1]}, "1 weights for 2 ensemble members"),
        ({"weights": [0, 0]}, "ensemble weights are 0 or more, not all 0"),
        ({"labels": "any"}, "labels is one of union, same, not 'any'"),
    ],
)
def test_bad_ensemble_options(taggers, options, message) -> None:
    given = {"members": ["a", "b"]} | options
    if isinstance(given["members"], list):
        given["members"] = [str(taggers[name]) for name in given["members"]]
    with pytest.raises(ComponentError, match=message):
        registry.taggers.build("ensemble", **given)


def test_the_ensemble_is_a_source_tagger_by_name(taggers) -> None:
    members = [str(taggers["a"]), str(taggers["b"])]
    tagger = registry.taggers.build("ensemble", members=members, weights=[2, 1], device="cpu")
    expected = ProbabilityEnsemble(
        [_load(taggers["a"]), _load(taggers["b"])], ["a", "b"], [2, 1]
    ).predict_spans(SENTENCES)
    assert tagger.tag(SENTENCES) == expected
    signature = tagger.signature()
    assert signature["method"] == "ensemble" and signature["weights"] == [2.0, 1.0]
    assert [m["model"] for m in signature["members"]] == ["a", "b"]
    assert all(len(m["content"]) == 16 for m in signature["members"])


def test_xlner_tag_with_several_models_tags_with_their_ensemble(capsys, tmp_path, taggers):
    text = tmp_path / "in.txt"
    text.write_text("".join(" ".join(s) + "\n" for s in SENTENCES), encoding="utf-8")
    output = tmp_path / "out.conll"
    models = ("--model", taggers["a"], "--model", taggers["b"])
    result = xlner_cli(capsys, "tag", text, "-o", output, *models, "--weight", "1", "--weight", "2")
    assert result.code == 0, result.err
    members = [_load(taggers["a"]), _load(taggers["b"])]
    expected = ProbabilityEnsemble(members, ["a", "b"], [1, 2]).predict_spans(SENTENCES)
    assert [s.spans for s in read_conll(output)] == expected


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--weight", "1"), "--weight weighs the taggers of an ensemble"),
        (("--model", "{a}", "--model", "{missing}"), "is not an xlner tagger (does not exist)"),
        (("--model", "{a}", "--model", "{a}", "--weight", "1"), "1 weights for 2 ensemble"),
    ],
)
def test_bad_ensembles_in_xlner_tag_are_one_line_errors(capsys, tmp_path, taggers, extra, message):
    text = tmp_path / "in.txt"
    text.write_text("Juma lives\n", encoding="utf-8")
    paths = {"a": taggers["a"], "missing": tmp_path / "none"}
    args = [str(arg).format(**paths) for arg in extra]
    result = xlner_cli(capsys, "tag", text, "-o", tmp_path / "out.conll", *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "out.conll").exists()


def test_the_ensemble_tags_the_source_side_of_xlner_silver(capsys, tmp_path, taggers) -> None:
    english = tmp_path / "en.txt"
    swahili = tmp_path / "sw.txt"
    english.write_text("Juma lives in Kampala .\nNakato works at Bank .\n", encoding="utf-8")
    swahili.write_text("Juma anaishi Kampala leo .\nNakato anafanya kazi Bank .\n", "utf-8")
    members = json.dumps([str(taggers["a"]), str(taggers["b"])])
    output = tmp_path / "silver"
    result = xlner_cli(
        capsys, "silver", "-o", output, "--source", english, "--target", swahili,
        "--tagger", "ensemble", "--tagger-option", f"members={members}",
        "--tagger-option", "device='cpu'", "--aligner", "test-diagonal", "--preset", "light",
        "--keep-empty", "1",
    )  # fmt: skip
    assert result.code == 0, result.err
    summary = json.loads((output / "summary.json").read_text(encoding="utf-8"))
    assert summary["tagger"]["method"] == "ensemble"
    assert (output / "silver.conll").is_file()


# ---------------------------------------------------------------------------- span voting


def test_span_voting() -> None:
    tagger = [Span(0, 1, "PER"), Span(3, 5, "LOC")]
    projection = [Span(0, 1, "PER"), Span(3, 4, "LOC"), Span(6, 7, "ORG")]
    assert vote_spans([tagger, projection], min_share=1.0) == [Span(0, 1, "PER")]
    # Either system's spans; where they conflict, the first system's.
    assert vote_spans([tagger, projection]) == tagger + [Span(6, 7, "ORG")]
    assert vote_spans([projection, tagger]) == projection
    # Weights: the heavier system wins conflicts and alone reaches the share.
    heavy = vote_spans([tagger, projection], weights=[1, 3], min_share=0.6)
    assert heavy == [Span(0, 1, "PER"), Span(3, 4, "LOC"), Span(6, 7, "ORG")]
    third = [Span(3, 5, "LOC")]
    assert vote_spans([tagger, projection, third], min_share=2 / 3) == tagger
    with pytest.raises(ValueError, match="2 weights for 3 systems"):
        vote_spans([tagger, projection, third], weights=[1, 1])
