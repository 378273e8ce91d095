"""The silver benchmark's page: one offline HTML file with its charts and its table.

An ablation's page (a config with variants) has one chart instead: each language under each
variant, its silver F1 against its tagger's test F1, the variants of a language joined.

Two charts, drawn in Python as inline SVG (:mod:`xlner.study.svg`) on the stylesheet of
``xlner report``: the research question (each language's silver F1 against the test F1 of
the tagger trained on that silver, model transfer joined to it by a line), and every
language side by side (silver tagger, model transfer, silver F1, translate-test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from xlner.bench.silver import cells
from xlner.io import atomic_write
from xlner.study.report import html_page
from xlner.study.svg import Point, dot_chart, legend, scatter_chart

# Column -> (legend name, colour, hollow marker).
SERIES = {
    "silver_tagger_f1": ("silver-trained tagger (test F1)", "#1f77b4", False),
    "model_transfer_f1": ("model transfer (test F1)", "#d62728", True),
    "silver_f1": ("silver F1 against gold", "#2ca02c", False),
    "translate_test_f1": ("translate-test (test F1)", "#9467bd", True),
}


def quality_chart(rows: list[Mapping[str, Any]]) -> str:
    """Test F1 against silver F1, one language a point; "" when no language has silver F1."""
    points, links = [], []
    for row in rows:
        c = cells(row)
        if c["silver_f1"] is None:
            continue
        ours = Point(c["silver_f1"], c["silver_tagger_f1"], f"{row['lang']} silver tagger",
                     SERIES["silver_tagger_f1"][1], row["lang"])  # fmt: skip
        points.append(ours)
        if c["model_transfer_f1"] is not None:
            _, colour, hollow = SERIES["model_transfer_f1"]
            transfer = Point(c["silver_f1"], c["model_transfer_f1"],
                             f"{row['lang']} model transfer", colour, hollow=hollow)  # fmt: skip
            points.append(transfer)
            links.append((transfer, ours))
    if not points:
        return ""
    return scatter_chart(
        points,
        links=links,
        title="Projection quality and the tagger trained on it",
        subtitle="MasakhaNER 2.0 test, DATE dropped; silver F1 on the gold MAFAND-MT sentences",
        x_label="silver F1 (projected labels against gold, DATE dropped)",
        y_label="test F1",
    )


def languages_chart(rows: list[Mapping[str, Any]]) -> str:
    """Each language's columns side by side."""
    points = []
    for i, row in enumerate(rows):
        c = cells(row)
        for key, (name, colour, hollow) in SERIES.items():
            if c.get(key) is not None:
                points.append(Point(i, c[key], f"{row['lang']} {name}", colour, hollow=hollow))
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
        x_label="silver F1 (projected labels against gold, DATE dropped)",
        y_label="test F1",
    )
    return chart, {name: (colour, False) for name, colour in colours.items()}


def render(result: Mapping[str, Any], table: str) -> str:
    """The page: the charts, their legend, and the benchmark's table as plain text."""
    if "variants" in result:
        return _render_ablation(result, table)
    rows = list(result["rows"])
    styles = {name: (colour, False) for name, colour, _ in SERIES.values()}
    body = [
        "<header><h1>Silver-trained taggers on MasakhaNER 2.0</h1>",
        f"<p>config {escape(str(result['config']))}; {len(rows)} languages</p></header>",
        "<section>",
        quality_chart(rows),
        languages_chart(rows),
        legend(styles),
        f"<pre>{escape(table)}</pre>",
        "</section>",
    ]
    return html_page("xlner: silver-trained taggers", "\n".join(body), script="")


def _render_ablation(result: Mapping[str, Any], table: str) -> str:
    chart, styles = ablation_chart(result)
    names = ", ".join(variant["name"] for variant in result["variants"])
    body = [
        "<header><h1>Silver quality and the tagger trained on it: an ablation</h1>",
        f"<p>config {escape(str(result['config']))}; variants {escape(names)}</p></header>",
        "<section>",
        chart,
        legend(styles),
        f"<pre>{escape(table)}</pre>",
        "</section>",
    ]
    return html_page("xlner: silver ablation", "\n".join(body), script="")


def write_chart(result: Mapping[str, Any], path: Path, table: str) -> Path:
    """Write the page (atomically) and return its path."""
    with atomic_write(path) as handle:
        handle.write(render(result, table))
    return path
