"""The ``align`` and ``align_back`` stages: word links to the original sentences.

``align`` links each tagged translation to its original sentence (cross-lingual, with extra
bitext for statistical aligners); ``align_back`` links each back-translation to it
(monolingual: identity pairs and similar words help).

Both are batched stages, run on the run's engine. How they are cut into batches keeps the
links those of one aligner run over the whole input:

* a per-sentence aligner (:attr:`~xlner.align.base.Aligner.per_sentence`: SimAlign, a
  combined aligner of such members) aligns ``align.batch_size`` (``backtranslate.align.
  batch_size``) pairs a batch: the batches give the links of one run, so the batch size is
  not part of the stage's key and on Ray the batches are spread over the actors;
* a statistical aligner (eflomal, a combined aligner with an eflomal member) learns from
  every pair it is given (and the extra bitext, the identity pairs): cut into batches it
  would learn less and link otherwise, so it aligns the whole input in one batch, whatever
  the batch size (on Ray: on one actor). Aligning a large bitext in shards with eflomal
  priors learned once is the silver job's (``xlner silver --shard-size``, docs/scale-out.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from xlner.align.base import Aligner
from xlner.pipeline.backtranslation import monolingual_links
from xlner.pipeline.stages.base import (
    Inputs,
    Stage,
    StageError,
    batched_stage,
    build_component,
)
from xlner.pipeline.stages.data import extra_bitext
from xlner.pipeline.stages.project import projector_of
from xlner.project.corpus import align_link_sets, check_link_sets
from xlner.registry import ComponentError, registry
from xlner.types import LinkSets


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
        # The projection may be the preset's, chosen for the preset's aligner.
        hint = f"; set project.method (preset {config['preset']!r} chose {projector.name!r})"
        raise StageError(f"align.aligner: {error}{hint}") from None
    names = projector.link_sets_used()
    settings: dict[str, Any] = {"aligner": aligner.signature(), "extra": specs}
    if names:  # only then, so that the cache of runs on plain links stays valid
        settings["link_sets"] = sorted(names)

    # Read at the first batch, once per process (each worker reads its own).
    extra = cache(lambda: extra_bitext(specs, config["data"]["pivot"], data_dir))

    def run_batch(inputs: Inputs, start: int, end: int) -> list[LinkSets]:
        pairs = [
            (tagged.tokens, sentence.tokens)
            for tagged, sentence in zip(
                inputs["tag"][start:end], inputs["data"][start:end], strict=True
            )
        ]
        return align_link_sets(aligner, pairs, names, extra())

    whole = not aligner.per_sentence
    return batched_stage(
        "align", ("data", "tag"), settings, LinkSets, section, run_batch, whole=whole
    )


def align_back_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["backtranslate"]["align"]
    aligner = make_aligner(config, section, "backtranslate.align", data_dir)
    similar = section["similar_words"]
    settings = {"aligner": aligner.signature(), "similar_words": similar}

    def run_batch(inputs: Inputs, start: int, end: int) -> list[LinkSets]:
        pairs = [
            (back.tokens, sentence.tokens)
            for back, sentence in zip(
                inputs["backtranslate"][start:end], inputs["data"][start:end], strict=True
            )
        ]
        # Identity pairs teach the statistical aligner that a word aligns to itself.
        identity = [(t, t) for _, t in pairs if t] + [(b, b) for b, _ in pairs if b]
        links = aligner.align(pairs, extra_bitext=identity)
        if similar is not False:
            links = monolingual_links(links, pairs, min_similarity=float(similar))
        return [LinkSets(sentence) for sentence in links]

    deps = ("data", "backtranslate")
    where, whole = "backtranslate.align", not aligner.per_sentence
    return batched_stage(
        "align_back", deps, settings, LinkSets, section, run_batch, where=where, whole=whole
    )
