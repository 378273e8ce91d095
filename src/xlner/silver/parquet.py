"""Parquet in and out of the silver job: bitext read in row batches, silver written a row a
sentence.

pyarrow is not in xlner's base install (``pip install 'xlner[parquet]'``; the ``ray`` and
``hub`` extras bring it too); it is imported when a Parquet file is first read or written, and
without it that is a one-line ImportError.

A silver row holds what a line of ``silver.jsonl`` holds, typed (:func:`silver_schema`):
``entities`` is a list of structs and ``provenance`` a struct, so that the file can be
queried without parsing JSON; read back (``to_pylist``) each row equals the JSONL record.
Files are read batch by batch (:data:`ROW_BATCH` rows), so memory stays flat however many
rows there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from types import ModuleType
from typing import Any

from xlner.errors import InputError
from xlner.io import atomic_write_bytes

# Rows read (or written) at a time: a few MB of text, and few enough row groups.
ROW_BATCH = 10_000
MISSING = "Parquet needs pyarrow: pip install 'xlner[parquet]' (or pip install pyarrow)"


def pyarrow() -> tuple[ModuleType, ModuleType]:
    """``pyarrow`` and ``pyarrow.parquet``, or an ImportError that says how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(MISSING) from None
    return pa, pq


# ---------------------------------------------------------------------------- bitext in


def iter_text_pairs(path: str | Path, columns: Sequence[str]) -> Iterator[tuple[int, str, str]]:
    """``(row, source, target)`` for each row of the two text ``columns`` of a Parquet file,
    rows 1-based; a missing column, a column that is not text, a null cell or a file that is
    not Parquet is an :class:`~xlner.errors.InputError` naming the file (and the row)."""
    pa, _ = pyarrow()
    with _open(path) as file:
        schema = file.schema_arrow
        for name in columns:
            if name not in schema.names:
                has = ", ".join(schema.names) or "none"
                raise InputError(path, None, f"no column {name!r}; its columns: {has}")
            if not _is_text(pa, schema.field(name).type):
                problem = f"column {name!r} holds {schema.field(name).type}, not text"
                raise InputError(path, None, problem)
        row = 0
        for batch in _batches(file, path, columns):
            cells = [_texts(batch.column(name), path, name, row) for name in columns]
            for pair in zip(*cells, strict=True):
                row += 1
                for name, cell in zip(columns, pair, strict=True):
                    if cell is None:
                        raise InputError(path, row, f"row {row} has no text in column {name!r}")
                yield row, *pair


def _texts(column: Any, path: str | Path, name: str, before: int) -> list[str | None]:
    """The cells of a text column; bytes that are not UTF-8 are an InputError naming the
    row (``before`` rows came in earlier batches)."""
    try:
        return column.to_pylist()
    except UnicodeDecodeError:
        for offset in range(len(column)):
            try:
                column[offset].as_py()
            except UnicodeDecodeError as error:
                row = before + offset + 1
                problem = f"row {row} of column {name!r} is not UTF-8 (byte {error.start})"
                raise InputError(path, row, problem) from None
        raise


def _open(path: str | Path) -> Any:
    _, pq = pyarrow()
    where = Path(path)
    if not where.exists():
        raise InputError(path, None, "no such file")
    if where.is_dir():
        raise InputError(path, None, "is a directory, not a file")
    try:
        return pq.ParquetFile(where)
    except (ValueError, OSError) as error:  # ArrowInvalid is a ValueError
        raise InputError(path, None, f"not a Parquet file ({error})") from None


def _batches(file: Any, path: str | Path, columns: Sequence[str]) -> Iterator[Any]:
    """The row batches of ``columns``; a damaged page is an InputError naming the file."""
    stream = file.iter_batches(batch_size=ROW_BATCH, columns=list(columns))
    while True:
        try:
            batch = next(stream, None)
        except (ValueError, OSError) as error:
            raise InputError(path, None, f"damaged Parquet file ({error})") from None
        if batch is None:
            return
        yield batch


def _is_text(pa: ModuleType, kind: Any) -> bool:
    """String columns, large or as views, and dictionaries of strings (pandas categoricals)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


# ---------------------------------------------------------------------------- silver out


def silver_schema() -> Any:
    """The columns of a silver row: the fields of :func:`xlner.silver.writers.record`, typed
    (a field added there is added here; the tests read every one back)."""
    pa, _ = pyarrow()
    text = pa.string()
    span = [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("label", text),
        ("text", text),
        ("token_start", pa.int64()),
        ("token_end", pa.int64()),
    ]
    entity = pa.struct([*span, ("score", pa.float64()), ("source", pa.struct(span))])
    provenance = pa.struct(
        [
            ("corpus", text),
            ("pair", text),
            ("split", text),
            ("line", pa.int64()),
            ("source_file", text),
            ("target_file", text),
        ]
    )
    return pa.schema(
        [
            ("id", text),
            ("text", text),
            ("tokens", pa.list_(text)),
            ("tags", pa.list_(text)),
            ("entities", pa.list_(entity)),
            ("source_text", text),
            ("source_tokens", pa.list_(text)),
            ("provenance", provenance),
        ]
    )


def write_records(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """``records`` (JSONL objects) as one Parquet file, written atomically, batch by batch."""
    pa, pq = pyarrow()
    schema = silver_schema()
    stream = iter(records)
    with atomic_write_bytes(path) as out, pq.ParquetWriter(out, schema) as writer:
        while chunk := list(islice(stream, ROW_BATCH)):
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))


def concatenate(parts: Iterable[Path], path: Path) -> None:
    """The rows of the Parquet files ``parts``, in order, as one file (written atomically)."""
    _, pq = pyarrow()
    with atomic_write_bytes(path) as out, pq.ParquetWriter(out, silver_schema()) as writer:
        for part in parts:
            with pq.ParquetFile(part) as file:
                for batch in file.iter_batches(batch_size=ROW_BATCH):
                    writer.write_batch(batch)


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a silver Parquet file as the JSONL objects they were written from."""
    _, pq = pyarrow()
    with pq.ParquetFile(path) as file:
        for batch in file.iter_batches(batch_size=ROW_BATCH):
            yield from batch.to_pylist()
