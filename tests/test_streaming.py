"""Streaming: readers, chunked alignment and writers, so that memory stays flat with input size.

The stream gives what the lists give; a side that ends early is an error naming both files
and both counts; every setting is still checked before any work.
"""

from __future__ import annotations

import json
import os
import threading
import tracemalloc
from itertools import count

import pytest
from entry_point import xlner_cli
from typer.testing import CliRunner

from xlner.align.base import Aligner
from xlner.align.eflomal import EflomalAligner
from xlner.cli import app
from xlner.corpora.bitext import iter_bitext, read_bitext, write_sentences
from xlner.corpora.conll import iter_conll, read_conll, write_conll
from xlner.errors import InputError
from xlner.pipeline.sample import SAMPLE, load_sample
from xlner.project.corpus import (
    ParallelError,
    balanced_chunks,
    iter_project_bitext,
    parallel,
    project_bitext,
    signature_fields,
)
from xlner.project.heuristic import HeuristicProjector
from xlner.project.writers import write_projected_conll, write_projected_jsonl
from xlner.registry import ComponentError
from xlner.signature import make_signature, preset_baseline
from xlner.types import Link, Span, TaggedSentence

runner = CliRunner()
IOB1 = "A O\nb O\n\nC I-PER\nd O\n\nE I-LOC\nF B-LOC\n\n"  # IOB1 shows only in sentence 3
BIOES = "A S-PER\nb O\n\nC B-ORG\nD E-ORG\n\n"


class Diagonal(Aligner):
    """Links word i to word i; records the sizes of the corpora it is given."""

    name = "diagonal"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def align(self, pairs, *, extra_bitext=()):
        self.calls.append(len(pairs))
        return [[Link(i, i) for i in range(min(len(s), len(t)))] for s, t in pairs]


# ---------------------------------------------------------------------------- readers


@pytest.mark.parametrize(
    ("text", "scheme"), [(IOB1, "auto"), (IOB1, "iob1"), (BIOES, "auto"), (BIOES, "bioes")]
)
def test_the_streaming_reader_gives_the_sentences_of_the_list_reader(tmp_path, text, scheme):
    path = tmp_path / "x.conll"
    path.write_text(text, encoding="utf-8")
    streamed = list(iter_conll(path, scheme))
    assert streamed == read_conll(path, scheme)
    if scheme == "auto" and text == IOB1:  # the scheme comes from the whole file
        assert streamed[1].spans == [Span(0, 1, "PER")] and len(streamed[2].spans) == 2


def test_the_sample_streams_as_it_reads():
    english, _ = load_sample()
    assert list(iter_conll(SAMPLE / "en.conll", "auto")) == english


def traced_peak(read) -> int:
    """The peak of Python's allocations while ``read()`` runs, in bytes."""
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_auto_scheme_of_a_big_file_does_not_hold_the_file(tmp_path):
    path = tmp_path / "big.conll"
    sentence = TaggedSentence([f"w{i}" for i in range(20)], [Span(2, 4, "PER")])
    write_conll(path, (sentence for _ in range(1500)))
    streamed = traced_peak(lambda: sum(1 for _ in iter_conll(path, "auto")))
    listed = traced_peak(lambda: read_conll(path, "auto"))
    assert streamed < listed / 10  # one sentence at a time, not the file


def test_auto_scheme_reads_a_pipe_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(IOB1, encoding="utf-8"))
    writer.start()
    try:
        sentences = list(iter_conll(fifo, "auto"))
    finally:
        writer.join()
    assert sentences == read_conll_text(tmp_path, IOB1)
    assert sentences[2].spans == [Span(0, 1, "LOC"), Span(1, 2, "LOC")]  # read as IOB1


def read_conll_text(folder, text):
    path = folder / "regular.conll"
    path.write_text(text, encoding="utf-8")
    return read_conll(path, "auto")


def test_the_bitext_stream_gives_the_pairs_of_the_list(tmp_path):
    write_sentences(tmp_path / "a.en", [["a", "b"], ["c"]])
    write_sentences(tmp_path / "a.de", [["x"], ["y", "z"]])
    assert list(iter_bitext(tmp_path / "a.en", tmp_path / "a.de")) == read_bitext(
        tmp_path / "a.en", tmp_path / "a.de"
    )


def test_a_short_bitext_side_is_an_error_naming_both_files(tmp_path):
    source, target = tmp_path / "a.en", tmp_path / "a.de"
    write_sentences(source, [["a"], ["b"], ["c"]])
    write_sentences(target, [["x"], ["y"]])
    stream = iter_bitext(source, target)
    assert next(stream) == (["a"], ["x"])  # streamed: the pairs before the end come first
    with pytest.raises(InputError) as error:
        list(stream)
    assert f"{source} has 3 lines, {target} has 2" in str(error.value)


@pytest.mark.parametrize(("n_source", "n_target"), [(5, 3), (3, 5), (0, 2)])
def test_parallel_streams_must_end_together(n_source, n_target):
    with pytest.raises(ParallelError) as error:
        list(parallel(iter(range(n_source)), iter(range(n_target))))
    assert f"source has {n_source} sentences but target has {n_target}" in str(error.value)
    assert list(parallel(iter("ab"), iter("cd"))) == [("a", "c"), ("b", "d")]


# ---------------------------------------------------------------------------- chunks


def test_chunks_keep_the_order_and_spare_the_last_from_being_small():
    for size in (1, 2, 3, 10):
        for total in range(0, 40):
            chunks = list(balanced_chunks(range(total), size))
            assert [x for chunk in chunks for x in chunk] == list(range(total))
            assert all(len(chunk) <= size + size // 2 for chunk in chunks)
            if len(chunks) > 1:
                assert all(len(chunk) >= max(size // 2, 1) for chunk in chunks)
                assert all(len(chunk) == size for chunk in chunks[:-1])
    assert [len(c) for c in balanced_chunks(range(24), 10)] == [10, 14]
    assert [len(c) for c in balanced_chunks(range(25), 10)] == [10, 10, 5]
    assert [len(c) for c in balanced_chunks(range(26), None)] == [26]


def test_the_pairs_are_read_and_aligned_a_chunk_at_a_time():
    english, spanish = load_sample()
    consumed = count()

    def pairs():
        for src, tgt in zip(english * 10, spanish * 10, strict=True):  # 400 pairs
            next(consumed)
            yield src, tgt.tokens

    aligner = Diagonal()
    announced = []
    stream = iter_project_bitext(
        pairs(),
        aligner,
        HeuristicProjector(),
        chunk_size=100,
        on_chunk=lambda *a: announced.append(a),
    )
    next(stream)
    assert next(consumed) == 150  # one chunk and half a chunk ahead, not the 400
    rest = list(stream)
    assert len(rest) == 399 and aligner.calls == [100, 100, 100, 100]
    assert announced == [(0, 100), (100, 100), (200, 100), (300, 100)]


def test_a_bad_chunk_size_and_missing_link_sets_are_refused_before_reading():
    def untouchable():
        raise AssertionError("read although the settings were wrong")
        yield

    with pytest.raises(ValueError, match="chunk size must be at least 1, got 0"):
        iter_project_bitext(untouchable(), Diagonal(), HeuristicProjector(), chunk_size=0)
    with pytest.raises(ComponentError, match="link set 'union'"):
        iter_project_bitext(untouchable(), Diagonal(), HeuristicProjector(links="union"))


def test_the_stream_gives_what_the_list_gives():
    english, spanish = load_sample()
    targets = [s.tokens for s in spanish]
    listed = project_bitext(english, targets, EflomalAligner(), HeuristicProjector())
    streamed = iter_project_bitext(
        zip(english, targets, strict=True), EflomalAligner(), HeuristicProjector()
    )
    assert [p for _, p in streamed] == listed
    assert sum(len(p.projected) for p in listed) > 40


# ---------------------------------------------------------------------------- xlner project


@pytest.fixture
def sample_files(tmp_path):
    english, spanish = load_sample()
    write_conll(tmp_path / "en.conll", english)
    write_conll(tmp_path / "es.conll", spanish)
    write_sentences(tmp_path / "es.txt", [s.tokens for s in spanish])
    return tmp_path / "en.conll", tmp_path / "es.txt", tmp_path / "es.conll"


@pytest.mark.parametrize("output_format", ["conll", "jsonl"])
def test_streamed_output_equals_the_output_of_the_list_path(sample_files, tmp_path, output_format):
    source, target, _ = sample_files
    out = tmp_path / f"cli.{output_format}"
    args = ["project", "--source", str(source), "--target", str(target), "-o", str(out)]
    args += ["--format", output_format, "--chunk-size", "17", "--aligner", "eflomal"]
    args += ["--method", "heuristic"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "aligning sentence pairs 1-17" in result.output
    assert "aligning sentence pairs 18-40" in result.output  # the 6 left join the last chunk

    english, spanish = load_sample()
    aligner, projector = EflomalAligner(), HeuristicProjector()
    listed = project_bitext(english, [s.tokens for s in spanish], aligner, projector, chunk_size=17)
    expected = tmp_path / f"list.{output_format}"
    if output_format == "conll":
        write_projected_conll(expected, listed)
    else:
        baseline = preset_baseline("default", {"align": aligner, "project": projector})
        signed = signature_fields(aligner, projector)
        signature = make_signature(signed, preset="default", baseline=baseline)
        write_projected_jsonl(expected, english, listed, signature.short)
    assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")


def test_evaluate_scores_the_streamed_spans(sample_files, tmp_path):
    source, _, gold = sample_files
    out = tmp_path / "out.conll"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    args += ["-o", str(out), "--evaluate", "--chunk-size", "10"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    all_row = next(line for line in result.output.splitlines() if line.startswith("all "))
    scored = runner.invoke(app, ["evaluate", str(gold), str(out)])
    assert all_row in scored.output


@pytest.mark.parametrize("short", ["target", "source"])
def test_a_side_that_ends_early_is_an_error_naming_both_files(capsys, sample_files, short):
    source, target, _ = sample_files
    if short == "target":
        target.write_text("".join(target.read_text(encoding="utf-8").splitlines(True)[:37]))
        counts = "source has 40 sentences but target has 37"
    else:
        write_conll(source, load_sample()[0][:37])
        counts = "source has 37 sentences but target has 40"
    out = source.parent / "out.conll"
    # Chunks of 8: the end comes after four chunks were aligned, projected and written.
    result = xlner_cli(
        capsys,
        *("project", "--source", source, "--target", target, "-o", out, "--chunk-size", 8),
        *("--preset", "light", "--aligner-option", "n_iterations=2"),
    )
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == f"error: {source} and {target}: {counts}; " + (
        "the two sides must be sentence-parallel"
    )
    assert "aligning sentence pairs 25-32" in result.err and "Traceback" not in result.err
    assert not out.exists()


def test_chunk_size_is_checked_before_any_file_is_read():
    args = ["project", "--source", "missing.conll", "--target", "missing.txt", "-o", "o.conll"]
    result = runner.invoke(app, [*args, "--chunk-size", "0"])
    assert result.exit_code == 2
    assert "--chunk-size must be at least 1, got 0" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_jsonl_records_are_numbered_across_chunks(sample_files, tmp_path):
    source, target, _ = sample_files
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(target), "-o", str(out)]
    result = runner.invoke(app, [*args, "--format", "jsonl", "--chunk-size", "12"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["index"] for r in records] == list(range(40))
