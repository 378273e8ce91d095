"""The ``combined`` aligner: several named aligners on the same pairs, every link set by name.

Also the heuristic's ``links`` option (the one named set it reads), and the paths a user
reaches them by: ``xlner project``, ``xlner run`` configs, the study and the Python API.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

# registers the test translator and tagger test-cli-copy and test-cli-caps
import test_cli_project  # noqa: F401
from entry_point import full_signature
from typer.testing import CliRunner

from xlner.align.base import Aligner, get_aligner, register_aligner
from xlner.align.combined import CombinedAligner
from xlner.cli import app
from xlner.cli import run as cli_main
from xlner.corpora.conll import write_conll
from xlner.pipeline.sample import load_sample
from xlner.project import HeuristicProjector, make_projector
from xlner.project.corpus import check_link_sets, project_bitext, project_corpus
from xlner.registry import ComponentError, registry
from xlner.signature import parse_signature
from xlner.study.aligners import run_aligner
from xlner.study.config import AlignerSpec
from xlner.study.data import LanguageData
from xlner.types import Link, LinkSets, Span, TaggedSentence

runner = CliRunner()
PAIRS = [(["a", "b", "c"], ["x", "y", "z"]), (["d", "e"], ["u", "v", "w"])]
seen: dict[str, list] = {}  # member name -> the extra bitext each call got


@register_aligner("test-combined-diagonal")
class Diagonal(Aligner):
    """Links word i to word i + shift; records the extra bitext it was given."""

    name = "test-combined-diagonal"

    def __init__(self, shift: int = 0) -> None:
        self.shift = shift

    def signature(self):
        return {"method": self.name, "shift": self.shift}

    def align(self, pairs, *, extra_bitext=()):
        seen.setdefault(f"diagonal{self.shift}", []).append(list(extra_bitext))
        return [
            [Link(i, i + self.shift) for i in range(len(s)) if 0 <= i + self.shift < len(t)]
            for s, t in pairs
        ]


@register_aligner("test-combined-sets")
class TwoSets(Aligner):
    """Gives its primary links (first words) and two named sets, ``wide`` and ``last``."""

    name = "test-combined-sets"

    def link_set_names(self):
        return ("wide", "last")

    def align(self, pairs, *, extra_bitext=()):
        return [list(links) for links in self.align_sets(pairs, extra_bitext=extra_bitext)]

    def align_sets(self, pairs, *, extra_bitext=()):
        seen.setdefault("sets", []).append(list(extra_bitext))
        return [
            LinkSets(
                [Link(0, 0)],
                {
                    "wide": [Link(i, j) for i in range(len(s)) for j in range(len(t))],
                    "last": [Link(len(s) - 1, len(t) - 1)],
                },
            )
            for s, t in pairs
        ]


@register_aligner("test-combined-short")
class Short(Aligner):
    """A broken member: one link list fewer than pairs."""

    name = "test-combined-short"

    def align(self, pairs, *, extra_bitext=()):
        return [[] for _ in pairs[1:]]


@register_aligner("test-combined-exploding")
class Exploding(Aligner):
    name = "test-combined-exploding"

    def align(self, pairs, *, extra_bitext=()):
        raise AssertionError("this member was not needed")


def combined(**options):
    members = {"diag": {"aligner": "test-combined-diagonal", "shift": 1}}
    members["multi"] = {"aligner": "test-combined-sets"}
    return get_aligner("combined", members=members, **options)


# ---------------------------------------------------------------------------- the aligner


def named_set(links: list[LinkSets], name: str) -> list[list[Link]]:
    """The set ``name`` of every pair."""
    return [pair.named[name] for pair in links]


@pytest.mark.parametrize(
    "aligner",
    [Diagonal(), TwoSets(), combined(), combined(primary="wide"), get_aligner("eflomal")],
    ids=["plain", "named sets", "combined", "combined, primary wide", "eflomal"],
)
def test_align_sets_gives_one_link_sets_per_pair(aligner):
    links = aligner.align_sets(PAIRS)
    assert len(links) == len(PAIRS) and all(isinstance(pair, LinkSets) for pair in links)
    assert all(set(pair.named) == set(aligner.link_set_names()) for pair in links)
    if aligner.name == "eflomal":  # it learns afresh in each run: compare within one run
        assert all(pair == pair.named[aligner.symmetrization] for pair in links)
    else:
        assert [list(pair) for pair in links] == aligner.align(PAIRS)


def test_every_link_set_by_name():
    aligner = combined()
    links = aligner.align_sets(PAIRS)
    diag = Diagonal(shift=1).align(PAIRS)
    multi = TwoSets().align_sets(PAIRS)
    assert named_set(links, "diag") == diag and named_set(links, "multi") == multi
    for name in ("wide", "last"):
        # qualified, and bare as well since only one member gives a set of that name
        assert named_set(links, f"multi:{name}") == named_set(links, name) == named_set(multi, name)
    assert all(set(pair.named) == set(aligner.link_set_names()) for pair in links)
    assert set(links[0].named) == {"diag", "multi", "multi:wide", "multi:last", "wide", "last"}
    assert links == diag  # the first member's links are the primary links by default


def test_primary_names_the_set_plain_links_readers_get():
    aligner = combined(primary="last")
    links = aligner.align_sets(PAIRS)
    assert links == named_set(links, "last") == named_set(TwoSets().align_sets(PAIRS), "last")
    assert aligner.align(PAIRS) == links
    with pytest.raises(ComponentError, match="primary 'lost' is none of its link sets: diag,"):
        combined(primary="lost")


def test_align_runs_only_the_member_of_the_primary_links():
    members = {"diag": {"aligner": "test-combined-diagonal"}, "x": Exploding()}
    aligner = CombinedAligner(members)
    assert aligner.align(PAIRS) == Diagonal().align(PAIRS)
    with pytest.raises(AssertionError, match="not needed"):
        aligner.align_sets(PAIRS)


def test_a_subset_runs_only_the_members_of_the_sets_it_gives():
    aligner = combined()
    sub = aligner.subset({"wide"}, "last")
    assert list(sub.members) == ["multi"] and sub.members["multi"] is aligner.members["multi"]
    seen.clear()
    wide = named_set(sub.align_sets(PAIRS), "wide")
    assert set(seen) == {"sets"} and wide == named_set(aligner.align_sets(PAIRS), "wide")
    assert set(sub.seconds) == {"multi"} and set(aligner.seconds) == {"diag", "multi"}
    assert list(aligner.subset({"diag"}, "wide").members) == ["diag", "multi"]  # member order
    with pytest.raises(ComponentError, match="gives no link set 'far'"):
        aligner.subset({"far"}, "diag")


def test_a_set_name_two_members_give_is_only_qualified():
    members = {"m1": {"aligner": "test-combined-sets"}, "m2": {"aligner": "test-combined-sets"}}
    names = set(CombinedAligner(members).link_set_names())
    assert {"m1:wide", "m2:wide", "m1:last", "m2:last"} <= names
    assert "wide" not in names and "last" not in names
    # a member's own name wins over another member's bare set name
    members = {
        "wide": {"aligner": "test-combined-diagonal"},
        "m": {"aligner": "test-combined-sets"},
    }
    links = CombinedAligner(members).align_sets(PAIRS)
    assert named_set(links, "wide") == Diagonal().align(PAIRS) and "m:wide" in links[0].named


def test_a_member_named_after_its_aligner_needs_no_aligner_key():
    aligner = get_aligner("combined", members={"eflomal": {"rel_iterations": 0.25}})
    assert type(aligner.members["eflomal"]).__name__ == "EflomalAligner"
    assert aligner.members["eflomal"].rel_iterations == 0.25
    assert {"eflomal", "eflomal:intersection", "intersection", "union"} <= set(
        aligner.link_set_names()
    )


def test_signature_nests_the_members_signatures():
    signature = combined(primary="wide").signature()
    assert signature["method"] == "combined" and signature["primary"] == "wide"
    assert signature["members"] == {
        "diag": Diagonal(shift=1).signature(),
        "multi": TwoSets().signature(),
    }
    other = get_aligner(
        "combined", members={"diag": {"aligner": "test-combined-diagonal", "shift": 2}}
    )
    assert other.signature()["members"]["diag"]["shift"] == 2


def test_extra_bitext_reaches_every_member():
    seen.clear()
    extra = [(["p"], ["q"])]
    combined().align_sets(PAIRS, extra_bitext=extra)
    assert seen == {"diagonal1": [extra], "sets": [extra]}


@pytest.mark.parametrize("primary", ["ok", "broken"])
def test_a_member_with_a_wrong_number_of_link_lists_is_an_error(primary):
    aligner = get_aligner(
        "combined",
        members={
            "ok": {"aligner": "test-combined-diagonal"},
            "broken": {"aligner": "test-combined-short"},
        },
        primary=primary,
    )
    message = "member 'broken': returned 1 link lists for 2 sentence pairs"
    with pytest.raises(ComponentError, match=re.escape(message)):
        aligner.align_sets(PAIRS)
    if primary == "broken":
        with pytest.raises(ComponentError, match=re.escape(message)):
            aligner.align(PAIRS)


def test_a_member_without_a_set_it_names_is_an_error():
    class Forgetful(TwoSets):
        def align_sets(self, pairs, *, extra_bitext=()):
            links = super().align_sets(pairs)
            del links[-1].named["last"]
            return links

    with pytest.raises(ComponentError, match="member 'f': gave no link set 'last'"):
        CombinedAligner({"f": Forgetful()}).align_sets(PAIRS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "aligner 'combined' needs option 'members'"),
        ({"members": {}}, "members must be a non-empty table"),
        ({"members": ["eflomal"]}, "members must be a non-empty table"),
        ({"members": {"eflomal": "fast"}}, "member 'eflomal' must be a table of its aligner's"),
        ({"members": {"a:b": {"aligner": "eflomal"}}}, "member name 'a:b' must be non-empty and"),
        (
            {"members": {"fast": {}}},
            "aligner 'combined', member 'fast': unknown aligner 'fast'; choose from combined,",
        ),
        (
            {"members": {"e": {"aligner": "eflomal", "stem": 4}}},
            "member 'e': aligner 'eflomal' has no option 'stem'; its options: symmetrization",
        ),
        ({"members": {"eflomal": {"model": 7}}}, "member 'eflomal': aligner 'eflomal': eflomal"),
        ({"members": {"eflomal": {}}, "prim": "x"}, "aligner 'combined' has no option 'prim'"),
    ],
)
def test_bad_members_are_one_line_component_errors(options, message):
    with pytest.raises(ComponentError) as error:
        registry.aligners.build("combined", **options)
    assert message in str(error.value) and "\n" not in str(error.value)


# ---------------------------------------------------------------------------- projection


def test_the_heuristic_reads_the_named_set_of_its_links_option():
    source = ["New", "York", "is", "big"]
    spans = [Span(0, 2, "LOC")]
    target = ["Nueva", "York", "es", "grande"]
    primary = [Link(0, 2), Link(1, 3)]
    other = [Link(0, 0), Link(1, 1)]
    links = LinkSets(primary, {"other": other})
    on_other = HeuristicProjector(links="other").project(source, spans, target, links)
    assert on_other == HeuristicProjector().project(source, spans, target, other)
    assert [p.span for p in on_other] == [Span(0, 2, "LOC")]
    assert [p.span for p in HeuristicProjector().project(source, spans, target, links)] == [
        Span(2, 4, "LOC")
    ]
    assert HeuristicProjector(links="other").link_sets_used() == {"other"}
    assert HeuristicProjector().link_sets_used() == set()
    assert HeuristicProjector(links="other").signature()["links"] == "other"
    assert "links" not in HeuristicProjector().signature()  # as it was before the option
    with pytest.raises(KeyError, match="no link set 'other' for this sentence pair"):
        HeuristicProjector(links="other").project(source, spans, target, primary)
    assert registry.projectors.build("heuristic", links="other").links == "other"


def test_the_heuristic_links_are_checked_against_the_aligner_before_any_work():
    english, spanish = load_sample()
    projector = HeuristicProjector(links="wide")
    aligner = CombinedAligner({"x": Exploding()})
    with pytest.raises(ComponentError, match="projection method 'heuristic' reads link set 'wide'"):
        project_bitext(english, [s.tokens for s in spanish], aligner, projector)
    check_link_sets(combined(), projector)
    with pytest.raises(ComponentError, match="sentence pair 0: no link set 'wide'"):
        project_corpus(english[:1], [spanish[0].tokens], [[Link(0, 0)]], projector)


def test_project_bitext_hands_the_combined_sets_to_the_projector():
    english, spanish = load_sample()
    english, targets = english[:5], [s.tokens for s in spanish[:5]]
    projected = project_bitext(english, targets, combined(), HeuristicProjector(links="last"))
    pairs = [(s.tokens, t) for s, t in zip(english, targets, strict=True)]
    last = named_set(TwoSets().align_sets(pairs), "last")
    expected = [
        HeuristicProjector().project(s.tokens, s.spans, t, links)
        for s, t, links in zip(english, targets, last, strict=True)
    ]
    assert [p.projected for p in projected] == expected
    assert [p.links for p in projected] == Diagonal(shift=1).align(pairs)  # primary links


def test_python_api_with_simalign_and_eflomal_members(tmp_path):
    """The README's recipe, on a tiny local BERT instead of e5-small."""
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    english, spanish = load_sample()
    words = sorted({w for s in english + spanish for w in s.tokens})
    model = save_tiny_bert(tmp_path / "bert", words)
    aligner = get_aligner(
        "combined",
        members={
            "simalign": {"model": str(model), "layer": 1, "method": "itermax"},
            "eflomal": {"rel_iterations": 0.25, "stem_length": 4},
        },
    )
    projector = make_projector("match", score="coverage:simalign=1,coverage:intersection=0.5")
    projected = project_bitext(english, [s.tokens for s in spanish], aligner, projector)
    assert len(projected) == len(english)
    assert sum(len(p.projected) for p in projected) > 0
    simalign_alone = get_aligner("simalign", model=str(model), layer=1, method="itermax")
    assert [p.links for p in projected] == simalign_alone.align(
        [(s.tokens, t.tokens) for s, t in zip(english, spanish, strict=True)]
    )  # the primary links: the first member's


# ---------------------------------------------------------------------------- the CLI


def project_args(sample, out, *options):
    source, target = sample
    args = ["project", "--source", str(source), "--target", str(target), "--target-conll"]
    return [*args, "-o", str(out), "--format", "jsonl", "--aligner", "combined", *options]


def test_cli_project_with_a_combined_aligner(sample, tmp_path):
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    model = save_tiny_bert(tmp_path / "bert", ["la", "de", "el", "the", "of"])
    members = f'members={{simalign={{model="{model}",layer=1}},eflomal={{rel_iterations=0.25}}}}'
    out = tmp_path / "out.jsonl"
    args = project_args(sample, out, "--aligner-option", members, "--method", "match")
    args += ["--score", "coverage:simalign=1,coverage:intersection=0.5", "--evaluate"]
    result = runner.invoke(app, [*args, "--signature", "full"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert parse_signature(records[0]["signature"])["align"] == "combined"
    full = full_signature(result.stdout)
    assert full["align"]["method"] == "combined" and full["align"]["primary"] == "simalign"
    members = full["align"]["members"]
    assert "eflomal_version" in members["eflomal"] and "distortion" in members["simalign"]
    assert full["project"]["coverage:intersection.links"] == "intersection"
    assert sum(len(r["entities"]) for r in records) > 0


def test_cli_project_heuristic_on_a_named_set_of_a_combined_aligner(sample, tmp_path):
    members = "members={far={aligner='test-combined-diagonal',shift=3},eflomal={n_samplers=1}}"

    def f1(*options: str) -> float:
        out = tmp_path / "out.jsonl"
        args = project_args(sample, out, "--aligner-option", members, "--evaluate", *options)
        args += ["--method", "heuristic"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        total = next(line for line in result.output.splitlines() if line.startswith("all "))
        return float(total.split()[3])

    # the primary links (3 words off) project almost nothing right; eflomal's intersection does
    assert f1() < 20
    assert f1("--links", "intersection") > 60
    record = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert parse_signature(record["signature"])["project.links"] == "intersection"


def test_cli_reports_a_member_count_mismatch_in_one_line(sample, tmp_path, monkeypatch, capsys):
    args = project_args(sample, tmp_path / "o.jsonl", "--method", "heuristic", "--aligner-option")
    args.append("members={bad={aligner='test-combined-short'}}")
    monkeypatch.setattr(sys, "argv", ["xlner", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    n = len(load_sample()[0])
    assert f"member 'bad': returned {n - 1} link lists for {n} sentence pairs" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- xlner run, study


@pytest.mark.parametrize(("primary", "f1"), [("same", "100.0"), ("diag", "0.0")])
def test_xlner_run_config_with_a_combined_aligner(tmp_path, primary, f1):
    corpus = tmp_path / "gold.conll"
    write_conll(corpus, [TaggedSentence(["Anna", "came", "."], [Span(0, 1, "PER")])] * 3)
    config = tmp_path / "run.toml"
    config.write_text(
        f'[run]\ndir = "{tmp_path / "run"}"\n'
        f'[data]\ncorpus = "conll"\npath = "{corpus}"\nlang = "lug"\n'
        '[translate]\ntranslator = "test-cli-copy"\n[tag]\ntagger = "test-cli-caps"\n'
        '[project]\nmethod = "heuristic"\n[align]\naligner = "combined"\n'
        "options = { members = { diag = { aligner = 'test-combined-diagonal', shift = 1 },"
        f" same = {{ aligner = 'test-combined-diagonal' }} }}, primary = '{primary}' }}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 0, result.output
    # projected over the primary links: the identity, or links shifted one word to the right
    assert f"F1 = {f1} " in result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signature_full"]["align"]["aligner"]["primary"] == primary


def test_the_study_runs_a_combined_aligner():
    english, spanish = load_sample()
    data = LanguageData("es", "en", english[:6], spanish[:6], "gold")
    members = {"d": {"aligner": "test-combined-diagonal"}, "eflomal": {"n_iterations": 2}}
    spec = AlignerSpec("both", "combined", {"members": members})
    alignment = run_aligner(spec, data, "union")
    assert alignment.links == Diagonal().align(data.pairs)  # the primary: the first member's
    assert alignment.intersection is not None and len(alignment.intersection) == 6
    assert alignment.signature["align"]["method"] == "combined"
    assert (
        alignment.signature["align"]["members"]["eflomal"]["symmetrization"]
        == (
            registry.aligners.defaults("eflomal")["symmetrization"]  # the study's is for eflomal
        )
    )
    alone = run_aligner(AlignerSpec("d", "test-combined-diagonal"), data, "union")
    assert alone.intersection is None and alone.links == alignment.links
    eflomal = run_aligner(AlignerSpec("e", "eflomal", {"n_iterations": 2}), data, "union")
    assert eflomal.signature["align"]["symmetrization"] == "union"
