"""Charts drawn on the server as inline SVG. Pure: rows in, markup out.

No chart library and no script: the pages must work behind a closed city network and with
JavaScript off, and a screen reader reads each chart's `<title>`/`<desc>` (the page puts the
numbers in a table next to it as well). Colours come from classes styled by reporting.css,
because the pages' CSP allows no inline style.

Layout is for a phone first: each row puts its label and value on one line and the bar on the
next, so long station names never squeeze the bars; the SVG scales with its box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400
FONT = 15
ROW_HEIGHT = 46
LABEL_BASELINE = 16
BAR_TOP = 22
BAR_HEIGHT = 16
AXIS_HEIGHT = 22


@dataclass(frozen=True)
class BarRow:
    """One bar. `low`/`high` draw an interval whisker, `mark` a tick (say, a p90)."""

    label: str
    value: float | None
    text: str
    low: float | None = None
    high: float | None = None
    mark: float | None = None
    highlight: bool = False


def _x(value: float, maximum: float) -> float:
    if maximum <= 0:
        return 0.0
    return round(max(0.0, min(value, maximum)) / maximum * WIDTH, 1)


def _axis(maximum: float, top: float, *, percent: bool) -> list[str]:
    """Five ticks under the bars (the bars' tracks would hide grid lines behind them)."""
    parts: list[str] = [f'<line class="grid" x1="0" y1="{top}" x2="{WIDTH}" y2="{top}"/>']
    for i in range(5):
        value = maximum * i / 4
        x = _x(value, maximum)
        label = f"{value * 100:.0f}%" if percent else f"{value:g}"
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(
            f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{top + 4}"/>'
            f'<text class="tick" x="{x}" y="{top + AXIS_HEIGHT - 3}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    return parts


def bar_chart(
    rows: Sequence[BarRow],
    *,
    chart_id: str,
    title: str,
    desc: str,
    maximum: float | None = None,
    percent: bool = False,
) -> Markup:
    """Horizontal bars on a shared scale from 0 to `maximum` (1.0 for rates; otherwise the
    largest value or mark), with an axis of five ticks under them."""
    if maximum is None:
        values = [v for r in rows for v in (r.value, r.mark, r.high) if v is not None]
        maximum = 1.0 if percent else max([*values, 1.0])
        if all(isinstance(v, int) for v in values):
            # Counts: a scale of whole numbers, so every tick is a count.
            maximum = float(math.ceil(maximum / 4) * 4)
    top = len(rows) * ROW_HEIGHT
    height = top + AXIS_HEIGHT
    parts = [
        f'<svg class="chart hbars" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-size="{FONT}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        *_axis(maximum, top, percent=percent),
    ]
    for i, row in enumerate(rows):
        y = i * ROW_HEIGHT
        bar_y = y + BAR_TOP
        middle = bar_y + BAR_HEIGHT / 2
        group = "row highlight" if row.highlight else "row"
        parts.append(f'<g class="{group}">')
        parts.append(
            f'<text class="label" x="0" y="{y + LABEL_BASELINE}">{escape(row.label)}</text>'
        )
        parts.append(
            f'<text class="value" x="{WIDTH}" y="{y + LABEL_BASELINE}" text-anchor="end">'
            f"{escape(row.text)}</text>"
        )
        parts.append(
            f'<rect class="track" x="0" y="{bar_y}" width="{WIDTH}" height="{BAR_HEIGHT}"/>'
        )
        if row.value is not None:
            width = _x(row.value, maximum)
            parts.append(
                f'<rect class="bar" x="0" y="{bar_y}" width="{width}" height="{BAR_HEIGHT}"/>'
            )
        if row.low is not None and row.high is not None:
            low, high = _x(row.low, maximum), _x(row.high, maximum)
            cap_top, cap_bottom = bar_y + 2, bar_y + BAR_HEIGHT - 2
            parts.append(
                f'<path class="whisker" d="M{low} {middle}H{high}'
                f'M{low} {cap_top}V{cap_bottom}M{high} {cap_top}V{cap_bottom}"/>'
            )
        if row.mark is not None:
            x = _x(row.mark, maximum)
            parts.append(f'<path class="mark" d="M{x} {bar_y - 3}V{bar_y + BAR_HEIGHT + 3}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Series:
    """One line of a time chart: a value per period, in the order of the chart's periods."""

    label: str
    values: Sequence[int]


SERIES_CLASSES = 6
PLOT_TOP = 14
PLOT_LEFT = 36
PLOT_HEIGHT = 150
LEGEND_ROW = 22


def line_chart(
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
) -> Markup:
    """Counts over time, one line per series, the first and last period labelled. Six line
    styles (colour and dash, so they differ without colour too) repeat after the sixth."""
    # Even, so the middle grid line is a whole count too.
    maximum = math.ceil(max([v for s in series for v in s.values] + [1]) / 2) * 2
    step = (WIDTH - PLOT_LEFT) / max(len(periods) - 1, 1)
    bottom = PLOT_TOP + PLOT_HEIGHT
    legend_top = bottom + AXIS_HEIGHT + 6
    height = legend_top + LEGEND_ROW * len(series)
    cid = escape(chart_id)
    parts = [
        f'<svg class="chart lines" id="{cid}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{cid}-title {cid}-desc" '
        f'font-size="{FONT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]
    for i in range(3):
        value = maximum * i / 2
        y = round(bottom - value / maximum * PLOT_HEIGHT, 1)
        parts.append(f'<line class="grid" x1="{PLOT_LEFT}" y1="{y}" x2="{WIDTH}" y2="{y}"/>')
        parts.append(
            f'<text class="tick" x="{PLOT_LEFT - 6}" y="{y + 4}" text-anchor="end">{value:g}</text>'
        )
    if periods:
        parts.append(
            f'<text class="tick" x="{PLOT_LEFT}" y="{bottom + AXIS_HEIGHT - 5}">'
            f"{escape(periods[0])}</text>"
        )
    if len(periods) > 1:
        parts.append(
            f'<text class="tick" x="{WIDTH}" y="{bottom + AXIS_HEIGHT - 5}" text-anchor="end">'
            f"{escape(periods[-1])}</text>"
        )
    for n, line in enumerate(series):
        kind = f"s{n % SERIES_CLASSES}"
        points = " ".join(
            f"{round(PLOT_LEFT + i * step, 1)},{round(bottom - v / maximum * PLOT_HEIGHT, 1)}"
            for i, v in enumerate(line.values)
        )
        parts.append(f'<polyline class="line {kind}" points="{points}"/>')
        y = legend_top + n * LEGEND_ROW
        parts.append(f'<path class="line {kind}" d="M0 {y + 10}H24"/>')
        parts.append(f'<text class="label" x="32" y="{y + 15}">{escape(line.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
