"""Long sentences: one sentence pair's time and memory are bounded, and what was capped is said.

A pair of 2,000 tokens used to get no links at all (eflomal cannot align it), and with links
the ILP solver needed gigabytes for it (its dominance table grew with the sentence squared),
the string score too (an entities x candidates x n-grams array). Now an over-long pair is cut
into segment pairs, the solver and the scores grow with the candidates, and candidate length
and the score matrix are capped with a warning. The peak memory is measured in a subprocess.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from xlner.align.base import Aligner
from xlner.corpora.bitext import write_sentences
from xlner.corpora.conll import write_conll
from xlner.project import make_projector
from xlner.project.corpus import align_link_sets, project_corpus
from xlner.project.heuristic import HeuristicProjector
from xlner.project.match import projector as match_projector
from xlner.project.match.candidates import MAX_RATIO_LENGTH, CandidateExtractor
from xlner.project.match.scores.string import ngram_dice
from xlner.project.match.solvers.ilp import overlapping_pairs, pairwise_rows, undominated
from xlner.project.segments import (
    MAX_SEGMENT_TOKENS,
    Segment,
    cut_links,
    join_links,
    split_pair,
)
from xlner.types import Link, LinkSets, Span, TaggedSentence

MEMORY_BOUND_MB = 1024
WORDS = ["Kampala", "market", "sold", "fish", "to", "the", "Bank", "of", "Uganda", "today"]


def long_pair(n_tokens: int = 2000) -> tuple[TaggedSentence, list[str]]:
    """Sentences of 20 words ending in '.', a two-word entity in each; target = source words
    with a suffix, so that an aligner has something to learn."""
    tokens: list[str] = []
    spans: list[Span] = []
    while len(tokens) < n_tokens:
        start = len(tokens)
        tokens += [f"{WORDS[(start + i) % len(WORDS)]}{i}" for i in range(19)] + ["."]
        spans.append(Span(start + 3, start + 5, "ORG"))
    return TaggedSentence(tokens, spans), [f"{t}x" if t != "." else t for t in tokens]


# ---------------------------------------------------------------------------- memory, measured

PEAK = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(result.stderr)
sys.stdout.write(result.stdout)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
sys.exit(result.returncode)
"""


def peak_mb(command: list[str]) -> tuple[int, str]:
    """Run ``command`` under a fresh parent; its peak RSS (largest process) and stderr."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1]), result.stderr


def test_a_2000_token_pair_with_ilp_through_the_cli_stays_under_1_gb(tmp_path):
    source, target = long_pair()
    write_conll(tmp_path / "src.conll", [source])
    write_sentences(tmp_path / "tgt.txt", [target])
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "xlner", "project", "--source", str(tmp_path / "src.conll")]
    command += ["--target", str(tmp_path / "tgt.txt"), "-o", str(out), "--format", "jsonl"]
    command += ["--preset", "light", "--method", "match", "--solver", "ilp"]
    command += ["--aligner-option", "n_iterations=4"]
    peak, stderr = peak_mb(command)
    assert peak < MEMORY_BOUND_MB, stderr
    assert f"longer than {MAX_SEGMENT_TOKENS} tokens (the longest: {len(source.tokens)})" in stderr
    assert "Traceback" not in stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    # Cut into segments, the pair gets links (eflomal alone gives it none) and entities.
    assert len(record["links"]) > len(source.tokens) / 2
    assert len(record["entities"]) > len(source.spans) / 2


DIRECT = """
import json, resource, sys
from xlner.project import make_projector
from xlner.types import Link, Span
data = json.loads(sys.stdin.read())
spans = [Span(*s) for s in data["spans"]]
links = [Link(i, i) for i in range(len(data["target"]))]
projector = make_projector("match", **data["options"])
projected = projector.project(data["source"], spans, data["target"], links)
print(len(projected))
"""


@pytest.mark.parametrize(
    "options",
    [
        {"solver": "ilp"},  # was 4.3 GB: the dominance table grew with the sentence squared
        {"solver": "greedy", "score": "alignment=1,string=1"},  # was 2 GB: the n-gram array
    ],
)
def test_match_projection_of_a_2000_token_pair_stays_under_1_gb(options):
    """The projector alone, on the whole pair (as the pipeline calls it): no quadratic table."""
    source, target = long_pair()
    data = {
        "source": source.tokens,
        "target": target,
        "spans": [[s.start, s.end, s.label] for s in source.spans],
        "options": options,
    }
    wrapper = [sys.executable, "-c", PEAK, sys.executable, "-c", DIRECT]
    result = subprocess.run(
        wrapper, input=json.dumps(data), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    found, peak = (int(x) for x in result.stdout.split())
    assert peak < MEMORY_BOUND_MB
    assert found == len(source.spans)  # every entity found along the identity links


# ---------------------------------------------------------------------------- cutting pairs


def test_pairs_of_normal_length_are_never_cut():
    source, target = long_pair(MAX_SEGMENT_TOKENS)
    source.tokens, target = source.tokens[:MAX_SEGMENT_TOKENS], target[:MAX_SEGMENT_TOKENS]
    assert split_pair(source, target) == [Segment(0, MAX_SEGMENT_TOKENS, 0, MAX_SEGMENT_TOKENS)]


@pytest.mark.parametrize(("n_source", "n_target"), [(2000, 1800), (300, 2500), (5000, 40)])
def test_segments_cover_the_pair_within_the_limit_and_never_cut_an_entity(n_source, n_target):
    rng = np.random.default_rng(n_source)
    tokens = [rng.choice(["a", "b", "."]) for _ in range(n_source)]
    spans = [Span(s, s + 3, "X") for s in range(0, n_source - 3, 7)]
    source = TaggedSentence(tokens, spans)
    target = [rng.choice(["c", "d", "."]) for _ in range(n_target)]
    segments = split_pair(source, target)
    assert len(segments) > 1
    assert segments[0].src_start == 0 and segments[0].tgt_start == 0
    assert segments[-1].src_end == n_source and segments[-1].tgt_end == n_target
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.src_end == after.src_start and before.tgt_end == after.tgt_start
    for segment in segments:
        assert segment.src_end - segment.src_start <= MAX_SEGMENT_TOKENS
        assert segment.tgt_end - segment.tgt_start <= MAX_SEGMENT_TOKENS
        assert not any(s.start < segment.src_start < s.end for s in spans)


def test_the_target_cut_follows_the_anchors_across_sentences_of_different_lengths():
    """Target sentences are half as long again as the source ones, except one: a proportional
    cut would land a sentence off; the numbers in the sentences put it right."""
    source: list[str] = []
    target: list[str] = []
    for k in range(30):
        source += ["word"] * 8 + [str(k), "."]
        length = 40 if k == 10 else 14
        target += ["wort"] * (length - 2) + [str(k), "."]
    pair = TaggedSentence(source, [])
    sentence_of_source = {10 * (k + 1): k for k in range(30)}
    ends = []
    position = 0
    for k in range(30):
        position += 40 if k == 10 else 14
        ends.append(position)
    for segment in split_pair(pair, target)[1:]:
        assert segment.src_start in sentence_of_source
        assert segment.tgt_start == ends[sentence_of_source[segment.src_start]]


def test_links_cut_and_joined_come_back_unchanged():
    segments = [Segment(0, 3, 0, 2), Segment(3, 5, 2, 6)]
    inside = [Link(0, 1, 0.5), Link(2, 0), Link(3, 2), Link(4, 5, 1.0)]
    links = LinkSets(inside, {"union": inside})
    parts = [cut_links(segment, links) for segment in segments]
    assert parts[1] == [Link(0, 0), Link(1, 3, 1.0)] and parts[1].named["union"] == parts[1]
    joined = join_links(segments, parts)
    assert joined == inside and joined.named == {"union": inside}
    assert [link.score for link in joined] == [0.5, None, None, 1.0]
    # A link across a cut belongs to no segment.
    assert cut_links(segments[0], [Link(0, 4)]) == []


class Recorder(Aligner):
    """Aligns every pair along the diagonal and remembers the lengths it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.lengths: list[tuple[int, int]] = []

    def align(self, pairs, *, extra_bitext=()):
        self.lengths += [(len(s), len(t)) for s, t in pairs]
        return [[Link(i, i) for i in range(min(len(s), len(t)))] for s, t in pairs]


def test_an_over_long_pair_reaches_the_aligner_in_segments(caplog):
    source, target = long_pair(3000)
    aligner = Recorder()
    short = (["a", "b"], ["c", "d"])
    with caplog.at_level(logging.WARNING):
        links = align_link_sets(aligner, [short, (source.tokens, target)], set())
    assert aligner.lengths[0] == (2, 2) and len(aligner.lengths) > 2
    assert max(max(pair) for pair in aligner.lengths) <= MAX_SEGMENT_TOKENS
    assert links[0] == [Link(0, 0), Link(1, 1)]
    # Segments of equal lengths here: their diagonals join into the whole pair's diagonal.
    assert links[1] == [Link(i, i) for i in range(len(source.tokens))]
    assert "1 sentence pair(s) longer than 256 tokens (the longest: 3000)" in caplog.text


def test_an_over_long_pair_is_projected_segment_by_segment(caplog):
    source, target = long_pair(1200)
    links = [Link(i, i) for i in range(len(target))]
    with caplog.at_level(logging.WARNING):
        (projected,) = project_corpus([source], [target], [links], HeuristicProjector())
    assert [p.span for p in projected.projected] == source.spans
    assert [p.source for p in projected.projected] == source.spans
    assert projected.links == links and projected.tokens == target
    assert "cut into" in caplog.text and "for projection" in caplog.text


# ---------------------------------------------------------------------------- same results


def dense_undominated(scores, allowed, starts, ends):
    """The quadratic reference: a table indexed by (start, end)."""
    n_words = int(ends.max(initial=0))
    masked = np.where(allowed, scores, -np.inf)
    table = np.full((scores.shape[0], n_words + 1, n_words + 1), -np.inf)
    table[:, starts, ends] = masked
    best = table.copy()
    for length in range(2, int((ends - starts).max(initial=0)) + 1):
        s = np.arange(n_words - length + 1)
        t = s + length
        best[:, s, t] = np.maximum(table[:, s, t], np.maximum(best[:, s + 1, t], best[:, s, t - 1]))
    inner = np.maximum(best[:, starts + 1, ends], best[:, starts, ends - 1])
    inner[:, ends - starts == 1] = -np.inf
    return allowed & ~(inner >= masked)


def random_candidates(rng, n_words):
    starts = rng.integers(0, n_words, 40)
    ends = np.minimum(starts + rng.integers(1, 8, 40), n_words)
    keep = sorted(set(zip(starts.tolist(), ends.tolist(), strict=True)))
    return np.array([s for s, _ in keep]), np.array([e for _, e in keep])


def test_the_solver_tables_equal_their_quadratic_forms():
    rng = np.random.default_rng(7)
    for _ in range(300):
        starts, ends = random_candidates(rng, int(rng.integers(2, 30)))
        scores = np.round(rng.random((3, len(starts))) * 2, 1) - 0.3
        allowed = rng.random(scores.shape) > 0.2
        assert (
            undominated(scores, allowed, starts, ends)
            == dense_undominated(scores, allowed, starts, ends)
        ).all()
        overlap = (starts[:, None] < ends[None, :]) & (starts[None, :] < ends[:, None])
        first, second = np.nonzero(np.triu(overlap, k=1))
        found = overlapping_pairs(starts, ends)
        assert found[0].tolist() == first.tolist() and found[1].tolist() == second.tolist()
        rows = pairwise_rows(starts, ends).toarray()
        alone = np.flatnonzero(overlap.sum(axis=1) == 1)
        assert rows.shape[0] == len(first) + len(alone)
        assert (rows[len(first) :].argmax(axis=1) == alone).all()


def test_ngram_dice_equals_the_dense_multiset_form():
    rng = np.random.default_rng(3)
    for _ in range(300):
        text = "#" + "".join(rng.choice(list("abc#"), int(rng.integers(3, 40)))) + "#"
        entities = ["#" + "".join(rng.choice(list("abc#"), int(rng.integers(1, 9)))) + "#"]
        lo = rng.integers(0, len(text) - 2, 15)
        hi = np.minimum(lo + 2 + rng.integers(0, 10, 15), len(text))
        found = ngram_dice(entities, text, lo, hi, 2)
        for row, entity in enumerate(entities):
            for col, (a, b) in enumerate(zip(lo, hi, strict=True)):
                ours = [entity[j : j + 2] for j in range(len(entity) - 1)]
                theirs = [text[j : j + 2] for j in range(a, b - 1)]
                shared = sum(min(ours.count(g), theirs.count(g)) for g in set(ours))
                total = len(ours) + len(theirs)
                assert found[row, col] == pytest.approx(2 * shared / total if total else 0.0)


# ---------------------------------------------------------------------------- caps, with a warning


def test_candidate_length_is_capped_and_said_once(caplog):
    extractor = CandidateExtractor(max_len_ratio=1.5)
    entity = [Span(0, 100, "ORG")]
    assert extractor.wanted(entity) == 150 and extractor.longest(entity) == MAX_RATIO_LENGTH
    assert extractor.longest([Span(0, 41, "ORG")]) == 62  # Europarl's longest entity: uncapped
    projector = make_projector("match", max_len_ratio=1.5)
    tokens = [f"w{i}" for i in range(120)]
    links = [Link(i, i) for i in range(120)]
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            projector.project(tokens, entity, tokens, links)
    assert projector.stats["capped:length"] == 2
    assert caplog.text.count("candidates of at most 64 words, not the 150") == 1


def test_the_score_matrix_cap_keeps_the_candidates_near_links_and_the_result(caplog, monkeypatch):
    source, target = long_pair(400)
    links = [Link(i, i) for i in range(0, len(target), 3)]  # every third word aligned
    spans = source.spans
    uncapped = make_projector("match", solver="ilp").project(source.tokens, spans, target, links)
    monkeypatch.setattr(match_projector, "MAX_SCORE_CELLS", 1000)
    projector = make_projector("match", solver="ilp")
    with caplog.at_level(logging.WARNING):
        capped = projector.project(source.tokens, spans, target, links)
        context = projector.context(source.tokens, spans, target, links)
    assert capped == uncapped  # for the alignment score, the cut candidates scored 0
    assert all(any(c.start <= x.tgt < c.end for x in links) for c in context.candidates)
    assert projector.stats["capped:cells"] == 2
    assert "more than 1000 score cells" in caplog.text
    assert len(textwrap.dedent(caplog.text).strip().splitlines()) == 1
