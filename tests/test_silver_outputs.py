"""``xlner silver``'s folder: inputs never replaced, no stale outputs, a half-finished run
never looks finished, input that holds no text, length limits before the tagger, the folder
lock before any model loads (issue 19).

The fakes of ``pipeline_fakes`` keep the runs instant; ``test-measured`` below records what
the tagger was given and when its model would load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from entry_point import xlner_cli
from pipeline_fakes import CALLS, CapsTagger, fresh_counters  # noqa: F401 (an autouse fixture)

from xlner.tagging.base import register_tagger

FAKES = ("--tagger", "test-caps", "--aligner", "test-diagonal", "--preset", "light")
ENGLISH = ["Anna visits Berlin today .", "the weather is fine today .", "Ravi met Mona ."]
SWAHILI = ["Anna anatembelea Berlin leo .", "hali ya hewa ni nzuri leo .", "Ravi alikutana Mona ."]
SEEN: list[int] = []  # the length of every sentence test-measured tagged


@register_tagger("test-measured")
class MeasuredTagger(CapsTagger):
    """test-caps that records each sentence's length, and counts its model loads: the
    signature, as a real tagger's, reads the model."""

    name = "test-measured"

    def signature(self):
        CALLS["model loads"] += 1
        return super().signature()

    def tag(self, sentences):
        SEEN.extend(len(sentence) for sentence in sentences)
        return super().tag(sentences)


@pytest.fixture(autouse=True)
def nothing_seen():
    SEEN.clear()


def _lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def bitext(tmp_path: Path) -> tuple[str, ...]:
    english, swahili = _lines(tmp_path / "en.txt", ENGLISH), _lines(tmp_path / "sw.txt", SWAHILI)
    return ("--source", str(english), "--target", str(swahili))


def _silver(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "silver", "-o", output, *args)


def _summary(output: Path) -> dict:
    return json.loads((output / "summary.json").read_text(encoding="utf-8"))


def _outputs(output: Path) -> set[str]:
    """The outputs in the folder: everything but the caches, the shards and the lock."""
    return {p.name for p in output.iterdir()} - {"cache", "shards", ".lock", "summary.json"}


# ---------------------------------------------------------------------------- inputs


def test_silver_refuses_outputs_that_are_its_inputs(capsys, tmp_path) -> None:
    folder = tmp_path / "out"
    source = _lines(folder / "silver.jsonl", ENGLISH)
    target = _lines(folder / "silver.conll", SWAHILI)
    result = _silver(capsys, folder, "--source", source, "--target", target, *FAKES)
    assert result.code == 2 and "Traceback" not in result.err
    assert "the output silver.conll is the same file as --target" in result.err
    assert source.read_text(encoding="utf-8").splitlines() == ENGLISH
    assert target.read_text(encoding="utf-8").splitlines() == SWAHILI


def test_silver_refuses_an_exclusion_file_among_its_outputs(capsys, tmp_path, bitext) -> None:
    folder = tmp_path / "out"
    test = _lines(folder / "silver.spacy", ["Anna anatembelea Berlin leo ."])
    result = _silver(capsys, folder, *bitext, *FAKES, "--exclude", test)
    assert result.code == 2 and "the same file as --exclude" in result.err
    assert test.read_text(encoding="utf-8") == "Anna anatembelea Berlin leo .\n"


def test_a_previous_parquet_fed_back_is_never_removed_as_stale(capsys, tmp_path, bitext) -> None:
    pytest.importorskip("pyarrow")
    folder = tmp_path / "out"
    assert _silver(capsys, folder, *bitext, *FAKES, "--format", "parquet").code == 0
    records = folder / "silver.parquet"
    before = records.read_bytes()
    # The silver records as bitext into the same folder: the JSONL run would remove them.
    again = ("--bitext", records, "--columns", "source_text,text", *FAKES)
    result = _silver(capsys, folder, *again)
    assert result.code == 2 and "the same file as --bitext" in result.err
    assert records.read_bytes() == before


def test_a_folder_that_is_not_an_export_is_never_removed(capsys, tmp_path, bitext) -> None:
    folder = tmp_path / "out"
    _lines(folder / "silver.hf" / "notes.txt", ["mine"])
    result = _silver(capsys, folder, *bitext, *FAKES)
    assert result.code == 2 and "silver.hf: is a folder xlner silver did not write" in result.err
    assert (folder / "silver.hf" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


# ---------------------------------------------------------------------------- stale outputs


@pytest.mark.parametrize("shards", [(), ("--shard-size", "2")])
def test_a_rerun_removes_the_outputs_it_does_not_write(capsys, tmp_path, bitext, shards) -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("datasets")
    folder = tmp_path / "out"
    first = _silver(capsys, folder, *bitext, *FAKES, *shards, "--export", "hf")
    assert first.code == 0, first.err
    assert _outputs(folder) == {"silver.conll", "silver.jsonl", "silver.hf"}
    again = _silver(capsys, folder, *bitext, *FAKES, *shards, "--format", "parquet")
    assert again.code == 0, again.err
    assert _outputs(folder) == {"silver.conll", "silver.parquet"}
    assert set(_summary(folder)["outputs"].values()) == _outputs(folder)


# ---------------------------------------------------------------------------- SIGTERM

_KILLED_WHILE_WRITING = """
import os, signal, sys
import pipeline_fakes
from xlner.silver import writers

def killed(sentence):
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()

writers.record = killed  # the records are written after silver.conll
sys.argv = ["xlner", *sys.argv[1:]]
from xlner.cli import run
run()
"""


def test_sigterm_while_writing_never_leaves_a_finished_looking_folder(
    capsys, tmp_path, bitext
) -> None:
    folder = tmp_path / "out"
    assert _silver(capsys, folder, *bitext, *FAKES).code == 0
    tests, src = Path(__file__).parent, Path(__file__).parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(tests)])}
    args = ["silver", "-o", str(folder), *bitext, *FAKES, "--keep-empty", "0"]
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0, done.stderr
    # The new silver.conll may stand beside the old silver.jsonl, but without summary.json
    # the folder says that its run did not finish.
    assert not (folder / "summary.json").exists()
    assert not list(folder.glob(".summary.json*"))


# ---------------------------------------------------------------------------- no text


def test_pairs_of_control_characters_only_are_empty_lines(capsys, tmp_path) -> None:
    junk = ["\x00 \x00 \x00 \x00", "\ufeff \ufeff \ufeff", "\x7f \x7f \x7f", "\ufffd \ufffd \ufffd"]
    english = _lines(tmp_path / "en.txt", [*junk, ENGLISH[0]])
    swahili = _lines(tmp_path / "sw.txt", [*junk[::-1], SWAHILI[0]])
    args = ("--source", english, "--target", swahili, *FAKES, "--keep-empty", "1")
    folder = tmp_path / "out"
    result = _silver(capsys, folder, *args, "--min-length", "1")
    assert result.code == 0, result.err
    summary = _summary(folder)
    assert summary["dropped"]["empty_line"] == 4 and summary["sentences_out"] == 1
    assert "warning" not in result.err
    only_junk = ("--source", _lines(tmp_path / "j.txt", junk), "--target", tmp_path / "j.txt")
    result = _silver(capsys, tmp_path / "junk", *only_junk, *FAKES, "--min-length", "1")
    assert result.code == 0 and "none of the 4 sentence pairs has text on both sides" in result.err
    assert _summary(tmp_path / "junk")["sentences_out"] == 0
    assert _summary(tmp_path / "junk")["warnings"][0].startswith("none of the 4 sentence pairs")


# ---------------------------------------------------------------------------- lengths


def test_the_length_limits_apply_before_the_tagger_runs(capsys, tmp_path) -> None:
    long = " ".join(["word"] * 5_000)
    english = _lines(tmp_path / "en.txt", [ENGLISH[0], long, ENGLISH[2]])
    swahili = _lines(tmp_path / "sw.txt", [SWAHILI[0], long, SWAHILI[2]])
    args = ("--source", english, "--target", swahili, "--tagger", "test-measured", *FAKES[2:])
    folder = tmp_path / "out"
    result = _silver(capsys, folder, *args, "--max-length", "100")
    assert result.code == 0, result.err
    assert _summary(folder)["dropped"]["too_long"] == 1
    assert max(SEEN) < 100 and len(SEEN) == 2
    # Limits that let it in tag it (only it) and give what a fresh run gives.
    SEEN.clear()
    assert _silver(capsys, folder, *args, "--max-length", "5000").code == 0
    assert SEEN == [5_000]
    fresh = tmp_path / "fresh"
    assert _silver(capsys, fresh, *args, "--max-length", "5000").code == 0
    assert (folder / "silver.jsonl").read_text() == (fresh / "silver.jsonl").read_text()


# ---------------------------------------------------------------------------- lock first


def test_a_folder_in_use_is_refused_before_any_model_loads(capsys, tmp_path, bitext) -> None:
    from xlner.pipeline.cache import run_lock

    folder = tmp_path / "out"
    with run_lock(folder):
        result = _silver(capsys, folder, *bitext, "--tagger", "test-measured", *FAKES[2:])
    assert result.code == 2 and "is in use by pid" in result.err
    assert CALLS["model loads"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--exclude", "missing.txt"), "missing.txt: no such file"),
        (("--source", "missing.txt", "--target", "sw.txt"), "missing.txt: no such file"),
        (("--source", "empty.txt", "--target", "empty.txt"), "the bitext is empty"),
    ],
)
def test_bad_input_fails_before_any_model_loads(
    capsys, tmp_path, monkeypatch, bitext, args, message
) -> None:
    _lines(tmp_path / "empty.txt", [])
    monkeypatch.chdir(tmp_path)
    given = args if "--source" in args else (*bitext, *args)
    result = _silver(capsys, tmp_path / "out", *given, "--tagger", "test-measured", *FAKES[2:])
    assert result.code == 2 and message in result.err, result.err
    assert CALLS["model loads"] == 0 and not (tmp_path / "out").exists()
