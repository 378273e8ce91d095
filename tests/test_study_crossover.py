"""The crossover study's arithmetic on synthetic curves whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from xlner.study.crossover import (
    Point,
    crossover,
    curve_crossover,
    damage_per_point,
    fit,
    pooled_crossover,
)


def _line(slope: float, intercept: float, xs, noise: float = 0.0, seed: int = 0) -> list[Point]:
    rng = np.random.default_rng(seed)
    return [Point(x, intercept + slope * x + noise * rng.standard_normal()) for x in xs]


def test_fit_recovers_a_known_line() -> None:
    line = fit(_line(0.8, 20.0, [30, 40, 50, 60, 70]))
    assert line is not None
    assert line.slope == pytest.approx(0.8) and line.intercept == pytest.approx(20.0)
    assert line.slope_low == pytest.approx(0.8) and line.slope_high == pytest.approx(0.8)


def test_fit_needs_three_points_with_spread() -> None:
    assert fit(_line(1.0, 0.0, [40, 50])) is None
    assert fit([Point(50, 60), Point(50, 61), Point(50, 62)]) is None


def test_the_slope_interval_covers_the_true_slope_under_noise() -> None:
    line = fit(_line(0.8, 20.0, np.linspace(30, 75, 12), noise=1.0, seed=3))
    assert line is not None and line.slope_low < 0.8 < line.slope_high
    assert line.slope_high - line.slope_low < 0.3


def test_crossover_of_an_exact_line_is_its_solution() -> None:
    # test F1 = 20 + 0.8 * silver F1 meets model transfer 60 at silver F1 50.
    found = crossover(_line(0.8, 20.0, [30, 40, 50, 60, 70]), 60.0)
    assert found is not None
    assert found.silver_f1 == pytest.approx(50.0)
    assert found.low == pytest.approx(50.0) and found.high == pytest.approx(50.0)
    assert not found.extrapolated and found.undefined == 0.0


def test_crossover_interval_covers_the_answer_and_widens_with_model_transfer_noise() -> None:
    points = _line(0.8, 20.0, [30, 35, 40, 45, 50, 55, 60, 65, 70], noise=1.5, seed=1)
    tight = crossover(points, 60.0, resamples=1000)
    replicates = list(np.random.default_rng(0).normal(60.0, 2.0, 500))
    wide = crossover(points, 60.0, replicates, resamples=1000)
    assert tight is not None and wide is not None
    assert tight.low < 50.0 < tight.high
    assert (wide.high - wide.low) > (tight.high - tight.low)


def test_crossover_outside_the_points_is_flagged() -> None:
    found = crossover(_line(0.5, 50.0, [40, 50, 60]), 40.0)  # 50 + 0.5x = 40 at x = -20
    assert found is not None and found.silver_f1 == pytest.approx(-20.0) and found.extrapolated


def test_a_line_that_does_not_rise_has_no_crossover() -> None:
    found = crossover(_line(-0.2, 80.0, [30, 40, 50, 60]), 60.0)
    assert found is not None and found.silver_f1 is None and found.low is None


def test_pooled_crossover_solves_the_gap_to_each_languages_transfer() -> None:
    # Two languages, the same slope, each 0.8 * (x - 50) above its own model transfer.
    points = {
        "aaa": _line(0.8, 30.0 - 40.0, [30, 40, 50, 60, 70]),  # transfer 30
        "bbb": _line(0.8, 70.0 - 40.0, [35, 45, 55, 65]),  # transfer 70
    }
    line, found = pooled_crossover(points, {"aaa": 30.0, "bbb": 70.0}, resamples=200)
    assert line is not None and line.slope == pytest.approx(0.8)
    assert found is not None and found.silver_f1 == pytest.approx(50.0)
    assert found.low == pytest.approx(50.0) and found.high == pytest.approx(50.0)


def test_damage_per_point_is_test_f1_lost_per_silver_f1_lost() -> None:
    clean = Point(70.0, 75.0)
    assert damage_per_point(clean, [Point(60.0, 70.0), Point(50.0, 65.0)]) == pytest.approx(0.5)
    assert damage_per_point(clean, [Point(70.0, 60.0)]) is None


# ------------------------------------------------------------------ the measured curve


CLIFF = [Point(72.0, 74.0), Point(51.0, 72.5), Point(40.0, 60.0), Point(30.0, 0.0)]


def test_the_curve_crossover_reads_a_cliff_where_a_line_cannot() -> None:
    # 72.5 at silver F1 51 and 60.0 at 40: model transfer's 68.5 is met a third of the way.
    found = curve_crossover(CLIFF, 68.5)
    assert found is not None and found.beyond is None
    assert found.silver_f1 == pytest.approx(51.0 - 11.0 * 4.0 / 12.5)
    assert found.low is None  # no replicates, no interval
    line = crossover(CLIFF, 68.5)
    assert line is not None and line.silver_f1 != pytest.approx(found.silver_f1, abs=1.0)


def test_the_curve_crossover_is_the_first_crossing_from_the_cleanest_data() -> None:
    wobbly = [Point(70.0, 75.0), Point(60.0, 65.0), Point(50.0, 71.0), Point(40.0, 50.0)]
    found = curve_crossover(wobbly, 70.0)
    assert found is not None and found.silver_f1 == pytest.approx(65.0)


def test_points_of_one_silver_f1_are_averaged() -> None:
    seeds = [Point(70.0, 74.0), Point(70.0, 72.0), Point(50.0, 60.0), Point(50.0, 64.0)]
    found = curve_crossover(seeds, 68.0)
    assert found is not None and found.silver_f1 == pytest.approx(50.0 + 20.0 * 6.0 / 11.0)


@pytest.mark.parametrize(("transfer", "side"), [(50.0, "below"), (90.0, "above")])
def test_a_curve_that_never_meets_transfer_says_on_which_side(transfer, side) -> None:
    points = [Point(70.0, 75.0), Point(50.0, 70.0)]
    found = curve_crossover(points, transfer)
    assert found is not None and (found.silver_f1, found.beyond) == (None, side)


def test_the_curve_interval_comes_from_the_paired_resamples() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 1.0, size=(len(CLIFF), 500))
    replicates = [p.test_f1 + noise[i] for i, p in enumerate(CLIFF)]
    transfer = 68.5 + rng.normal(0.0, 1.0, size=500)
    found = curve_crossover(CLIFF, 68.5, replicates, transfer)
    assert found is not None and found.low is not None and found.high is not None
    assert found.low < found.silver_f1 < found.high
    assert found.low >= 40.0 and found.high <= 51.0  # the crossing stays on its segment
    assert found.undefined == 0.0


def test_one_silver_f1_is_no_curve() -> None:
    assert curve_crossover([Point(70.0, 75.0), Point(70.0, 71.0)], 70.0) is None
