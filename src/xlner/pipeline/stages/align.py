"""The ``align`` and ``align_back`` stages: word links to the original sentences.

``align`` links each tagged translation to its original sentence (cross-lingual, with extra
bitext for statistical aligners); ``align_back`` links each back-translation to it
(monolingual: identity pairs and similar words help).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlner.align.base import Aligner
from xlner.pipeline.backtranslation import monolingual_links
from xlner.pipeline.records import Alignment
from xlner.pipeline.stages.base import Inputs, Stage, build_component
from xlner.pipeline.stages.data import extra_bitext
from xlner.registry import registry


def make_aligner(section: Mapping[str, Any], where: str, data_dir: Path | None) -> Aligner:
    name, options = section["aligner"], section["options"]
    return build_component(registry.aligners, f"{where}.aligner", name, options, data_dir)


def align_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["align"]
    aligner = make_aligner(section, "align", data_dir)
    specs = list(section["extra"])
    settings = {"aligner": aligner.signature(), "extra": specs}

    def run(inputs: Inputs) -> list[Alignment]:
        extra = extra_bitext(specs, config["data"]["pivot"], data_dir)
        pairs = [
            (tagged.tokens, sentence.tokens)
            for tagged, sentence in zip(inputs["tag"], inputs["data"], strict=True)
        ]
        return [Alignment(links) for links in aligner.align(pairs, extra_bitext=extra)]

    return Stage("align", ("data", "tag"), settings, Alignment, run=run)


def align_back_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["backtranslate"]["align"]
    aligner = make_aligner(section, "backtranslate.align", data_dir)
    similar = section["similar_words"]
    settings = {"aligner": aligner.signature(), "similar_words": similar}

    def run(inputs: Inputs) -> list[Alignment]:
        pairs = [
            (back.tokens, sentence.tokens)
            for back, sentence in zip(inputs["backtranslate"], inputs["data"], strict=True)
        ]
        # Identity pairs teach the statistical aligner that a word aligns to itself.
        identity = [(t, t) for _, t in pairs if t] + [(b, b) for b, _ in pairs if b]
        links = aligner.align(pairs, extra_bitext=identity)
        if similar is not False:
            links = monolingual_links(links, pairs, min_similarity=float(similar))
        return [Alignment(sentence) for sentence in links]

    return Stage("align_back", ("data", "backtranslate"), settings, Alignment, run=run)
