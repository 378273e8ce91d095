"""Readers and evaluate: missing files, directories, empty inputs, CR-only files, BIOES, NFD.

Each case goes through the real ``xlner`` entry point and must end in one ``error:`` line
(exit code 2) or a correct result, never in a traceback.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from entry_point import xlner_cli

from xlner.corpora.bitext import read_sentences
from xlner.corpora.conll import read_conll
from xlner.errors import InputError
from xlner.types import Span

SOURCE = "Ana\tB-PER\nvive\tO\nen\tO\nSan\tB-LOC\nJosé\tI-LOC\n\nPedro\tB-PER\ncanta\tO\n\n"
TARGET = "Ana vive en San José\nPedro canta\n"


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "en.conll", SOURCE), _write(tmp_path / "es.txt", TARGET)


def _project(capsys, source, target, output, *extra):
    return xlner_cli(
        capsys, "project", "--source", source, "--target", target, "-o", output, *extra
    )


def _f1(stdout: str) -> float:
    row = next(line for line in stdout.splitlines() if line.startswith("all "))
    return float(row.split()[3])


# ------------------------------------------------------------------ missing files, directories


@pytest.mark.parametrize("which", ["source", "target"])
def test_project_with_a_missing_file_is_one_line(capsys, tmp_path, files, which) -> None:
    source, target = files
    missing = tmp_path / "nowhere.txt"
    args = (missing, target) if which == "source" else (source, missing)
    result = _project(capsys, *args, tmp_path / "out.conll")
    assert result.code == 2
    assert result.err.strip() == f"error: {missing}: no such file"


def test_project_with_a_directory_as_target(capsys, tmp_path, files) -> None:
    source, _ = files
    result = _project(capsys, source, tmp_path, tmp_path / "out.conll")
    assert result.code == 2
    assert result.err.strip() == f"error: {tmp_path}: is a directory, not a file"


@pytest.mark.parametrize("which", ["gold", "predicted"])
def test_evaluate_with_a_missing_file_or_a_directory(capsys, tmp_path, files, which) -> None:
    source, _ = files
    for bad, message in [(tmp_path / "none.conll", "no such file"), (tmp_path, "is a directory")]:
        args = (bad, source) if which == "gold" else (source, bad)
        result = xlner_cli(capsys, "evaluate", *args)
        assert result.code == 2
        assert result.err.startswith(f"error: {bad}: {message}")


def test_an_error_quoting_the_input_keeps_its_brackets(capsys, tmp_path, files) -> None:
    # The message quotes the file's text as it is: "[red]" is the user's tag, not markup.
    source, _ = files
    bad = _write(tmp_path / "bad.conll", "Ana B-PER\nvive [red]X]\n\n")
    result = xlner_cli(capsys, "evaluate", source, bad)
    assert result.code == 2
    assert result.err.strip() == f"error: {bad}:2: not a B-/I-/E-/S-/O tag: '[red]X]'"


def test_results_print_the_inputs_labels_as_they_are(capsys, tmp_path) -> None:
    # Neither "[red]" (markup) nor ":smile:" (an emoji code) is read as anything but text.
    gold = _write(tmp_path / "g.conll", "Ana B-[red]X\nvive O\nen O\nRoma B-:smile:\n\n")
    result = xlner_cli(capsys, "evaluate", gold, gold)
    assert result.code == 0, result.err
    first = [line.split()[0] for line in result.out.splitlines()[1:3]]
    assert sorted(first) == [":smile:", "[red]X"]


# ------------------------------------------------------------------ inputs without a sentence


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_project_of_an_empty_source_is_an_error(capsys, tmp_path, files, content) -> None:
    _, target = files
    empty = _write(tmp_path / "empty.conll", content)
    output = tmp_path / "out.conll"
    result = _project(capsys, empty, target, output)
    assert result.code == 2
    assert f"{empty}: no sentence" in result.err
    assert not output.exists()


def test_project_of_empty_source_and_target_is_an_error(capsys, tmp_path) -> None:
    source = _write(tmp_path / "s.conll", "")
    target = _write(tmp_path / "t.txt", "")
    result = _project(capsys, source, target, tmp_path / "out.conll")
    assert result.code == 2 and f"{source}: no sentence" in result.err


def test_project_of_an_empty_target_is_an_error(capsys, tmp_path, files) -> None:
    source, _ = files
    target = _write(tmp_path / "t.txt", "")
    result = _project(capsys, source, target, tmp_path / "out.conll")
    assert result.code == 2 and f"{target}: no sentence" in result.err


def test_evaluate_of_two_empty_files_is_an_error(capsys, tmp_path) -> None:
    gold = _write(tmp_path / "g.conll", "")
    pred = _write(tmp_path / "p.conll", "\n")
    result = xlner_cli(capsys, "evaluate", gold, pred)
    assert result.code == 2
    assert f"{gold}: no sentence" in result.err
    assert "nan" not in result.out


# ------------------------------------------------------------------ old-Mac line ends


def test_cr_only_files_are_read_as_lines(tmp_path) -> None:
    conll = _write(tmp_path / "mac.conll", SOURCE.replace("\n", "\r").encode())
    assert read_conll(conll) == read_conll(_write(tmp_path / "unix.conll", SOURCE))
    text = _write(tmp_path / "mac.txt", TARGET.replace("\n", "\r").encode())
    assert read_sentences(text) == [line.split() for line in TARGET.splitlines()]


def test_cr_only_lines_keep_their_numbers_in_errors(tmp_path) -> None:
    bad = _write(tmp_path / "bad.conll", b"a O\rb X-PER\r")
    with pytest.raises(InputError, match=r"bad\.conll:2: not a B-/I-/E-/S-/O tag"):
        read_conll(bad)


def test_a_cr_inside_a_line_of_a_unix_file_stays_in_the_line(tmp_path) -> None:
    path = _write(tmp_path / "t.txt", b"a\rb c\nd\n")
    assert read_sentences(path) == [["a", "b", "c"], ["d"]]  # two lines; CR is whitespace


def test_evaluate_of_a_cr_only_file_against_itself(capsys, tmp_path) -> None:
    gold = _write(tmp_path / "mac.conll", SOURCE.replace("\n", "\r").encode())
    result = xlner_cli(capsys, "evaluate", gold, gold)
    assert result.code == 0, result.err
    assert _f1(result.out) == 100.0
    assert "3" in result.out.splitlines()[-2]  # three gold entities, not one token


# ------------------------------------------------------------------ tag schemes

BIOES = "Ana\tS-PER\nvive\tO\nen\tO\nSan\tB-LOC\nJosé\tE-LOC\n\nPedro\tS-PER\ncanta\tO\n\n"


def test_project_reads_bioes_by_default(capsys, tmp_path, files) -> None:
    _, target = files
    source = _write(tmp_path / "en.bioes", BIOES)
    output = tmp_path / "out.conll"
    result = _project(capsys, source, target, output)
    assert result.code == 0, result.err
    labels = sorted(span.label for s in read_conll(output) for span in s.spans)
    assert labels == ["LOC", "PER", "PER"]  # identical sentences: every entity projects


def test_project_with_scheme_iob2_rejects_bioes(capsys, tmp_path, files) -> None:
    _, target = files
    source = _write(tmp_path / "en.bioes", BIOES)
    result = _project(capsys, source, target, tmp_path / "o.conll", "--scheme", "iob2")
    assert result.code == 2
    assert f"{source}:1: S- tag 'S-PER' in an IOB2 sequence" in result.err


def test_evaluate_compares_bioes_with_iob2(capsys, tmp_path) -> None:
    gold = _write(tmp_path / "g.bioes", BIOES)
    pred = _write(tmp_path / "p.conll", SOURCE.replace("Pedro\tB-PER", "Pedro\tB-ORG"))
    result = xlner_cli(capsys, "evaluate", gold, pred)
    assert result.code == 0, result.err
    assert _f1(result.out) == pytest.approx(100 * 2 / 3, abs=0.05)
    forced = xlner_cli(capsys, "evaluate", gold, pred, "--scheme", "bioes")
    assert forced.code == 2 and f"{pred}:2: entity of class PER opened at 0" in forced.err


def test_iob1_is_detected(tmp_path) -> None:
    iob1 = _write(tmp_path / "g.iob1", "Ana\tI-PER\nPedro\tB-PER\nvive\tO\n\n")
    assert read_conll(iob1, "auto")[0].spans == [Span(0, 1, "PER"), Span(1, 2, "PER")]


def test_unknown_scheme_is_refused(capsys, tmp_path, files) -> None:
    source, _ = files
    result = xlner_cli(capsys, "evaluate", source, source, "--scheme", "bilou")
    assert result.code == 2
    assert "bilou" in result.err and "auto" in result.err and "Traceback" not in result.err


# ------------------------------------------------------------------ Unicode normalisation


def test_evaluate_matches_nfd_prediction_with_nfc_gold(capsys, tmp_path) -> None:
    nfc = unicodedata.normalize("NFC", SOURCE)
    nfd = unicodedata.normalize("NFD", SOURCE)
    assert nfc != nfd  # "José" differs
    gold, pred = _write(tmp_path / "g.conll", nfc), _write(tmp_path / "p.conll", nfd)
    result = xlner_cli(capsys, "evaluate", gold, pred)
    assert result.code == 0, result.err
    assert _f1(result.out) == 100.0


def test_evaluate_names_the_token_that_differs(capsys, tmp_path) -> None:
    gold = _write(tmp_path / "g.conll", SOURCE)
    pred = _write(tmp_path / "p.conll", SOURCE.replace("canta", "baila"))
    result = xlner_cli(capsys, "evaluate", gold, pred)
    assert result.code == 2
    assert f"{pred}: sentence 2, token 2 is 'baila' where gold has 'canta'" in result.err


@pytest.mark.parametrize(
    "command",
    [
        ["benchmark", "europarl"],
        ["benchmark", "model-transfer", "--model-dir", "."],
        ["data", "show", "europarl-ner", "lang=de"],
    ],
)
def test_a_missing_corpus_is_one_line(capsys, tmp_path, command) -> None:
    outcome = xlner_cli(capsys, *command, "--data-dir", tmp_path / "nowhere")
    assert outcome.code == 2
    message = outcome.out + outcome.err
    assert "error:" in message and "Traceback" not in message
    assert "nowhere" in message
