"""The natural axis: aligners of different quality, and how far each is from a reference.

There is no gold word alignment for Europarl-NER nor for MasakhaNER 2.0 + MAFAND-MT, so no true
alignment error rate can be computed. As a PROXY, each aligner is compared with the
intersection links of the dataset's first (best) aligner: few, high-precision links that two
directional models agreed on. The proxy favours the first aligner (its own intersection is a
subset of its links, so its proxy recall is 1 by construction) and says nothing about links
all aligners get wrong. It is also biased towards aligners of the first one's family: on
Europarl-NER, SimAlign with e5-small scored a worse proxy AER than eflomal (34 vs 21) and yet
projected 8-9 F1 better. It ranks variants of one aligner; it does not measure alignments.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlner.evaluate.alignment import score_alignment
from xlner.registry import registry
from xlner.study.config import AlignerSpec
from xlner.study.data import LanguageData
from xlner.types import Link

INTERSECTION = "intersection"
SYMMETRIZATION = "symmetrization"  # the option of eflomal the study's setting fills in


@dataclass
class Alignment:
    """One aligner's links for every sentence pair of one language."""

    spec: AlignerSpec
    links: list[list[Link]]  # the primary links (eflomal: the symmetrisation projected over)
    intersection: list[list[Link]] | None  # the proxy reference candidates, where given
    signature: dict[str, Any]
    seconds: float


def run_aligner(spec: AlignerSpec, data: LanguageData, symmetrization: str) -> Alignment:
    """Align ``data`` with ``spec`` once, through the registry (any aligner, ``combined``
    too). An aligner that gives an ``intersection`` link set from the same run (eflomal, or a
    combined aligner with one eflomal member) offers it as the proxy reference."""
    started = time.perf_counter()
    extra = data.extra.get(spec.extra, []) if spec.extra else []
    if spec.extra and not extra:
        raise ValueError(f"{data.language}: extra bitext {spec.extra!r} is not available")
    options = dict(spec.options)
    if SYMMETRIZATION in registry.aligners.options(spec.backend):
        options.setdefault(SYMMETRIZATION, symmetrization)
    aligner = registry.aligners.build(spec.backend, **options)
    if INTERSECTION in aligner.link_set_names():
        sets = aligner.align_sets(data.pairs, extra_bitext=extra)
        links = [list(pair) for pair in sets]
        intersection = [pair.named[INTERSECTION] for pair in sets]
    else:
        links, intersection = aligner.align(data.pairs, extra_bitext=extra), None
    signature = {"aligner": spec.name, "align": aligner.signature()}
    if spec.extra:
        signature["extra"] = f"{spec.extra}:{len(extra)}"
    return Alignment(spec, links, intersection, signature, time.perf_counter() - started)


def proxy_agreement(
    links: Sequence[Sequence[Link]], reference: Sequence[Sequence[Link]]
) -> dict[str, float]:
    """Micro precision, recall and AER of ``links`` against ``reference`` (all links "sure").

    ``aer = 1 - 2|A & R| / (|A| + |R|)`` (Och & Ney 2003 with sure = possible = R).
    """
    scores = score_alignment(
        ({(x.src, x.tgt) for x in predicted}, {(x.src, x.tgt) for x in ref}, ())
        for predicted, ref in zip(links, reference, strict=True)
    )
    return {
        "precision": scores.precision,
        "recall": scores.recall,
        "aer": scores.aer,
        "links": scores.predicted,
        "reference_links": scores.sure,
    }
