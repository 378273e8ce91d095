"""Numbers drawn from a run's ``results.json``: curves, crossings, retention, tables.

Everything here is plain data for the report and for the text summary the study prints:

* a **curve** is F1 against noise level for one dataset, operator and method, averaged over
  seeds and then over the dataset's languages (and kept per language);
* the **crossing** is the noise level at which a curve falls below the model-transfer
  reference line, linearly interpolated between the two measured levels around it;
* **retention** is the area under a curve divided by the area of a flat curve at its level-0
  F1, over the measured range: 1.0 means no loss, and a method that degrades gracefully keeps
  it high.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import mean, pstdev
from typing import Any

Cell = Mapping[str, Any]


@dataclass(frozen=True)
class Curve:
    dataset: str
    operator: str
    method: str
    levels: list[float]
    f1: list[float]  # mean over languages (each a mean over seeds)
    per_language: dict[str, list[float]]
    spread: list[float]  # std over seeds, averaged over languages (0 with one seed)


def noise_cells(results: Mapping[str, Any]) -> list[Cell]:
    return [cell for cell in results["cells"] if cell["axis"] == "noise"]


def setting_cells(results: Mapping[str, Any], operator: str, level: float) -> list[Cell]:
    """The cells of one setting. The clean one (level 0 or operator "none") is the first
    aligner's point on the aligner axis, which exists even in a sweep without operators."""
    if operator == "none" or level == 0.0:
        first = {name: info["aligners"][0]["name"] for name, info in results["datasets"].items()}
        return [
            cell
            for cell in results["cells"]
            if cell["axis"] == "aligner" and cell["aligner"] == first[cell["dataset"]]
        ]
    return [
        cell
        for cell in noise_cells(results)
        if cell["operator"] == operator and float(cell["level"]) == level
    ]


def curves(results: Mapping[str, Any]) -> list[Curve]:
    """One curve per (dataset, operator, method), in the run's order."""
    by_key: dict[tuple[str, str, str], dict[str, dict[float, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for cell in noise_cells(results):
        if cell["operator"] == "none":
            continue
        key = (cell["dataset"], cell["operator"], cell["method"])
        by_key[key][cell["language"]][float(cell["level"])].append(float(cell["f1"]))
    return [_curve(key, per_lang) for key, per_lang in by_key.items()]


def _curve(key: tuple[str, str, str], per_lang: Mapping[str, Mapping[float, list[float]]]) -> Curve:
    levels = sorted({level for table in per_lang.values() for level in table})
    per_language = {
        lang: [mean(table[level]) for level in levels]
        for lang, table in per_lang.items()
        if all(level in table for level in levels)
    }
    f1 = [mean(values[i] for values in per_language.values()) for i in range(len(levels))]
    spread = [
        mean(pstdev(table[level]) for table in per_lang.values() if level in table)
        for level in levels
    ]
    return Curve(*key, levels, f1, per_language, spread)


def reference(results: Mapping[str, Any], dataset: str) -> tuple[float | None, str, dict]:
    """The dataset's reference line averaged over its languages (None unless all have one)."""
    info = results["datasets"][dataset]
    lines = info.get("reference_lines", {})
    languages = list(info["languages"])
    value = (
        mean(lines[lang] for lang in languages) if lines and set(languages) <= set(lines) else None
    )
    return value, info.get("reference_label", "model transfer"), lines


def crossing(levels: Sequence[float], f1: Sequence[float], line: float) -> float | None:
    """First level where ``f1`` drops below ``line`` (interpolated); 0.0 if it starts below;
    None if it never does within the measured levels."""
    if f1[0] < line:
        return 0.0
    for (x0, y0), (x1, y1) in zip(
        zip(levels, f1, strict=True), zip(levels[1:], f1[1:], strict=True), strict=False
    ):
        if y1 < line <= y0:
            return x0 + (x1 - x0) * (y0 - line) / (y0 - y1)
    return None


def retention(levels: Sequence[float], f1: Sequence[float]) -> float:
    """Area under the curve over the area of a flat line at ``f1[0]`` (1.0 = no loss)."""
    if len(levels) < 2 or f1[0] <= 0:
        return 1.0
    area = sum(
        (x1 - x0) * (y0 + y1) / 2
        for x0, x1, y0, y1 in zip(levels, levels[1:], f1, f1[1:], strict=False)
    )
    return area / (f1[0] * (levels[-1] - levels[0]))


def findings(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per dataset, operator and method: F1 at 0 and at the top level, crossing, retention."""
    rows = []
    for curve in curves(results):
        line, _, per_lang_lines = reference(results, curve.dataset)
        rows.append(
            {
                "dataset": curve.dataset,
                "operator": curve.operator,
                "method": curve.method,
                "f1_clean": curve.f1[0],
                "f1_max": curve.f1[-1],
                "max_level": curve.levels[-1],
                "drop": curve.f1[0] - curve.f1[-1],
                "retention": retention(curve.levels, curve.f1),
                "crossing": None if line is None else crossing(curve.levels, curve.f1, line),
                "crossing_by_language": {
                    lang: crossing(curve.levels, values, per_lang_lines[lang])
                    for lang, values in curve.per_language.items()
                    if lang in per_lang_lines
                },
            }
        )
    return rows


def most_graceful(rows: Iterable[Mapping[str, Any]], operators: Iterable[str]) -> list[tuple]:
    """(dataset, method, mean retention) over ``operators``, best first, per dataset."""
    wanted = set(operators)
    table: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row["operator"] in wanted:
            table[(row["dataset"], row["method"])].append(row["retention"])
    ranked = [(d, m, mean(values)) for (d, m), values in table.items()]
    return sorted(ranked, key=lambda item: (item[0], -item[2]))


def aligner_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per dataset and aligner: proxy agreement and F1 per method, averaged over languages."""
    f1: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for cell in results["cells"]:
        if cell["axis"] == "aligner":
            f1[(cell["dataset"], cell["aligner"], cell["method"])].append(cell["f1"])
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in results["aligners"]:
        grouped[(row["dataset"], row["aligner"])].append(row)
    out = []
    for (dataset, aligner), rows in grouped.items():
        proxies = [row["proxy"] for row in rows if row["proxy"]]
        out.append(
            {
                "dataset": dataset,
                "aligner": aligner,
                "seconds": sum(row["seconds"] for row in rows),
                "links": sum(row["links"] for row in rows),
                "proxy_reference": rows[0]["proxy_reference"],
                **{
                    f"proxy_{key}": mean(p[key] for p in proxies) if proxies else None
                    for key in ("precision", "recall", "aer")
                },
                "f1": {
                    method: mean(values)
                    for (d, a, method), values in f1.items()
                    if (d, a) == (dataset, aligner)
                },
            }
        )
    return out


def per_class(
    results: Mapping[str, Any], operator: str = "none", level: float = 0.0
) -> dict[str, dict[str, dict[str, float]]]:
    """dataset -> method -> class -> F1 (mean over languages and seeds) at one setting."""
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for cell in setting_cells(results, operator, level):
        for label, scores in cell["scores"]["per_class"].items():
            values[(cell["dataset"], cell["method"], label)].append(scores["f1"])
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (dataset, method, label), f1s in values.items():
        table[dataset][method][label] = mean(f1s)
    return {d: dict(m) for d, m in table.items()}


def error_totals(
    results: Mapping[str, Any], operator: str = "none", level: float = 0.0
) -> dict[str, dict[str, dict[str, float]]]:
    """dataset -> method -> error kind -> count summed over languages (mean over seeds)."""
    sums: dict[tuple[str, str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for cell in setting_cells(results, operator, level):
        for kind, count in cell["scores"]["errors"].items():
            sums[(cell["dataset"], cell["method"], kind)][cell["seed"]] += count
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (dataset, method, kind), by_seed in sums.items():
        table[dataset][method][kind] = mean(by_seed.values())
    return {d: dict(m) for d, m in table.items()}


def format_findings(results: Mapping[str, Any]) -> str:
    """A plain-text summary: crossings and retention per operator, for the terminal."""
    rows = findings(results)
    lines = []
    for dataset in results["datasets"]:
        if not any(r["dataset"] == dataset for r in rows):
            continue  # a sweep without operators has no curves
        line, label, _ = reference(results, dataset)
        ref = f"reference {line:.1f} ({label})" if line is not None else "no reference line"
        lines.append(f"{dataset}: F1 averaged over languages; {ref}")
        lines.append(
            f"  {'operator':17} {'method':30} {'F1@0':>6} {'F1@max':>7} {'retain':>6} {'below':>6}"
        )
        for row in (r for r in rows if r["dataset"] == dataset):
            below = "-" if row["crossing"] is None else f"{row['crossing']:.2f}"
            lines.append(
                f"  {row['operator']:17} {row['method']:30} {row['f1_clean']:6.1f} "
                f"{row['f1_max']:7.1f} {row['retention']:6.3f} {below:>6}"
            )
    return "\n".join(lines)


def format_aligners(results: Mapping[str, Any]) -> str:
    """A plain-text table of the natural axis: proxy agreement and F1 per method."""
    methods = list(results["methods"])
    lines = []
    for row in aligner_rows(results):
        aer = "-" if row["proxy_aer"] is None else f"{100 * row['proxy_aer']:.1f}"
        f1 = " ".join(f"{row['f1'].get(m, float('nan')):5.1f}" for m in methods)
        lines.append(f"  {row['dataset']:10} {row['aligner']:16} {aer:>9} {f1}")
    if not lines:
        return ""
    header = f"  {'dataset':10} {'aligner':16} {'proxy AER':>9} " + " ".join(
        f"{i + 1:>5}" for i in range(len(methods))
    )
    key = "; ".join(f"{i + 1} = {m}" for i, m in enumerate(methods))
    return "\n".join(
        [
            "aligners (proxy AER vs the first aligner's intersection; F1 by method)",
            header,
            *lines,
            f"  methods: {key}",
        ]
    )
