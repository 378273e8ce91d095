"""``xlner run`` with named link sets: the align stage stores the sets the projector reads
(a combined aligner's members, eflomal's symmetrisations) and the project stage passes them."""

from __future__ import annotations

import pytest
import test_align_combined  # noqa: F401  (registers test-combined-diagonal)
from pipeline_fakes import fresh_counters, make_config

from xlner.pipeline.records import from_json, to_json
from xlner.pipeline.run import run_pipeline
from xlner.pipeline.stages import StageError
from xlner.types import Link, LinkSets

__all__ = ["fresh_counters"]

MEMBERS = {
    "far": {"aligner": "test-combined-diagonal", "shift": 1},
    "same": {"aligner": "test-combined-diagonal"},
}


def run(tmp_path, project, **overrides):
    config = make_config(tmp_path, **overrides)
    config["align"] = {"aligner": "combined", "options": {"members": MEMBERS}}
    config["project"] = project
    return run_pipeline(config)


@pytest.mark.parametrize(
    ("project", "f1"),
    [
        ({"method": "heuristic"}, 0.0),  # the primary links: the first member's, one word off
        ({"method": "heuristic", "options": {"links": "same"}}, 100.0),
        ({"method": "match", "options": {"score": "alignment:same"}}, 100.0),
    ],
)
def test_the_projector_gets_the_named_sets_it_reads(tmp_path, project, f1):
    result = run(tmp_path, project)
    assert result.scores["f1"] == pytest.approx(f1)
    reads = project.get("options", {}).get("links") or project.get("options", {}).get("score")
    stored = result.records["align"][0].named
    assert set(stored) == ({"same"} if reads else set())  # only the sets read are stored
    assert result.settings["align"].get("link_sets") == (["same"] if reads else None)


def test_a_link_set_the_aligner_cannot_give_is_refused_before_any_work(tmp_path):
    with pytest.raises(StageError, match="projection method 'match' reads link set 'nope'"):
        run(tmp_path, {"method": "match", "options": {"score": "alignment:nope"}})
    with pytest.raises(StageError, match="mode = 'back' projects over plain links"):
        run(
            tmp_path,
            {"method": "heuristic", "options": {"links": "same"}, "mode": "back"},
            **{"backtranslate.enabled": True},
        )


def test_alignment_records_keep_their_sets():
    record = LinkSets([Link(0, 1, 0.5)], {"union": [Link(0, 1, 0.5), Link(1, 1, None)]})
    back = from_json(LinkSets, to_json(record))
    assert back == record and back.named == record.named
    plain = LinkSets([Link(0, 0, 1.0)])
    assert to_json(plain) == {"links": [[0, 0, 1.0]]}  # as before named sets
    assert from_json(LinkSets, to_json(plain)).named == {}
