"""The silver benchmark's page: one offline HTML file with its charts and its tables.

Charts are drawn in Python as inline SVG (:mod:`xlner.study.svg`) on the stylesheet of
``xlner report``, side by side at one height; tables are HTML tables with the column names
of :func:`xlner.bench.silver.report.column_title`, each measured F1 with its 95 % bootstrap
interval under it.

- A benchmark's page: the research question (each language's silver F1 against the test F1
  of the tagger trained on that silver, model transfer joined to it by a line), every
  language side by side, and the table.
- An ablation's page (a config with variants): each language under each variant, its
  silver F1 against its tagger's test F1, the variants of a language joined; the table.
- A crossover study's page (an ablation with degraded variants, ``benchmarks/silver-
  crossover``): per language the points, the fitted line, model transfer as a dashed line
  and where the two meet; the pooled gap to model transfer; the answer and the test F1 lost
  per silver F1 point for each kind of error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

from xlner.bench.silver import cells
from xlner.bench.silver.crossover import (
    CURVE,
    answer_cells,
    noise_point_name,
    operator_of,
    silver_f1_text,
)
from xlner.bench.silver.report import MEASURED, column_title, columns, intervals
from xlner.io import atomic_write
from xlner.study.report import html_page, html_table
from xlner.study.svg import Point, Segment, dot_chart, legend, scatter_chart

# Column -> (legend name, colour, hollow marker).
SERIES = {
    "silver_tagger_f1": ("silver-trained tagger (test F1)", "#1f77b4", False),
    "model_transfer_f1": ("model transfer (test F1)", "#d62728", True),
    "silver_f1": ("silver F1 against gold", "#2ca02c", False),
    "translate_test_f1": ("translate-test (test F1)", "#9467bd", True),
}
SILVER_AXIS = "silver F1 (projected labels against gold, DATE dropped)"
TEST_SUBTITLE = "MasakhaNER 2.0 test, DATE dropped; silver F1 on the gold MAFAND-MT sentences"


def quality_chart(rows: list[Mapping[str, Any]]) -> str:
    """Test F1 against silver F1, one language a point; "" when no language has silver F1."""
    points, links = [], []
    for row in rows:
        c = cells(row)
        silver, tagger, mt = c["silver_f1"], c["silver_tagger_f1"], c["model_transfer_f1"]
        if silver is None or tagger is None:
            continue
        ours = Point(silver, tagger, f"{row['lang']} silver tagger",
                     SERIES["silver_tagger_f1"][1], row["lang"])  # fmt: skip
        points.append(ours)
        if mt is not None:
            _, colour, hollow = SERIES["model_transfer_f1"]
            transfer = Point(silver, mt, f"{row['lang']} model transfer", colour, hollow=hollow)
            points.append(transfer)
            links.append((transfer, ours))
    if not points:
        return ""
    return scatter_chart(
        points,
        links=links,
        title="Projection quality and the tagger trained on it",
        subtitle=TEST_SUBTITLE,
        x_label=SILVER_AXIS,
        y_label="test F1",
    )


def languages_chart(rows: list[Mapping[str, Any]]) -> str:
    """Each language's columns side by side."""
    points = []
    for i, row in enumerate(rows):
        c = cells(row)
        for key, (name, colour, hollow) in SERIES.items():
            if (value := c.get(key)) is not None:
                points.append(Point(i, value, f"{row['lang']} {name}", colour, hollow=hollow))
    if not points:
        return ""
    return dot_chart(
        [row["lang"] for row in rows],
        points,
        title="Every language",
        subtitle="MasakhaNER 2.0 test F1 (DATE dropped) and silver F1",
    )


# Variant colours, in the order of the config's [variants] table.
VARIANT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def ablation_chart(result: Mapping[str, Any]) -> tuple[str, dict[str, tuple[str, bool]]]:
    """Test F1 against silver F1, a point per language and variant, each language's points
    joined in order of silver F1; and the chart's legend styles."""
    colours = {
        variant["name"]: VARIANT_COLOURS[i % len(VARIANT_COLOURS)]
        for i, variant in enumerate(result["variants"])
    }
    by_lang: dict[str, list[Point]] = {}
    for point in result["study"]["points"]:
        name, lang = f"{point['lang']} {point['variant']}", point["lang"]
        marker = Point(point["silver_f1"], point["test_f1"], name, colours[point["variant"]], lang)
        by_lang.setdefault(lang, []).append(marker)
    points, links = [], []
    for group in by_lang.values():
        ordered = sorted(group, key=lambda p: p.x)
        # The language is named once, beside its point of highest silver F1.
        ordered[:-1] = [replace(p, label="") for p in ordered[:-1]]
        points += ordered
        links += list(zip(ordered, ordered[1:], strict=False))
    if not points:
        return "", {}
    chart = scatter_chart(
        points,
        links=links,
        title="Projection quality varied: the tagger trained on each silver set",
        subtitle="MasakhaNER 2.0 test, DATE dropped; one line per language, one colour per variant",
        x_label=SILVER_AXIS,
        y_label="test F1",
    )
    return chart, {name: (colour, False) for name, colour in colours.items()}


# ---------------------------------------------------------------------------- the study

# A colour per degradation: the clean silver data, the realistic mix, each kind of error.
OPERATOR_COLOURS = {
    "none": "#222222",
    "mix": "#1f77b4",
    "drop_entities": "#d62728",
    "shift_boundaries": "#ff7f0e",
    "swap_classes": "#9467bd",
    "add_entities": "#8c564b",
}
TRANSFER_COLOUR = "#d62728"
CURVE_COLOUR = "#2ca02c"  # the measured curve, points joined
# A colour per language on the pooled chart, apart from the degradations' colours.
LANGUAGE_COLOURS = ("#17becf", "#bcbd22", "#e377c2", "#7f7f7f", "#2ca02c", "#393b79")


def _study_points(result: Mapping[str, Any]) -> dict[str, list[tuple[str, float, float]]]:
    """Per language: (degradation, silver F1, test F1) of every row with a silver F1."""
    found: dict[str, list[tuple[str, float, float]]] = {}
    for variant in result["variants"]:
        for row in variant["rows"]:
            c = cells(row)
            silver, tagger = c["silver_f1"], c["silver_tagger_f1"]
            if silver is not None and tagger is not None:
                found.setdefault(row["lang"], []).append((operator_of(row), silver, tagger))
    return found


def language_curve(lang: str, points: Sequence[tuple[str, float, float]], answer: Mapping) -> str:
    """One language: its points by degradation, the fitted line over the clean and mixed
    points and their measured curve, model transfer (dashed) and where they meet it."""
    markers = [
        Point(x, y, f"{lang} {operator}", OPERATOR_COLOURS.get(operator, "#777777"))
        for operator, x, y in points
    ]
    on_curve = [x for operator, x, _ in points if operator in CURVE]
    segments = []
    line, meets, transfer = (
        answer.get("fit"),
        answer.get("crossover"),
        answer.get("model_transfer_f1"),
    )
    low, high = (min(on_curve), max(on_curve)) if on_curve else (0.0, 100.0)
    if transfer is not None:
        segments.append(
            Segment(0, transfer, 100, transfer, TRANSFER_COLOUR, "model transfer", True)
        )
    if line:
        start = min(low, meets["silver_f1"]) if meets and meets["silver_f1"] is not None else low
        segments.append(
            Segment(start, _at(line, start), high, _at(line, high), "#1f77b4", "fitted line")
        )
    segments += _measured_curve([(x, y) for operator, x, y in points if operator in CURVE])
    # The crossover marked is the measured curve's where it has one (a line can miss a bend).
    subtitle = "test F1 against silver F1; dashed: model transfer"
    curve = answer.get("curve_crossover")
    for found, what in ((curve, "the curve"), (meets, "the fitted line")):
        if found and found["silver_f1"] is not None:
            subtitle = f"{what} meets model transfer at silver F1 {silver_f1_text(found)}"
            x = found["silver_f1"]
            segments.append(Segment(x, 0, x, 100, "#999999", "crossover", True))
            break
    return scatter_chart(
        markers, segments=segments, title=lang, subtitle=subtitle, x_label=SILVER_AXIS,
        y_label="test F1", width=420, height=320,
    )  # fmt: skip


def _measured_curve(points: Sequence[tuple[float, float]]) -> list[Segment]:
    """The measured curve: test F1 averaged per silver F1, neighbours joined."""
    by_x: dict[float, list[float]] = {}
    for x, y in points:
        by_x.setdefault(x, []).append(y)
    means = sorted((x, sum(ys) / len(ys)) for x, ys in by_x.items())
    return [
        Segment(x0, y0, x1, y1, CURVE_COLOUR, "measured curve")
        for (x0, y0), (x1, y1) in pairwise(means)
    ]


def pooled_chart(result: Mapping[str, Any], study: Mapping[str, Any]) -> str:
    """Every language's clean and mixed points as their gap to its model transfer, the
    pooled line and where it crosses 0."""
    markers = []
    for i, (lang, points) in enumerate(_study_points(result).items()):
        transfer = study["per_language"].get(lang, {}).get("model_transfer_f1")
        if transfer is None:
            continue
        colour = LANGUAGE_COLOURS[i % len(LANGUAGE_COLOURS)]
        gaps = sorted((x, y - transfer) for operator, x, y in points if operator in CURVE)
        # The language is named once, beside its cleanest point.
        markers += [
            Point(x, gap, f"{lang}", colour, lang if x == gaps[-1][0] else "") for x, gap in gaps
        ]
    if not markers:
        return ""
    xs = [p.x for p in markers]
    segments = [Segment(0, 0, 100, 0, TRANSFER_COLOUR, "model transfer", True)]
    pooled = study["pooled"]
    if pooled.get("fit"):
        line = pooled["fit"]
        segments.append(
            Segment(min(xs), _at(line, min(xs)), max(xs), _at(line, max(xs)), "#1f77b4", "pooled")
        )
    meets = pooled.get("crossover")
    subtitle = "gap to each language's model transfer; dashed: no gap"
    if meets and meets["silver_f1"] is not None:
        subtitle = f"pooled: the gap closes at silver F1 {silver_f1_text(meets)}"
    return scatter_chart(
        markers, segments=segments, title="All languages", subtitle=subtitle,
        x_label=SILVER_AXIS, y_label="test F1 - model transfer F1", width=420, height=320,
        y_floor=-100,
    )  # fmt: skip


def _at(line: Mapping[str, float], x: float) -> float:
    return line["intercept"] + line["slope"] * x


def answer_table(study: Mapping[str, Any]) -> str:
    """Per language and pooled: points, slope with its interval, model transfer, crossover."""
    rows = []
    entries = [*study["per_language"].items(), ("pooled", study["pooled"])]
    for lang, entry in entries:
        slope, where, curve = answer_cells(entry)
        transfer = entry.get("model_transfer_f1")
        rows.append(
            [
                lang,
                str(entry["points"]) if "points" in entry else f"{entry['languages']} languages",
                slope,
                "gap 0" if lang == "pooled" else _f(transfer),
                where,
                curve,
            ]
        )
    header = ["language", "points", "slope [95 %]", "model transfer F1"]
    header += ["crossover silver F1: line", "on the measured curve"]
    return html_table(header, rows)


def damage_table(study: Mapping[str, Any]) -> str:
    """Test F1 lost per silver F1 point lost, per degradation, costliest first."""
    damage = study.get("damage_per_point") or {}
    langs = sorted({lang for entry in damage.values() for lang in entry["per_language"]})
    rows = [
        [operator, entry["error"], f"{entry['mean']:.2f}"]
        + [_f(entry["per_language"].get(lang), 2) for lang in langs]
        for operator, entry in sorted(damage.items(), key=lambda item: -item[1]["mean"])
    ]
    return html_table(["degradation", "error", "mean", *langs], rows) if rows else ""


def noise_section(study: Mapping[str, Any]) -> list[str]:
    """Test F1 over the training seeds of each data point trained with several, with the
    pooled standard deviation in the heading (nothing where no point has several seeds)."""
    noise = study.get("training_noise") or {}
    if not noise.get("points"):
        return []
    rows = [
        [
            point["lang"],
            noise_point_name(point),
            _f(point["silver_f1"]),
            ", ".join(f"{seed}: {f1:.1f}" for seed, f1 in point["seeds"].items()),
            _f(point["mean"]),
            _f(point["sd"]),
            _f(point["range"]),
        ]
        for point in noise["points"]
    ]
    header = ["language", "silver data", "silver F1", "test F1 by seed", "mean", "sd", "range"]
    heading = f"Training noise: test F1 over seeds (pooled sd {noise['pooled_sd']:.1f})"
    return [f"<h2>{escape(heading)}</h2>", html_table(header, rows)]


# ---------------------------------------------------------------------------- tables


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cell(value: float | None, interval: Sequence[float] | None) -> str:
    """A measured F1 as a raw cell, its interval below it in small type."""
    if value is None:
        return "<td>-</td>"
    if interval is None:
        return f"<td>{value:.1f}</td>"
    return (
        f'<td>{value:.1f}<br><small class="muted">{interval[0]:.1f}-{interval[1]:.1f}</small></td>'
    )


def rows_table(rows: Sequence[Mapping[str, Any]], variants: Sequence[str] = ()) -> str:
    """The rows as an HTML table: a language (and its variant), its silver data, every F1."""
    others = [key for key in columns([cells(row) for row in rows]) if key not in MEASURED]
    header = ["language", *(["variant"] if variants else []), "silver sentences"]
    header += [column_title(key) for key in (*MEASURED, *others)]
    table = []
    for index, row in enumerate(rows):
        values, spans = cells(row), intervals(row)
        first = [row["lang"], *([variants[index]] if variants else [])]
        table.append(
            [f"<td>{escape(text)}</td>" for text in first]
            + [f"<td>{row['silver']['sentences_out']}</td>"]
            + [_cell(values[key], spans[key]) for key in MEASURED]
            + [f"<td>{_f(values.get(key))}</td>" for key in others]
        )
    return html_table(header, table, raw=True)


# ---------------------------------------------------------------------------- pages


def render(result: Mapping[str, Any]) -> str:
    """The page of a benchmark's, an ablation's or a crossover study's result."""
    if "variants" in result:
        return _render_ablation(result)
    rows = list(result["rows"])
    styles = {name: (colour, False) for name, colour, _ in SERIES.values()}
    body = [
        "<header><h1>Silver-trained taggers on MasakhaNER 2.0</h1>",
        f'<p class="meta">config {escape(str(result["config"]))}; {len(rows)} languages; '
        "each F1 with its 95 % bootstrap interval over the sentences</p></header>",
        "<section>",
        f'<div class="charts">{quality_chart(rows)}{languages_chart(rows)}</div>',
        legend(styles),
        rows_table(rows) if rows else "",
        "</section>",
    ]
    return html_page("xlner: silver-trained taggers", "\n".join(body), script="")


def _render_ablation(result: Mapping[str, Any]) -> str:
    study = result.get("crossover")
    names = ", ".join(variant["name"] for variant in result["variants"])
    rows = [row for variant in result["variants"] for row in variant["rows"]]
    labels = [variant["name"] for variant in result["variants"] for _ in variant["rows"]]
    if study:
        title = "How good must projected labels be to beat model transfer?"
        charts = [
            language_curve(lang, points, study["per_language"].get(lang, {}))
            for lang, points in _study_points(result).items()
        ]
        charts.append(pooled_chart(result, study))
        styles = {name: (colour, False) for name, colour in OPERATOR_COLOURS.items()}
        parts = [
            f'<div class="charts">{"".join(charts)}</div>',
            legend(styles),
            "<h2>The answer</h2>",
            answer_table(study),
            "<h2>Test F1 lost per silver F1 point lost, by kind of error</h2>",
            damage_table(study),
            *noise_section(study),
        ]
    else:
        title = "Silver quality and the tagger trained on it: an ablation"
        chart, styles = ablation_chart(result)
        parts = [f'<div class="charts">{chart}</div>', legend(styles)]
    body = [
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="meta">config {escape(str(result["config"]))}; variants {escape(names)}</p>',
        "</header><section>",
        *parts,
        "<h2>Every row</h2>",
        rows_table(rows, labels) if rows else "",
        "</section>",
    ]
    return html_page(f"xlner: {title}", "\n".join(body), script="")


def write_chart(result: Mapping[str, Any], path: Path) -> Path:
    """Write the page (atomically) and return its path."""
    with atomic_write(path) as handle:
        handle.write(render(result))
    return path
