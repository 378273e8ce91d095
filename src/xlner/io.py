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
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from xlner.errors import OutputError

STDOUT = "-"


def is_stdout(path: str | Path) -> bool:
    return str(path) == STDOUT


def check_outputs(
    outputs: Mapping[str, str | Path | None], inputs: Mapping[str, str | Path | None]
) -> None:
    """Refuse outputs that are directories or would overwrite an input, before any work.

    Both arguments map an option name (used in the message, e.g. ``"--source"``) to a path;
    ``None`` entries are skipped. An output is the same file as an input when both exist and
    have the same device and inode: the same path, a hard link, or a symlink to it.
    """
    identities = {name: _identity(path) for name, path in inputs.items() if path is not None}
    for out_name, output in outputs.items():
        if output is None or is_stdout(output):
            continue
        if Path(output).is_dir():
            raise OutputError(output, f"{out_name} is a directory; give a file name")
        identity = _identity(output)
        if identity is None:
            continue
        for in_name, other in identities.items():
            if other == identity:
                raise OutputError(
                    output,
                    f"{out_name} is the same file as {in_name} {inputs[in_name]}; "
                    "refusing to overwrite an input",
                )


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
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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


def remove_output(path: str | Path, *, marker: str | None = None) -> None:
    """Delete an output that a command wrote before (a stale one, or one that must not look
    finished): a regular file or a symlink (the link only, never what it points to); a
    folder only when it holds ``marker``, the file that shows it is a previous output of
    ours. A missing path is nothing to do; anything else is refused with an OutputError."""
    import shutil  # here, so that this addition stays at the end of the module

    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    with _output_errors(path):
        if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
            path.unlink()
            return
        if stat.S_ISDIR(info.st_mode) and marker is not None and (path / marker).is_file():
            shutil.rmtree(path)
            return
    raise OutputError(path, "is not an output this command wrote; move it away to write here")
