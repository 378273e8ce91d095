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
from xlner.pipeline.stages.base import Inputs, Stage, StageError, build_component
from xlner.pipeline.stages.data import extra_bitext
from xlner.pipeline.stages.project import projector_of
from xlner.project.corpus import align_link_sets, check_link_sets
from xlner.registry import ComponentError, registry


def make_aligner(
    config: Mapping[str, Any], section: Mapping[str, Any], where: str, data_dir: Path | None
) -> Aligner:
    name, options = section["aligner"], section["options"]
    temp_dir = Path(config["run"]["dir"]) / "tmp"
    return build_component(registry.aligners, f"{where}.aligner", name, options, data_dir, temp_dir)


def align_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["align"]
    aligner = make_aligner(config, section, "align", data_dir)
    specs = list(section["extra"])
    # The named link sets the projector reads (a score's ``coverage:intersection``, the
    # heuristic's ``links``), refused before any work when the aligner cannot give them.
    projector = projector_of(config["project"])
    try:
        check_link_sets(aligner, projector)
    except ComponentError as error:
        raise StageError(f"align.aligner: {error}") from None
    names = projector.link_sets_used()
    settings: dict[str, Any] = {"aligner": aligner.signature(), "extra": specs}
    if names:  # only then, so that the cache of runs on plain links stays valid
        settings["link_sets"] = sorted(names)

    def run(inputs: Inputs) -> list[Alignment]:
        extra = extra_bitext(specs, config["data"]["pivot"], data_dir)
        pairs = [
            (tagged.tokens, sentence.tokens)
            for tagged, sentence in zip(inputs["tag"], inputs["data"], strict=True)
        ]
        sets = align_link_sets(aligner, pairs, names, extra)
        return [Alignment(list(links), links.named) for links in sets]

    return Stage("align", ("data", "tag"), settings, Alignment, run=run)


def align_back_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["backtranslate"]["align"]
    aligner = make_aligner(config, section, "backtranslate.align", data_dir)
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
