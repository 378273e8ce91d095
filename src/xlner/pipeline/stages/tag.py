"""The ``tag`` stage: the entities of each translation, found by the source tagger."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.pipeline.records import Tagged
from xlner.pipeline.stages.base import Inputs, Stage, batched_stage, build_component, isolated_batch
from xlner.registry import ComponentError, registry
from xlner.text import split_words, tokens_of


def tag_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["tag"]
    options = with_pivot(section["tagger"], section["options"], config["data"]["pivot"])
    tagger = build_component(registry.taggers, "tag.tagger", section["tagger"], options, data_dir)
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


def with_pivot(name: str, options: Any, pivot: str) -> Any:
    """The tagger's options, with the run's pivot language as its ``pivot_option`` (spaCy's
    model choice, the xlner tagger's language check) unless the options set that already."""
    try:
        option = getattr(registry.taggers.get(name), "pivot_option", None)
    except ComponentError:
        return options  # an unknown tagger: build_component reports it
    if option and isinstance(options, Mapping) and option not in options:
        return {**options, option: pivot}
    return options
