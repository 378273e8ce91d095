"""The pipeline's cache notices damage, recomputes what was damaged, and serves one process.

Each case damages one cached file the way a full disk, an editor or a stray command would,
then reruns: the damaged file must be named in a warning, its stage (or batch) recomputed,
the stages after it left as they were, and the result the same as before.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
from pipeline_fakes import CALLS, SENTENCES, Crash, EchoTranslator, fresh_counters, statuses
from pipeline_fakes import make_config as _config
from typer.testing import CliRunner

from xlner.cli import app
from xlner.pipeline.backtranslation import RecoveredSpan
from xlner.pipeline.cache import (
    CacheDamage,
    CacheWarning,
    RunLocked,
    StageStore,
    read_records,
    write_records,
)
from xlner.pipeline.records import (
    CODECS,
    BackTranslation,
    Evaluation,
    Projection,
    Tagged,
    Translation,
    from_json,
    to_json,
)
from xlner.pipeline.run import run_pipeline
from xlner.types import Link, LinkSets, ProjectedSpan, Span, TaggedSentence

__all__ = ["fresh_counters"]  # the autouse fixture, imported to apply here


def _run(config):
    """Run, collecting the warnings instead of raising them."""
    seen: list[str] = []
    return run_pipeline(config, warn=seen.append), seen


def _result(tmp_path, stage):
    (path,) = (tmp_path / "run" / "stages").glob(f"{stage}-*/result.jsonl")
    return path


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


# ---------------------------------------------------------------------------- records


SAMPLES = [
    TaggedSentence(["Anna", "met", "Li"], [Span(0, 1, "PER"), Span(2, 3, "PER")]),
    Translation("Anna met Li .", None),
    Translation("", "empty translation"),
    Tagged(["Anna", "met"], [Span(0, 1, "PER")], "ValueError: boom"),
    LinkSets([Link(0, 0, 1.0), Link(1, 2, None)], {"union": [Link(1, 1, 0.5)]}),
    BackTranslation("[Anna] met", ["Anna", "met"], [RecoveredSpan(Span(0, 1, "PER"), 0, 0.9)], [1]),
    Projection([ProjectedSpan(Span(1, 3, "LOC"), Span(0, 1, "LOC"), 0.5)]),
    Evaluation("none", {"f1": 50.0, "per_class": {"PER": {"f1": 50.0}}}),
]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: type(r).__name__)
def test_every_record_type_survives_its_json_codec(record):
    stored = json.loads(json.dumps(to_json(record)))
    assert from_json(type(record), stored) == record
    assert to_json(from_json(type(record), stored)) == stored  # LinkSets: the named sets too


def test_every_record_type_has_a_codec_and_a_sample():
    assert {type(record) for record in SAMPLES} == set(CODECS)


@pytest.mark.parametrize(
    ("kind", "data", "problem"),
    [
        (Translation, {"error": None}, "missing field 'text'"),
        (Tagged, {"tokens": ["a"], "spans": [[0, 1]], "error": None}, "not enough values"),
        (Tagged, {"tokens": ["a"], "spans": [[1, 0, "PER"]], "error": None}, "invalid span"),
        (LinkSets, {"links": [["x", 0, None]]}, "invalid literal"),
        (TaggedSentence, {"tokens": [3], "spans": []}, "expected a string"),
        (Evaluation, [1, 2], "expected an object"),
    ],
)
def test_a_malformed_record_is_a_one_line_error(kind, data, problem):
    from xlner.pipeline.records import RecordError

    with pytest.raises(RecordError, match=f"not a {kind.__name__} record: .*{problem}"):
        from_json(kind, data)


def test_records_file_round_trip_and_its_meta_file(tmp_path):
    path = tmp_path / "result.jsonl"
    write_records(path, SAMPLES[1:3])
    meta = json.loads((tmp_path / "result.meta.json").read_text())
    assert meta["records"] == 2 and len(meta["sha256"]) == 64
    assert read_records(path, Translation, expected=2) == SAMPLES[1:3]


# ---------------------------------------------------------------------------- damage


def _cut_lines(path):
    path.write_text("".join(_lines(path)[:5]), encoding="utf-8")


def _cut_mid_line(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])


def _empty(path):
    path.write_text("", encoding="utf-8")


def _edit(path):
    path.write_text(path.read_text(encoding="utf-8").replace("Anna", "Anne"), encoding="utf-8")


def _drop_meta(path):
    path.with_suffix(".meta.json").unlink()


def _garble_meta(path):
    path.with_suffix(".meta.json").write_text("{", encoding="utf-8")


def _overflow_meta(path):
    """A count JSON reads as a float too large for an int."""
    meta = path.with_suffix(".meta.json")
    meta.write_text(meta.read_text(encoding="utf-8").replace('"records": 7', '"records": 1e400'))


def _wrong_shape(path):
    """Lines that are JSON, counted and checksummed, but not translations."""
    lines = ['{"words": "nothing"}\n'] * len(SENTENCES)
    path.write_text("".join(lines), encoding="utf-8")
    import hashlib

    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    meta = {"records": len(lines), "sha256": digest}
    path.with_suffix(".meta.json").write_text(json.dumps(meta), encoding="utf-8")


DAMAGE = {
    "cut to 5 of 7 lines": (_cut_lines, "has 5 of its 7 records"),
    "cut mid-line": (_cut_mid_line, "ends in the middle of line 7"),
    "emptied": (_empty, "has 0 of its 7 records"),
    "edited": (_edit, "does not match its checksum"),
    "meta file deleted": (_drop_meta, "has no result.meta.json"),
    "meta file garbled": (_garble_meta, "is not a record count and checksum"),
    "meta file garbled with 1e400 records": (_overflow_meta, "is not a record count"),
    "wrong record shape": (_wrong_shape, "line 1: not a Translation record: missing field"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_stage_file_is_named_and_recomputed(tmp_path, case):
    damage, problem = DAMAGE[case]
    config = _config(tmp_path)
    first, _ = _run(config)
    path = _result(tmp_path, "translate")
    damage(path)
    CALLS.clear()
    result, seen = _run(config)
    assert len(seen) == 1 and problem in seen[0]
    damaged = path.with_suffix(".meta.json") if "garbled" in case else path
    assert seen[0].startswith(f"{damaged}: ") and seen[0].endswith("; recomputing translate")
    assert statuses(result)["translate"] == "computed" and CALLS["translate"] > 0
    # The recomputed records are the same, so every later stage keeps its key and is reused.
    assert statuses(result)["tag"] == "reused" and CALLS["tag"] == 0
    assert result.scores == first.scores
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["warnings"] == seen
    assert _run(config)[1] == []  # repaired


def test_a_stage_file_inconsistent_with_its_inputs_is_recomputed(tmp_path):
    config = _config(tmp_path)
    _run(config)
    path = _result(tmp_path, "tag")
    records = read_records(path, Tagged)
    write_records(path, records[:-1])  # a whole, checksummed file, one sentence short
    result, seen = _run(config)
    assert seen == [f"{path}: holds 6 records but its inputs call for 7; recomputing tag"]
    assert statuses(result)["tag"] == "computed" and len(result.records["tag"]) == 7
    assert result.scores["f1"] == 100.0


def test_the_default_warning_is_a_cache_warning(tmp_path):
    config = _config(tmp_path)
    run_pipeline(config)
    _empty(_result(tmp_path, "align"))
    with pytest.warns(CacheWarning, match="align-.*result.jsonl: has 0 of its 7 records"):
        run_pipeline(config)


def test_the_cli_prints_the_damaged_file_as_one_warning_line(tmp_path):
    config = _config(tmp_path)
    run_pipeline(config)
    path = _result(tmp_path, "translate")
    _cut_lines(path)
    toml = tmp_path / "run.toml"
    toml.write_text(_toml(config), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(toml)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: has 5 of its 7 records; recomputing translate" in result.output
    assert "Traceback" not in result.output


def _toml(config):
    return "\n".join(
        [
            f"preset = '{config['preset']}'",
            f"[run]\ndir = '{config['run']['dir']}'",
            f"[data]\ncorpus = 'conll'\npath = '{config['data']['path']}'\nlang = 'lug'",
            "[translate]\ntranslator = 'test-echo'\nbatch_size = 3",
            "[tag]\ntagger = 'test-caps'\nbatch_size = 2",
            "[align]\naligner = 'test-diagonal'",
        ]
    )


# ---------------------------------------------------------------------------- shards


def _crash(config, at):
    """Run ``config`` until the translator's call number ``at`` kills it."""
    EchoTranslator.crash_at = at
    with pytest.raises(Crash):
        run_pipeline(config)
    EchoTranslator.crash_at = None
    CALLS.clear()


def _interrupted(tmp_path):
    """A run stopped in the third batch of translate: two finished shards (0-3, 3-6)."""
    config = _config(tmp_path)
    _crash(config, 3)
    (shards,) = (tmp_path / "run" / "stages").glob("translate-*/shards")
    return config, shards


@pytest.mark.parametrize("case", ["cut to 2 of 3 lines", "cut mid-line", "emptied", "edited"])
def test_a_damaged_shard_is_named_and_its_batch_recomputed(tmp_path, case):
    config, shards = _interrupted(tmp_path)
    shard = shards / "0000000-0000003.jsonl"
    damage = {
        "cut to 2 of 3 lines": lambda p: p.write_text("".join(_lines(p)[:2]), encoding="utf-8"),
        "cut mid-line": _cut_mid_line,
        "emptied": _empty,
        "edited": _edit,
    }[case]
    damage(shard)
    result, seen = _run(config)
    assert len(seen) == 1
    assert seen[0].startswith(f"{shard}: ")
    assert seen[0].endswith("; recomputing that batch of translate")
    assert CALLS["translate"] == 2  # the damaged batch and the unfinished one
    report = result.stages["translate"]
    assert (report.status, report.batches_reused) == ("resumed", 1)
    assert result.scores["f1"] == 100.0


def test_a_shard_without_its_meta_file_is_not_reused(tmp_path):
    config, shards = _interrupted(tmp_path)
    (shards / "0000003-0000006.meta.json").unlink()
    result, seen = _run(config)
    assert len(seen) == 1 and "0000003-0000006.jsonl: has no 0000003-0000006.meta.json" in seen[0]
    assert result.stages["translate"].batches_reused == 1


def test_store_reports_nothing_for_a_stage_never_run(tmp_path):
    store = StageStore(tmp_path, "translate", "0" * 64, Translation)
    assert store.read(3) is None and store.read_shard(0, 3) is None
    store.write_shard(0, 3, SAMPLES[1:2] * 3)
    (store.shard_path(0, 3)).unlink()
    with pytest.raises(CacheDamage, match="is missing"):
        store.read_shard(0, 3)


# ---------------------------------------------------------------------------- the lock


def _hold_lock(run_dir: Path, holder: str):
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / ".lock", "w", encoding="utf-8")  # noqa: SIM115 - held by the test
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.write(holder + "\n")
    handle.flush()
    return handle


def test_a_second_run_on_the_same_directory_is_refused_naming_the_holder(tmp_path):
    config = _config(tmp_path)
    handle = _hold_lock(tmp_path / "run", "pid 4242 on host elsewhere")
    try:
        with pytest.raises(RunLocked, match="is in use by pid 4242 on host elsewhere"):
            run_pipeline(config)
        assert CALLS == {}  # nothing ran
        toml = tmp_path / "run.toml"
        toml.write_text(_toml(config), encoding="utf-8")
        result = CliRunner().invoke(app, ["run", str(toml)])
        assert result.exit_code == 2
        assert "error: run directory" in result.output
        assert "pid 4242 on host elsewhere" in result.output and ".lock" in result.output
        assert "Traceback" not in result.output
        assert not (tmp_path / "run" / "stages").exists()
    finally:
        handle.close()
    assert run_pipeline(config).scores["f1"] == 100.0  # free again


def test_the_lock_names_this_process_while_it_runs_and_is_released(tmp_path):
    seen: list[str] = []
    lock = tmp_path / "run" / ".lock"

    def progress(stage, done, total):
        seen.append(lock.read_text(encoding="utf-8"))

    run_pipeline(_config(tmp_path), progress=progress)
    assert seen and all(text.startswith(f"pid {os.getpid()} on host ") for text in seen)
    assert lock.read_text(encoding="utf-8") == ""
    with open(lock, encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # not held any more


def test_the_lock_is_released_when_a_run_fails(tmp_path):
    config = _config(tmp_path)
    _crash(config, 1)
    assert run_pipeline(config).scores["f1"] == 100.0
