"""``xlner study noise`` end to end on the real Europarl-NER (skipped without the corpora)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlner.cli import app

TINY = """
levels = [0.0, 0.5]
operators = ["drop_links"]
aligners = [{ name = "eflomal-ibm1", options = { model = 1, rel_iterations = 0.1 } }]
[methods]
heuristic = { method = "heuristic" }
[datasets.europarl]
languages = ["de"]
[examples]
settings = [{ operator = "drop_links", level = 0.5 }]
sentences = 3
"""


def test_default_config_is_printed() -> None:
    result = CliRunner().invoke(app, ["study", "default-config"])
    assert result.exit_code == 0
    assert "[datasets.europarl]" in result.output


def test_bad_config_stops_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('operators = ["blur"]\n')
    result = CliRunner().invoke(app, ["study", "noise", str(path), "-o", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert not (tmp_path / "run").exists()


def test_missing_corpus_stops_before_any_work(tmp_path: Path) -> None:
    args = ["study", "noise", "-o", str(tmp_path / "run"), "--data-dir", str(tmp_path / "none")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "xlner data fetch europarl-ner" in result.output
    assert not (tmp_path / "run").exists()


def test_an_output_that_is_a_file_or_holds_the_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "run" / "results.json"
    config.parent.mkdir()
    config.write_text(TINY, encoding="utf-8")
    taken = CliRunner().invoke(app, ["study", "noise", str(config), "-o", str(config.parent)])
    assert taken.exit_code == 2
    assert "is the same file as CONFIG" in taken.output and "Traceback" not in taken.output
    assert config.read_text(encoding="utf-8") == TINY
    file = CliRunner().invoke(app, ["study", "noise", str(config), "-o", str(config)])
    assert file.exit_code == 2 and "--output is a file; give a folder" in file.output


@pytest.mark.slow
def test_noise_study_on_europarl(shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "europarl-ner" / "de-europarl.test.conll02").exists():
        pytest.skip("Europarl-NER is not in the data directory")
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    run_dir = tmp_path / "run"
    args = ["study", "noise", str(config), "-o", str(run_dir), "--data-dir", str(shared_data)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    results = json.loads((run_dir / "results.json").read_text())
    cells = {(c["axis"], c["level"]): c for c in results["cells"]}
    assert set(cells) == {("aligner", 0.0), ("noise", 0.0), ("noise", 0.5)}
    assert cells[("noise", 0.5)]["f1"] < cells[("noise", 0.0)]["f1"]
    assert "eflomal-ibm1" in cells[("noise", 0.5)]["signature"]
    assert len((run_dir / "examples.jsonl").read_text().splitlines()) == 3
    report = CliRunner().invoke(app, ["report", str(run_dir)])
    assert report.exit_code == 0 and (run_dir / "report.html").stat().st_size > 10_000
