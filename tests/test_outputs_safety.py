"""Outputs never destroy inputs: same-file refusal, symlinks, FIFOs, devices, modes, stdout."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from entry_point import xlner_cli

from xlner.errors import OutputError
from xlner.io import atomic_write, check_outputs

SOURCE = "Ana\tB-PER\nvive\tO\nen\tO\nLima\tB-LOC\n\nPedro\tB-PER\ncanta\tO\n\n"
TARGET = "Ana vive en Lima\nPedro canta\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    source, target = tmp_path / "en.conll", tmp_path / "es.txt"
    source.write_text(SOURCE, encoding="utf-8")
    target.write_text(TARGET, encoding="utf-8")
    return source, target


@pytest.fixture
def full_device(tmp_path: Path) -> Path:
    """A device like /dev/full whose every write fails with ENOSPC.

    As root a private node is made, so that a regression replacing the device with a file
    (as older code did) cannot damage the machine's /dev/full; other users cannot replace
    /dev/full, so they use it.
    """
    if os.geteuid() != 0:
        return Path("/dev/full")
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as error:
        pytest.skip(f"cannot make a device node: {error}")
    return node


def _project(capsys, source: Path, target: Path, output: object, *extra: object):
    return xlner_cli(
        capsys, "project", "--source", source, "--target", target, "-o", output, *extra
    )


@pytest.mark.parametrize("which", ["source", "target"])
def test_project_refuses_to_overwrite_an_input(capsys, files, which) -> None:
    source, target = files
    victim = source if which == "source" else target
    before = victim.read_bytes()
    result = _project(capsys, source, target, victim)
    assert result.code == 2
    assert f"--output is the same file as --{which} {victim}" in result.err
    assert victim.read_bytes() == before


def test_project_refuses_the_target_conll_file(capsys, tmp_path, files) -> None:
    source, _ = files
    gold = tmp_path / "es.conll"
    gold.write_text(SOURCE.replace("Ana\t", "Ana\t"), encoding="utf-8")
    before = gold.read_bytes()
    result = _project(capsys, source, gold, gold, "--target-conll")
    assert result.code == 2 and "same file as --target" in result.err
    assert gold.read_bytes() == before


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_links_to_an_input_are_that_input(capsys, tmp_path, files, kind) -> None:
    source, target = files
    link = tmp_path / "out.conll"
    if kind == "hardlink":
        os.link(source, link)
    else:
        link.symlink_to(source)
    result = _project(capsys, source, target, link)
    assert result.code == 2 and "same file as --source" in result.err
    assert source.read_text(encoding="utf-8") == SOURCE


def test_extra_bitext_is_an_input_too(capsys, tmp_path, files) -> None:
    source, target = files
    extra_src, extra_tgt = tmp_path / "x.en", tmp_path / "x.es"
    extra_src.write_text("a b\n", encoding="utf-8")
    extra_tgt.write_text("c d\n", encoding="utf-8")
    args = ["--extra-source", extra_src, "--extra-target", extra_tgt]
    result = _project(capsys, source, target, extra_tgt, *args)
    assert result.code == 2 and "same file as --extra-target" in result.err
    assert extra_tgt.read_text(encoding="utf-8") == "c d\n"


def test_tag_refuses_to_overwrite_its_input(capsys, tmp_path) -> None:
    text = tmp_path / "sentences.txt"
    text.write_text("Ana vive en Lima\n", encoding="utf-8")
    # Checked before the model is loaded: no model is needed to see the refusal.
    result = xlner_cli(capsys, "tag", "--model", tmp_path / "no-model", text, "-o", text)
    assert result.code == 2 and "same file as INPUT_FILE" in result.err
    assert text.read_text(encoding="utf-8") == "Ana vive en Lima\n"


def test_output_directory_is_refused_before_any_work(capsys, tmp_path, files) -> None:
    source, target = files
    result = _project(capsys, source, target, tmp_path)
    assert result.code == 2
    assert f"{tmp_path}: --output is a directory" in result.err


def test_project_writes_to_standard_output_with_dash(capsys, tmp_path, files, monkeypatch):
    source, target = files
    monkeypatch.chdir(tmp_path)
    result = _project(capsys, source, target, "-")
    assert result.code == 0, result.err
    assert result.out.startswith("Ana\t") and "Pedro\t" in result.out
    assert not Path("-").exists()


def test_project_to_a_full_device_is_a_one_line_error(capsys, files, full_device) -> None:
    source, target = files
    result = _project(capsys, source, target, full_device)
    assert result.code == 2
    assert f"{full_device}: cannot write: No space left on device" in result.err
    assert stat.S_ISCHR(os.lstat(full_device).st_mode)


def test_a_symlink_keeps_pointing_at_its_replaced_target(tmp_path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_write(link) as out:
        out.write("new\n")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8") == "new\n"


def test_a_fifo_is_written_through_not_replaced(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    # A daemon: should the FIFO be replaced by a file, the blocked reader must not hang pytest.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with atomic_write(fifo) as out:
        out.write("through the pipe\n")
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_proc_self_fd_writes_to_the_stream_in_order(tmp_path) -> None:
    # Standard output redirected to a regular file: replacing that file would lose what the
    # process printed before and after.
    code = (
        "from xlner.io import atomic_write\n"
        "print('before', flush=True)\n"
        "for name in ('/proc/self/fd/1', '/dev/stdout'):\n"
        "    with atomic_write(name) as out:\n"
        "        out.write(name + '\\n')\n"
        "print('after')\n"
    )
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True)
    assert log.read_text().splitlines() == ["before", "/proc/self/fd/1", "/dev/stdout", "after"]


def test_a_write_error_on_a_device_is_an_output_error(full_device) -> None:
    error = r": cannot write: No space left on device$"
    with pytest.raises(OutputError, match=error), atomic_write(full_device) as out:
        out.write("x" * 100_000)
    assert stat.S_ISCHR(os.lstat(full_device).st_mode)


def test_replaced_file_keeps_its_mode(tmp_path) -> None:
    path = tmp_path / "shared.txt"
    path.write_text("old\n")
    path.chmod(0o664)
    with atomic_write(path) as out:
        out.write("new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_file_honours_the_umask(tmp_path, umask) -> None:
    previous = os.umask(umask)
    try:
        with atomic_write(tmp_path / "new.txt") as out:
            out.write("x\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o666 & ~umask


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(path) as out:
        out.write("half")
        raise RuntimeError("writer failed")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_error_of_the_writers_own_work_passes_unchanged(tmp_path) -> None:
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "out.txt"):
        open(tmp_path / "missing-input.txt")  # noqa: SIM115


def test_check_outputs_accepts_distinct_and_missing_files(tmp_path, files) -> None:
    source, target = files
    check_outputs({"-o": tmp_path / "new.conll"}, {"--source": source, "--target": target})
    check_outputs({"-o": "-", "--other": None}, {"--source": source, "--missing": None})


def test_report_refuses_to_overwrite_its_run_directory_files(capsys, tmp_path) -> None:
    results = tmp_path / "results.json"
    results.write_text("{}\n")  # checked before the report is built: no real run needed
    result = xlner_cli(capsys, "report", tmp_path, "-o", results)
    assert result.code == 2
    assert "--output is the same file as results.json" in result.err
    assert results.read_text() == "{}\n"


# ---------------------------------------------------------------------------- interrupts (issue 19)

SLOW_WRITE = """
import sys, time
from xlner.cli import app, run
from xlner.io import atomic_write

@app.command("slow-write")
def slow_write(path: str) -> None:
    with atomic_write(path) as out:
        out.write("half")
        out.flush()
        print("writing", flush=True)
        time.sleep(120)

sys.argv = ["xlner", "slow-write", sys.argv[1]]
run()
"""


def test_sigterm_during_a_write_leaves_no_temporary(tmp_path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # mid-write
    child.terminate()  # SIGTERM
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert out.read_text(encoding="utf-8") == "old\n"


def test_ctrl_c_ends_with_one_line(capsys, tmp_path, files, monkeypatch) -> None:
    import xlner.cli.export as export_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_cli, "read_conll", interrupted)  # Ctrl-C while it reads
    source, _ = files
    result = xlner_cli(capsys, "export", source, "--to", "spacy", "-o", tmp_path / "o.spacy")
    assert result.code == 130
    assert "interrupted (Ctrl-C): finished files are kept" in result.err
    assert "Traceback" not in result.err


def test_a_temporary_left_by_a_killed_process_is_removed_by_the_next_write(
    capsys, tmp_path, files
) -> None:
    source, target = files
    out = tmp_path / "out.conll"
    dead = tmp_path / ".out.conll.999999999-0badcafe.tmp"  # past any pid_max: runs nowhere
    live = tmp_path / f".out.conll.{os.getpid()}-0badcafe.tmp"  # a write in progress
    other = tmp_path / ".out.conll.notes.tmp"  # not a name xlner makes
    for path in (dead, live, other):
        path.write_text("half", encoding="utf-8")
    assert _project(capsys, source, target, out).code == 0
    assert not dead.exists() and live.exists() and other.exists() and out.is_file()


# ---------------------------------------------------------------------------- folders (issue 19)


def _marked(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MARK").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("exchange", [True, False])
def test_atomic_folder_replaces_a_folder_of_ours(tmp_path, monkeypatch, exchange) -> None:
    from xlner import io

    if not exchange:  # a system without renameat2: two renames
        monkeypatch.setattr(io, "_exchange", lambda first, second: False)
    target = _marked(tmp_path / "out", "old")
    with io.atomic_folder(target, ours=io.has_file("MARK"), what="a test folder") as staging:
        _marked(staging, "new")
    assert (target / "MARK").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no old copy


def test_atomic_folder_refuses_a_folder_not_ours_or_holding_an_input(tmp_path) -> None:
    from xlner import io

    mine = io.has_file("MARK")
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(OutputError, match="is not a test folder; refusing to replace it"):
        io.check_folder(other, ours=mine, what="a test folder")
    held = _marked(tmp_path / "held", "old")
    (held / "input.txt").write_text("in", encoding="utf-8")
    inputs = {"--input": held / "input.txt"}
    with pytest.raises(OutputError, match="holds --input"):
        io.check_folder(held, ours=mine, what="a test folder", inputs=inputs)
    with pytest.raises(RuntimeError), io.atomic_folder(tmp_path / "new", ours=mine, what="x"):
        raise RuntimeError("the writer failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["held", "other"]


def test_remove_folder_deletes_only_ours_never_through_a_symlink(tmp_path) -> None:
    from xlner import io

    ours = _marked(tmp_path / "ours", "x")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    link = tmp_path / "link"
    link.symlink_to(ours)
    assert not io.remove_folder(theirs, ours=io.has_file("MARK")) and theirs.is_dir()
    assert not io.remove_folder(link, ours=io.has_file("MARK")) and (ours / "MARK").is_file()
    assert io.remove_folder(ours, ours=io.has_file("MARK")) and not ours.exists()
