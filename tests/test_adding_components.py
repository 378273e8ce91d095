"""The worked examples of docs/adding-a-component.md, run through the registry and the CLI.

Each example is one file in ``docs/examples/xlner_examples``; nothing else names it. The tests
point the catalogues at that package (as a built-in's package is already scanned) on copies of
the catalogues, so the examples do not outlive a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlner.cli import app
from xlner.corpora.conll import write_conll
from xlner.registry import registry
from xlner.types import Span, TaggedSentence

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
PACKAGE = "xlner_examples"


@pytest.fixture
def examples(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    for module in [m for m in sys.modules if m.startswith(PACKAGE)]:
        monkeypatch.delitem(sys.modules, module)
    for catalogue in (registry.aligners, registry.scores, registry.corpora):
        catalogue.all()  # built-ins imported now register for good, not into the copy
        monkeypatch.setattr(catalogue, "_entries", dict(catalogue._entries))
        monkeypatch.setattr(catalogue, "packages", catalogue.packages)
        monkeypatch.setattr(catalogue, "_found", None)
        catalogue.add_package(PACKAGE)


def test_new_components_are_found_by_name_without_an_import(examples):
    assert f"{PACKAGE}.diagonal_aligner" not in sys.modules
    assert "diagonal" in registry.aligners.available()
    assert "length" in registry.scores.available() and "toy-ner" in registry.corpora
    assert f"{PACKAGE}.diagonal_aligner" not in sys.modules  # listed, not loaded
    assert registry.aligners.defaults("diagonal") == {"shift": 0}
    links = registry.aligners.build("diagonal", shift=1).align([(["a", "b"], ["x", "y", "z"])])
    assert [(link.src, link.tgt) for link in links[0]] == [(0, 1), (1, 2)]


def _bitext(tmp_path: Path) -> tuple[Path, Path]:
    sentence = TaggedSentence(["Anna", "lives", "in", "Rome"], [Span(0, 1, "PER")])
    sentence.spans.append(Span(3, 4, "LOC"))
    write_conll(tmp_path / "src.conll", [sentence])
    write_conll(tmp_path / "tgt.conll", [sentence])
    return tmp_path / "src.conll", tmp_path / "tgt.conll"


def test_the_example_aligner_and_score_run_through_xlner_project(examples, tmp_path):
    source, target = _bitext(tmp_path)
    args = ["project", "--source", str(source), "--target", str(target), "--target-conll"]
    args += ["--aligner", "diagonal", "--method", "match", "--score", "alignment=1,length=1"]
    result = CliRunner().invoke(app, [*args, "--evaluate", "-o", str(tmp_path / "out.conll")])
    assert result.exit_code == 0, result.output
    assert "100.0" in result.output and "|align=diagonal|" in result.output
    bad = CliRunner().invoke(app, [*args, "--aligner-option", "shift=-1", "-o", "x.conll"])
    assert bad.exit_code == 2 and "aligner 'diagonal': shift must be >= 0" in bad.output
    assert "Traceback" not in bad.output


def test_the_example_score_refuses_an_impossible_threshold(examples, tmp_path):
    source, target = _bitext(tmp_path)
    args = ["project", "--source", str(source), "--target", str(target), "--method", "match"]
    result = CliRunner().invoke(app, [*args, "--score", "length", "--threshold", "2", "-o", "o"])
    assert result.exit_code == 2 and "threshold" in result.output


def test_the_example_corpus_is_listed(examples, tmp_path):
    result = CliRunner().invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "toy-ner" in result.output


def test_the_examples_leave_the_catalogues_as_they_were():
    assert "diagonal" not in registry.aligners and "toy-ner" not in registry.corpora
