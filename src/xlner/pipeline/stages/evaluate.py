"""The ``evaluate`` stage: the projected entities against the gold ones, one record in all."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.evaluate import evaluate_spans
from xlner.pipeline.records import Evaluation
from xlner.pipeline.stages.base import Inputs, Stage, StageError
from xlner.registry import ComponentError, registry


def evaluate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    label_map = config["evaluate"]["label_map"]
    try:
        mapping = registry.label_maps.get(label_map)
    except ComponentError as error:
        raise StageError(f"evaluate.label_map: {error}") from None

    def run(inputs: Inputs) -> list[Evaluation]:
        gold = inputs["data"]
        predicted = [projection.labelled() for projection in inputs["project"]]
        lengths = [len(sentence.tokens) for sentence in gold]
        spans = [sentence.spans for sentence in gold]
        scores = evaluate_spans(spans, predicted, lengths, mapping)
        return [Evaluation(label_map, scores.as_dict())]

    settings = {"labels": label_map}
    return Stage("evaluate", ("data", "project"), settings, Evaluation, run=run, single=True)
