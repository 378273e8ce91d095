"""Stage artifacts on disk, keyed by a hash of everything that determines them.

A stage's key hashes its name, its settings (including the signature of the component that
runs it: model, version...), the keys of the stages it reads and the record format. Changing
a setting therefore changes the key of that stage and of every stage downstream of it, while
the stages before it keep their keys and are reused.

Layout of one stage under the cache directory::

    <stage>-<key16>/result.jsonl                 the finished artifact, one JSON record a line
    <stage>-<key16>/result.meta.json             its record count and SHA-256, written last
    <stage>-<key16>/settings.json                what the key was computed from, for inspection
    <stage>-<key16>/shards/<start>-<end>.jsonl   finished batches of an unfinished stage
                                                 (each with its own ``.meta.json``)

Every file is written atomically (temporary file + rename), and a records file counts as
finished only once its meta file, written after it, is there and agrees with it. Reading
checks the count, the checksum, every line and the count the stage's inputs call for, so a
file cut short, cut mid-line, emptied or edited is reported as :class:`CacheDamage` (naming
the file) instead of being reused; the runner then recomputes it.

One run directory serves one process at a time: :func:`run_lock` takes a lock file in it and
says who holds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from xlner.io import Locked, atomic_write, exclusive_lock, remove_file, remove_folder
from xlner.pipeline.records import RecordError, from_json, to_json
from xlner.signature import canonical as canonical  # the one canonical JSON, re-exported
from xlner.signature import digest

R = TypeVar("R")
RESULT = "result.jsonl"
LOCK = ".lock"
# Part of every key: records of another layout are never read as this one's.
RECORD_FORMAT = 2


class CacheDamage(Exception):
    """A cached records file that is incomplete or changed; names the file and the fault."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class CacheWarning(UserWarning):
    """A damaged cache file was found and its stage recomputed."""


class RunLocked(RuntimeError):
    """Another process is running in the same run directory."""


def stage_key(name: str, settings: Any, inputs: Sequence[str]) -> str:
    """The hex SHA-256 of a stage's name, settings, upstream keys and the record format."""
    return digest(
        {"stage": name, "settings": settings, "inputs": list(inputs), "format": RECORD_FORMAT}
    )


def content_key(records: Iterable[Any]) -> str:
    """The hex SHA-256 of records' content (for stages keyed by their data, like the corpus)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(canonical(to_json(record)).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------------------- records files


def meta_path(path: Path) -> Path:
    """``result.jsonl`` -> ``result.meta.json``: the file's count and checksum."""
    return path.with_suffix(".meta.json")


def write_records(path: Path, records: Sequence[Any]) -> None:
    """Write ``records`` one JSON line each, then (last) their count and checksum."""
    remove_file(meta_path(path))  # until the new meta is written: unfinished
    digest = hashlib.sha256()
    with atomic_write(path) as out:
        for record in records:
            line = json.dumps(to_json(record), ensure_ascii=False) + "\n"
            digest.update(line.encode("utf-8"))
            out.write(line)
    with atomic_write(meta_path(path)) as out:
        json.dump({"records": len(records), "sha256": digest.hexdigest()}, out)
        out.write("\n")


def has_records(path: Path) -> bool:
    """True when ``path`` or its meta file exists: finished, or damaged (never silently)."""
    return path.is_file() or meta_path(path).is_file()


def read_records(path: Path, kind: type[R], expected: int | None = None) -> list[R]:
    """The records of ``path``, checked against its meta file and the ``expected`` count.

    Raises :class:`CacheDamage` naming the file and what is wrong with it.
    """
    count, checksum = _read_meta(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CacheDamage(path, "is missing (its meta file is there)") from None
    lines = data.split(b"\n")
    if lines[-1]:
        raise CacheDamage(path, f"ends in the middle of line {len(lines)}")
    lines.pop()
    if len(lines) != count:
        raise CacheDamage(path, f"has {len(lines)} of its {count} records")
    if hashlib.sha256(data).hexdigest() != checksum:
        raise CacheDamage(path, "does not match its checksum (changed after it was written)")
    if expected is not None and count != expected:
        raise CacheDamage(path, f"holds {count} records but its inputs call for {expected}")
    return [_decode(path, number, line, kind) for number, line in enumerate(lines, start=1)]


def _read_meta(path: Path) -> tuple[int, str]:
    meta = meta_path(path)
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        return int(data["records"]), str(data["sha256"])
    except FileNotFoundError:
        raise CacheDamage(path, f"has no {meta.name} (record count and checksum)") from None
    except (ValueError, KeyError, TypeError, OverflowError):  # "records": 1e400 overflows
        raise CacheDamage(meta, "is not a record count and checksum") from None


def _decode(path: Path, number: int, line: bytes, kind: type[R]) -> R:
    try:
        return from_json(kind, json.loads(line))
    except (ValueError, RecordError) as error:  # JSONDecodeError and UnicodeDecodeError too
        raise CacheDamage(path, f"line {number}: {error}") from None


# ---------------------------------------------------------------------------- one stage


class StageStore:
    """The directory of one stage at one key: its result and the shards of its batches."""

    def __init__(self, cache_dir: Path, name: str, key: str, kind: type) -> None:
        self.name = name
        self.key = key
        self.kind = kind
        self.path = Path(cache_dir) / f"{name}-{key[:16]}"

    @property
    def result_path(self) -> Path:
        return self.path / RESULT

    def read(self, expected: int) -> list[Any] | None:
        """The finished records, None when there are none; CacheDamage when damaged."""
        if not has_records(self.result_path):
            return None
        return read_records(self.result_path, self.kind, expected)

    def write(self, records: Sequence[Any], settings: Any = None) -> None:
        if settings is not None:
            with atomic_write(self.path / "settings.json") as out:
                out.write(json.dumps(settings, indent=2, ensure_ascii=False, default=str) + "\n")
        write_records(self.result_path, records)

    # ------------------------------------------------------------------ shards

    def shard_path(self, start: int, end: int) -> Path:
        return self.path / "shards" / f"{start:07d}-{end:07d}.jsonl"

    def read_shard(self, start: int, end: int) -> list[Any] | None:
        """The records of a finished batch, None when absent; CacheDamage when damaged."""
        path = self.shard_path(start, end)
        if not has_records(path):
            return None
        return read_records(path, self.kind, end - start)

    def write_shard(self, start: int, end: int, records: Sequence[Any]) -> None:
        if len(records) != end - start:
            raise ValueError(f"shard {start}-{end} needs {end - start} records, got {len(records)}")
        write_records(self.shard_path(start, end), records)

    def drop_shards(self) -> None:
        remove_folder(self.path / "shards", ours=lambda _: True)  # inside the stage's folder


# ---------------------------------------------------------------------------- the run lock


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``<run_dir>/.lock`` (``flock``, released when the process ends, even by kill -9).

    Raises :class:`RunLocked` with the pid and host written by the holder when another
    process has it.
    """
    path = run_dir / LOCK
    try:
        with exclusive_lock(path, f"pid {os.getpid()} on host {socket.gethostname()}"):
            yield
    except Locked as locked:
        raise RunLocked(
            f"run directory {run_dir} is in use by {locked.holder} (lock file {path}); "
            "wait for that run to end or choose another run.dir"
        ) from None
