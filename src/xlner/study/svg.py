"""Line charts as inline SVG strings: no chart library, no script, viewable offline."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# Colour per method family, dash per solver: greedy and ILP of one score share a colour, so
# where their lines coincide the dashed ILP line shows on top of the solid greedy one.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
HEURISTIC_COLOUR = "#333333"
DASHED_SOLVERS = ("ilp", "dp")
Scale = Callable[[float], float]  # a data coordinate to a pixel coordinate
Range = tuple[float, float]  # (low, high) of an axis


@dataclass(frozen=True)
class Series:
    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str
    dashed: bool = False


def method_styles(methods: Sequence[str]) -> dict[str, tuple[str, bool]]:
    """(colour, dashed) per method name, stable for a given list of methods."""
    families: list[str] = []
    styles = {}
    for method in methods:
        family, _, solver = method.rpartition("/")
        if not family or solver not in ("greedy", *DASHED_SOLVERS):
            family, solver = method, ""
        if family not in families:
            families.append(family)
        colour = (
            HEURISTIC_COLOUR
            if family == "heuristic"
            else PALETTE[(families.index(family)) % len(PALETTE)]
        )
        styles[method] = (colour, solver in DASHED_SOLVERS)
    return styles


def nice_range(values: Sequence[float], floor: float = 0.0, ceiling: float = 100.0) -> tuple:
    """A y-range in steps of 10 that holds every value, clipped to [floor, ceiling]."""
    low = max(floor, math.floor(min(values) / 10) * 10) if values else floor
    high = min(ceiling, math.ceil(max(values) / 10) * 10) if values else ceiling
    return (low, high) if high > low else (low, low + 10)


def line_chart(  # noqa: PLR0913
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    subtitle: str = "",
    y_label: str = "F1",
    y_range: tuple[float, float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    width: int = 390,
    height: int = 240,
    x_format: str = "{:g}",
) -> str:
    """An SVG line chart; each series is a ``<path class="series">`` with point markers."""
    xs = sorted({x for s in series for x in s.xs})
    ys = [y for s in series for y in s.ys] + ([reference] if reference is not None else [])
    y0, y1 = y_range or nice_range(ys)
    x0, x1 = (xs[0], xs[-1]) if xs and xs[-1] > xs[0] else (0.0, 1.0)
    parts, (left, right, top, plot_w, plot_h) = _frame(title, subtitle, width, height)
    px, py = _scales((x0, x1), (y0, y1), left, top, plot_w, plot_h)
    parts += _grid(xs, (y0, y1), px, py, left, width - right, x_format)
    parts += _axis_labels(x_label, y_label, (left, top, plot_w, plot_h), height)
    if reference is not None:
        parts.append(_reference(reference, reference_label, py, left, width - right))
    for s in series:
        parts.append(_series(s, px, py))
    parts.append("</svg>")
    return "\n".join(parts)


def _grid(
    xs: Sequence[float],
    y_range: tuple[float, float],
    px: Scale,
    py: Scale,
    x_left: float,
    x_right: float,
    x_format: str,
) -> list[str]:
    y0, y1 = y_range
    step = 10 if y1 - y0 <= 60 else 20
    parts = []
    for y in range(int(y0), int(y1) + 1, step):
        parts.append(
            f'<line class="grid" x1="{x_left}" x2="{x_right}" y1="{py(y):.1f}" y2="{py(y):.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{x_left - 4}" y="{py(y) + 3:.1f}" text-anchor="end">{y}</text>'
        )
    bottom = py(y0)
    for x in xs:
        parts.append(
            f'<text class="tick" x="{px(x):.1f}" y="{bottom + 13:.1f}" '
            f'text-anchor="middle">{escape(x_format.format(x))}</text>'
        )
    return parts


def _reference(value: float, label: str, py: Scale, x_left: float, x_right: float) -> str:
    y = py(value)
    return (
        f'<g class="reference"><title>{escape(label)}: {value:.1f}</title>'
        f'<line x1="{x_left}" x2="{x_right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        f'<text x="{x_right - 2}" y="{y - 3:.1f}" text-anchor="end">'
        f"reference {value:.1f}</text></g>"
    )


def _series(s: Series, px: Scale, py: Scale) -> str:
    points = [(px(x), py(y)) for x, y in zip(s.xs, s.ys, strict=True)]
    if not points:
        return ""
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="5 3"' if s.dashed else ""
    marks = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{s.colour}">'
        f"<title>{escape(s.name)}: {value:.1f} at {level:g}</title></circle>"
        for (x, y), level, value in zip(points, s.xs, s.ys, strict=True)
    )
    return (
        f'<g class="series-group" data-series="{escape(s.name)}">'
        f'<path class="series" d="{d}" stroke="{s.colour}"{dash} fill="none"/>{marks}</g>'
    )


def legend(styles: dict[str, tuple[str, bool]], reference_label: str | None = None) -> str:
    """A horizontal legend as one small SVG per entry, inside an HTML list."""
    items = []
    for name, (colour, dashed) in styles.items():
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        items.append(
            f'<li><svg width="28" height="10" aria-hidden="true"><path d="M1,5 L27,5" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/></svg>{escape(name)}</li>'
        )
    if reference_label:
        items.append(
            '<li><svg width="28" height="10" aria-hidden="true"><path class="reference-key" '
            f'd="M1,5 L27,5"/></svg>{escape(reference_label)}</li>'
        )
    return '<ul class="legend">' + "".join(items) + "</ul>"


# ---------------------------------------------------------------------------- point charts


@dataclass(frozen=True)
class Point:
    """One marker: where, what it is (its tooltip), and a text beside it."""

    x: float
    y: float
    name: str
    colour: str
    label: str = ""
    hollow: bool = False


def _frame(
    title: str, subtitle: str, width: int, height: int, bottom: int = 38
) -> tuple[list[str], tuple[int, int, int, int, int]]:
    """The opening of a chart (titles) and its plot box: left, right, top, width, height."""
    left, right, top = 44, 12, 40 if subtitle else 26
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{left}" y="16">{escape(title)}</text>',
    ]
    if subtitle:
        parts.append(f'<text class="chart-subtitle" x="{left}" y="30">{escape(subtitle)}</text>')
    return parts, (left, right, top, width - left - right, height - top - bottom)


def _scales(
    x_range: Range, y_range: Range, left: float, top: float, plot_w: float, plot_h: float
) -> tuple[Scale, Scale]:
    """The functions from data to pixel coordinates."""
    (x0, x1), (y0, y1) = x_range, y_range

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * plot_h

    return px, py


def _axis_labels(x_label: str, y_label: str, box: tuple, height: int) -> list[str]:
    left, top, plot_w, plot_h = box
    y_text = (
        f'<text class="axis-label" transform="translate(11 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    if not x_label:
        return [y_text]
    return [
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 4}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        y_text,
    ]


def _marker(point: Point, x: float, y: float) -> str:
    fill = "white" if point.hollow else point.colour
    text = (
        f'<text class="tick" x="{x + 5:.1f}" y="{y - 4:.1f}">{escape(point.label)}</text>'
        if point.label
        else ""
    )
    return (
        f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{fill}" '
        f'stroke="{point.colour}"><title>{escape(point.name)}: {point.y:.1f}</title></circle>'
        + text
    )


@dataclass(frozen=True)
class Segment:
    """A straight line drawn under the points: a fitted line, a reference level."""

    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    name: str = ""
    dashed: bool = False


def scatter_chart(  # noqa: PLR0913
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str = "F1",
    subtitle: str = "",
    links: Sequence[tuple[Point, Point]] = (),
    segments: Sequence[Segment] = (),
    width: int = 520,
    height: int = 340,
    y_floor: float = 0.0,
) -> str:
    """An SVG scatter plot on a 0-100 style grid (steps of 10); ``links`` join pairs of
    points with a thin line (the same language under two methods); ``segments`` are drawn
    under the points (clipped to the plot); ``y_floor`` below 0 lets values such as a gap
    to a reference go negative."""
    x0, x1 = nice_range([p.x for p in points])
    y_values = [p.y for p in points] + [y for s in segments for y in (s.y0, s.y1)]
    y0, y1 = nice_range(y_values, floor=y_floor)
    parts, (left, right, top, plot_w, plot_h) = _frame(title, subtitle, width, height)
    px, py = _scales((x0, x1), (y0, y1), left, top, plot_w, plot_h)
    ticks = list(range(int(x0), int(x1) + 1, 10))
    parts += _grid(ticks, (y0, y1), px, py, left, width - right, "{:g}")
    parts += _axis_labels(x_label, y_label, (left, top, plot_w, plot_h), height)
    for a, b in links:
        parts.append(
            f'<line class="link" x1="{px(a.x):.1f}" y1="{py(a.y):.1f}" x2="{px(b.x):.1f}" '
            f'y2="{py(b.y):.1f}" stroke="#999999"/>'
        )
    parts += [_segment(s, px, py, (x0, x1), (y0, y1)) for s in segments]
    parts += [_marker(p, px(p.x), py(p.y)) for p in points]
    parts.append("</svg>")
    return "\n".join(parts)


def _segment(segment: Segment, px: Scale, py: Scale, x_range: Range, y_range: Range) -> str:
    """The part of ``segment`` inside the plot, as an SVG line ("" when none is)."""
    ends = _clip(segment, x_range, y_range)
    if ends is None:
        return ""
    (xa, ya), (xb, yb) = ends
    dash = ' stroke-dasharray="5 4"' if segment.dashed else ""
    return (
        f'<line class="segment" x1="{px(xa):.1f}" y1="{py(ya):.1f}" x2="{px(xb):.1f}" '
        f'y2="{py(yb):.1f}" stroke="{segment.colour}" stroke-width="1.5"{dash}>'
        f"<title>{escape(segment.name)}</title></line>"
    )


def _clip(
    segment: Segment, x_range: Range, y_range: Range
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The segment's ends cut to the box (Liang-Barsky); None when it is outside."""
    x0, y0, dx, dy = segment.x0, segment.y0, segment.x1 - segment.x0, segment.y1 - segment.y0
    low, high = 0.0, 1.0
    for p, q in (
        (-dx, x0 - x_range[0]), (dx, x_range[1] - x0),
        (-dy, y0 - y_range[0]), (dy, y_range[1] - y0),
    ):  # fmt: skip
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
    if low > high:
        return None
    return (x0 + low * dx, y0 + low * dy), (x0 + high * dx, y0 + high * dy)


def dot_chart(
    categories: Sequence[str],
    points: Sequence[Point],
    *,
    title: str,
    y_label: str = "F1",
    subtitle: str = "",
    height: int = 340,
) -> str:
    """An SVG dot plot: one column per category (a point's ``x`` is the category's index),
    a marker per series in it."""
    width = max(390, 60 + 30 * len(categories))
    y0, y1 = nice_range([p.y for p in points])
    parts, (left, right, top, plot_w, plot_h) = _frame(title, subtitle, width, height, bottom=30)
    # Category i at the middle of the i-th of len(categories) equal columns.
    px, py = _scales((-0.5, len(categories) - 0.5), (y0, y1), left, top, plot_w, plot_h)
    parts += _grid([], (y0, y1), px, py, left, width - right, "{:g}")
    parts += [
        f'<text class="tick" x="{px(i):.1f}" y="{py(y0) + 13:.1f}" '
        f'text-anchor="middle">{escape(name)}</text>'
        for i, name in enumerate(categories)
    ]
    parts += _axis_labels("", y_label, (left, top, plot_w, plot_h), height)
    parts += [_marker(p, px(p.x), py(p.y)) for p in points]
    parts.append("</svg>")
    return "\n".join(parts)
