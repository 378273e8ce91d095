"""The stages of the translate-test pipeline, one per module, typed records in and out.

Translate-test transfer: the sentences of the low-resource language (``data.lang``) are
translated into a high-resource pivot language (``data.pivot``), the entities are tagged
there, the translation is word-aligned to the original sentence and the entities are projected
back over the links. Optionally the tagged translation is translated back with its entities
marked, aligned monolingually, and projected from there (``project.mode = "back"``) or with
both alignments (``"combined"``).

data -> translate -> tag -> align [-> backtranslate -> align_back] -> project -> evaluate;
each stage reads the records (:mod:`xlner.pipeline.records`) of the stages it names in
``deps`` and returns its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from xlner.pipeline.stages.align import align_back_stage, align_stage
from xlner.pipeline.stages.backtranslate import backtranslate_stage
from xlner.pipeline.stages.base import Stage, StageError
from xlner.pipeline.stages.data import data_stage
from xlner.pipeline.stages.evaluate import evaluate_stage
from xlner.pipeline.stages.project import PROJECTION_MODES, project_stage
from xlner.pipeline.stages.tag import tag_stage
from xlner.pipeline.stages.translate import translate_stage

Builder = Callable[[Mapping[str, Any], Path | None], Stage]

STAGE_BUILDERS: dict[str, Builder] = {
    "data": data_stage,
    "translate": translate_stage,
    "tag": tag_stage,
    "align": align_stage,
    "backtranslate": backtranslate_stage,
    "align_back": align_back_stage,
    "project": project_stage,
    "evaluate": evaluate_stage,
}


def stage_names(config: Mapping[str, Any]) -> list[str]:
    """The stages a config runs, in order."""
    names = ["data", "translate", "tag", "align"]
    if config["backtranslate"]["enabled"]:
        names += ["backtranslate", "align_back"]
    return [*names, "project", "evaluate"]


def build_stages(config: Mapping[str, Any], data_dir: Path | None) -> list[Stage]:
    """Every stage of ``config``, built (and so checked) before any of them runs."""
    return [STAGE_BUILDERS[name](config, data_dir) for name in stage_names(config)]


__all__ = ["PROJECTION_MODES", "STAGE_BUILDERS", "Stage", "StageError", "build_stages"]
