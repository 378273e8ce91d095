"""Solvers for projection as matching, and the MatchProjector built on them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlner.project.match import MatchProjector, make_match_projector
from xlner.project.match.candidates import CandidateExtractor
from xlner.project.match.scores import AlignmentScore
from xlner.project.match.solvers import (
    LIMITS,
    Constraints,
    DPSolver,
    GreedySolver,
    ILPSolver,
    make_solver,
    violations,
)
from xlner.types import Link, ProjectedSpan, Span

# Candidates (0, 2), (0, 1), (1, 2): taking the best pair (entity 0 on words 0-1) blocks the
# two pairs that together score more.
HAND_SCORES = np.array([[0.9, 0.8, 0.0], [0.0, 0.0, 0.6]])
HAND_STARTS, HAND_ENDS = [0, 0, 1], [2, 1, 2]


def exact_solvers(limit: str = "at_most", n: int = 1, threshold: float = 0.0) -> list[object]:
    return [
        ILPSolver(limit, n, threshold),  # type: ignore[arg-type]
        ILPSolver(limit, n, threshold, overlap="clique"),  # type: ignore[arg-type]
        ILPSolver(limit, n, threshold, shortcuts=False),  # type: ignore[arg-type]
        ILPSolver(limit, n, threshold, overlap="clique", shortcuts=False),  # type: ignore[arg-type]
    ]


def test_greedy_is_suboptimal_on_the_hand_instance() -> None:
    greedy = GreedySolver().solve(HAND_SCORES, HAND_STARTS, HAND_ENDS)
    assert greedy.pairs == [(0, 0)] and greedy.objective == pytest.approx(0.9)
    for solver in exact_solvers():
        got = solver.solve(HAND_SCORES, HAND_STARTS, HAND_ENDS)  # type: ignore[attr-defined]
        assert got.pairs == [(0, 1), (1, 2)] and got.objective == pytest.approx(1.4)
    dp = DPSolver().solve(HAND_SCORES, HAND_STARTS, HAND_ENDS)
    assert dp.pairs == [(0, 1), (1, 2)] and dp.objective == pytest.approx(1.4)


def test_limits_per_entity() -> None:
    scores = np.array([[0.5, 0.4, 0.3]])
    starts, ends = [0, 1, 2], [1, 2, 3]
    assert ILPSolver("at_most", 2).solve(scores, starts, ends).pairs == [(0, 0), (0, 1)]
    assert ILPSolver("none").solve(scores, starts, ends).objective == pytest.approx(1.2)
    with pytest.raises(ValueError, match="at least 1"):
        GreedySolver("at_most", 0)  # would project nothing
    negative = np.array([[-0.5, 0.4, -0.1]])
    got = ILPSolver("at_least", 2, threshold=-1).solve(negative, starts, ends)
    assert got.pairs == [(0, 1), (0, 2)] and got.feasible
    got = ILPSolver("exactly", 3, threshold=-1).solve(negative, starts, ends)
    assert len(got.pairs) == 3 and got.feasible


def test_threshold_forbids_weak_pairs() -> None:
    for solver in [GreedySolver(threshold=0.7), ILPSolver(threshold=0.7), DPSolver(threshold=0.7)]:
        got = solver.solve(HAND_SCORES, HAND_STARTS, HAND_ENDS)
        assert got.pairs == [(0, 0)]


def test_infeasible_lower_bound_is_reported_not_raised() -> None:
    scores = np.array([[0.9, 0.0], [-np.inf, np.nan]])  # entity 1 has no allowed pair
    for solver in [ILPSolver("exactly", 1), ILPSolver("at_least", 1, shortcuts=False)]:
        got = solver.solve(scores, [0, 1], [1, 2])
        assert not got.feasible and got.status == "relaxed"
        assert got.pairs == [(0, 0)]
    greedy = GreedySolver("exactly", 1).solve(scores, [0, 1], [1, 2])
    assert not greedy.feasible and greedy.pairs == [(0, 0)]


def test_empty_inputs() -> None:
    for solver in [GreedySolver(), ILPSolver(), DPSolver()]:
        assert solver.solve(np.zeros((0, 2)), [0, 1], [1, 2]).pairs == []
        assert solver.solve(np.zeros((2, 0)), [], []).pairs == []
    assert not ILPSolver("exactly").solve(np.zeros((1, 1)) - 1, [0], [1]).feasible


def test_bad_inputs_and_settings() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        GreedySolver().solve(np.zeros((1, 2)), [0], [1])
    with pytest.raises(ValueError, match="start < end"):
        GreedySolver().solve(np.zeros((1, 1)), [1], [1])
    with pytest.raises(ValueError, match="limit"):
        DPSolver("at_most")
    with pytest.raises(ValueError, match="limit"):
        Constraints("sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="overlap"):
        ILPSolver(overlap="triangles")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown solver"):
        make_solver("annealing")
    assert isinstance(make_solver("ilp", limit="exactly", n=2), ILPSolver)


# --- property tests --------------------------------------------------------------------------


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_words = draw(st.integers(1, 6))
    ngrams = [(s, s + k) for s in range(n_words) for k in range(1, 4) if s + k <= n_words]
    chosen = draw(st.lists(st.sampled_from(ngrams), min_size=1, max_size=10, unique=True))
    n_ent = draw(st.integers(1, 3))
    value = st.one_of(
        st.floats(-1, 2, allow_nan=False).map(lambda v: round(v, 2)),
        st.just(0.0),
        st.just(-np.inf),
    )
    scores = np.array(
        draw(st.lists(value, min_size=n_ent * len(chosen), max_size=n_ent * len(chosen)))
    )
    starts = np.array([s for s, _ in chosen])
    ends = np.array([e for _, e in chosen])
    return scores.reshape(n_ent, len(chosen)), starts, ends


constraints = st.builds(
    Constraints,
    limit=st.sampled_from(LIMITS),
    n=st.integers(1, 2),
    threshold=st.sampled_from([-0.5, 0.0, 0.3]),
)


def brute_force(
    scores: np.ndarray, starts: np.ndarray, ends: np.ndarray, c: Constraints
) -> float | None:
    """Best objective over all valid matchings (None if none meets the bounds)."""
    allowed = c.allowed(scores)
    n_ent, n_words = scores.shape[0], int(ends.max())
    by_start: dict[int, list[int]] = {}
    for cand, s in enumerate(starts):
        by_start.setdefault(int(s), []).append(cand)
    best: list[float | None] = [None]

    def search(word: int, counts: list[int], total: float) -> None:
        if word >= n_words:
            valid = all(c.lower <= k <= c.upper for k in counts)
            if valid and (best[0] is None or total > best[0]):
                best[0] = total
            return
        search(word + 1, counts, total)
        for cand in by_start.get(word, []):
            for e in range(n_ent):
                if allowed[e, cand] and counts[e] < c.upper:
                    counts[e] += 1
                    search(int(ends[cand]), counts, total + scores[e, cand])
                    counts[e] -= 1

    search(0, [0] * n_ent, 0.0)
    return best[0]


slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(instance=instances(), c=constraints)
def test_every_solution_respects_the_constraints(
    instance: tuple[np.ndarray, np.ndarray, np.ndarray], c: Constraints
) -> None:
    scores, starts, ends = instance
    solvers = [GreedySolver(c.limit, c.n, c.threshold), *exact_solvers(c.limit, c.n, c.threshold)]
    if c.limit == "none":
        solvers.append(DPSolver("none", c.n, c.threshold))
    for solver in solvers:
        got = solver.solve(scores, starts, ends)  # type: ignore[attr-defined]
        problems = violations(scores, starts, ends, got.pairs, c)
        if got.feasible:
            assert problems == [], (solver, got)
        else:
            assert problems and all("projected" in p for p in problems), (solver, got)
        assert got.objective == pytest.approx(sum(scores[e, k] for e, k in got.pairs))


@slow
@given(instance=instances(), c=constraints)
def test_ilp_is_optimal(
    instance: tuple[np.ndarray, np.ndarray, np.ndarray], c: Constraints
) -> None:
    scores, starts, ends = instance
    best = brute_force(scores, starts, ends, c)
    for solver in exact_solvers(c.limit, c.n, c.threshold):
        got = solver.solve(scores, starts, ends)  # type: ignore[attr-defined]
        assert got.feasible == (best is not None)
        if best is not None:
            assert got.objective == pytest.approx(best, abs=1e-9)


@slow
@given(instance=instances(), c=constraints)
def test_exact_is_at_least_greedy(
    instance: tuple[np.ndarray, np.ndarray, np.ndarray], c: Constraints
) -> None:
    scores, starts, ends = instance
    greedy = GreedySolver(c.limit, c.n, c.threshold).solve(scores, starts, ends)
    exact = ILPSolver(c.limit, c.n, c.threshold).solve(scores, starts, ends)
    if greedy.feasible:
        assert exact.feasible
        assert exact.objective >= greedy.objective - 1e-9


@slow
@given(instance=instances(), threshold=st.sampled_from([-0.5, 0.0, 0.3]))
def test_dp_equals_ilp_without_limits(
    instance: tuple[np.ndarray, np.ndarray, np.ndarray], threshold: float
) -> None:
    scores, starts, ends = instance
    dp = DPSolver(threshold=threshold).solve(scores, starts, ends)
    for shortcuts in (True, False):
        ilp = ILPSolver("none", threshold=threshold, shortcuts=shortcuts).solve(
            scores, starts, ends
        )
        assert dp.objective == pytest.approx(ilp.objective, abs=1e-9)


# --- projector -------------------------------------------------------------------------------

SRC = [
    "George",
    "Washington",
    "was",
    "the",
    "first",
    "president",
    "of",
    "the",
    "United",
    "States",
    ".",
]
TGT = [
    "George",
    "Washington",
    "war",
    "der",
    "erste",
    "Präsident",
    "der",
    "Vereinigten",
    "Staaten",
    ".",
]
LINKS = [Link(i, i) for i in range(7)] + [Link(8, 7), Link(9, 8), Link(10, 9)]
SPANS = [Span(0, 2, "PER"), Span(8, 10, "LOC")]


@pytest.mark.parametrize("solver", ["greedy", "ilp"])
@pytest.mark.parametrize("score", ["alignment", "alignment=1,string=0.5", "string"])
def test_projector_projects_labels_from_the_source(solver: str, score: str) -> None:
    projector = make_match_projector(score, solver)
    got = projector.project(SRC, SPANS, TGT, LINKS)
    if score == "string":  # "Vereinigten" shares nothing with "United"
        assert got[0].span == Span(0, 2, "PER")
        return
    assert got == [
        ProjectedSpan(Span(0, 2, "PER"), SPANS[0], pytest.approx(got[0].score)),
        ProjectedSpan(Span(7, 9, "LOC"), SPANS[1], pytest.approx(got[1].score)),
    ]
    assert got[0].score >= 1.0


def test_projector_edge_cases_and_stats() -> None:
    projector = make_match_projector("alignment", "ilp", limit="exactly")
    assert projector.project(SRC, [], TGT, LINKS) == []
    assert projector.project(SRC, SPANS, [], LINKS) == []
    got = projector.project(SRC, SPANS, TGT, [])  # no links: nothing to go on
    assert got and projector.stats["relaxed"] == 0  # exactly: zero-score pairs are allowed
    unlinked = make_match_projector("alignment", "ilp", limit="exactly", threshold=0.1)
    assert unlinked.project(SRC, SPANS, TGT, []) == []
    assert unlinked.stats["empty"] == 1


def test_projector_signature_lists_every_setting() -> None:
    projector = make_match_projector(
        "alignment=1,string=0.5",
        "ilp",
        limit="at_least",
        n=1,
        threshold=0.2,
        thresholds="alignment=0.1",
        max_len=6,
        window=True,
        margin=1,
    )
    sig = projector.signature()
    assert sig["method"] == "match" and sig["solver"] == "ilp"
    assert sig["limit"] == "at_least" and sig["n"] == 1 and sig["threshold"] == 0.2
    assert sig["score"] == {"alignment": 1.0, "string": 0.5}
    assert sig["score_thresholds"] == {"alignment": 0.1}
    assert sig["string.order"] == 2 and sig["overlap"] == "pairwise"
    assert sig["max_len"] == 6 and sig["window"] is True and sig["margin"] == 1
    assert sig["punctuation"] == "default"
    assert make_match_projector("alignment", "dp").signature()["limit"] == "none"
    assert make_match_projector(punctuation=False).signature()["punctuation"] == "none"
    assert make_match_projector().signature()["score"] == "alignment"


def test_factory_needs_models_for_model_scores() -> None:
    with pytest.raises(ValueError, match="tagger"):
        make_match_projector("tagger")
    with pytest.raises(ValueError, match="translator"):
        make_match_projector("alignment=1,translation=1")
    with pytest.raises(ValueError, match="unknown score"):
        make_match_projector("bleu")


class PerTagger:
    """Tags capitalised words as PER."""

    labels = ["O", "B-PER", "I-PER"]

    def predict_proba(self, sentences: list[list[str]]) -> list[np.ndarray]:
        out = []
        for tokens in sentences:
            probs = np.tile([0.9, 0.05, 0.05], (len(tokens), 1))
            for i, tok in enumerate(tokens):
                if tok[:1].isupper():
                    inside = i > 0 and tokens[i - 1][:1].isupper()
                    probs[i] = [0.1, 0.1, 0.8] if inside else [0.1, 0.8, 0.1]
            out.append(probs)
        return out


def test_projector_with_a_tagger_and_its_candidates() -> None:
    src = ["yesterday", "Anna", "Maria", "Schmidt", "spoke"]
    tgt = ["gestern", "sprach", "Anna", "Maria", "Schmidt"]
    projector = make_match_projector(
        "tagger=1,alignment=0.1", "ilp", tagger=PerTagger(), tagger_candidates=True, max_len=1
    )
    projector.prefetch([tgt])
    got = projector.project(src, [Span(1, 4, "PER")], tgt, [Link(1, 2)])
    assert [p.span for p in got] == [Span(2, 5, "PER")]  # only the tagger offers 3 words
    assert projector.signature()["tagger"] == "PerTagger"


def test_projector_accepts_ready_parts() -> None:
    projector = MatchProjector(
        AlignmentScore(), GreedySolver(), CandidateExtractor(max_len=3, window=True)
    )
    got = projector.project(SRC, SPANS, TGT, LINKS)
    assert [p.span for p in got] == [Span(0, 2, "PER"), Span(7, 9, "LOC")]
    with pytest.raises(ValueError, match="tagger"):
        MatchProjector(AlignmentScore(), GreedySolver(), tagger_candidates=True)
