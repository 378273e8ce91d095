"""How test F1 follows silver F1, and the silver F1 at which projection overtakes model transfer.

A point is one tagger trained on silver data of a measured silver F1 and scored on the test
set (test F1). Per language, :func:`fit` draws the least-squares line of test F1 on silver F1
(slope with its t interval); :func:`crossover` solves that line for the language's model
transfer F1: below that silver F1, model transfer is the better choice. Its interval comes
from the pairs bootstrap: the points resampled with replacement, each resample's line refitted
and solved for a model-transfer F1 drawn from that score's own bootstrap replicates (so both
sources of uncertainty count). Pooled over languages, :func:`pooled_crossover` fits the gap
``test F1 - model transfer F1`` of every point on its silver F1 and solves for a gap of 0,
resampling points within each language.

A crossover outside the silver F1 the points span is an extrapolation and is flagged; a line
that does not rise (slope <= 0) has no crossover.

A line assumes test F1 falls evenly with silver F1. Where it does not (a tagger that keeps its
F1 down to some silver F1 and then collapses), :func:`curve_crossover` reads the answer off the
measured curve instead: the points (averaged per silver F1) joined by straight segments, and
the highest silver F1 at which that curve, coming down from the cleanest data, falls to model
transfer. Its interval resamples the test sentences: every point's test F1 and model
transfer's are replaced by their bootstrap replicates of one resample (the same sentences
for all, a paired bootstrap), and the crossing is found again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Point:
    """One trained tagger: the silver F1 of its training data and its test F1."""

    silver_f1: float
    test_f1: float


@dataclass(frozen=True)
class Fit:
    """``test F1 = intercept + slope * silver F1``, with the slope's interval."""

    slope: float
    intercept: float
    slope_low: float
    slope_high: float
    points: int

    def at(self, silver_f1: float) -> float:
        return self.intercept + self.slope * silver_f1

    def as_dict(self) -> dict[str, float]:
        return dict(vars(self))


@dataclass(frozen=True)
class Crossover:
    """The silver F1 where the fitted line meets model transfer, with its bootstrap interval
    (``None`` when too many resamples have no crossover to bound it)."""

    silver_f1: float | None
    low: float | None
    high: float | None
    extrapolated: bool  # outside the silver F1 of the points
    undefined: float  # the share of resamples whose line did not rise

    def as_dict(self) -> dict[str, float | bool | None]:
        return dict(vars(self))


def fit(points: Sequence[Point], level: float = LEVEL) -> Fit | None:
    """The least-squares line; None with fewer than three points or no spread in silver F1."""
    xs = np.array([p.silver_f1 for p in points], dtype=float)
    ys = np.array([p.test_f1 for p in points], dtype=float)
    if len(xs) < 3 or np.ptp(xs) == 0:
        return None
    from scipy.stats import linregress, t

    line = linregress(xs, ys)
    half = float(t.ppf(0.5 + level / 2, len(xs) - 2) * line.stderr)
    slope = float(line.slope)
    return Fit(slope, float(line.intercept), slope - half, slope + half, len(xs))


def _solve(xs: np.ndarray, ys: np.ndarray, level: float) -> float | None:
    """Where the least-squares line of ``ys`` on ``xs`` reaches ``level``: nan when the line
    does not rise, None when the points have no spread (a degenerate resample, redrawn)."""
    if np.ptp(xs) == 0:
        return None
    slope, intercept = np.polyfit(xs, ys, 1)
    return float((level - intercept) / slope) if slope > 0 else float("nan")


def crossover(
    points: Sequence[Point],
    transfer_f1: float,
    transfer_replicates: Sequence[float] | np.ndarray | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> Crossover | None:
    """The silver F1 where the language's line equals ``transfer_f1``; None without a line."""
    line = fit(points, level)
    if line is None:
        return None
    xs = np.array([p.silver_f1 for p in points], dtype=float)
    ys = np.array([p.test_f1 for p in points], dtype=float)
    rng = np.random.default_rng(seed)
    levels = _draw_levels(rng, transfer_f1, transfer_replicates, resamples)
    draws: list[float] = []
    for target in levels:
        while (found := _solve(*_resample(rng, xs, ys), target)) is None:
            pass  # a resample of one silver F1 only says nothing about the slope
        draws.append(found)
    return _interval(_solve(xs, ys, transfer_f1), np.array(draws), xs, level)


def pooled_crossover(
    points: Mapping[str, Sequence[Point]],
    transfer_f1: Mapping[str, float],
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> tuple[Fit | None, Crossover | None]:
    """Over languages: the line of ``test F1 - transfer F1`` on silver F1, and where it is 0.

    The resamples draw points within each language (every language keeps its weight).
    """
    langs = [lang for lang in points if lang in transfer_f1 and points[lang]]
    gaps = {
        lang: [Point(p.silver_f1, p.test_f1 - transfer_f1[lang]) for p in points[lang]]
        for lang in langs
    }
    every = [p for lang in langs for p in gaps[lang]]
    line = fit(every, level)
    if line is None:
        return None, None
    xs = np.array([p.silver_f1 for p in every], dtype=float)
    ys = np.array([p.test_f1 for p in every], dtype=float)
    rng = np.random.default_rng(seed)
    offsets = np.cumsum([0] + [len(gaps[lang]) for lang in langs])
    draws: list[float] = []
    while len(draws) < resamples:
        bounds = zip(offsets[:-1], offsets[1:], strict=True)
        pick = np.concatenate(
            [start + rng.integers(0, end - start, end - start) for start, end in bounds]
        )
        if (found := _solve(xs[pick], ys[pick], 0.0)) is not None:
            draws.append(found)
    return line, _interval(_solve(xs, ys, 0.0), np.array(draws), xs, level)


def _resample(
    rng: np.random.Generator, xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The points drawn with replacement, as many as there are."""
    pick = rng.integers(0, len(xs), len(xs))
    return xs[pick], ys[pick]


def _draw_levels(
    rng: np.random.Generator,
    value: float,
    replicates: Sequence[float] | np.ndarray | None,
    count: int,
) -> np.ndarray:
    """The model-transfer F1 of each resample: one of its bootstrap replicates, or itself."""
    if replicates is None or len(replicates) == 0:  # not `not replicates`: it may be an array
        return np.full(count, value)
    return rng.choice(np.asarray(replicates, dtype=float), size=count)


def _interval(value: float | None, draws: np.ndarray, xs: np.ndarray, level: float) -> Crossover:
    """The percentile interval of the resamples that have a crossover; open (None) on both
    sides when more than ``1 - level`` of them have none (the line did not rise)."""
    if value is None or np.isnan(value):
        return Crossover(None, None, None, False, 1.0)
    undefined = float(np.isnan(draws).mean()) if len(draws) else 1.0
    extrapolated = not float(xs.min()) <= value <= float(xs.max())
    if undefined > 1 - level:
        return Crossover(value, None, None, extrapolated, undefined)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws[~np.isnan(draws)], [tail, 100 - tail])
    return Crossover(value, float(low), float(high), extrapolated, undefined)


@dataclass(frozen=True)
class CurveCrossover:
    """Where the measured curve falls to model transfer, with its bootstrap interval. With no
    crossing, ``beyond`` says on which side of the measured silver F1 it lies: ``"below"``
    (the silver tagger stays at or above model transfer down to the worst silver data) or
    ``"above"`` (it is below model transfer even on the cleanest data)."""

    silver_f1: float | None
    low: float | None
    high: float | None
    beyond: str | None
    undefined: float  # the share of resamples whose curve did not cross

    def as_dict(self) -> dict[str, float | str | None]:
        return dict(vars(self))


def curve_crossing(xs: np.ndarray, ys: np.ndarray, level: float) -> float:
    """The highest silver F1 where the curve through the points (test F1 averaged per silver
    F1, straight between neighbours) comes down to ``level``; nan where it never does, or
    starts below it."""
    unique = np.unique(xs)[::-1]  # the cleanest silver data first
    means = np.array([ys[xs == x].mean() for x in unique])
    if means[0] < level:
        return float("nan")
    for (x0, y0), (x1, y1) in pairwise(zip(unique, means, strict=True)):
        if y1 < level <= y0:
            return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))
    return float("nan")


def curve_crossover(
    points: Sequence[Point],
    transfer_f1: float,
    point_replicates: Sequence[np.ndarray] | None = None,
    transfer_replicates: np.ndarray | None = None,
    level: float = LEVEL,
) -> CurveCrossover | None:
    """The silver F1 where the measured curve meets ``transfer_f1``; None under two points.

    ``point_replicates[i]`` holds point ``i``'s test F1 in each bootstrap resample of the test
    sentences, ``transfer_replicates`` model transfer's in the same resamples (e.g.
    :func:`xlner.evaluate.bootstrap.bootstrap_replicates` of each with one seed); without
    them the answer has no interval."""
    xs = np.array([p.silver_f1 for p in points], dtype=float)
    ys = np.array([p.test_f1 for p in points], dtype=float)
    if len(np.unique(xs)) < 2:
        return None
    value = curve_crossing(xs, ys, transfer_f1)
    beyond = None
    if np.isnan(value):
        top = ys[xs == xs.max()].mean()
        beyond = "above" if top < transfer_f1 else "below"
    if point_replicates is None or any(r is None or not len(r) for r in point_replicates):
        return CurveCrossover(None if beyond else value, None, None, beyond, 1.0)
    table = np.stack([np.asarray(r, dtype=float) for r in point_replicates])  # points x draws
    levels = (
        np.asarray(transfer_replicates, dtype=float)
        if transfer_replicates is not None and len(transfer_replicates) == table.shape[1]
        else np.full(table.shape[1], transfer_f1)
    )
    draws = np.array([curve_crossing(xs, table[:, b], levels[b]) for b in range(table.shape[1])])
    undefined = float(np.isnan(draws).mean())
    if beyond or undefined > 1 - level:
        return CurveCrossover(None if beyond else value, None, None, beyond, undefined)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws[~np.isnan(draws)], [tail, 100 - tail])
    return CurveCrossover(value, float(low), float(high), None, undefined)


def damage_per_point(clean: Point, degraded: Sequence[Point]) -> float | None:
    """Test F1 lost per silver F1 point lost: the slope of the least-squares line through the
    clean point (fixed) and the degraded points; None without a silver F1 lost."""
    dx = np.array([clean.silver_f1 - p.silver_f1 for p in degraded], dtype=float)
    dy = np.array([clean.test_f1 - p.test_f1 for p in degraded], dtype=float)
    if not len(dx) or float((dx * dx).sum()) == 0:
        return None
    return float((dx * dy).sum() / (dx * dx).sum())
