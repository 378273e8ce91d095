"""Stage artifacts on disk, keyed by a hash of everything that determines them.

A stage's key hashes its name, its settings (including the signature of the component that
runs it: model, version...) and the keys of the stages it reads. Changing a setting therefore
changes the key of that stage and of every stage downstream of it, while the stages before it
keep their keys and are reused.

Layout of one stage under the cache directory::

    <stage>-<key16>/result.jsonl           the finished artifact, one JSON object a line
    <stage>-<key16>/settings.json          what the key was computed from, for inspection
    <stage>-<key16>/shards/<start>-<end>.jsonl   finished batches of an unfinished stage

Every file is written atomically (temporary file + rename), so an interrupted run leaves only
whole shards behind; the next run reuses them and computes the missing batches, then merges
the shards into ``result.jsonl`` and deletes them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlner.io import atomic_write

Record = dict[str, Any]
RESULT = "result.jsonl"


def canonical(value: Any) -> str:
    """A stable JSON text: sorted keys, no spacing variance, tuples as lists."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def stage_key(name: str, settings: Any, inputs: Sequence[str]) -> str:
    """The hex SHA-256 of a stage's name, settings and upstream keys."""
    payload = canonical({"stage": name, "settings": settings, "inputs": list(inputs)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_key(records: Iterable[Record]) -> str:
    """The hex SHA-256 of records' content (for stages keyed by their data, like the corpus)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(canonical(record).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def write_jsonl(path: Path, records: Iterable[Record]) -> None:
    with atomic_write(path) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[Record]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class StageStore:
    """The directory of one stage at one key: its result and the shards of its batches."""

    def __init__(self, cache_dir: Path, name: str, key: str) -> None:
        self.name = name
        self.key = key
        self.path = Path(cache_dir) / f"{name}-{key[:16]}"

    @property
    def result_path(self) -> Path:
        return self.path / RESULT

    def done(self) -> bool:
        return self.result_path.is_file()

    def read(self) -> list[Record]:
        return read_jsonl(self.result_path)

    def write(self, records: Sequence[Record], settings: Any = None) -> None:
        if settings is not None:
            with atomic_write(self.path / "settings.json") as out:
                out.write(json.dumps(settings, indent=2, ensure_ascii=False, default=str) + "\n")
        write_jsonl(self.result_path, records)

    # ------------------------------------------------------------------ shards

    def shard_path(self, start: int, end: int) -> Path:
        return self.path / "shards" / f"{start:07d}-{end:07d}.jsonl"

    def read_shard(self, start: int, end: int) -> list[Record] | None:
        """The records of a finished batch, or None; a shard of the wrong size is ignored."""
        path = self.shard_path(start, end)
        if not path.is_file():
            return None
        records = read_jsonl(path)
        return records if len(records) == end - start else None

    def write_shard(self, start: int, end: int, records: Sequence[Record]) -> None:
        if len(records) != end - start:
            raise ValueError(f"shard {start}-{end} needs {end - start} records, got {len(records)}")
        write_jsonl(self.shard_path(start, end), records)

    def drop_shards(self) -> None:
        shutil.rmtree(self.path / "shards", ignore_errors=True)
