"""A quiet, fast command line: no heavy library loaded to parse options or show help, no
third-party noise where a model loads, and -q / -v on every command, before or after it."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from entry_point import xlner_cli
from rich.console import Console
from typer.testing import CliRunner

from xlner.cli import app, common
from xlner.registry import registry

# Libraries that take seconds (or hundreds of milliseconds) to import.
HEAVY = ("torch", "transformers", "spacy", "ray", "datasets", "pyarrow", "scipy", "numpy")
HEAVY += ("sklearn", "pandas", "seqeval", "eflomal")
# What transformers prints when a model loads or is saved, unless told otherwise.
NOISE = ("LOAD REPORT", "Loading weights", "Writing model shards")


def _xlner(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m xlner ARGS`` in a process of its own (what a user's shell runs)."""
    return subprocess.run(
        [sys.executable, "-m", "xlner", *map(str, args)],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_the_command_line_is_built_without_a_heavy_library():
    # Every command and its options, as `xlner --help` and an option error need them.
    code = (
        "import sys; from typer.main import get_command; import xlner.cli; "
        "get_command(xlner.cli.app); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []


def test_project_help_names_the_components_defaults():
    result = CliRunner().invoke(app, ["project", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", result.output)
    heuristic = registry.projectors.defaults("heuristic")
    solver = registry.solvers.defaults(registry.projectors.defaults("match")["solver"])
    eflomal = registry.aligners.defaults("eflomal")
    assert f"eflomal's ({eflomal['symmetrization']})" in text
    assert f"gap to merge ({heuristic['merge_distance']})" in text
    assert f"run/entity ratio ({heuristic['length_ratio']})" in text
    assert f"projections per entity ({solver['n']})" in text
    assert f"lowest pair score ({solver['threshold']})" in text


# ---------------------------------------------------------------------------- -q and -v


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_keeps_the_results_and_drops_the_messages(capsys, where):
    loud = xlner_cli(capsys, "data", "list")
    assert loud.code == 0 and "data directory:" in loud.err
    args = ["-q", "data", "list"] if where == "before" else ["data", "list", "-q"]
    quiet = xlner_cli(capsys, *args)
    assert quiet.code == 0, quiet.err
    assert quiet.out == loud.out and quiet.err == ""


def test_quiet_keeps_warnings_and_errors(capsys, tmp_path):
    gold = tmp_path / "gold.conll"
    gold.write_text("Anna O\nsees I-PER\n", encoding="utf-8")  # repaired, with a warning
    result = xlner_cli(capsys, "evaluate", gold, gold, "--scheme", "iob2", "-q")
    assert result.code == 0 and result.out
    assert result.err.startswith(f"warning: {gold}:2: read 1 I- tag(s)")
    failed = xlner_cli(capsys, "-q", "evaluate", gold, tmp_path / "missing.conll")
    assert failed.code == 2 and "error:" in failed.err


def test_quiet_hides_the_progress_bars(monkeypatch, sample, tmp_path):
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, soft_wrap=True)
    monkeypatch.setattr(common, "console", terminal)
    source, gold = sample
    args = ["project", "--source", source, "--target", gold, "--target-conll", "-o"]
    args += [tmp_path / "out.conll", "--preset", "light"]
    shown = CliRunner().invoke(app, list(map(str, args)))
    assert shown.exit_code == 0, shown.output
    assert re.search(r"project +━+", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()))
    screen.seek(0)
    screen.truncate()
    hidden = CliRunner().invoke(app, ["-q", *map(str, args)])
    assert hidden.exit_code == 0, hidden.output
    assert screen.getvalue() == ""  # neither bars nor messages


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_says_how_long_the_command_took_and_lasts_one_run(capsys, where):
    args = ["-v", "data", "list"] if where == "before" else ["data", "list", "--verbose"]
    verbose = xlner_cli(capsys, *args)
    assert verbose.code == 0
    assert re.search(r"^took \d+\.\d s$", verbose.err, re.MULTILINE)
    assert logging.getLogger("xlner").level == logging.NOTSET  # as it was
    after = xlner_cli(capsys, "data", "list")
    assert "took" not in after.err and "data directory:" in after.err


def test_a_sub_command_group_takes_them_too(capsys):
    result = xlner_cli(capsys, "data", "-q", "list")
    assert result.code == 0 and result.err == ""


# ---------------------------------------------------------------------------- third parties


@pytest.fixture(scope="module")
def tiny_training(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    folder = tmp_path_factory.mktemp("quiet")
    encoder = save_tiny_bert(folder / "bert", ["Juma", "lives", "in", "Kampala", "."])
    train = folder / "train.conll"
    train.write_text("Juma B-PER\nlives O\nin O\nKampala B-LOC\n. O\n", encoding="utf-8")
    return encoder, train


def test_loading_and_saving_a_model_prints_only_xlners_lines(tiny_training, tmp_path):
    encoder, train = tiny_training
    args = ["train", "tagger", "--encoder", encoder, "--train", train, "-o", tmp_path / "t"]
    trained = _xlner(*args, "--epochs", "1")
    assert trained.returncode == 0, trained.stderr
    assert "training" in trained.stderr and "tagger in" in trained.stderr
    assert not [noise for noise in NOISE if noise in trained.stderr], trained.stderr
    text = tmp_path / "text.txt"
    text.write_text("Juma lives in Kampala .\n", encoding="utf-8")
    tagged = _xlner("tag", text, "-o", tmp_path / "tagged.conll", "--model", tmp_path / "t")
    assert tagged.returncode == 0, tagged.stderr
    assert not [noise for noise in NOISE if noise in tagged.stderr], tagged.stderr


def test_verbose_lets_transformers_speak(tiny_training, tmp_path):
    encoder, train = tiny_training
    args = ["train", "tagger", "--encoder", encoder, "--train", train, "-o", tmp_path / "t"]
    trained = _xlner("-v", *args, "--epochs", "1")
    assert trained.returncode == 0, trained.stderr
    assert "LOAD REPORT" in trained.stderr  # the new classifier head's missing weights


# ---------------------------------------------------------------------------- the benchmark


def test_the_cli_benchmark_times_every_command_in_each_tree(capsys, tmp_path):
    import json

    import xlner
    from xlner.bench.cli_speed import COMMANDS

    source = Path(xlner.__file__).resolve().parents[1]
    output = tmp_path / "cli.json"
    result = xlner_cli(capsys, "benchmark", "cli", "--runs", "1", "--tree", f"here={source}",
                       "--output", output)  # fmt: skip
    assert result.code == 0, result.err
    rows = json.loads(output.read_text(encoding="utf-8"))["rows"]
    assert [(row["command"], row["tree"]) for row in rows] == [(c, "here") for c in COMMANDS]
    assert all(len(row["wall_s"]) == 1 and row["cpu_median_s"] > 0 for row in rows)
    assert "vs here" in result.out and "1.00x" in result.out


@pytest.mark.parametrize(
    ("tree", "message"),
    [("here", "--tree 'here' is not NAME=FOLDER"), ("x=/", "--tree x: / holds no xlner package")],
)
def test_the_cli_benchmark_refuses_a_tree_it_cannot_run(capsys, tree, message):
    result = xlner_cli(capsys, "benchmark", "cli", "--tree", tree)
    assert result.code == 2 and message in result.err


def _commands(group, path=()):
    """Every command below ``group`` with the words that call it."""
    for name, command in getattr(group, "commands", {}).items():
        yield (*path, name), command
        yield from _commands(command, (*path, name))


def test_option_help_keeps_its_square_brackets():
    # Rich reads "[variants]" in a help text as markup and drops it unless it is escaped.
    from typer.main import get_command

    checked = 0
    for words, command in _commands(get_command(app)):
        for param in command.params:
            bracketed = re.findall(r"\[[a-z_.]+\]", (getattr(param, "help", None) or ""))
            if not bracketed:
                continue
            result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "300"})
            for text in bracketed:
                assert text in result.output, (words, text)
                checked += 1
    assert checked  # benchmark silver --variants names the config's [variants]
