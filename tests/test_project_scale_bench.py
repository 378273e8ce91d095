"""``xlner benchmark project-scale``: its options, its measurements, and a tiny real run.

No test times anything: the benchmark is a script whose numbers go to BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from xlner.bench.project_scale import _row, measure, synthetic_spans
from xlner.cli import app
from xlner.types import Span

runner = CliRunner()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sizes", "10k"], "--sizes must be comma-separated whole numbers, not '10k'"),
        (["--sizes", "100,0"], "--sizes must be positive"),
        (["--solvers", "greedy,simplex"], "unknown solver 'simplex'; choose from dp, greedy, ilp"),
        (["--long-tokens", "0"], "--long-tokens must be positive, got 0"),
        (["--time-limit", "-1"], "--time-limit must be positive, got -1"),
    ],
)
def test_bad_options_are_refused_before_any_work(tmp_path, options, message):
    result = runner.invoke(
        app, ["benchmark", "project-scale", "--work-dir", str(tmp_path / "none"), *options]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "none").exists()


def test_synthetic_entities_are_capitalised_runs_after_the_first_word():
    tokens = ["The", "Bank", "of", "Uganda", "New", "York", "said", "x", "Kampala"]
    assert synthetic_spans(tokens) == [
        Span(1, 2, "MISC"),
        Span(3, 6, "MISC"),
        Span(8, 9, "MISC"),
    ]


GROW = """
import sys, time
block = bytearray(300 * 2**20)
for i in range(0, len(block), 4096):
    block[i] = 1
print("aligning sentence pairs 1-100", file=sys.stderr, flush=True)
print("aligning sentence pairs 101-200", file=sys.stderr, flush=True)
time.sleep(float(sys.argv[1]))
print("projected 7 entities onto 200 sentences: wrote x", file=sys.stderr)
"""


def test_a_measured_process_reports_its_peak_memory_and_progress(tmp_path):
    done = measure([sys.executable, "-c", GROW, "0"], tmp_path / "err.txt", None)
    assert done.returncode == 0 and done.peak_process_mb >= 300
    row = _row("x", done)
    assert row["status"] == "ok" and row["entities"] == 7 and row["aligned_pairs"] is None

    stopped = measure([sys.executable, "-c", GROW, "60"], tmp_path / "err.txt", 3)
    assert stopped.returncode is None and stopped.seconds < 30
    row = _row("x", stopped)
    assert row["status"] == "stopped" and row["aligned_pairs"] == 100 and row["chunks"] == 2


def test_a_tiny_run_writes_its_rows_and_removes_its_corpora(tmp_path, require):
    require("mafand-mt/text_files/en-swa/train.en")
    require("europarl-ner/en-europarl.test.conll02")
    output = tmp_path / "scale.json"
    work = tmp_path / "work"
    work.mkdir()
    args = ["benchmark", "project-scale", "--sizes", "30", "--solvers", "greedy"]
    args += ["--long-tokens", "300", "--output", str(output), "--work-dir", str(work)]
    args += ["--aligner-option", "n_iterations=2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(output.read_text(encoding="utf-8"))["rows"]
    assert [row["case"] for row in rows][0] == "30 pairs"
    assert all(row["status"] == "ok" and row["peak_process_mb"] > 0 for row in rows)
    assert rows[1]["tokens"][0] >= 300 and rows[1]["cut"]  # over 256 tokens: cut
    assert rows[0]["entities"] > 0 and "30 pairs" in result.output
    assert list(work.iterdir()) == []
