"""Charts drawn on the server as SVG text, from numbers (issue 15: no client chart library).

The SVG goes inline into the page: it scales to the page's width (a viewBox, width 100%), prints as the page prints,
and needs no script. Only presentation attributes (fill=, font-size=), never a style= attribute, so the strict
Content-Security-Policy (style-src 'self', backend/app.py) holds. Every bar carries a <title> with its figures, which
a phone shows on a long press and a screen reader reads; the page puts the same figures in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

HOURS = 24
# Okabe & Ito's colours, told apart with the common colour blindnesses; the yellow, weakest on white, last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")

# Drawing units: 360 wide is a phone's width in CSS pixels, so a font-size of 12 reads as 12px on a phone.
WIDTH = 360
LEFT, RIGHT, TOP = 34, 6, 10
PLOT_HEIGHT = 180
AXIS_BELOW = 34  # hour labels and the axis title under the plot
LEGEND_ROW = 20
FONT = 12


@dataclass(frozen=True)
class Series:
    """One stack of the bars (a gate): its name and a figure per hour, 0 to 23."""

    name: str
    counts: Sequence[int]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_step(largest: int, ticks: int = 4) -> int:
    """A whole step of 1, 2 or 5 times a power of ten, so that `ticks` steps reach `largest`."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = FONT) -> str:
    return f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" fill="#1a1a1a">{escape(content)}</text>'


def hourly_stacked_bars(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    describe: Callable[[str, int, int], str],
    chart_id: str = "chart",
) -> Markup:
    """Bars per hour 0–23, each stacked by series (one colour each, legend under the axis). `describe(name, hour,
    count)` words a bar's <title>. Answers the <svg> element as markup safe to put in a page."""
    totals = [sum(s.counts[hour] for s in series) for hour in range(HOURS)]
    step = nice_step(max(totals, default=0))
    top = step * max(1, math.ceil(max(totals, default=0) / step))
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / HOURS
    bar = slot * 0.72
    base = TOP + PLOT_HEIGHT
    height = base + AXIS_BELOW + LEGEND_ROW * len(series) + 6

    def y_of(value: float) -> float:
        return base - PLOT_HEIGHT * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" width="100%" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    # Horizontal lines at each step, labelled on the left; the axis title turned along it.
    for value in range(0, top + 1, step):
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" y1="{y:g}" x2="{WIDTH - RIGHT}" y2="{y:g}" stroke="#c8d0da" stroke-width="1"/>')
        parts.append(_text(LEFT - 4, y + 4, str(value), anchor="end"))
    parts.append(
        f'<text x="10" y="{TOP + PLOT_HEIGHT / 2:g}" font-size="{FONT}" text-anchor="middle" fill="#1a1a1a" '
        f'transform="rotate(-90 10 {TOP + PLOT_HEIGHT / 2:g})">{escape(y_label)}</text>'
    )
    # The bars: one <rect> per series and hour with a figure, stacked from the axis up.
    for hour in range(HOURS):
        x = LEFT + hour * slot + (slot - bar) / 2
        stacked = 0
        for index, one in enumerate(series):
            count = one.counts[hour]
            if not count:
                continue
            y_top, y_bottom = y_of(stacked + count), y_of(stacked)
            parts.append(
                f'<rect x="{x:.2f}" y="{y_top:.2f}" width="{bar:.2f}" height="{y_bottom - y_top:.2f}" fill="{colour(index)}" '
                f'class="chart-bar" data-series="{index}" data-hour="{hour}" data-count="{count}">'
                f"<title>{escape(describe(one.name, hour, count))}</title></rect>"
            )
            stacked += count
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#1a1a1a" stroke-width="1"/>')
    # Every third hour labelled: 24 labels do not fit a phone's width.
    for hour in range(0, HOURS, 3):
        parts.append(_text(LEFT + hour * slot + slot / 2, base + 14, f"{hour}", anchor="middle"))
    parts.append(_text(LEFT + plot_width / 2, base + 29, x_label, anchor="middle"))
    for index, one in enumerate(series):
        y = base + AXIS_BELOW + index * LEGEND_ROW
        parts.append(f'<rect x="{LEFT}" y="{y:g}" width="12" height="12" fill="{colour(index)}"/>')
        parts.append(_text(LEFT + 18, y + 11, f"{one.name} ({sum(one.counts)})"))
    parts.append("</svg>")
    return Markup("".join(parts))

