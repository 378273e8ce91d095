"""Small file helpers shared by every writer: safe output paths and atomic writes.

What an output path may be, and what happens to it:

* ``-``: standard output;
* a missing path or a regular file: written through a temporary sibling that is renamed into
  place on success, keeping the mode of the file it replaces (a new file gets the mode the
  umask allows, as ``open()`` would give it);
* a symlink: the file it points to is replaced in the same way and the link is kept;
* anything else that exists (a FIFO, a device such as ``/dev/full``) and the names of an
  open file (``/proc/self/fd/1``, ``/dev/stdout``): written through, never unlinked or
  replaced;
* a directory, or a file that is also an input of the command: refused by
  :func:`check_outputs` before any work is done.

Write errors (a full disk, ``/dev/full``) end as a one-line :class:`~xlner.errors.OutputError`.

Folders: :func:`atomic_folder` builds a folder under a hidden staging name beside it and swaps
it into place; an existing folder is replaced only when it is one of ours (the caller says how
to recognise one: a marker file, the layout of an earlier export) and holds no input.
:func:`remove_folder` deletes only such folders, :func:`files_into` moves a set of files into
a folder one by one, :func:`scratch_folder` is a work folder removed on every exit, and
:func:`make_folder` / :func:`remove_file` are ``mkdir -p`` and ``rm -f`` with one-line errors.

Temporaries are named ``.NAME.<pid>-<random>.tmp`` beside ``NAME``: one left by a killed
process (SIGKILL; SIGTERM is turned into an interrupt by :func:`interrupt_on_termination`, so
``finally`` blocks remove theirs) is removed by the next write of ``NAME``. Nothing else in
the package writes, renames or deletes files: ``tests/test_output_guard.py`` checks it.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, TextIO

from xlner.errors import OutputError

STDOUT = "-"


def is_stdout(path: str | Path) -> bool:
    return str(path) == STDOUT


def check_outputs(
    outputs: Mapping[str, str | Path | None],
    inputs: Mapping[str, str | Path | None],
    folders: Mapping[str, str | Path | None] | None = None,
) -> None:
    """Refuse outputs that are directories or would overwrite an input, before any work.

    ``outputs`` and ``inputs`` map an option name (used in the message, e.g. ``"--source"``)
    to a path; ``None`` entries are skipped. An output is the same file as an input when both
    exist and have the same device and inode: the same path, a hard link, or a symlink to it.
    ``folders`` are output folders (written into): refused when they are a file, standard
    output or an input.
    """
    identities = {name: _identity(path) for name, path in inputs.items() if path is not None}

    def same_as_input(out_name: str, output: str | Path, what: str) -> None:
        identity = _identity(output)
        for in_name, other in identities.items():
            if identity is not None and other == identity:
                raise OutputError(
                    output,
                    f"{out_name} is the same {what} as {in_name} {inputs[in_name]}; "
                    f"refusing to {'overwrite' if what == 'file' else 'write into'} an input",
                )

    for out_name, output in outputs.items():
        if output is None or is_stdout(output):
            continue
        if Path(output).is_dir():
            raise OutputError(output, f"{out_name} is a directory; give a file name")
        same_as_input(out_name, output, "file")
    for out_name, folder in (folders or {}).items():
        if folder is None:
            continue
        if is_stdout(folder):
            raise OutputError(folder, f"{out_name} is a folder; '-' (standard output) is a file")
        if Path(folder).exists() and not Path(folder).is_dir():
            raise OutputError(folder, f"{out_name} is a file; give a folder")
        same_as_input(out_name, folder, "folder")


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)  # follows symlinks: a link to an input is that input
    except OSError:
        return None
    return info.st_dev, info.st_ino


@contextmanager
def atomic_write(path: str | Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write a text file so that a failing writer never leaves a half-written file behind.

    See the module docstring for standard output, symlinks and non-regular files (which are
    written through, so there the guarantee cannot hold). An error raised by the writer
    leaves the previous file (or no file) in place.
    """
    yield from _atomic(path, encoding)


@contextmanager
def atomic_write_bytes(path: str | Path) -> Iterator[BinaryIO]:
    """:func:`atomic_write` for a binary file (a Parquet file, say)."""
    yield from _atomic(path, None)


def _atomic(path: str | Path, encoding: str | None) -> Iterator[Any]:
    """The file for :func:`atomic_write` (text in ``encoding``) or binary (``None``)."""
    if is_stdout(path):
        yield from _write_stdout(encoding)
        return
    try:
        info = os.stat(path)  # follows symlinks, /proc/self/fd/N included
    except FileNotFoundError:
        info = None
    descriptor = _own_descriptor(path) if info is not None else None
    if info is not None and (descriptor is not None or not stat.S_ISREG(info.st_mode)):
        yield from _write_through(path, encoding, descriptor)
    else:
        # The file a symlink points to is replaced; the link itself stays.
        target = Path(os.path.realpath(path))
        yield from _write_replace(path, target, encoding, info)


def _own_descriptor(path: str | Path) -> int | None:
    """The descriptor that a name such as /proc/self/fd/1, /dev/fd/1 or /dev/stdout stands for.

    Writing to that descriptor itself keeps the stream's position; replacing the regular file
    that may be behind it would leave the stream writing to an unlinked copy.
    """
    own = os.path.realpath(f"/proc/{os.getpid()}/fd")
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of symlinks
        name = os.path.basename(current)
        if os.path.realpath(os.path.dirname(current)) == own and name.isdigit():
            return int(name)
        if not os.path.islink(current):
            return None
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return None


def _write_stdout(encoding: str | None) -> Iterator[Any]:
    with _writer_errors(STDOUT):
        yield sys.stdout if encoding is not None else sys.stdout.buffer
    with _output_errors(STDOUT):
        sys.stdout.flush()


def _write_through(path: str | Path, encoding: str | None, descriptor: int | None) -> Iterator[Any]:
    with _output_errors(path):
        file = os.dup(descriptor) if descriptor is not None else path
        handle = open(file, **_mode(encoding))  # noqa: SIM115
    try:
        with _writer_errors(path):
            yield handle
        with _output_errors(path):
            handle.close()
    finally:
        with suppress(OSError):  # the error that matters is already on its way
            handle.close()


def _write_replace(
    path: str | Path, target: Path, encoding: str | None, info: os.stat_result | None
) -> Iterator[Any]:
    with _output_errors(path):
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target)
        tmp = temporary_path(target)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        handle = os.fdopen(fd, **_mode(encoding))
    try:
        with _writer_errors(path):
            yield handle
        with _output_errors(path):
            # mkstemp makes the file 0600; give it the mode of the file it replaces, or the
            # one a new file gets under the umask.
            os.fchmod(fd, stat.S_IMODE(info.st_mode) if info is not None else _new_file_mode())
            handle.flush()
            os.fsync(fd)
            handle.close()
            os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            handle.close()
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode(encoding: str | None) -> dict[str, Any]:
    """How to open the file: text with ``\\n`` line ends, or binary."""
    if encoding is None:
        return {"mode": "wb"}
    return {"mode": "w", "encoding": encoding, "newline": "\n"}


@contextmanager
def _output_errors(path: str | Path) -> Iterator[None]:
    """Turn a failure to create, write or rename ``path`` into a one-line error."""
    try:
        yield
    except OSError as error:
        raise OutputError(path, f"cannot write: {error.strerror or error}") from None


@contextmanager
def _writer_errors(path: str | Path) -> Iterator[None]:
    """Inside the caller's block: only errors that name no file are this output's.

    A buffered write that finds the disk full raises an ``OSError`` without a file name; one
    with a file name comes from the caller's own work (reading an input, say) and passes.
    """
    try:
        yield
    except OSError as error:
        if error.filename is not None:
            raise
        raise OutputError(path, f"cannot write: {error.strerror or error}") from None


def _new_file_mode() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; it is put back at once
    os.umask(mask)
    return 0o666 & ~mask


# ---------------------------------------------------------------------------- temporaries

TEMPORARY_SUFFIX = ".tmp"


def temporary_path(target: Path) -> Path:
    """A fresh hidden name beside ``target``: ``.NAME.<pid>-<random>.tmp``.

    The process id tells :func:`remove_stale_temporaries` whether its writer still runs.
    """
    token = secrets.token_hex(4)
    return target.parent / f".{target.name}.{os.getpid()}-{token}{TEMPORARY_SUFFIX}"


def remove_stale_temporaries(target: Path) -> None:
    """Remove the temporaries of ``target`` (files or staging folders) whose process is gone.

    Only names this module makes, ``.NAME.<pid>-<hex>.tmp``, and only where no process of
    that id runs here: a write in progress, in this process or another, is left alone.
    """
    prefix = f".{target.name}."
    with suppress(OSError):  # a folder that cannot be listed has nothing of ours to clean
        for path in target.parent.iterdir():
            name = path.name
            if not (name.startswith(prefix) and name.endswith(TEMPORARY_SUFFIX)):
                continue
            pid, dash, token = name[len(prefix) : -len(TEMPORARY_SUFFIX)].partition("-")
            if not (pid.isdigit() and dash and _is_hex(token)) or _alive(int(pid)):
                continue
            with suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**31  # another user's process; an id past any pid_max runs nowhere
    return True


# ---------------------------------------------------------------------------- files and folders

Ours = Callable[[Path], bool]


def make_folder(path: str | Path) -> Path:
    """``mkdir -p path``; a failure (a file in the way, no permission) is an OutputError."""
    path = Path(path)
    with _output_errors(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def remove_file(path: str | Path) -> None:
    """Remove the file (or symlink) ``path`` if it is there; never a folder."""
    with _output_errors(path):
        Path(path).unlink(missing_ok=True)


def has_file(name: str) -> Ours:
    """An ownership test: a folder is ours when it holds the marker file ``name``."""
    return lambda folder: (folder / name).is_file()


def remove_folder(path: str | Path, *, ours: Ours) -> bool:
    """Delete the folder ``path`` when it is one of ours (``ours(path)``); return whether it
    was. A symlink, a file or someone else's folder is left alone."""
    path = Path(path)
    if path.is_symlink() or not path.is_dir() or not ours(path):
        return False
    with _output_errors(path):
        shutil.rmtree(path)
    return True


def check_folder(
    path: str | Path,
    *,
    ours: Ours,
    what: str,
    inputs: Mapping[str, str | Path | None] | None = None,
    option: str = "--output",
) -> Path:
    """The folder that writing ``what`` to ``path`` replaces (a symlink's target); refused
    with an OutputError when it is a file, holds an input or the working directory, or
    exists and is not one of ours."""
    path = Path(path)
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_dir():
        raise OutputError(path, f"{option} exists and is not a folder; {what} is a folder")
    for name, given in (inputs or {}).items():
        if given is not None and _within(Path(os.path.realpath(given)), target):
            raise OutputError(
                path, f"{option} holds {name} {given}; refusing to replace a folder of inputs"
            )
    if _within(Path.cwd().resolve(), target):
        raise OutputError(path, f"{option} holds the working directory; give a new folder")
    if target.is_dir() and not ours(target):
        raise OutputError(
            path,
            f"{option} exists and is not {what}; refusing to replace it "
            "(give a new folder, or remove this one yourself)",
        )
    return target


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


@contextmanager
def atomic_folder(
    path: str | Path,
    *,
    ours: Ours,
    what: str,
    inputs: Mapping[str, str | Path | None] | None = None,
) -> Iterator[Path]:
    """An empty hidden staging folder beside ``path``; when the block succeeds it replaces
    ``path`` at once (the old folder, if any, is then removed), else it is removed.

    ``path`` must pass :func:`check_folder` (``ours`` recognises a folder of ours, ``what``
    names it in messages). A symlink stays and its target is replaced.
    """
    target = check_folder(path, ours=ours, what=what, inputs=inputs)
    make_folder(target.parent)
    remove_stale_temporaries(target)
    staging = temporary_path(target)
    with _output_errors(path):
        staging.mkdir()
    try:
        with _writer_errors(path):
            yield staging
        with _output_errors(path):
            _swap_in(staging, target)
    finally:
        with suppress(OSError):  # after a swap: the old folder; after an error: the new one
            shutil.rmtree(staging)


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; an old ``target`` ends at ``staging`` (to be removed)."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    old = temporary_path(target)  # no atomic exchange here: two renames, the old kept aside
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        raise
    os.rename(old, staging)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system cannot."""
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is None:
        return False
    at_cwd, rename_exchange = -100, 2
    result = function(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@contextmanager
def files_into(folder: str | Path) -> Iterator[Path]:
    """A staging folder for files that, when the block succeeds, are moved into ``folder``
    one by one (each replaced at once; a name that is a folder there is an error); the other
    files of ``folder`` stay."""
    folder = make_folder(folder)
    with scratch_folder(folder, ".xlner-staging-") as staging:
        yield staging
        with _output_errors(folder):
            for file in sorted(staging.iterdir()):
                if (folder / file.name).is_dir() and not (folder / file.name).is_symlink():
                    raise IsADirectoryError(errno.EISDIR, "a folder is in the way", file.name)
                os.replace(file, folder / file.name)


@contextmanager
def scratch_folder(parent: str | Path | None = None, prefix: str = "xlner-") -> Iterator[Path]:
    """A fresh work folder ``<prefix><pid>-<random>`` in ``parent`` (default: the system's
    temporary folder), removed on every exit; one a killed process left is removed here."""
    where = make_folder(parent) if parent is not None else Path(tempfile.gettempdir())
    _remove_stale_scratch(where, prefix)
    path = where / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
    with _output_errors(path):
        path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_scratch(parent: Path, prefix: str) -> None:
    for path in parent.glob(f"{prefix}*-*"):
        pid = path.name[len(prefix) :].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)) and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def new_temporary_folder(prefix: str) -> Path:
    """A new folder in the system's temporary folder, kept until :func:`remove_folder`."""
    return Path(tempfile.mkdtemp(prefix=prefix))


# ---------------------------------------------------------------------------- locks


class Locked(Exception):
    """The lock file is held by another process; ``holder`` is what that process wrote."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is held by {holder}")


@contextmanager
def exclusive_lock(path: str | Path, holder: str) -> Iterator[None]:
    """Hold the lock file ``path`` (``flock``: released when the process ends, even by
    kill -9), with ``holder`` written in it; :class:`Locked` when another process has it."""
    path = Path(path)
    make_folder(path.parent)
    with _output_errors(path):
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed below)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise Locked(path, handle.read().strip() or "another process") from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder + "\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)


# ---------------------------------------------------------------------------- termination


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt (see :func:`interrupt_on_termination`)."""


@contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Inside the block SIGTERM interrupts the main thread as Ctrl-C does, so that every
    ``finally`` block runs (temporaries removed, locks released). For the command line's
    entry point: a library leaves the process's signals alone."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()
