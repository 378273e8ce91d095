"""The crossover study on the rows of a silver ablation (``benchmarks/silver-crossover``).

Every row of every variant is a point: the silver F1 of the data a tagger was trained on
(after the ``degrade`` stage where the variant has one) and that tagger's test F1. Per
language, over the clean and ``mix`` points (:data:`CURVE`): the line of test F1 on silver
F1 with the slope's 95 % interval, and the silver F1 where the line meets the language's
model transfer (:func:`xlner.study.crossover.crossover`; the interval from resampled points
and model transfer's own bootstrap replicates). Pooled: the gap to model transfer on silver
F1 over all languages. Per degradation (each kind of error, and the ``mix``):
the test F1 lost per silver F1 point lost against the language's clean rows, averaged over
languages; for one measured at several levels, also at each level, so that the kinds compare
at the same level (the single kinds of the config are at 0.5 only). Training noise: the
spread of test F1 over the seeds of each data point trained with several.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from xlner.evaluate.bootstrap import bootstrap_replicates
from xlner.study.crossover import (
    CurveCrossover,
    Point,
    crossover,
    curve_crossover,
    damage_per_point,
    fit,
    pooled_crossover,
)
from xlner.study.degrade import get_degradation

CLEAN = "none"
# The rows the curve is fitted to: the undegraded silver data (every variant without a
# degradation) and the realistic mix. A single kind of error moves test F1 at its own rate
# (damage_by_kind), so its rows would bend the line.
CURVE = (CLEAN, "mix")


def operator_of(row: Mapping[str, Any]) -> str:
    """The degradation a row's silver data went through (``none``: the clean silver data)."""
    return _degraded_by(row).get("operator", CLEAN)


def _degraded_by(row: Mapping[str, Any]) -> Mapping[str, Any]:
    return (row.get("degrade") or {}).get("settings") or {}


def points_by_language(variants: Sequence[Mapping[str, Any]]) -> dict[str, list[dict]]:
    """Every row with a silver F1, by language: variant, operator, silver F1, test F1."""
    found: dict[str, list[dict]] = defaultdict(list)
    for variant in variants:
        for row in variant["rows"]:
            quality = row["silver_quality_no_date"]
            if not quality.get("sentences"):
                continue
            found[row["lang"]].append(
                {
                    "variant": variant["name"],
                    "operator": operator_of(row),
                    "level": _degraded_by(row).get("level"),
                    "silver_f1": quality["f1"],
                    "test_f1": row["test"]["f1"],
                    "test_counts": row["test"].get("counts"),
                    "seed": ((row.get("train") or {}).get("config") or {}).get("seed"),
                    "data": _made_from(row),
                }
            )
    return dict(found)


def _made_from(row: Mapping[str, Any]) -> str | None:
    """The silver data a row's tagger was trained on, before any degradation: the key of its
    silver stage, as the row's signature holds it."""
    return (row.get("signature_full") or {}).get("silver.key")


def transfer_by_language(
    variants: Sequence[Mapping[str, Any]],
) -> dict[str, tuple[float, np.ndarray | None]]:
    """Model transfer's test F1 per language, with its bootstrap replicates where the row
    kept its sentence counts (the same for every variant: the same tagger, the same test)."""
    found = {}
    for variant in variants:
        for row in variant["rows"]:
            scores = row.get("model_transfer")
            if scores and row["lang"] not in found:
                counts = scores.get("counts")
                replicates = bootstrap_replicates(np.asarray(counts)) if counts else None
                found[row["lang"]] = (scores["f1"], replicates)
    return found


def crossover_study(variants: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The study's answer: per language, pooled, and per kind of error."""
    points = points_by_language(variants)
    transfer = transfer_by_language(variants)
    per_language = {}
    curves = {
        lang: _points([p for p in group if p["operator"] in CURVE])
        for lang, group in points.items()
    }
    for lang, group in points.items():
        line = fit(curves[lang])
        mt, replicates = transfer.get(lang, (None, None))
        meets = crossover(curves[lang], mt, replicates) if mt is not None else None
        on_curve = _on_curve(group, mt, replicates)
        per_language[lang] = {
            "points": len(group),
            "model_transfer_f1": mt,
            "fit": line.as_dict() if line else None,
            "crossover": meets.as_dict() if meets else None,
            "curve_crossover": on_curve.as_dict() if on_curve else None,
        }
    line, meets = pooled_crossover(curves, {lang: mt for lang, (mt, _) in transfer.items()})
    return {
        "per_language": per_language,
        "pooled": {
            "languages": len(points),
            "fit": line.as_dict() if line else None,
            "crossover": meets.as_dict() if meets else None,
        },
        "damage_per_point": damage_by_kind(points),
        "training_noise": training_noise(points),
    }


def training_noise(points: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """Test F1 over the training seeds of each data point trained with several, and the
    pooled seed standard deviation: a gap in test F1 smaller than about twice it is within
    training noise. A data point is one silver data set: a language, degradation and level,
    and its silver F1 (undegraded data made otherwise, such as partial-drop's, has its own)."""
    by_point: dict[tuple[str, str, float | None, float], dict[int, float]] = defaultdict(dict)
    for lang, group in points.items():
        for p in group:
            if p.get("seed") is not None:
                data = (lang, p["operator"], p["level"], p["silver_f1"])
                by_point[data][p["seed"]] = p["test_f1"]
    found = []
    for (lang, operator, level, silver_f1), seeds in sorted(by_point.items(), key=_noise_order):
        if len(seeds) < 2:
            continue
        values = np.array(list(seeds.values()))
        found.append(
            {
                "lang": lang,
                "operator": operator,
                "level": level,
                "silver_f1": silver_f1,
                "seeds": dict(sorted(seeds.items())),
                "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)),
                "range": float(values.max() - values.min()),
            }
        )
    return {"points": found, "pooled_sd": _pooled_sd(found) if found else None}


def _pooled_sd(found: Sequence[Mapping[str, Any]]) -> float:
    """The standard deviation pooled over data points, each weighted by its degrees of freedom."""
    freedom = [len(p["seeds"]) - 1 for p in found]
    variance = sum(df * p["sd"] ** 2 for df, p in zip(freedom, found, strict=True)) / sum(freedom)
    return float(np.sqrt(variance))


def _noise_order(
    item: tuple[tuple[str, str, float | None, float], Any],
) -> tuple[str, float, float]:
    (lang, _, level, silver_f1), _ = item
    return lang, level or 0.0, -silver_f1


def damage_by_kind(points: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """Per degradation: test F1 lost per silver F1 point lost, per language and on average;
    a degradation measured at several levels has an entry over all of them (its name) and
    one per level (``mix at 0.5``).

    A language's clean point is the mean of its undegraded rows of the silver data that its
    degraded rows were made from (the training seeds among them): not of undegraded data made
    otherwise (partial-drop, the upward direction), which is other data.
    """
    by_kind: dict[tuple[str, float | None], dict[str, float]] = defaultdict(dict)
    entries = _entries(points)
    for lang, group in points.items():
        made_from = {p["data"] for p in group if p["operator"] != CLEAN}
        clean = [p for p in group if p["operator"] == CLEAN and p["data"] in made_from]
        if not clean:
            continue
        centre = Point(
            float(np.mean([p["silver_f1"] for p in clean])),
            float(np.mean([p["test_f1"] for p in clean])),
        )
        for operator, level in entries:
            chosen = [p for p in group if p["operator"] == operator and level in (None, p["level"])]
            if (value := damage_per_point(centre, _points(chosen))) is not None:
                by_kind[(operator, level)][lang] = value
    return {
        operator if level is None else f"{operator} at {level:g}": {
            "error": get_degradation(operator).error,
            "level": level,
            "per_language": values,
            "mean": float(np.mean(list(values.values()))),
        }
        for (operator, level), values in by_kind.items()
    }


def _entries(
    points: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[tuple[str, float | None]]:
    """Each damage entry's degradation and level (``None``: all its levels); a level gets
    an entry of its own only where the degradation was measured at several."""
    levels: dict[str, set[float]] = {}
    for group in points.values():
        for p in group:
            known = levels.setdefault(p["operator"], set())
            if p["level"] is not None:
                known.add(p["level"])
    found: list[tuple[str, float | None]] = []
    for operator in sorted(set(levels) - {CLEAN}):
        apart = sorted(levels[operator]) if len(levels[operator]) > 1 else []
        found += [(operator, None), *((operator, level) for level in apart)]
    return found


def _on_curve(
    group: Sequence[Mapping[str, Any]], transfer_f1: float | None, replicates: np.ndarray | None
) -> CurveCrossover | None:
    """The crossover on the measured curve of the clean and mix points, its interval from
    the test sentences' bootstrap (every row's counts resampled alike), where they have them."""
    if transfer_f1 is None:
        return None
    chosen = [p for p in group if p["operator"] in CURVE]
    counts = [p.get("test_counts") for p in chosen]
    point_replicates = (
        [bootstrap_replicates(np.asarray(c)) for c in counts] if all(counts) else None
    )
    return curve_crossover(_points(chosen), transfer_f1, point_replicates, replicates)


def _points(group: Sequence[Mapping[str, Any]]) -> list[Point]:
    return [Point(p["silver_f1"], p["test_f1"]) for p in group]


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def estimate_text(value: float, low: float | None, high: float | None, digits: int = 1) -> str:
    """An estimate (a slope) with its 95 % interval, as the table and the page both print it."""
    return _with_interval(value, low, high, lambda number: f"{number:.{digits}f}")


def silver_f1_text(meets: Mapping[str, Any]) -> str:
    """Where a crossover is, with its interval; a value past what a silver F1 can be (0-100)
    is given as that end ("< 0"): resampled lines that meet model transfer there say the
    data do not bound the crossover on that side."""
    return _with_interval(meets["silver_f1"], meets["low"], meets["high"], _possible)


def _with_interval(
    value: float, low: float | None, high: float | None, show: Callable[[float], str]
) -> str:
    if low is None or high is None:
        return f"{show(value)} (interval open)"
    return f"{show(value)} [{show(low)}, {show(high)}]"


def _possible(silver_f1: float) -> str:
    if silver_f1 < 0:
        return "< 0"
    return "> 100" if silver_f1 > 100 else f"{silver_f1:.1f}"


def answer_cells(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    """One language's (or the pooled) answer in words: the slope, where the line meets model
    transfer, where the measured curve does ("-" where there is none)."""
    line, meets = entry.get("fit"), entry.get("crossover")
    slope = estimate_text(line["slope"], line["slope_low"], line["slope_high"], 2) if line else "-"
    where = "-"
    if meets:
        where = "none (the line does not rise)"
        if meets["silver_f1"] is not None:
            where = silver_f1_text(meets)
        where += " (extrapolated)" if meets.get("extrapolated") else ""
    return slope, where, curve_text(entry.get("curve_crossover")) or "-"


def curve_text(meets: Mapping[str, Any] | None) -> str:
    """The crossover on the measured curve in words ("" where there is none to give)."""
    if not meets:
        return ""
    if meets["beyond"] == "below":
        return "below every point (the silver tagger stays above model transfer)"
    if meets["beyond"] == "above":
        return "above every point (below model transfer even on the cleanest data)"
    return silver_f1_text(meets)


def format_crossover(study: Mapping[str, Any]) -> str:
    """The answer as text: a line per language and the pooled line, then the kinds of error."""
    lines = [
        "lang     points  slope [95%]         transfer F1  crossover silver F1 [95%]: "
        "line; measured curve"
    ]
    rows = list(study["per_language"].items()) + [("pooled", study["pooled"])]
    for lang, entry in rows:
        slope, where, curve = answer_cells(entry)
        transfer = "gap 0" if lang == "pooled" else _num(entry.get("model_transfer_f1"))
        count = entry.get("points", entry.get("languages"))
        where += f"; {curve}" if curve != "-" else ""
        lines.append(f"{lang:8} {count:6}  {slope:19} {transfer:>11}  {where}")
    damage = study.get("damage_per_point") or {}
    if damage:
        lines.append("")
        lines.append("test F1 lost per silver F1 point lost, by kind of error:")
        for operator, entry in sorted(damage.items(), key=lambda item: -item[1]["mean"]):
            each = ", ".join(f"{lang} {v:.2f}" for lang, v in sorted(entry["per_language"].items()))
            lines.append(f"  {operator:17} {entry['error']:9} {entry['mean']:.2f}  ({each})")
    noise = study.get("training_noise") or {}
    if noise.get("points"):
        lines += ["", f"training noise: test F1 over seeds (pooled sd {noise['pooled_sd']:.1f}):"]
        for point in noise["points"]:
            each = ", ".join(f"{seed} {f1:.1f}" for seed, f1 in point["seeds"].items())
            lines.append(
                f"  {point['lang']:6} {noise_point_name(point):12} silver F1 "
                f"{point['silver_f1']:.1f}  test F1 mean {point['mean']:.1f}"
                f"  sd {point['sd']:.1f}  range {point['range']:.1f}  (seed {each})"
            )
    return "\n".join(lines)


def noise_point_name(point: Mapping[str, Any]) -> str:
    """A data point of the training noise by its degradation: ``clean``, ``mix at 0.5``."""
    if point["operator"] == CLEAN:
        return "clean"
    return f"{point['operator']} at {point['level']:g}"
