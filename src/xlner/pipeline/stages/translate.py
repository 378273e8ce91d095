"""The ``translate`` stage: each sentence of the corpus into the pivot language."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.languages import iso3
from xlner.pipeline.records import Translation
from xlner.pipeline.stages.base import Inputs, Stage, batched_stage, build_component, isolated_batch
from xlner.registry import registry
from xlner.text import detokenize
from xlner.translate.base import Translator


def make_translator(section: Mapping[str, Any], where: str, data_dir: Path | None) -> Translator:
    """The translator of a ``[translate]``/``[backtranslate]`` section.

    ``section.batch_size`` is the number of sentences per finished shard (the unit of
    resumption); the translator's own batch size, if any, is ``options.batch_size``.
    """
    name, options = section["translator"], section["options"]
    return build_component(registry.translators, f"{where}.translator", name, options, data_dir)


def translate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section, data = config["translate"], config["data"]
    translator = make_translator(section, "translate", data_dir)
    src, tgt = data["lang"], data["pivot"]
    settings = {"translator": translator.signature(), "direction": [iso3(src), iso3(tgt)]}

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Translation]:
        texts = [detokenize(sentence.tokens)[0] for sentence in inputs["data"][start:end]]
        outcomes = isolated_batch(
            "translate", lambda batch: translator.translate(batch, src, tgt), texts, start
        )
        return [translation(s, out, error) for s, (out, error) in zip(texts, outcomes, strict=True)]

    return batched_stage("translate", "data", settings, Translation, section, run_batch)


def translation(source: str, text: str | None, error: str | None) -> Translation:
    """A translation on one line; an empty one of a non-empty sentence is a failure."""
    text = " ".join((text or "").split())
    if error is None and source.strip() and not text:
        error = "empty translation"
    return Translation(text, error)
