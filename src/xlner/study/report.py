"""``xlner report RUN_DIR``: one self-contained HTML page for a noise study's run directory.

Everything is inline (stylesheet, script, SVG charts, the example data as JSON), so the file
can be mailed or opened offline. Charts are drawn here in Python; the script only runs the
example browser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from xlner.evaluate.errors import ERROR_TYPES
from xlner.io import atomic_write
from xlner.registry import registry
from xlner.study import summary
from xlner.study.assets import CSS, JS
from xlner.study.noise import get_operator
from xlner.study.svg import Series, legend, line_chart, method_styles, nice_range


def load_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """results.json, manifest.json (empty if absent) and examples.jsonl (empty if absent)."""
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    manifest_path = run_dir / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    )
    examples_path = run_dir / "examples.jsonl"
    examples = (
        [
            json.loads(line)
            for line in examples_path.read_text(encoding="utf-8").splitlines()
            if line
        ]
        if examples_path.exists()
        else []
    )
    return results, manifest, examples


def build_report(run_dir: Path, output: Path | None = None) -> Path:
    """Write the page (atomically) and return its path."""
    results, manifest, examples = load_run(run_dir)
    path = output or run_dir / "report.html"
    page = render(results, manifest, examples)
    with atomic_write(path) as handle:
        handle.write(page)
    return path


def render(
    results: Mapping[str, Any], manifest: Mapping[str, Any], examples: Sequence[Mapping[str, Any]]
) -> str:
    methods = list(results["methods"])
    styles = method_styles(methods)
    body = [
        _header(results, manifest),
        _findings(results),
        *(_dataset_section(results, name, styles) for name in results["datasets"]),
        _aligner_section(results, styles),
        _class_section(results, manifest),
        _browser(examples, methods),
    ]
    return html_page("xlner: how projection quality drives F1", "\n".join(body))


def html_page(title: str, body: str, script: str = JS) -> str:
    """A self-contained page: the report's stylesheet, ``body``, and ``script`` (the example
    browser's by default; "" for none)."""
    tag = f"<script>{script}</script>\n" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # An empty data: icon stops the browser asking for /favicon.ico (a console error).
        f'<link rel="icon" href="data:,">\n<title>{escape(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n{tag}</body>\n</html>\n"
    )


def _json_script(element_id: str, value: Any) -> str:
    # "<" escaped so no string inside the data can close the script element.
    data = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{data}</script>'


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then they may carry their own <td>)."""
    # Long method names ("match/alignment+string/greedy") may break after each slash.
    head = "".join(f"<th>{escape(h).replace('/', '/<wbr>')}</th>" for h in header)
    lines = []
    for row in rows:
        cells = "".join(c if raw and c.startswith("<td") else f"<td>{escape(c)}</td>" for c in row)
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


# ----------------------------------------------------------------------------- sections


def _header(results: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    machine = manifest.get("machine", {})
    wall = manifest.get("wall_seconds")
    meta = [
        f"created {manifest.get('created', '?')}",
        f"wall time {wall:.0f} s" if isinstance(wall, int | float) else "",
        f"{machine.get('cpus', '?')} CPUs, {machine.get('platform', '?')}" if machine else "",
        f"xlner {manifest.get('xlner_version', '?')}",
        f"seeds {', '.join(map(str, results['seeds']))}",
        f"symmetrisation {results['symmetrization']}",
    ]
    command = " ".join(manifest.get("command", []))
    datasets = ", ".join(
        f"{name} ({', '.join(info['languages'])})" for name, info in results["datasets"].items()
    )
    return f"""<h1>How projection quality drives F1</h1>
<p class="meta">{escape(" · ".join(m for m in meta if m))}</p>
<p class="meta">command: <code>{escape(command)}</code> · datasets: {escape(datasets)}</p>
<div class="note">Noise is applied on top of one cached alignment per language (the first
aligner's <code>{escape(results["symmetrization"])}</code> links) or on the source entities,
with seeded generators. eflomal is seeded too (seed 0 unless the aligner options say
otherwise), so the level-0 point repeats on one machine; another seed moves it (unseeded
runs moved by about ±4 F1 per language on Europarl-NER, ±1.5 on the average). Source entities:
{escape(_sources(results))}. There is no gold word alignment: the aligner
table's error rates are a <b>proxy</b> (agreement with the best aligner's intersection).
Reference lines are <b>not measured by xlner</b> unless their label says so.</div>"""


def _sources(results: Mapping[str, Any]) -> str:
    """Where each dataset's source entities came from: gold, or a tagger."""
    found = []
    for name, info in results["datasets"].items():
        kinds = sorted({lang["source_entities"] for lang in info["languages"].values()})
        found.append(f"{name}: {', '.join(kinds)}")
    return "; ".join(found)


def _operator_title(name: str) -> str:
    return f"{name}: {get_operator(name).description}" if name in registry.noise else name


def _findings(results: Mapping[str, Any]) -> str:
    rows = summary.findings(results)
    parts = ["<h2>Findings</h2>"]
    for dataset in results["datasets"]:
        line, label, lines = summary.reference(results, dataset)
        mine = [r for r in rows if r["dataset"] == dataset]
        parts.append(f"<h3>{escape(dataset)}</h3>")
        if line is not None:
            refs = ", ".join(f"{lang} {value:.1f}" for lang, value in lines.items())
            parts.append(
                f"<p>Noise level at which the language-averaged F1 falls below the reference "
                f"line <b>{line:.1f}</b> ({escape(label)}: {escape(refs)}); "
                "“never” = still above it at the highest level measured.</p>"
            )
            parts.append(_crossing_table(results, mine))
        else:
            parts.append(
                "<p>No reference line for this dataset (set <code>reference_lines</code> in "
                "the config to see where each method falls below model transfer).</p>"
            )
        parts.append(
            "<p>Retention: area under the F1 curve over that of a flat line at the clean F1 "
            "(1.000 = no loss over the measured levels); the best per operator in bold.</p>"
        )
        parts.append(_retention_table(results, mine))
        parts.append(_graceful_sentence(mine, results["operators"]))
    return "\n".join(parts)


def _crossing_table(results: Mapping[str, Any], rows: list[dict[str, Any]]) -> str:
    operators = [op for op in results["operators"] if any(r["operator"] == op for r in rows)]
    table = []
    for method in results["methods"]:
        cells = [method]
        for op in operators:
            row = next((r for r in rows if r["operator"] == op and r["method"] == method), None)
            cells.append(_crossing_text(row))
        table.append(cells)
    return html_table(["method", *operators], table)


def _crossing_text(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    if row["crossing"] is None:
        return f"never (≤{row['max_level']:g})"
    by_lang = ", ".join(
        f"{lang} {'never' if value is None else f'{value:.2f}'}"
        for lang, value in row["crossing_by_language"].items()
    )
    return f"{row['crossing']:.2f} ({by_lang})"


def _retention_table(results: Mapping[str, Any], rows: list[dict[str, Any]]) -> str:
    operators = [op for op in results["operators"] if any(r["operator"] == op for r in rows)]
    best = {
        op: max((r["retention"] for r in rows if r["operator"] == op), default=None)
        for op in operators
    }
    table = []
    for method in results["methods"]:
        cells = [f"<td>{escape(method)}</td>"]
        for op in operators:
            row = next((r for r in rows if r["operator"] == op and r["method"] == method), None)
            if row is None:
                cells.append("<td></td>")
                continue
            cls = ' class="best"' if row["retention"] == best[op] else ""
            cells.append(
                f'<td{cls} title="F1 {row["f1_clean"]:.1f} → {row["f1_max"]:.1f}">'
                f"{row['retention']:.3f}</td>"
            )
        table.append(cells)
    return html_table(["method", *operators], table, raw=True)


def _graceful_sentence(rows: list[dict[str, Any]], operators: Sequence[str]) -> str:
    link_ops = [op for op in operators if get_operator(op).kind == "links"]
    ranked = summary.most_graceful(rows, link_ops or operators)
    if not ranked:
        return ""
    _, method, value = ranked[0]
    last = ranked[-1]
    return (
        f"<p>Most graceful under alignment noise (mean retention over "
        f"{escape(', '.join(link_ops or operators))}): <b>{escape(method)}</b> ({value:.3f}); "
        f"least: {escape(last[1])} ({last[2]:.3f}).</p>"
    )


def _dataset_section(
    results: Mapping[str, Any], dataset: str, styles: dict[str, tuple[str, bool]]
) -> str:
    line, label, lines = summary.reference(results, dataset)
    curves = [c for c in summary.curves(results) if c.dataset == dataset]
    parts = [
        f"<h2>Noise curves: {escape(dataset)}</h2>",
        "<p>F1 against the noise rate, averaged over the languages (each point a mean over "
        "seeds). Hover a point for its value.</p>",
        legend(styles, label if line is not None else None),
        '<div class="charts">',
    ]
    y_range = _y_range(curves, [line, *lines.values()])
    for operator in results["operators"]:
        chosen = [c for c in curves if c.operator == operator]
        if chosen:
            parts.append(_chart(chosen, styles, operator, line, label, y_range=y_range))
    parts.append("</div>")
    languages = list(results["datasets"][dataset]["languages"])
    parts.append("<details><summary>per-language curves</summary>")
    for lang in languages:
        parts.append(f'<h3>{escape(lang)}</h3><div class="charts">')
        for operator in results["operators"]:
            chosen = [c for c in curves if c.operator == operator and lang in c.per_language]
            if chosen:
                parts.append(
                    _chart(
                        chosen,
                        styles,
                        f"{lang}: {operator}",
                        lines.get(lang),
                        label,
                        language=lang,
                        y_range=y_range,
                    )
                )
        parts.append("</div>")
    parts.append("</details>")
    parts.append(_f1_tables(results, dataset, curves))
    return "\n".join(parts)


def _chart(
    curves: Sequence[summary.Curve],
    styles: dict[str, tuple[str, bool]],
    title: str,
    reference: float | None,
    reference_label: str,
    language: str | None = None,
    y_range: tuple[float, float] | None = None,
) -> str:
    operator = title.rpartition(": ")[2]
    series = [
        Series(
            c.method,
            c.levels,
            c.per_language[language] if language else c.f1,
            *styles.get(c.method, ("#000", False)),
        )
        for c in curves
    ]
    return line_chart(
        series,
        title=title,
        subtitle=get_operator(operator).description if operator in registry.noise else "",
        x_label="noise rate",
        reference=reference,
        reference_label=reference_label,
        y_range=y_range,
    )


def _y_range(curves: Sequence[summary.Curve], extra: Sequence[float | None]) -> tuple:
    """One y-range for all of a dataset's charts, so their slopes compare at a glance."""
    values = [y for c in curves for y in c.f1] + [
        y for c in curves for ys in c.per_language.values() for y in ys
    ]
    return nice_range(values + [v for v in extra if v is not None])


def _f1_tables(results: Mapping[str, Any], dataset: str, curves: list[summary.Curve]) -> str:
    parts = ["<details><summary>F1 tables (mean over languages; per language on hover)</summary>"]
    for operator in results["operators"]:
        chosen = [c for c in curves if c.operator == operator]
        if not chosen:
            continue
        levels = chosen[0].levels
        rows = []
        for c in chosen:
            cells = [f"<td>{escape(c.method)}</td>"]
            for i, value in enumerate(c.f1):
                per_lang = ", ".join(f"{k} {v[i]:.1f}" for k, v in c.per_language.items())
                spread = f" ±{c.spread[i]:.1f} over seeds" if c.spread[i] else ""
                cells.append(f'<td title="{escape(per_lang + spread)}">{value:.1f}</td>')
            rows.append(cells)
        parts.append(f"<h3>{escape(_operator_title(operator))}</h3>")
        parts.append(html_table(["method", *(f"{lv:g}" for lv in levels)], rows, raw=True))
    parts.append("</details>")
    return "\n".join(parts)


def _aligner_section(results: Mapping[str, Any], styles: dict[str, tuple[str, bool]]) -> str:
    rows = summary.aligner_rows(results)
    methods = list(results["methods"])
    parts = [
        "<h2>The natural axis: aligners of different quality</h2>",
        "<p>No noise; each aligner's own links. <b>Proxy</b> alignment error: precision, recall "
        "and AER against the first aligner's intersection links — there is no gold alignment "
        "for these corpora, and the proxy favours the first aligner (its recall is 1 by "
        "construction) and aligners of its family: on Europarl-NER the embedding aligner has "
        "a worse proxy AER than eflomal and yet projects better. Use it to rank variants of "
        "one aligner, not as a measurement.</p>",
    ]
    for dataset in results["datasets"]:
        mine = [r for r in rows if r["dataset"] == dataset]
        table = [
            [
                r["aligner"],
                _pct(r["proxy_precision"]),
                _pct(r["proxy_recall"]),
                _pct(r["proxy_aer"]),
                f"{r['links']:,}",
                f"{r['seconds']:.1f}",
                *(f"{r['f1'].get(m, float('nan')):.1f}" for m in methods),
            ]
            for r in mine
        ]
        header = ["aligner", "proxy P", "proxy R", "proxy AER", "links", "align s", *methods]
        parts.append(
            f"<h3>{escape(dataset)} (proxy reference: {escape(mine[0]['proxy_reference'])})</h3>"
        )
        parts.append(html_table(header, table))
        parts.append(_aer_chart(results, dataset, mine, styles))
    return "\n".join(parts)


def _aer_chart(
    results: Mapping[str, Any],
    dataset: str,
    rows: list[dict[str, Any]],
    styles: dict[str, tuple[str, bool]],
) -> str:
    ranked = sorted((r for r in rows if r["proxy_aer"] is not None), key=lambda r: r["proxy_aer"])
    if len(ranked) < 2:
        return ""
    series = [
        Series(
            method,
            [100 * r["proxy_aer"] for r in ranked],
            [r["f1"][method] for r in ranked],
            *styles[method],
        )
        for method in results["methods"]
        if all(method in r["f1"] for r in ranked)
    ]
    line, label, _ = summary.reference(results, dataset)
    chart = line_chart(
        series,
        title=f"{dataset}: F1 against proxy AER (%)",
        x_label="proxy AER, % (" + ", ".join(r["aligner"] for r in ranked) + ")",
        reference=line,
        reference_label=label,
        width=520,
        x_format="{:.0f}",
    )
    return f'<div class="charts">{chart}</div>'


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _settings(manifest: Mapping[str, Any]) -> list[tuple[str, float]]:
    config = manifest.get("config", {})
    settings = config.get("examples", {}).get("settings", [])
    found = [(str(s["operator"]), float(s["level"])) for s in settings]
    return found or [("none", 0.0)]


def _class_section(results: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    parts = ["<h2>Per class and error types</h2>"]
    for operator, level in _settings(manifest):
        name = "clean" if operator == "none" or level == 0 else f"{operator} at {level:g}"
        classes = summary.per_class(results, operator, level)
        errors = summary.error_totals(results, operator, level)
        for dataset in results["datasets"]:
            if dataset not in classes:
                continue
            labels = sorted({lb for per in classes[dataset].values() for lb in per})
            parts.append(f"<h3>{escape(dataset)}, {escape(name)}: F1 per class</h3>")
            parts.append(
                html_table(
                    ["method", *labels],
                    [
                        [m, *(f"{per.get(lb, float('nan')):.1f}" for lb in labels)]
                        for m, per in classes[dataset].items()
                    ],
                )
            )
            parts.append(
                f"<h3>{escape(dataset)}, {escape(name)}: error types (summed over languages)</h3>"
            )
            parts.append(
                html_table(
                    ["method", *ERROR_TYPES],
                    [
                        [m, *(f"{per.get(k, 0):.0f}" for k in ERROR_TYPES)]
                        for m, per in errors.get(dataset, {}).items()
                    ],
                )
            )
    return "\n".join(parts)


def _browser(examples: Sequence[Mapping[str, Any]], methods: Sequence[str]) -> str:
    return f"""<h2>Example browser</h2>
<p>Pick a sentence: the source (top) with the entities that were projected (filled; the
brackets above mark the original source entities where noise changed them), the target
(bottom) with gold entities (filled, grey brackets) and the chosen method's projection
(coloured brackets: green correct, orange boundary, purple class, brown spurious; a red gold
bracket is missed), and the alignment links between them (blue: links from entity words).</p>
<div id="ex-controls">
<label>language<select id="ex-language"></select></label>
<label>setting<select id="ex-setting"></select></label>
<label>method<select id="ex-method"></select></label>
<label>error type<select id="ex-error"></select></label>
<span id="ex-count" class="muted"></span>
</div>
<div id="browser"><ul id="ex-list"></ul>
<div id="ex-detail"><p class="muted">Pick a sentence on the left.</p></div></div>
{_json_script("examples-data", list(examples))}
{_json_script("methods-data", list(methods))}"""
