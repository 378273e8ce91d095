"""The silver benchmark's ``degrade`` stage: silver data made worse on purpose, to a silver F1.

With ``[degrade] operator = NAME`` (a :mod:`xlner.study.degrade` degradation), the tagger is
trained on the silver data after that degradation instead of on the silver data itself. The
level says how far down: 0 is the clean silver data, 1 the silver F1 ``floor`` (30 by
default), 0.5 halfway between the two, for each language from its own clean silver F1. The
rate that reaches that silver F1 is found by bisection (:func:`xlner.study.degrade.calibrate`)
on the silver sentences that have MasakhaNER train/dev gold, and then applied to every silver
sentence, each drawing from generators seeded by ``seed`` and its place in the silver file.

Silver F1 here is the benchmark's: strict span F1 with DATE dropped, on the kept sentences
that have gold. The ``mix`` degradation reproduces the language's own projection errors
(:func:`~xlner.study.degrade.error_profile` of the clean silver data against that gold).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xlner.bench.silver_quality import GoldKey, gold_on_tokens
from xlner.corpora.conll import write_conll
from xlner.evaluate.bootstrap import bootstrap_f1, sentence_counts
from xlner.silver.writers import read_records, tagged_record
from xlner.study.degrade import (
    Sentence,
    calibrate,
    degrade,
    error_profile,
    get_degradation,
    silver_f1,
)
from xlner.types import Span, TaggedSentence

NO_DATE = {"DATE": None}
CONLL = "silver.conll"


@dataclass(frozen=True)
class DegradeSettings:
    """The ``[degrade]`` table of a silver benchmark config; ``operator = "none"``: no stage."""

    operator: str = "none"
    level: float = 0.0  # the share of the way from the clean silver F1 down to ``floor``
    floor: float = 30.0  # the silver F1 of level 1
    seed: int = 0
    tolerance: float = 0.5  # how close to the requested silver F1 the calibration must come

    def __post_init__(self) -> None:
        if self.operator != "none":
            get_degradation(self.operator)  # a one-line error naming the choices
        if not 0.0 <= self.level <= 1.0:
            raise ValueError(f"degrade.level must be in [0, 1], not {self.level!r}")
        if not 0.0 <= self.floor < 100.0 or self.tolerance <= 0:
            raise ValueError("degrade.floor must be in [0, 100) and degrade.tolerance > 0")

    @property
    def active(self) -> bool:
        return self.operator != "none"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SilverRecords:
    """The silver sentences of a silver file, as degradations read them, with their gold."""

    tokens: list[list[str]]
    sentences: list[Sentence]
    gold: dict[int, list[Span]]  # sentence index -> gold spans on its tokens
    unknown: list[list[int]]  # each sentence's words of unknown label (partial labels)


def read_silver(path: Path, gold: Mapping[GoldKey, TaggedSentence]) -> SilverRecords:
    """Every sentence of the silver records file, and the gold of those that have it."""
    return silver_records(read_records(path), gold)


def silver_records(
    records: Iterable[Mapping[str, Any]], gold: Mapping[GoldKey, TaggedSentence]
) -> SilverRecords:
    """Every sentence of the silver ``records`` (a word of unknown label is outside every
    span), and the gold of those that have it."""
    tokens, sentences, matched, unknown = [], [], {}, []
    for index, record in enumerate(records):
        tagged = tagged_record(record)
        tokens.append(list(tagged.tokens))
        sentences.append(Sentence(len(tagged.tokens), tuple(tagged.spans)))
        unknown.append(list(tagged.unknown))
        where = record["provenance"]
        twin = gold.get((str(where.get("split")), int(where["line"])))
        if twin is not None and (spans := gold_on_tokens(tagged.tokens, twin)) is not None:
            matched[index] = spans
    return SilverRecords(tokens, sentences, matched, unknown)


def quality(
    records: SilverRecords,
    spans: Sequence[Sequence[Span]],
    label_map: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Silver F1 of ``spans`` on the sentences with gold, with its bootstrap interval, in the
    shape of :func:`xlner.bench.silver_quality.kept_quality`'s (the row's silver F1)."""
    indices = sorted(records.gold)
    counts = sentence_counts(
        [records.gold[i] for i in indices], [spans[i] for i in indices], label_map
    )
    interval = bootstrap_f1(counts)
    return {
        "sentences": len(indices),
        "f1": interval.value,
        "f1_interval": [interval.low, interval.high],
        "n_gold": int(counts[:, 1].sum()),
        "n_predicted": int(counts[:, 2].sum()),
    }


def degrade_silver(
    records_file: Path,
    gold: Mapping[GoldKey, TaggedSentence],
    settings: DegradeSettings,
    labels: Sequence[str],
    out: Path,
) -> dict[str, Any]:
    """Degrade the silver data of ``records_file`` to the requested level; write the
    training file ``out/silver.conll``; return what the row reports."""
    records = read_silver(records_file, gold)
    if not records.gold:
        raise ValueError(
            f"{records_file}: no silver sentence has gold, so its silver F1 cannot be "
            "measured or degraded to a level"
        )
    clean = [list(s.spans) for s in records.sentences]
    indices = sorted(records.gold)
    truth = [records.gold[i] for i in indices]
    shares = error_profile([clean[i] for i in indices], truth)
    degradation = get_degradation(settings.operator)
    subset = [records.sentences[i] for i in indices]

    def f1_at(rate: float) -> float:
        spans = degrade(degradation, subset, rate, settings.seed, labels, shares, indices)
        return silver_f1(spans, truth, NO_DATE)

    start = silver_f1([clean[i] for i in indices], truth, NO_DATE)
    target = start - settings.level * (start - settings.floor)
    found = calibrate(f1_at, target, degradation.max_rate, settings.tolerance)
    spans = degrade(degradation, records.sentences, found.rate, settings.seed, labels, shares)
    write_conll(
        out / CONLL,
        [
            TaggedSentence(words, s, unknown=unknown)
            for words, s, unknown in zip(records.tokens, spans, records.unknown, strict=True)
        ],
    )
    return {
        "conll": str(out / CONLL),
        "settings": settings.as_dict(),
        "clean_silver_f1": start,
        "target_silver_f1": target,
        "rate": found.rate,
        "calibration_steps": found.steps,
        "error_profile": shares,
        "entities": {"clean": sum(map(len, clean)), "degraded": sum(map(len, spans))},
        "quality": quality(records, spans),
        "quality_no_date": quality(records, spans, NO_DATE),
    }
