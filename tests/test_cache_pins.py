"""Cache keys and cached link files, pinned: refactoring must not change them.

Existing run folders (``xlner silver``'s alignment cache, ``xlner run``'s stage folders) are
read back only while the keys computed for the same settings and inputs, and the records
files they hold, stay exactly as they were. These values were taken from the code before the
align -> project seam was reshaped (issue 21); a change here invalidates every user's caches
and needs a reason of its own (and a new record format, ``RECORD_FORMAT``).
"""

from __future__ import annotations

import hashlib

import pytest
import test_align_combined  # noqa: F401  (registers test-combined-diagonal)
from pipeline_fakes import fresh_counters, make_config

from xlner.align import eflomal as eflomal_module
from xlner.pipeline.cache import canonical
from xlner.pipeline.run import run_pipeline
from xlner.presets import load_preset
from xlner.project import make_projector
from xlner.registry import registry
from xlner.silver.job import align_pairs

__all__ = ["fresh_counters"]

MEMBERS = {
    "far": {"aligner": "test-combined-diagonal", "shift": 1},
    "same": {"aligner": "test-combined-diagonal"},
}
PAIRS = [(["Anna", "visits", "Berlin"], ["Anna", "besucht", "Berlin"]), (["ok"], ["gut", "."])]


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


@pytest.mark.parametrize("preset", ["default", "light"])
def test_the_preset_aligners_sign_as_before(monkeypatch, preset):
    # The signature is part of every alignment key; eflomal's version is fixed here so that
    # the pin holds whatever eflomal is installed.
    monkeypatch.setattr(eflomal_module, "version", lambda _: "2.0.0")
    align = load_preset(preset)["align"]
    aligner = registry.aligners.build(align["aligner"], **align["options"])
    pinned = {
        "default": "3d9288761f2fd8d142c2b3626b67c1e6295ff14e8407572a09e79e46d842a90f",
        "light": "1f4b5839ac3093e1d2f887255296fa6e1c56e8e3365afa57437668e37ee8f517",
    }
    assert sha(canonical(aligner.signature())) == pinned[preset]


@pytest.mark.parametrize(
    ("score", "folder", "content"),
    [
        (
            "coverage",
            "align-1a8ca40002d72caf",
            "9ee0c441d1d5616477ed4892ad168a6651ada3d8dafe52b387346efbce9f14af",
        ),  # plain links: no named set stored
        (
            "alignment:same",
            "align-6cbc37d6ba4c7f7d",
            "db084771ecedc9578a444d104562c58715022fddb8967e8cad2410bb92c89868",
        ),  # one named set, stored beside the links
    ],
)
def test_the_silver_alignment_cache_is_pinned(tmp_path, score, folder, content):
    aligner = registry.aligners.build("combined", members=MEMBERS)
    projector = make_projector("match", score=score)
    links = align_pairs(aligner, projector, PAIRS, tmp_path, lambda *_: None)
    (store,) = tmp_path.iterdir()
    assert store.name == folder
    assert sha((store / "result.jsonl").read_bytes()) == content
    assert [[(x.src, x.tgt) for x in pair] for pair in links] == [[(0, 1), (1, 2)], [(0, 1)]]


@pytest.mark.parametrize(
    ("project", "keys", "content"),
    [
        (
            {"method": "heuristic"},
            {"align": "7c8af537bd1381dc", "project": "3b232a0932282ac0"},
            "a99fb9196fca48d93278e838c0ff343cec9af27533e2edeed0deb196bfacc9b7",
        ),
        (
            {"method": "heuristic", "options": {"links": "same"}},
            {"align": "ccc0166e9d767103", "project": "64faf839ece18799"},
            "40fd5a99b394d9e6b69892320ad82dd4fffcf0eabd2b2096b3463b49186d8fac",
        ),
    ],
)
def test_the_pipeline_alignment_stages_are_pinned(tmp_path, monkeypatch, project, keys, content):
    monkeypatch.chdir(tmp_path)  # the corpus path is part of the data stage's key
    config = make_config(tmp_path)
    config["data"]["path"] = "gold.conll"
    config["align"] = {"aligner": "combined", "options": {"members": MEMBERS}}
    config["project"] = project
    result = run_pipeline(config)
    assert {name: result.stages[name].key[:16] for name in ("align", "project")} == keys
    stored = (
        tmp_path / "run" / "stages" / f"align-{result.stages['align'].key[:16]}" / "result.jsonl"
    )
    assert sha(stored.read_bytes()) == content
