"""Speed settings: the OpenMP wait policy, encoder precisions, the throughput benchmark and
the training progress the CLI prints. The benchmark's measurements are replaced by fakes:
these tests check behaviour, not speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlner.bench import throughput as bench
from xlner.cli import app

runner = CliRunner()


# ----------------------------------------------------------------------------- threads


def _wait_policy_after_import(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_value is not None:
        env["OMP_WAIT_POLICY"] = env_value
    code = "import os, xlner; print(os.environ['OMP_WAIT_POLICY'])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_import_xlner_makes_openmp_wait_passively_unless_set() -> None:
    assert _wait_policy_after_import(None) == "PASSIVE"
    assert _wait_policy_after_import("ACTIVE") == "ACTIVE"


# --------------------------------------------------------------------------- precision


def test_resolve_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    import xlner.encoders.base as encoders

    monkeypatch.setattr(encoders, "cpu_supports_bf16", lambda: True)
    assert encoders.resolve_precision("auto", "cpu") == "bfloat16"
    monkeypatch.setattr(encoders, "cpu_supports_bf16", lambda: False)
    assert encoders.resolve_precision("auto", "cpu") == "float32"
    assert encoders.resolve_precision("int8", "cpu") == "int8"
    with pytest.raises(ValueError, match="unknown precision 'half'; choose one of auto"):
        encoders.resolve_precision("half")


def test_with_precision_converts_linear_layers() -> None:
    torch = pytest.importorskip("torch")
    from xlner.encoders.base import with_precision

    def model() -> torch.nn.Module:
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.Tanh())

    x = torch.randn(4, 16)
    exact = model()(x)
    half = with_precision(model(), "bfloat16")
    assert half[0].weight.dtype == torch.bfloat16
    torch.testing.assert_close(half(x.bfloat16()).float(), exact, atol=0.05, rtol=0.05)
    quantised = with_precision(model(), "int8")
    assert "quantized.dynamic" in type(quantised[0]).__module__
    torch.testing.assert_close(quantised(x), exact, atol=0.05, rtol=0.05)
    assert with_precision(model(), "float32")[0].weight.dtype == torch.float32
    with pytest.raises(ValueError, match="int8 runs on a CPU only"):
        with_precision(model().to("meta"), "int8")


# ------------------------------------------------------------------ the benchmark


def test_worker_specs_pair_old_options_with_the_thread_settings() -> None:
    settings = {"data_dir": "/data", "pairs": 10}
    before = bench.worker_spec("simalign", "before", settings)
    passive = bench.worker_spec("simalign", "passive", settings)
    after = bench.worker_spec("simalign", "after", settings)
    assert before["options"] == passive["options"] == bench.OLD_OPTIONS["simalign"]
    assert after["options"] == {}  # today's defaults
    assert [s["openmp"] for s in (before, passive, after)] == ["spin", "passive", "passive"]
    assert before["pairs"] == 10 and before["part"] == "simalign"
    with pytest.raises(ValueError):
        bench.worker_spec("simalign", "later", settings)


def _fake_measure(rates: dict[str, list[float]]):
    """A stand-in for :func:`bench.measure`: rates per stage in order, F1 for simalign."""
    calls: list[dict] = []

    def measure_one(spec):
        calls.append(dict(spec))
        rate = rates[spec["stage"]].pop(0)
        result = {"rate": rate, "items": 10, "seconds": 10 / rate, "load_average": [1.0, 2.0]}
        if spec["part"] == "simalign":
            result["f1"] = {"heuristic": 90.0, "coverage": 91.0}
        return result

    return measure_one, calls


def test_run_throughput_interleaves_stages_and_takes_ratios_of_medians() -> None:
    measure_one, calls = _fake_measure(
        {"before": [10.0, 30.0, 20.0], "passive": [40.0, 40.0, 10.0], "after": [90.0, 50.0, 60.0]}
    )
    result = bench.run_throughput({"pairs": 5}, ["simalign"], repeats=3, measure_one=measure_one)
    assert [c["stage"] for c in calls] == list(bench.STAGES) * 3
    summary = result["parts"]["simalign"]
    assert summary["rate"] == {"before": 20.0, "passive": 40.0, "after": 60.0}
    assert summary["ratio"] == {"before": 1.0, "passive": 2.0, "after": 3.0}
    assert summary["f1"]["after"] == {"heuristic": 90.0, "coverage": 91.0}
    assert result["machine"]["torch"] and "avx512_bf16" in result["machine"]["cpu_flags"]
    table = bench.format_results(result)
    assert "simalign  pairs/s" in table and "2.00x" in table and "3.00x" in table
    assert "heuristic 90.00/90.00" in table and "load average 1.0-2.0" in table


# ------------------------------------------------------------------------- the CLI


def test_throughput_cli_prints_the_table_and_writes_json(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measure_one, calls = _fake_measure(
        {"before": [1.0, 1.0], "passive": [2.0, 2.0], "after": [4.0, 4.0]}
    )
    monkeypatch.setattr(bench, "measure", measure_one)
    output = tmp_path / "throughput.json"
    args = ["benchmark", "throughput", "--data-dir", str(shared_data), "--output", str(output)]
    result = runner.invoke(app, [*args, "--parts", "tagging", "--sentences", "7", "--steps", "3"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("tagging "))
    assert row.split()[1:5] == ["sentences/s", "1.00", "2.00", "4.00"] and "4.00x" in row
    assert len(calls) == 6 and {c["sentences"] for c in calls} == {7}
    assert calls[0]["tagger"] is None and calls[0]["steps"] == 3
    written = json.loads(output.read_text())
    assert written["parts"]["tagging"]["ratio"]["after"] == 4.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--parts", "simalign,speling"], "unknown part 'speling'; choose from simalign"),
        (["--repeats", "0"], "Invalid value for '--repeats'"),
        (["--pairs", "-1"], "Invalid value for '--pairs'"),
        (["--steps", "0"], "Invalid value for '--steps'"),
        (["--tagger", "."], "is not a saved xlner tagger"),
    ],
)
def test_throughput_cli_bad_options_are_one_line_errors(
    options: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["benchmark", "throughput", "--data-dir", str(tmp_path), *options])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_throughput_cli_reports_a_failed_measurement_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(spec):
        raise bench.WorkerError("throughput worker tagging/before failed: OSError: no model")

    monkeypatch.setattr(bench, "measure", failing)
    _conll_dir(tmp_path)
    result = runner.invoke(
        app, ["benchmark", "throughput", "--data-dir", str(tmp_path), "--parts", "tagging"]
    )
    assert result.exit_code == 2
    assert "error: throughput worker tagging/before failed: OSError: no model" in result.stderr
    assert "Traceback" not in result.output


def test_throughput_cli_needs_the_corpora_of_its_parts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "xlner", "benchmark", "throughput", "--parts", "simalign"]
        + ["--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "corpus 'europarl-ner' not found" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# ----------------------------------------------------- training progress in the CLI

SENTENCES = "Juma B-PER\nlives O\nin O\nKampala B-LOC\n. O\n\nthe O\ncity O\nis O\nbig O\n\n"


def _conll_dir(root: Path) -> Path:
    folder = root / "conll2003"
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        (folder / f"{split}.txt").write_text(SENTENCES * 4, encoding="utf-8")
    return root


def test_train_tagger_prints_step_loss_rate_and_time_left(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    encoder = save_tiny_bert(tmp_path / "encoder", ["Juma", "lives", "in", "Kampala", "."])
    args = ["train", "tagger", "--data-dir", str(_conll_dir(tmp_path)), "--encoder", str(encoder)]
    args += ["--output", str(tmp_path / "tagger"), "--batch-size", "2", "--stop-after", "3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in lines] == ["1/3", "3/3"]
    assert all(" loss " in line and "steps/s" in line and "left" in line for line in lines)
