"""The ``project`` stage: the tagged entities onto the original sentences, over the links.

``project.mode``: ``forward`` projects from the translation over the cross-lingual links,
``back`` from the back-translation over the monolingual links, ``combined`` from the
translation over both (see :func:`xlner.pipeline.backtranslation.combined_links`).

A projector works sentence by sentence, so the stage is batched (``project.batch_size``
sentences a batch, on the run's engine) and its batches give the records of one pass over
the corpus: the batch size is not part of its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.pipeline.backtranslation import combined_links
from xlner.pipeline.records import Projection
from xlner.pipeline.stages.base import Inputs, Stage, StageError, batched_stage, build_component
from xlner.project.base import Projector
from xlner.registry import registry

PROJECTION_MODES = ("forward", "back", "combined")


def projector_of(section: Mapping[str, Any]) -> Projector:
    """The ``[project]`` section's projector; a bad method or option is a StageError."""
    return build_component(
        registry.projectors, "project.method", section["method"], section["options"], None
    )


def project_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["project"]
    mode = section["mode"]
    if mode not in PROJECTION_MODES:
        raise StageError(f"project.mode must be one of {', '.join(PROJECTION_MODES)}, not {mode!r}")
    if mode != "forward" and not config["backtranslate"]["enabled"]:
        raise StageError(f"project.mode = {mode!r} needs backtranslate.enabled = true")
    projector = projector_of(section)
    if mode != "forward" and projector.link_sets_used():
        raise StageError(
            f"project.mode = {mode!r} projects over plain links; a projector that reads link "
            f"set {', '.join(map(repr, sorted(projector.link_sets_used())))} needs mode = 'forward'"
        )
    deps = ("data", "tag", "align") + (("backtranslate", "align_back") if mode != "forward" else ())

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Projection]:
        return [_project_one(projector, mode, inputs, i) for i in range(start, end)]

    settings = {"projector": projector.signature(), "mode": mode}
    return batched_stage("project", deps, settings, Projection, section, run_batch)


def _project_one(projector: Projector, mode: str, inputs: Inputs, index: int) -> Projection:
    target = inputs["data"][index].tokens
    tagged = inputs["tag"][index]
    links = inputs["align"][index]
    if mode == "forward":
        return Projection(projector.project(tagged.tokens, tagged.spans, target, links))
    back = inputs["backtranslate"][index]
    mono = inputs["align_back"][index]
    if mode == "back":
        spans = [recovered.span for recovered in back.spans]
        return Projection(projector.project(back.tokens, spans, target, mono))
    merged = combined_links(tagged.spans, links, back.spans, mono)
    return Projection(projector.project(tagged.tokens, tagged.spans, target, merged))
