"""Every kind of component on the one registry; the corpus-level projection API.

Projectors, matching scores, solvers, label maps and noise operators are registered by name
and declare their options on their constructors; bad names, options and values are one-line
ComponentErrors, raised by the constructors so that the Python API and configs get them too.
"""

from __future__ import annotations

import math

import pytest

from xlner.align.base import Aligner
from xlner.align.eflomal import EflomalAligner
from xlner.evaluate import evaluate_spans
from xlner.pipeline.sample import load_sample
from xlner.project import HeuristicProjector, make_projector
from xlner.project.corpus import (
    check_link_sets,
    project_bitext,
    project_corpus,
)
from xlner.project.match import (
    AlignmentScore,
    CoverageScore,
    FusionScore,
    GreedySolver,
    MatchProjector,
    StringScore,
    TaggerScore,
    TranslationScore,
    build_score,
    make_match_projector,
    make_score,
)
from xlner.registry import ComponentError, registry
from xlner.types import Link, LinkSets, Span

CATALOGUES = ["projectors", "scores", "solvers", "label_maps", "noise"]


@pytest.mark.parametrize("kind", CATALOGUES)
def test_every_builtin_name_loads_from_its_module(kind):
    catalogue = getattr(registry, kind)
    assert catalogue.available()
    for name in catalogue.available():
        assert catalogue.get(name) is not None  # the listed module registers that name


def test_kinds_by_name():
    assert {"heuristic", "match"} <= set(registry.projectors.available())
    assert {"alignment", "coverage", "string", "tagger", "translation"} <= set(
        registry.scores.available()
    )
    assert {"greedy", "ilp", "dp"} <= set(registry.solvers.available())
    assert registry.label_maps.get("drop-date-misc") == {"DATE": None, "MISC": None}
    assert registry.projectors.get("heuristic") is HeuristicProjector
    assert registry.scores.get("coverage") is CoverageScore
    assert registry.solvers.get("greedy") is GreedySolver
    assert isinstance(make_projector("match"), MatchProjector)


def test_options_are_read_from_the_constructors():
    heuristic = registry.projectors.defaults("heuristic")
    assert heuristic == {
        "merge_distance": 1,
        "length_ratio": 0.8,
        "max_runs": None,
        "filter_single_run": False,
        "links": None,
    }
    assert heuristic["length_ratio"] == HeuristicProjector().length_ratio
    match = registry.projectors.defaults("match")
    assert match["score"] == "alignment" and match["solver"] == "greedy"
    # solver options left unset take the solver's own defaults
    assert registry.solvers.defaults("dp")["limit"] == "none"
    assert make_match_projector(solver="dp").solver.constraints.limit == "none"
    assert make_match_projector().solver.constraints.limit == "at_most"
    assert "overlap" in registry.solvers.options("ilp")
    assert "link_set" in registry.scores.options("coverage")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_projector("nope"), "unknown projection method 'nope'; choose from heur"),
        (lambda: make_projector("heuristic", solver="ilp"), "has no option 'solver'"),
        (lambda: make_projector("heuristic", length_ratio=-1), "length_ratio must be in [0, 1]"),
        (lambda: make_projector("heuristic", length_ratio=math.nan), "length_ratio must be"),
        (lambda: make_projector("match", solver="annealing"), "unknown solver 'annealing'"),
        (lambda: make_projector("match", solver="greedy", overlap="clique"), "no option 'overl"),
        (lambda: make_projector("match", n=0), "must be at least 1, got 0"),
        (lambda: make_projector("match", threshold=math.nan), "threshold must be a number"),
        (lambda: make_projector("match", score="string", threshold=1.01), "above the highest"),
        (lambda: make_projector("match", score="a=1,a=2"), "score 'a' is given twice"),
        (lambda: make_projector("match", score={"alignment": -1}), "weight of 'alignment'"),
        (lambda: make_projector("match", score="alignment=0"), "every score weight is 0"),
        (lambda: make_projector("match", score=""), "no score given"),
        (lambda: make_projector("match", thresholds="string=nan"), "threshold of 'string'"),
        (lambda: make_score("translation"), "score 'translation' needs option 'translator'"),
        (lambda: make_score("bleu"), "unknown score 'bleu'; choose from alignment, coverage"),
        (lambda: make_score("string:union"), "only alignment, coverage take a link set"),
        (lambda: make_score("coverage", {"beta": 0}), "beta > 0"),
        (lambda: registry.label_maps.get("drop-all"), "unknown label map 'drop-all'"),
    ],
)
def test_bad_settings_are_one_line_component_errors(call, message):
    with pytest.raises(ComponentError) as error:
        call()
    assert message in str(error.value) and "\n" not in str(error.value)


def test_threshold_is_checked_against_the_highest_possible_score():
    # alignment: 2 * links / (|e| + |c|) stays below 2 * the longest candidate
    assert AlignmentScore().maximum(10) == 20
    assert StringScore().maximum(10) == CoverageScore().maximum(10) == 1.0
    assert TaggerScore(alpha=1.15).maximum(3) == pytest.approx(1.15**2)
    assert TaggerScore(alpha=0.9).maximum(3) == 1.0
    assert TranslationScore(translator=None).maximum(5) == 1.0  # type: ignore[arg-type]
    assert TranslationScore(translator=None, clip=False).maximum(5) == math.inf  # type: ignore[arg-type]
    fused = FusionScore([AlignmentScore(), StringScore()], {"alignment": 0.5, "string": 2})
    assert fused.maximum(4) == pytest.approx(0.5 * 8 + 2)
    assert make_projector("match", score="alignment=0.5,string=2", threshold=4, max_len=4)
    with pytest.raises(ComponentError, match="above the highest value the score can reach"):
        make_projector("match", score="alignment=0.5,string=2", threshold=6.5, max_len=4)
    # candidates that may grow past max_len bound nothing
    assert make_projector("match", threshold=99, max_len_ratio=1.5)


def test_link_set_names_parse_through_the_registry():
    score = build_score("coverage:simalign=1,coverage:intersection=0.5")
    assert isinstance(score, FusionScore)
    assert [part.name for part in score.scores] == ["coverage:simalign", "coverage:intersection"]
    assert make_projector("match", score="alignment:union").link_sets_used() == {"union"}
    assert HeuristicProjector().link_sets_used() == set()


class ExplodingAligner(Aligner):
    """Fails the test if it is ever asked to align."""

    name = "exploding"

    def align(self, pairs, *, extra_bitext=()):
        raise AssertionError("aligned although the settings were wrong")


def test_missing_link_sets_are_refused_before_aligning():
    english, spanish = load_sample()
    projector = make_projector("match", score="coverage:simalign")
    with pytest.raises(ComponentError, match="link set 'simalign', which aligner 'exploding'"):
        project_bitext(english, [s.tokens for s in spanish], ExplodingAligner(), projector)
    with pytest.raises(ComponentError, match="its link sets: forward, reverse, intersection"):
        check_link_sets(EflomalAligner(), projector)
    check_link_sets(EflomalAligner(), make_projector("match", score="alignment:union"))


def test_project_corpus_refuses_plain_links_for_a_link_set_score():
    projector = make_projector("match", score="coverage:union")
    source, _ = load_sample()
    plain = [[Link(0, 0)] for _ in source]
    with pytest.raises(ComponentError, match="sentence pair 0: no link set 'union'"):
        project_corpus(source, [s.tokens for s in source], plain, projector)
    sets = [LinkSets(links, {"union": links}) for links in plain]
    assert len(project_corpus(source, [s.tokens for s in source], sets, projector)) == len(source)


def test_python_api_carries_link_sets_to_a_fused_score():
    """The README's recipe: named link sets reach the scores (no KeyError)."""
    english, spanish = load_sample()
    targets = [s.tokens for s in spanish]
    projector = make_projector("match", score="coverage:intersection=1,coverage:union=0.5,string=1")
    projected = project_bitext(english, targets, EflomalAligner(), projector)
    assert len(projected) == len(english)
    scores = evaluate_spans(
        [s.spans for s in spanish],
        [[p.span for p in s.projected] for s in projected],
        [len(t) for t in targets],
    )
    assert scores.f1 > 60  # the sample's names are mostly copied


def test_project_bitext_passes_extra_bitext_and_keeps_the_primary_links():
    seen = {}

    class Recorder(Aligner):
        name = "recorder"

        def align(self, pairs, *, extra_bitext=()):
            seen["extra"] = list(extra_bitext)
            return [[Link(i, i) for i in range(min(len(s), len(t)))] for s, t in pairs]

    english, _ = load_sample()
    extra = [(["a"], ["b"])]
    projected = project_bitext(
        english[:2],
        [s.tokens for s in english[:2]],
        Recorder(),
        HeuristicProjector(),
        extra_bitext=extra,
    )
    assert seen["extra"] == extra
    assert projected[0].links == [Link(i, i) for i in range(len(english[0].tokens))]
    assert [p.span for p in projected[0].projected] == [
        Span(s.start, s.end, s.label) for s in english[0].spans
    ]


def test_eflomal_gives_every_symmetrisation_from_one_run():
    english, spanish = load_sample()
    pairs = [(e.tokens, s.tokens) for e, s in zip(english, spanish, strict=True)]
    aligner = EflomalAligner("intersection", n_iterations=4)
    links = aligner.align_sets(pairs)
    assert len(links) == len(pairs)
    for pair in links:
        assert set(pair.named) == set(aligner.link_set_names())
        assert pair == pair.named["intersection"]
        assert set(pair.named["intersection"]) <= set(pair.named["union"])
