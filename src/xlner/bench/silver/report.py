"""The silver benchmark's report: the columns of a row, the averages, how the tagger's test F1
follows the silver F1 (:func:`quality_study`), and the printed tables.

A study reuses :func:`cells` (a row's F1 columns), :func:`averages`, :func:`quality_study`
and the table helpers on rows of its own (each row as :func:`~.stages.run_language` makes
them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.model_transfer import PUBLISHED_XLMR_LARGE
from xlner.bench.report import format_table
from xlner.bench.silver.crossover import format_crossover
from xlner.bench.silver.stages import STAGES
from xlner.bench.silver.vote import VoteSetting


def read_translate_test(path: Path | None) -> dict[str, float]:
    """Translate-test F1 by language from a results file of ``benchmarks/masakhaner.py``."""
    if path is None:
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        return {str(row["lang"]): float(row["f1"]) for row in rows}
    except OSError as error:
        raise ValueError(f"--translate-test {path}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"--translate-test {path}: not a results file of benchmarks/masakhaner.py "
            "(JSON with rows of lang and f1)"
        ) from None


def anchors(settings: Mapping[str, Any], lang: str) -> dict[str, float | None]:
    """The published F1 of ``lang``: the config's anchor tables and XLM-R-large transfer."""
    found = {name: table.get(lang) for name, table in settings["anchors"].items()}
    return found | {"xlmr_large_model_transfer": PUBLISHED_XLMR_LARGE.get(f"masakhaner2/{lang}")}


def quality_study(variants: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How the silver tagger's test F1 follows the silver F1: one point per language and
    variant (those with silver F1); Pearson's r over all points, and within languages (each
    language's mean taken off, so that only the variants' differences count); per language,
    the spread of both F1s over its variants and the least-squares slope of test on silver."""
    points = [
        {"lang": row["lang"], "variant": variant["name"], "silver_f1": c["silver_f1"],
         "test_f1": c["silver_tagger_f1"]}
        for variant in variants for row in variant["rows"]
        if (c := cells(row))["silver_f1"] is not None
    ]  # fmt: skip
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_lang.setdefault(point["lang"], []).append(point)
    centred = [
        (p["silver_f1"] - _mean([q["silver_f1"] for q in group]),
         p["test_f1"] - _mean([q["test_f1"] for q in group]))
        for group in by_lang.values() for p in group
    ]  # fmt: skip
    per_language = {}
    for lang, group in by_lang.items():
        xs, ys = [p["silver_f1"] for p in group], [p["test_f1"] for p in group]
        per_language[lang] = {
            "variants": len(group),
            "silver_f1_spread": max(xs) - min(xs),
            "test_f1_spread": max(ys) - min(ys),
            "slope": _slope(xs, ys),
        }
    return {
        "points": points,
        "pearson_r": _pearson([p["silver_f1"] for p in points], [p["test_f1"] for p in points]),
        "pearson_r_within_languages": _pearson([x for x, _ in centred], [y for _, y in centred]),
        "per_language": per_language,
    }


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None for fewer than three points or no spread."""
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    from scipy.stats import pearsonr

    return float(pearsonr(xs, ys).statistic)


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Test F1 points gained per silver F1 point (least squares); None without spread."""
    if len(set(xs)) < 2:
        return None
    from scipy.stats import linregress

    return float(linregress(xs, ys).slope)


def cells(row: Mapping[str, Any]) -> dict[str, float | None]:
    """The F1 columns of a row: silver (DATE dropped), silver-trained (and on dev, where the
    row has it), model transfer, translate-test, the ensembles, and the anchors."""
    quality = row["silver_quality_no_date"]
    return {
        "silver_f1": quality["f1"] if quality["sentences"] else None,
        "silver_tagger_f1": row["test"]["f1"],
        **({"silver_tagger_dev_f1": row["dev"]["f1"]} if row.get("dev") else {}),
        "model_transfer_f1": (row["model_transfer"] or {}).get("f1"),
        "translate_test_f1": _translate_test_f1(row),
        **({"ensemble_f1": row["ensemble"]["test"]["f1"]} if row.get("ensemble") else {}),
        **({"vote_f1": row["vote"]["test"]["f1"]} if row.get("vote") else {}),
        **{f"anchor_{name}": value for name, value in (row.get("anchors") or {}).items()},
    }


def _translate_test_f1(row: Mapping[str, Any]) -> float | None:
    """Translate-test's F1 on the test sentences it covers: the vote stage's own run where the
    row has one, else the --translate-test results file's."""
    if row.get("vote"):
        return float(row["vote"]["translate_test"]["test"]["f1"])
    return row.get("translate_test")


# The published anchors' names in tables (a config's anchor tables, XLM-R large transfer).
ANCHOR_TITLES = {
    "t_projection": "T-Projection",
    "xlmr_large_model_transfer": "XLM-R-large transfer",
}
# The titles of the F1 columns of :func:`cells`.
TITLES = {
    "silver_f1": "silver F1",
    "silver_tagger_f1": "silver tagger F1",
    "silver_tagger_dev_f1": "silver tagger dev F1",
    "model_transfer_f1": "model transfer F1",
    "translate_test_f1": "translate-test F1",
    "ensemble_f1": "ensemble with transfer F1",
    "vote_f1": "vote with translate-test F1",
}


def column_title(key: str) -> str:
    """A column of :func:`cells` as a table names it (an anchor: ``<name> F1 (published)``)."""
    if key.startswith("anchor_"):
        name = key.removeprefix("anchor_")
        return f"{ANCHOR_TITLES.get(name, name)} F1 (published)"
    return TITLES[key]


# The columns that carry a bootstrap interval (over sentences), and where the row keeps it.
MEASURED = ("silver_f1", "silver_tagger_f1", "model_transfer_f1")


def intervals(row: Mapping[str, Any]) -> dict[str, list[float] | None]:
    """The 95 % bootstrap interval of each measured F1 column of a row (None where the
    stage that made it kept none: a stage finished before intervals were recorded)."""
    quality = row["silver_quality_no_date"]
    return {
        "silver_f1": quality.get("f1_interval") if quality["sentences"] else None,
        "silver_tagger_f1": row["test"].get("f1_interval"),
        "model_transfer_f1": (row["model_transfer"] or {}).get("f1_interval"),
    }


def measured(row: Mapping[str, Any]) -> list[str]:
    """The measured F1 columns of a row as text, each with its interval where it has one."""
    values, spans = cells(row), intervals(row)
    return [_with_interval(values[key], spans[key]) for key in MEASURED]


def _with_interval(value: float | None, interval: Sequence[float] | None) -> str:
    if value is None or interval is None:
        return _f(value)
    return f"{value:.1f} [{interval[0]:.1f}, {interval[1]:.1f}]"


def columns(table: Sequence[Mapping[str, Any]]) -> list[str]:
    """The columns of :func:`cells` rows, in order: a column only some rows have (the
    ensembles) counts too."""
    return list(dict.fromkeys(key for row in table for key in row))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return sum(present) / len(present) if present else None


def averages(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Each column's mean over the rows that have it; wins over model transfer; the silver
    taggers' mean on the languages of each anchor table, beside the anchor's."""
    table = [cells(row) for row in rows]
    means: dict[str, Any] = {key: _mean([c.get(key) for c in table]) for key in columns(table)}
    pairs = [(c["silver_tagger_f1"], c["model_transfer_f1"]) for c in table]
    means["beats_model_transfer"] = sum(
        1 for ours, mt in pairs if ours is not None and mt is not None and ours > mt
    )
    means["languages"] = len(rows)
    both = [(c["silver_f1"], c["silver_tagger_f1"]) for c in table]
    scored = [
        (silver, tagger) for silver, tagger in both if silver is not None and tagger is not None
    ]
    means["across_languages"] = {  # the research question over languages, not variants
        "languages": len(scored),
        "pearson_r": _pearson([silver for silver, _ in scored], [tagger for _, tagger in scored]),
    }
    for name, anchor in settings["anchors"].items():
        shared = [c for c, row in zip(table, rows, strict=True) if row["lang"] in anchor]
        means[f"on_{name}_languages"] = {
            "languages": len(shared),
            "of": len(anchor),
            "silver_tagger_f1": _mean([c["silver_tagger_f1"] for c in shared]),
            "anchor_f1": _mean([c[f"anchor_{name}"] for c in shared]),
        }
    return means


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_results(result: Mapping[str, Any]) -> str:
    """One line per language and the average: silver size and F1, the trained tagger's test
    F1 beside model transfer, translate-test and the anchors, each stage's time. An
    ablation's result: :func:`format_ablation`."""
    if "variants" in result:
        return format_ablation(result)
    anchor_names = list(result["settings"]["anchors"]) + ["xlmr_large_model_transfer"]
    header = ["lang", "pair", "silver", "silver F1", "tagger F1", "transfer F1", "TT F1"]
    mixed = any(row.get("ensemble") for row in result["rows"])
    header += ["ensemble F1 (weight)"] if mixed else []
    voted = any(row.get("vote") for row in result["rows"])
    header += ["vote F1 (setting)"] if voted else []
    stages = stages_of(result["rows"])
    header += [column_title(f"anchor_{name}") for name in anchor_names]
    header += [f"{s} s" for s in stages] + ["row"]
    lines = []
    for row in result["rows"]:
        c = cells(row)
        lines.append(
            [row["lang"], row["pair"], str(row["silver"]["sentences_out"])]
            + measured(row)
            + [_f(c["translate_test_f1"])]
            + ([_ensemble(row.get("ensemble"))] if mixed else [])
            + ([_vote(row.get("vote"))] if voted else [])
            + [_f(c.get(f"anchor_{name}")) for name in anchor_names]
            + [_stage_seconds(row["stages"].get(s)) for s in stages]
            + [row["status"]]
        )
    mean = result["average"]
    if result["rows"]:
        lines.append(
            ["average", "", ""]
            + [_f(mean[k]) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
            + [_f(mean["translate_test_f1"])]
            + ([_f(mean.get("ensemble_f1"))] if mixed else [])
            + ([_f(mean.get("vote_f1"))] if voted else [])
            + [_f(mean.get(f"anchor_{name}")) for name in anchor_names]
            + [""] * (len(stages) + 1)
        )
    footer = [
        f"silver tagger above model transfer on {mean.get('beats_model_transfer', 0)} of "
        f"{mean.get('languages', 0)} languages; wall time {result['wall_seconds']:.0f}s"
    ]
    across = mean.get("across_languages") or {}
    if across.get("pearson_r") is not None:
        footer.append(
            f"test F1 against silver F1 over the {across['languages']} languages with silver "
            f"F1: Pearson r {across['pearson_r']:+.2f}"
        )
    for name in result["settings"]["anchors"]:
        on = mean.get(f"on_{name}_languages") or {}
        if on.get("languages"):
            footer.append(
                f"on the {on['languages']} of {on['of']} {name} languages: silver tagger "
                f"{_f(on['silver_tagger_f1'])}, {name} {_f(on['anchor_f1'])}"
            )
    return "\n".join([format_table(header, lines), *footer])


def _ensemble(found: Mapping[str, Any] | None) -> str:
    """The ensemble's test F1 with its interval and the silver tagger's weight (chosen on dev)."""
    if not found:
        return "-"
    test = found["test"]
    return f"{_with_interval(test['f1'], test.get('f1_interval'))} ({found['silver_weight']:.1f})"


def _vote(found: Mapping[str, Any] | None) -> str:
    """The vote's test F1 with its interval and its setting (chosen on dev)."""
    if not found:
        return "-"
    test, chosen = found["test"], VoteSetting(**found["setting"])
    return f"{_with_interval(test['f1'], test.get('f1_interval'))} ({chosen.name})"


def stages_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The stages the rows ran (the degrade stage only in a study), in their order: the
    self-training rounds' after the first training."""
    ran = {name for row in rows for name in row["stages"]}
    rounds = sorted((n for n in ran if n not in STAGES), key=lambda n: (int(n.split("-")[1]), n))
    order = [*STAGES[: STAGES.index("train") + 1], *rounds, *STAGES[STAGES.index("train") + 1 :]]
    return [name for name in order if name in ran] or [s for s in STAGES if s != "degrade"]


def _stage_seconds(stage: Mapping[str, Any] | None) -> str:
    if not stage:
        return "-"
    return "cached" if stage["status"] == "reused" else f"{stage['seconds']:.0f}"


def format_ablation(result: Mapping[str, Any]) -> str:
    """One line per language and variant (silver size and F1, the tagger's test F1, model
    transfer, the tagger's dev F1, each stage's time); each variant's means; the quality
    study."""
    header = ["lang", "variant", "silver", "silver F1", "tagger F1", "transfer F1"]
    rows = [row for variant in result["variants"] for row in variant["rows"]]
    on_dev = any(row.get("dev") for row in rows)  # variants are chosen on dev: show it
    header += ["tagger dev F1"] if on_dev else []
    stages = stages_of(rows)
    header += [f"{s} s" for s in stages] + ["row"]
    lines = []
    for variant in result["variants"]:
        for row in variant["rows"]:
            lines.append(
                [row["lang"], variant["name"], str(row["silver"]["sentences_out"])]
                + measured(row)
                + ([_f(cells(row).get("silver_tagger_dev_f1"))] if on_dev else [])
                + [_stage_seconds(row["stages"].get(s)) for s in stages]
                + [row["status"]]
            )
    for variant in result["variants"]:
        mean = variant["average"]
        lines.append(
            ["average", variant["name"], ""]
            + [_f(mean.get(k)) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
            + ([_f(mean.get("silver_tagger_dev_f1"))] if on_dev else [])
            + [""] * (len(stages) + 1)
        )
    study = result["study"]
    footer = [
        f"test F1 against silver F1 over {len(study['points'])} language-variant points: "
        f"Pearson r {_r(study['pearson_r'])}, within languages "
        f"{_r(study['pearson_r_within_languages'])}"
    ]
    for lang, spread in study["per_language"].items():
        slope = spread["slope"]
        footer.append(
            f"{lang}: silver F1 spread {spread['silver_f1_spread']:.1f}, test F1 spread "
            f"{spread['test_f1_spread']:.1f}, slope "
            f"{'-' if slope is None else f'{slope:.2f}'} test F1 per silver F1 point"
        )
    if result.get("crossover"):
        footer += ["", format_crossover(result["crossover"])]
    footer.append(f"wall time {result['wall_seconds']:.0f}s")
    return "\n".join([format_table(header, lines), *footer])


def _r(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"
