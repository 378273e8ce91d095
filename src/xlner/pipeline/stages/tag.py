"""The ``tag`` stage: the entities of each translation, found by the source tagger."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.pipeline.records import Tagged
from xlner.pipeline.stages.base import Inputs, Stage, batched_stage, build_component, isolated_batch
from xlner.registry import registry
from xlner.text import split_words, tokens_of


def tag_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["tag"]
    tagger = build_component(
        registry.taggers, "tag.tagger", section["tagger"], section["options"], data_dir
    )
    # The words of a translation are part of the key: another splitter, other spans.
    settings = {"tagger": tagger.signature(), "words": "xlner.text.split_words"}

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Tagged]:
        sentences = [tokens_of(split_words(r.text)) for r in inputs["translate"][start:end]]
        outcomes = isolated_batch("tag", tagger.tag, sentences, start)
        return [
            Tagged(tokens, spans or [], error)
            for tokens, (spans, error) in zip(sentences, outcomes, strict=True)
        ]

    return batched_stage("tag", "translate", settings, Tagged, section, run_batch)
