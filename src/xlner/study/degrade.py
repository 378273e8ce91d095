"""Controlled, seeded degradation of silver data: the projected target spans made worse.

The crossover study (``configs/study/crossover.toml``) trains a tagger on silver data of known,
lowered quality to see how the tagger's test F1 follows the silver F1. Each degradation makes
one kind of projection error on the target spans of every silver sentence, at a rate:

* ``drop_entities`` (missed entities): each span removed with probability ``rate``;
* ``shift_boundaries`` (wrong boundaries): each span extended or shrunk by one word;
* ``swap_classes`` (wrong classes): each span given another class of the label set;
* ``add_entities`` (spurious entities): ``Poisson(rate * #spans)`` spans of one to three words
  added where there is no span (``rate`` may exceed 1: spurious spans per silver span);
* ``mix`` (a realistic mix): all four, each at ``rate`` times its share of the language's own
  projection errors (:func:`error_profile` of the clean silver data against gold), the
  commonest error at ``rate`` itself.

The first three are :mod:`xlner.study.noise`'s entity operators, applied to the target side.
Every sentence draws from its own generators, seeded from ``(seed, index, operator)``, and the
draws do not depend on ``rate`` (common random numbers): a higher rate degrades a superset of
what a lower one does, so silver F1 falls steadily with the rate and :func:`calibrate` can
find the rate that gives a requested silver F1 by bisection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xlner.evaluate.bootstrap import f1_of_counts, sentence_counts
from xlner.registry import registry
from xlner.study.noise import drop_entities, shift_boundaries, swap_classes
from xlner.types import Span

# The kinds of projection error, in the order the mix applies their operators.
ERROR_KINDS = ("missed", "boundary", "class", "spurious")
# Spurious spans are as long as projected ones mostly are: one word, sometimes two or three.
SPURIOUS_LENGTHS = (1, 2, 3)
SPURIOUS_WEIGHTS = (0.6, 0.3, 0.1)
# At most this many spurious spans are drawn per sentence, whatever the rate.
MAX_SPURIOUS = 32


@dataclass(frozen=True)
class Sentence:
    """What a degradation reads of one silver sentence: its length and its spans."""

    length: int
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Draw:
    """What a degradation draws with for one sentence: its seed (the corpus seed and the
    sentence's place), the classes a new or swapped span may take, and the error shares the
    mix scales (:func:`error_profile`)."""

    seed: Sequence[int]
    labels: Sequence[str]
    shares: Mapping[str, float]

    def stream(self, kind: str) -> np.random.Generator:
        """The generator of this sentence and one kind of error (independent of the rate)."""
        return np.random.default_rng([*self.seed, ERROR_KINDS.index(kind)])


Apply = Callable[[Sentence, float, Draw], list[Span]]


@dataclass(frozen=True)
class Degradation:
    """A named degradation of silver spans (``registry.degradations``)."""

    error: str  # the kind of error it makes (ERROR_KINDS), or "mixed"
    description: str
    max_rate: float  # the highest rate that means something (calibration searches below it)
    apply: Apply  # (sentence, rate, what it draws with) -> new spans


def add_entities(
    spans: Sequence[Span],
    rate: float,
    rng: np.random.Generator,
    n_tokens: int,
    labels: Sequence[str],
) -> list[Span]:
    """Add ``Poisson(rate * #spans)`` spurious spans where there is none.

    The candidates and their arrival times are drawn whatever the rate; a span arrives when
    its time (a unit-rate Poisson process) is below ``rate * #spans``, so a higher rate adds
    a superset of the spans a lower one adds. A span is placed where it neither overlaps nor
    touches another (it would merge with it); a sentence without such room gets fewer.
    """
    if rate < 0:
        raise ValueError(f"spurious rate must be >= 0, not {rate!r}")
    times = np.cumsum(rng.exponential(size=MAX_SPURIOUS))
    starts = rng.random(MAX_SPURIOUS)
    lengths = rng.choice(SPURIOUS_LENGTHS, size=MAX_SPURIOUS, p=SPURIOUS_WEIGHTS)
    classes = rng.integers(0, max(len(labels), 1), size=MAX_SPURIOUS)
    names, out = sorted(labels), list(spans)
    arrived = int((times < rate * len(spans)).sum())
    for start_u, length, label in zip(
        starts[:arrived], lengths[:arrived], classes[:arrived], strict=True
    ):
        free = _free_starts(out, min(int(length), n_tokens), n_tokens)
        if free:
            start = free[int(start_u * len(free))]
            out.append(Span(start, start + min(int(length), n_tokens), names[label]))
    return sorted(out)


def _free_starts(spans: Sequence[Span], length: int, n_tokens: int) -> list[int]:
    """Where a span of ``length`` words fits without overlapping or touching ``spans``."""
    return [
        start
        for start in range(n_tokens - length + 1)
        if not any(start <= s.end and s.start <= start + length for s in spans)
    ]


def _drop(item: Sentence, rate: float, draw: Draw) -> list[Span]:
    return drop_entities(item.spans, rate, draw.stream("missed"))


def _shift(item: Sentence, rate: float, draw: Draw) -> list[Span]:
    return shift_boundaries(item.spans, rate, draw.stream("boundary"), item.length)


def _swap(item: Sentence, rate: float, draw: Draw) -> list[Span]:
    return swap_classes(item.spans, rate, draw.stream("class"), draw.labels)


def _add(item: Sentence, rate: float, draw: Draw) -> list[Span]:
    return add_entities(item.spans, rate, draw.stream("spurious"), item.length, draw.labels)


_BY_KIND: dict[str, Apply] = {"missed": _drop, "boundary": _shift, "class": _swap}
_BY_KIND["spurious"] = _add


def mix_rates(rate: float, shares: Mapping[str, float]) -> dict[str, float]:
    """Each error kind's rate in the mix: ``rate`` times its share over the largest share
    (rates of the first three kinds capped at 1: they are probabilities)."""
    top = max((shares.get(kind, 0.0) for kind in ERROR_KINDS), default=0.0)
    if top <= 0:
        raise ValueError("the mix needs an error profile with at least one error")
    rates = {kind: rate * shares.get(kind, 0.0) / top for kind in ERROR_KINDS}
    return {kind: value if kind == "spurious" else min(value, 1.0) for kind, value in rates.items()}


def _mix(item: Sentence, rate: float, draw: Draw) -> list[Span]:
    current = item
    for kind, kind_rate in mix_rates(rate, draw.shares).items():
        spans = _BY_KIND[kind](current, kind_rate, draw)
        current = Sentence(item.length, tuple(spans))
    return list(current.spans)


registry.degradations.register(
    "drop_entities", Degradation("missed", "silver entities dropped", 1.0, _drop)
)
registry.degradations.register(
    "shift_boundaries",
    Degradation("boundary", "silver entity boundaries shifted by one word", 1.0, _shift),
)
registry.degradations.register(
    "swap_classes", Degradation("class", "silver entity classes swapped", 1.0, _swap)
)
registry.degradations.register(
    "add_entities", Degradation("spurious", "spurious silver entities added", 8.0, _add)
)
registry.degradations.register(
    "mix",
    # Above 1 the probabilities stay at 1 and only spurious spans grow: the mix reaches as
    # far down as its parts do.
    Degradation("mixed", "the language's own mix of projection errors, scaled", 8.0, _mix),
)


def get_degradation(name: str) -> Degradation:
    """The degradation registered as ``name``; a one-line ComponentError lists the others."""
    return registry.degradations.get(name)


def degrade(
    degradation: Degradation,
    sentences: Sequence[Sentence],
    rate: float,
    seed: int,
    labels: Sequence[str],
    shares: Mapping[str, float] | None = None,
    indices: Sequence[int] | None = None,
) -> list[list[Span]]:
    """Every sentence's spans after ``degradation`` at ``rate``; sentence ``i`` draws from
    generators seeded by ``(seed, indices[i])`` (its place in the whole corpus, by default
    ``i``), whatever happens to the others: a subset degrades as it does in the corpus."""
    places = range(len(sentences)) if indices is None else indices
    return [
        degradation.apply(item, rate, Draw((seed, place), labels, shares or {}))
        for item, place in zip(sentences, places, strict=True)
    ]


def error_profile(
    silver: Sequence[Sequence[Span]], gold: Sequence[Sequence[Span]]
) -> dict[str, float]:
    """The share of each kind of error of silver spans against gold spans.

    Per gold span without an exact silver twin: ``class`` when a silver span has its
    boundaries (another class), ``boundary`` when silver spans overlap it, else ``missed``;
    per silver span that overlaps no gold span: ``spurious``. Shares sum to 1 (all 0 when
    silver equals gold).
    """
    counts: Counter[str] = Counter()
    for silver_spans, gold_spans in zip(silver, gold, strict=True):
        found = set(silver_spans)
        for span in gold_spans:
            if span in found:
                continue
            same_place = any((s.start, s.end) == (span.start, span.end) for s in silver_spans)
            overlapping = any(s.overlaps(span) for s in silver_spans)
            counts["class" if same_place else "boundary" if overlapping else "missed"] += 1
        counts["spurious"] += sum(
            1 for s in silver_spans if not any(s.overlaps(g) for g in gold_spans)
        )
    total = sum(counts.values())
    return {kind: counts[kind] / total if total else 0.0 for kind in ERROR_KINDS}


def silver_f1(
    spans: Sequence[Sequence[Span]],
    gold: Sequence[Sequence[Span]],
    label_map: Mapping[str, str | None] | None = None,
) -> float:
    """Strict span F1 in percent (exact start, end and class), as the benchmark scores it."""
    return float(f1_of_counts(sentence_counts(gold, spans, label_map).sum(axis=0)))


@dataclass(frozen=True)
class Calibration:
    """The rate found for a requested silver F1, and the silver F1 it gives."""

    rate: float
    silver_f1: float
    target: float
    steps: int


def calibrate(
    f1_at: Callable[[float], float],
    target: float,
    max_rate: float,
    tolerance: float = 0.5,
    max_steps: int = 40,
) -> Calibration:
    """The rate at which ``f1_at(rate)`` (falling with the rate) is ``target`` within
    ``tolerance``, by bisection on ``[0, max_rate]``.

    Raises ValueError when ``target`` lies outside what the degradation reaches: above the
    clean F1, or below its F1 at ``max_rate``.
    """
    low, high = 0.0, max_rate
    clean, worst = f1_at(low), f1_at(high)
    if target > clean + tolerance:
        raise ValueError(f"silver F1 {target:g} is above the clean silver data's {clean:.1f}")
    if target < worst - tolerance:
        raise ValueError(
            f"silver F1 {target:g} is below what the degradation reaches ({worst:.1f} at rate "
            f"{max_rate:g})"
        )
    if abs(clean - target) <= tolerance:
        return Calibration(0.0, clean, target, 0)
    rate, value = high, worst
    for step in range(1, max_steps + 1):
        rate = (low + high) / 2
        value = f1_at(rate)
        if abs(value - target) <= tolerance:
            return Calibration(rate, value, target, step)
        low, high = (rate, high) if value > target else (low, rate)
    return Calibration(rate, value, target, max_steps)
