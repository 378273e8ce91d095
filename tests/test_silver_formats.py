"""``xlner silver``'s streaming formats: gzip and Parquet bitext in, Parquet silver out.

Every run goes through the CLI with the fakes of ``pipeline_fakes`` (``test-caps`` tags
capitalised words, ``test-diagonal`` links word i to word i), so a run takes a moment and
what it writes depends on the input alone. The Parquet tests need pyarrow (the ``parquet``,
``ray`` and ``hub`` extras bring it); one of them takes it away to check the message.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from entry_point import xlner_cli
from pipeline_fakes import CALLS, fresh_counters  # noqa: F401 (an autouse fixture)
from test_silver import ENGLISH, SWAHILI, _lines

from xlner.silver import parquet

FAKES = ("--tagger", "test-caps", "--aligner", "test-diagonal", "--preset", "light")
# Every sentence kept (none dropped for want of entities), and an empty line in each side.
KEEP = ("--keep-empty", "1")
EN = [*ENGLISH[:2], "", *ENGLISH[2:]]
SW = [*SWAHILI[:2], "lost source", *SWAHILI[2:]]


def _silver(capsys, output: Path, *args: object):
    return xlner_cli(capsys, "silver", "-o", output, *args, *FAKES, *KEEP)


def _gzip(path: Path, lines: list[str]) -> Path:
    path.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode("utf-8")))
    return path


def _text_files(tmp_path: Path) -> tuple[str, ...]:
    en, sw = _lines(tmp_path / "x.en", EN), _lines(tmp_path / "x.sw", SW)
    return ("--source", str(en), "--target", str(sw))


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _summary(output: Path) -> dict:
    return json.loads((output / "summary.json").read_text(encoding="utf-8"))


def _sentences(records: list[dict]) -> list[dict]:
    """The records without the names of the files they were read from."""
    kept = []
    for record in records:
        provenance = {**record["provenance"], "source_file": None, "target_file": None}
        kept.append({**record, "id": None, "provenance": provenance})
    return kept


def _one_error(result, message: str) -> None:
    assert result.code == 2, result.out
    assert message in result.err, result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


@pytest.fixture
def pa():
    return pytest.importorskip("pyarrow")


def _parquet(pa, path: Path, table: dict[str, list]) -> Path:
    import pyarrow.parquet as pq

    pq.write_table(pa.table(table), path)
    return path


# ---------------------------------------------------------------------------- gzip in


@pytest.mark.parametrize("shards", [(), ("--shard-size", "2")])
def test_gzip_bitext_gives_the_silver_data_of_the_plain_files(capsys, tmp_path, shards) -> None:
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    assert _silver(capsys, plain, *_text_files(tmp_path), *shards).code == 0
    en, sw = _gzip(tmp_path / "x.en.gz", EN), _gzip(tmp_path / "x.sw.gz", SW)
    result = _silver(capsys, packed, "--source", en, "--target", sw, *shards)
    assert result.code == 0, result.err
    conll = (packed / "silver.conll").read_bytes()
    assert conll == (plain / "silver.conll").read_bytes() and b"Berlin B-PER" in conll
    records = _records(packed / "silver.jsonl")
    assert _sentences(records) == _sentences(_records(plain / "silver.jsonl"))
    assert [r["provenance"]["line"] for r in records] == [1, 2, 4, 5, 6, 7]
    assert records[0]["provenance"]["target_file"] == str(sw)
    assert records[0]["id"] == f"{sw}:1"
    assert _summary(packed)["dropped"]["empty_line"] == 1


def test_gzip_files_of_different_lengths_name_both(capsys, tmp_path) -> None:
    en, sw = _gzip(tmp_path / "x.en.gz", EN), _gzip(tmp_path / "x.sw.gz", SW[:5])
    result = _silver(capsys, tmp_path / "out", "--source", en, "--target", sw)
    _one_error(result, f"line counts differ: {en} has 7 lines, {sw} has 5")


def test_a_gzip_name_on_plain_text_or_a_cut_file_is_one_line(capsys, tmp_path) -> None:
    en = _gzip(tmp_path / "x.en.gz", EN)
    plain = _lines(tmp_path / "plain.sw.gz", SW)
    result = _silver(capsys, tmp_path / "a", "--source", en, "--target", plain)
    _one_error(result, f"{plain}: not readable as gzip: Not a gzipped file")
    long = _gzip(tmp_path / "long.en.gz", [f"line {i}" for i in range(50_000)])
    cut = tmp_path / "cut.sw.gz"
    cut.write_bytes(long.read_bytes()[: long.stat().st_size // 2])
    result = _silver(capsys, tmp_path / "b", "--source", long, "--target", cut)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{cut}:" in result.err and "not readable as gzip: Compressed file ended" in result.err


# ---------------------------------------------------------------------------- Parquet in


@pytest.mark.parametrize("shards", [(), ("--shard-size", "3")])
def test_parquet_bitext_gives_the_silver_sentences_of_the_text_files(
    capsys, tmp_path, pa, monkeypatch, shards
) -> None:
    monkeypatch.setattr(parquet, "ROW_BATCH", 3)  # several row batches: numbering runs on
    texts = tmp_path / "texts"
    assert _silver(capsys, texts, *_text_files(tmp_path), *shards).code == 0
    # Columns in another order than source, target and one more, which is not read.
    table = {"sw": SW, "n": list(range(len(EN))), "en": [f"  {line} " for line in EN]}
    pairs = _parquet(pa, tmp_path / "pairs.parquet", table)
    output = tmp_path / "out"
    result = _silver(capsys, output, "--bitext", pairs, "--columns", "en,sw", *shards)
    assert result.code == 0, result.err
    records = _records(output / "silver.jsonl")
    assert _sentences(records) == _sentences(_records(texts / "silver.jsonl"))
    assert (output / "silver.conll").read_bytes() == (texts / "silver.conll").read_bytes()
    assert [r["provenance"]["line"] for r in records] == [1, 2, 4, 5, 6, 7]  # rows
    assert records[3]["provenance"] == {
        "corpus": None,
        "pair": None,
        "split": None,
        "line": 5,
        "source_file": str(pairs),
        "target_file": str(pairs),
    }
    assert records[3]["id"] == f"{pairs}:5"
    summary = _summary(output)
    assert summary["input"] == {"bitext": str(pairs), "columns": ["en", "sw"]}
    assert summary["signature_full"]["data"]["bitext"] == str(pairs)
    assert summary["dropped"]["empty_line"] == 1


def test_the_columns_choose_the_sides(capsys, tmp_path, pa) -> None:
    pairs = _parquet(pa, tmp_path / "pairs.parquet", {"en": EN, "sw": SW})
    output = tmp_path / "out"
    assert _silver(capsys, output, "--bitext", pairs, "--columns", "sw,en").code == 0
    first = _records(output / "silver.jsonl")[0]
    assert (first["source_text"], first["text"]) == (SW[0], EN[0])


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        ({"en": EN, "sw": SW}, "en,fr", "pairs.parquet: no column 'fr'; its columns: en, sw"),
        ({"en": EN, "n": list(range(len(EN)))}, "en,n", "column 'n' holds int64, not text"),
        (
            {"en": EN, "sw": [*SW[:4], None, *SW[5:]]},
            "en,sw",
            "pairs.parquet:5: row 5 has no text in column 'sw'",
        ),
    ],
)
def test_bad_parquet_bitext_is_one_line(capsys, tmp_path, pa, table, columns, message) -> None:
    pairs = _parquet(pa, tmp_path / "pairs.parquet", table)
    result = _silver(capsys, tmp_path / "out", "--bitext", pairs, "--columns", columns)
    _one_error(result, message)


def test_a_file_that_is_not_parquet_or_is_damaged_is_one_line(capsys, tmp_path, pa) -> None:
    import pyarrow.parquet as pq

    text = _lines(tmp_path / "pairs.parquet", EN)
    result = _silver(capsys, tmp_path / "out", "--bitext", text, "--columns", "en,sw")
    _one_error(result, f"{text}: not a Parquet file (")
    pairs = tmp_path / "damaged.parquet"
    pq.write_table(pa.table({"en": EN, "sw": SW}), pairs, compression="none")
    damaged = bytearray(pairs.read_bytes())
    damaged[60:100] = b"\xff" * 40  # inside the first data page: its values, not the footer
    pairs.write_bytes(damaged)
    result = _silver(capsys, tmp_path / "out", "--bitext", pairs, "--columns", "en,sw")
    _one_error(result, f"{pairs}: damaged Parquet file (")
    missing = tmp_path / "missing.parquet"
    result = _silver(capsys, tmp_path / "out", "--bitext", missing, "--columns", "en,sw")
    _one_error(result, f"{missing}: no such file")


def test_a_parquet_string_column_with_invalid_utf8_is_one_line(capsys, tmp_path, pa) -> None:
    import pyarrow.parquet as pq

    cells = [text.encode("utf-8") for text in SW]
    cells[3] = b"bad \xff byte"
    sw = pa.array(cells, pa.binary()).view(pa.string())  # a string column, unchecked
    pairs = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"en": EN, "sw": sw}), pairs)
    result = _silver(capsys, tmp_path / "out", "--bitext", pairs, "--columns", "en,sw")
    _one_error(result, f"{pairs}:4: row 4 of column 'sw' is not UTF-8 (byte 4)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--bitext", "p.parquet"), "--bitext and --columns go together"),
        (("--columns", "en,sw"), "--bitext and --columns go together"),
        (("--bitext", "p.parquet", "--columns", "en"), "--columns is two different columns"),
        (("--bitext", "p.parquet", "--columns", "en,en"), "not 'en,en'"),
        (("--bitext", "p.parquet", "--columns", "en,sw", "--source", "a", "--target", "b"),
         "give the bitext: --source and --target, --bitext and --columns, or --corpus"),
        (("--bitext", "p.parquet", "--columns", "en,sw", "--split", "train"),
         "--split selects splits of --corpus"),
    ],
)  # fmt: skip
def test_bad_bitext_options_are_one_line(capsys, tmp_path, args, message) -> None:
    _one_error(_silver(capsys, tmp_path / "out", *args), message)


@pytest.mark.parametrize(
    "args",
    [("--bitext", "p.parquet", "--columns", "en,sw"), ("--source", "a", "--target", "b")],
)
def test_parquet_without_pyarrow_says_how_to_install_it(capsys, tmp_path, monkeypatch, args):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    extra = () if "--bitext" in args else ("--format", "parquet")
    result = _silver(capsys, tmp_path / "out", *args, *extra)
    _one_error(result, "Parquet needs pyarrow: pip install 'xlner[parquet]'")
    assert CALLS["tag"] == 0


# ---------------------------------------------------------------------------- Parquet out


def _rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("shards", [(), ("--shard-size", "3")])
def test_parquet_output_holds_the_jsonl_records(capsys, tmp_path, pa, shards) -> None:
    jsonl, table = tmp_path / "jsonl", tmp_path / "parquet"
    files = _text_files(tmp_path)
    assert _silver(capsys, jsonl, *files, *shards).code == 0
    result = _silver(capsys, table, *files, *shards, "--format", "parquet")
    assert result.code == 0, result.err
    records = _records(jsonl / "silver.jsonl")
    assert len(records) == 6 and any(r["entities"] for r in records)
    assert _rows(table / "silver.parquet") == records
    assert (table / "silver.conll").read_bytes() == (jsonl / "silver.conll").read_bytes()
    assert not (table / "silver.jsonl").exists()
    summary = _summary(table)
    assert summary["outputs"] == {"conll": "silver.conll", "parquet": "silver.parquet"}
    assert "silver.parquet" in result.err  # the closing line names it
    if shards:
        (store,) = (table / "shards").iterdir()
        assert store.name.endswith("-parquet")
        parts = sorted(store.glob("*.parquet"))
        assert [p.name for p in parts] == ["00000.parquet", "00001.parquet", "00002.parquet"]
        assert [row for part in parts for row in _rows(part)] == records


def test_parquet_shards_resume_and_keep_apart_from_the_jsonl_ones(capsys, tmp_path, pa) -> None:
    output = tmp_path / "out"
    files = (*_text_files(tmp_path), "--shard-size", "3")
    assert _silver(capsys, output, *files).code == 0
    CALLS.clear()
    assert _silver(capsys, output, *files, "--format", "parquet").code == 0
    assert CALLS["tag"] == 3 and _summary(output)["run"]["shards_reused"] == 0
    first = (output / "silver.parquet").read_bytes()
    CALLS.clear()
    assert _silver(capsys, output, *files, "--format", "parquet").code == 0
    assert CALLS["tag"] == 0 and _summary(output)["run"]["shards_reused"] == 3
    assert (output / "silver.parquet").read_bytes() == first
    assert _silver(capsys, output, *files).code == 0  # the JSONL shards are still there
    assert CALLS["tag"] == 0 and _summary(output)["run"]["shards_reused"] == 3


def test_a_damaged_parquet_shard_is_named_and_recomputed(capsys, tmp_path, pa) -> None:
    output = tmp_path / "out"
    args = (*_text_files(tmp_path), "--shard-size", "3", "--format", "parquet")
    assert _silver(capsys, output, *args).code == 0
    first = _rows(output / "silver.parquet")
    (shard,) = (output / "shards").glob("*/00001.parquet")
    shard.write_bytes(shard.read_bytes()[:-20])
    CALLS.clear()
    result = _silver(capsys, output, *args)
    assert result.code == 0 and "00001 is damaged or incomplete; recomputing" in result.err
    assert CALLS["tag"] == 1 and _rows(output / "silver.parquet") == first


def test_exports_are_made_from_the_parquet_records(capsys, tmp_path, pa) -> None:
    pytest.importorskip("datasets")
    from xlner.corpora.conll import read_conll
    from xlner.export import hf

    output = tmp_path / "out"
    args = (*_text_files(tmp_path), "--shard-size", "3", "--format", "parquet")
    assert _silver(capsys, output, *args, "--export", "hf").code == 0
    assert hf.load(output / "silver.hf") == read_conll(output / "silver.conll")
    assert _summary(output)["outputs"]["hf"] == "silver.hf"
