"""Named link sets (LinkSets), the scores that read them, the coverage score, and the
Europarl benchmark's use of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xlner.align.symmetrize import METHODS
from xlner.bench import europarl
from xlner.presets import build_preset, load_preset
from xlner.project.corpus import signature_fields
from xlner.project.heuristic import HeuristicProjector
from xlner.project.match import (
    AlignmentScore,
    Candidate,
    CoverageScore,
    MatchContext,
    MatchProjector,
    make_match_projector,
    make_score,
)
from xlner.registry import registry
from xlner.signature import make_signature
from xlner.types import Link, LinkSets, Span


def ctx(
    src: list[str],
    spans: list[Span],
    tgt: list[str],
    links: list[Link],
    cands: list[Candidate],
    **named: list[Link],
) -> MatchContext:
    return MatchContext(src, spans, tgt, LinkSets(links, named), cands)


# --- LinkSets --------------------------------------------------------------------------------


def test_link_sets_is_the_list_of_primary_links() -> None:
    inter, union = [Link(0, 0)], [Link(0, 0), Link(0, 1)]
    links = LinkSets.of({"intersection": inter, "union": union}, "intersection")
    assert links == inter and list(links) == inter and len(links) == 1
    assert links.named == {"intersection": inter, "union": union}
    assert LinkSets.wrap(inter).named == {} and LinkSets.wrap(links) is links
    assert links.select(None) is links and links.select("union") == union
    assert links.only(["union"]).named == {"union": union} and links.only([]) == inter
    assert "union" in repr(links)
    with pytest.raises(KeyError, match="no link set 'gdfa'"):
        LinkSets.of({"union": union}, "gdfa")


def test_context_links_for() -> None:
    c = ctx(["a"], [Span(0, 1, "X")], ["b"], [Link(0, 0)], [Candidate(0, 1)], union=[])
    assert c.links_for(None) == [Link(0, 0)] and c.links_for("union") == []
    with pytest.raises(KeyError, match="named sets: union"):
        c.links_for("simalign")


def test_alignment_score_reads_a_named_link_set() -> None:
    src, tgt = ["European", "Union"], ["Unión", "Europea"]
    spans, cands = [Span(0, 2, "ORG")], [Candidate(0, 1), Candidate(0, 2)]
    c = ctx(src, spans, tgt, [Link(1, 0)], cands, union=[Link(1, 0), Link(0, 1)])
    np.testing.assert_allclose(AlignmentScore().score(c), [[2 / 3, 2 / 4]])
    np.testing.assert_allclose(AlignmentScore("union").score(c), [[2 / 3, 1.0]])
    assert AlignmentScore("union").name == "alignment:union"
    assert AlignmentScore().signature() == {"score": "alignment"}
    assert AlignmentScore("union").signature()["alignment:union.links"] == "union"


def test_make_score_parses_link_set_names() -> None:
    score = make_score("coverage:simalign", {"unaligned": 0.5})
    assert isinstance(score, CoverageScore) and score.link_set == "simalign"
    assert score.unaligned == 0.5 and score.name == "coverage:simalign"
    assert isinstance(make_score("alignment:union"), AlignmentScore)
    for bad in ("string:union", "alignment:", "nonsense:x"):
        with pytest.raises(ValueError, match="link set"):
            make_score(bad)


# --- coverage --------------------------------------------------------------------------------


def test_coverage_unaligned_words_cost_less_than_words_aligned_elsewhere() -> None:
    # "competition policy" -> "política de la competencia"; "de" aligned to nothing, "la"
    # aligned to the source word "the" outside the entity.
    src = ["the", "competition", "policy"]
    tgt = ["política", "de", "la", "competencia"]
    links = [Link(2, 0), Link(1, 3), Link(0, 2)]
    cands = [Candidate(0, 4), Candidate(0, 1), Candidate(3, 4)]
    got = CoverageScore(unaligned=0.25).score(ctx(src, [Span(1, 3, "MISC")], tgt, links, cands))
    precision = 2 / (2 + 1 + 0.25)  # 2 hits, "la" a miss, "de" a quarter of one
    whole = 2 * precision / (precision + 1)
    np.testing.assert_allclose(got, [[whole, 2 * 0.5 / 1.5, 2 * 0.5 / 1.5]])
    assert got[0, 0] > got[0, 1]  # the whole name wins, unlike with AlignmentScore
    alignment = AlignmentScore().score(ctx(src, [Span(1, 3, "MISC")], tgt, links, cands))
    assert alignment[0, 0] == pytest.approx(alignment[0, 1])


def test_coverage_recall_over_links_or_words() -> None:
    # "UK" -> "Vereinigte Königreich": one word, two links.
    src, tgt = ["the", "UK"], ["das", "Vereinigte", "Königreich"]
    links = [Link(0, 0), Link(1, 1), Link(1, 2)]
    cands = [Candidate(1, 2), Candidate(1, 3)]
    c = ctx(src, [Span(1, 2, "LOC")], tgt, links, cands)
    by_links = CoverageScore(recall="links").score(c)
    np.testing.assert_allclose(by_links, [[2 * 0.5 / 1.5, 1.0]])
    by_words = CoverageScore(recall="words").score(c)
    np.testing.assert_allclose(by_words, [[1.0, 1.0]])


def test_coverage_unlinked_entity_words_and_empty_cases() -> None:
    src, tgt = ["Mr", "Kumar", "Ponnambalam"], ["Kumar", "Ponnambalam"]
    spans = [Span(1, 3, "PER"), Span(0, 1, "PER")]
    c = ctx(src, spans, tgt, [Link(2, 1)], [Candidate(1, 2), Candidate(0, 2)])
    got = CoverageScore(unaligned=0.25, unlinked=0.5).score(c)
    recall = 1 / (1 + 0.5)  # "Kumar" has no link: half a miss
    np.testing.assert_allclose(got[0, 0], 2 * recall / (recall + 1))
    np.testing.assert_allclose(got[0, 1], 2 * recall * (1 / 1.25) / (recall + 1 / 1.25))
    np.testing.assert_allclose(got[1], [0.0, 0.0])  # no links at all: 0, not nan
    assert CoverageScore().score(ctx(src, [], tgt, [], [Candidate(0, 1)])).shape == (0, 1)
    assert np.isfinite(got).all() and (got >= 0).all() and (got <= 1).all()


def test_coverage_beta_and_validation() -> None:
    src, tgt = ["a", "b"], ["x", "y", "z"]
    links = [Link(0, 0), Link(1, 1)]
    c = ctx(src, [Span(0, 2, "X")], tgt, links, [Candidate(0, 1)])
    # precision 1, recall 1/2
    f2 = CoverageScore(beta=2.0).score(c)[0, 0]
    assert f2 == pytest.approx(5 * 0.5 / (4 + 0.5))
    with pytest.raises(ValueError):
        CoverageScore(unaligned=-1)
    with pytest.raises(ValueError):
        CoverageScore(recall="chars")  # type: ignore[arg-type]
    sig = CoverageScore("union").signature()
    assert sig["score"] == "coverage:union" and sig["coverage:union.recall"] == "links"


# --- projector ---------------------------------------------------------------------------------


def test_projector_fuses_two_link_sets() -> None:
    src = ["the", "Structural", "Funds", "."]
    tgt = ["los", "Fondos", "estructurales", "."]
    inter = [Link(1, 2)]
    union = [Link(1, 2), Link(2, 1), Link(0, 0)]
    links = LinkSets.of({"intersection": inter, "union": union}, "intersection")
    spans = [Span(1, 3, "MISC")]
    only_inter = make_match_projector("coverage", "greedy")
    assert [p.span for p in only_inter.project(src, spans, tgt, links)] == [Span(2, 3, "MISC")]
    both = make_match_projector("coverage:intersection=1,coverage:union=1", "ilp")
    assert both.link_sets_used() == {"intersection", "union"}
    assert [p.span for p in both.project(src, spans, tgt, links)] == [Span(1, 3, "MISC")]
    assert only_inter.link_sets_used() == set()
    with pytest.raises(KeyError, match="no link set"):
        both.project(src, spans, tgt, inter)  # a plain list has no named sets


def test_make_match_projector_new_options() -> None:
    projector = make_match_projector(
        "coverage:simalign",
        score_options={"coverage:simalign": {"unaligned": 0.1}},
        entity_punctuation=True,
        max_len_ratio=2.0,
    )
    sig = projector.signature()
    assert sig["coverage:simalign.unaligned"] == 0.1
    assert sig["entity_punctuation"] is True and sig["max_len_ratio"] == 2.0
    assert projector.link_sets_used() == {"simalign"}


# --- the Europarl benchmark --------------------------------------------------------------------


def test_presets_and_labels() -> None:
    embedding = europarl.preset_projectors("embedding")
    heuristic = embedding["heuristic(s)"]
    assert isinstance(heuristic.projector, HeuristicProjector) and heuristic.links == "simalign"
    assert all("simalign" in embedding[name].link_sets() for name in SETTINGS_EMBEDDING)
    assert list(europarl.preset_projectors("all")) == [
        *europarl.preset_projectors("heuristic"),
        *europarl.preset_projectors("match"),
    ]
    match = [setup.projector for setup in europarl.preset_projectors("match").values()]
    assert all(isinstance(p, MatchProjector) for p in match)
    used = set().union(*(p.link_sets_used() for p in match))  # type: ignore[union-attr]
    assert used == {"intersection", "union"}
    aligner = europarl.benchmark_aligner()
    label = europarl._aligner_label
    assert label(aligner, {"union", "intersection"}) == "eflomal/intersection,union"
    assert label(aligner, {"simalign", "intersection"}) == "simalign+eflomal/intersection"
    assert label(aligner, {"eflomal"}) == "eflomal"
    setup = europarl.Setup(HeuristicProjector())
    assert europarl._primaries(setup, ["union", "forward"], "simalign") == ["union", "forward"]
    with pytest.raises(ValueError, match="unknown preset"):
        europarl.preset_projectors("fast")


SETTINGS_EMBEDDING = europarl.SETTINGS["projectors"]["embedding"]


def test_benchmark_rows_of_the_presets_are_what_xlner_project_runs() -> None:
    """``preset default`` and ``preset light``: the shipped presets, their signatures those
    of ``xlner project --preset NAME``; rows derived from a preset keep its other settings."""
    aligner = europarl.benchmark_aligner()
    shipped = europarl.preset_projectors()  # the benchmark's default rows
    assert list(shipped) == ["preset default", "preset light"]
    for name, preset in (("preset default", "default"), ("preset light", "light")):
        setup = europarl.place(name, shipped[name], aligner)
        primary = europarl._primaries(setup, METHODS, aligner.primary)
        assert len(primary) == 1  # one row, not one per symmetrisation
        row = europarl._new_row(aligner, primary[0], name, setup)
        signed = {"corpus": "europarl-ner", **signature_fields(*build_preset(preset))}
        assert row.signature.full == make_signature(signed).full
    # the light preset's eflomal is the default's member: its links, not a second eflomal run
    assert europarl.place("light", shipped["preset light"], aligner).links == "eflomal"
    derived = europarl.preset_projectors("embedding")["match/coverage(s+i)/ilp"]
    assert derived.aligner is None  # the benchmark's aligner
    default = shipped["preset default"].projector.signature()
    derived_signature = derived.projector.signature()
    assert {k: derived_signature[k] for k in default} == default | {"solver": "ilp"}


def test_a_preset_row_on_another_aligner() -> None:
    light = europarl.preset_projectors()["preset light"]
    other = europarl.benchmark_aligner(registry.aligners.build("eflomal", n_iterations=2))
    placed = europarl.place("light", light, other)
    assert placed.links == f"{europarl.OWN_LINKS}light" and placed.aligner is light.aligner
    default = europarl.preset_projectors()["preset default"]
    with pytest.raises(ValueError, match="reads named link sets, but its preset's aligner"):
        europarl.place("default", default, other)


def _write_conll(path: Path, sentences: list[list[tuple[str, str]]]) -> None:
    path.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n")


def test_run_europarl_with_link_set_rows(tmp_path: Path) -> None:
    en = [[("The", "O"), ("Commission", "B-ORG"), ("agrees", "O"), (".", "O")]] * 6 + [
        [("Mr", "O"), ("Prodi", "B-PER"), ("spoke", "O"), (".", "O")]
    ] * 6
    de = [[("Die", "O"), ("Kommission", "B-ORG"), ("stimmt", "O"), ("zu", "O")]] * 6 + [
        [("Herr", "O"), ("Prodi", "B-PER"), ("sprach", "O"), (".", "O")]
    ] * 6
    root = tmp_path / "europarl-ner"
    root.mkdir()
    _write_conll(root / "en-europarl.test.conll02", en)
    _write_conll(root / "de-europarl.test.conll02", de)
    projectors = {
        "heuristic": HeuristicProjector(),
        # eflomal is unseeded and learns little from 12 pairs: let the spelling decide
        "iu": make_match_projector("alignment:intersection=0.01,alignment:union=0.01,string=1"),
        "plain": make_match_projector("coverage"),
    }
    # The default preset's eflomal (the light preset's) with a few iterations; no encoder.
    members = load_preset("default")["align"]["options"]["members"]
    few = {"eflomal": {**members["eflomal"], "n_iterations": 4}}
    eflomal = registry.aligners.build("combined", members=few)
    result = europarl.run_europarl(tmp_path, ["de"], projectors, ["intersection", "union"], eflomal)
    rows = {(r["aligner"], r["projector"]): r for r in result["rows"]}
    assert set(rows) == {
        ("eflomal/intersection", "heuristic"),
        ("eflomal/union", "heuristic"),
        ("eflomal/intersection", "plain"),
        ("eflomal/union", "plain"),
        ("eflomal/intersection,union", "iu"),
    }
    assert rows[("eflomal/intersection,union", "iu")]["f1"]["de"] == pytest.approx(100.0)
    # each row is signed by the aligner that gave its links
    signed = rows[("eflomal/union", "heuristic")]["signature_full"]["align"]
    assert signed["method"] == "combined" and signed["primary"] == "union"
    assert signed["members"]["eflomal"]["rel_iterations"] == members["eflomal"]["rel_iterations"]
    assert len({r["signature"] for r in result["rows"]}) == len(rows)
