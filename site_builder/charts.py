"""Inline SVG charts drawn at build time: no chart library and no script in the browser."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape

MIN_MONTHS = 12  # a chart shows at least a year, so one mention still reads as a point in time
WIDTH, HEIGHT = 480, 150
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 12, 26  # margins inside the viewBox for the axis labels


def _month_index(dt: datetime) -> int:
    return dt.year * 12 + dt.month - 1


def month_counts(dates: list[datetime]) -> list[tuple[int, int]]:
    """(month index, count) for every month from the first date (or a year before the last) to the last."""
    if not dates:
        return []
    counts = Counter(_month_index(d) for d in dates)
    last = max(counts)
    first = min(min(counts), last - MIN_MONTHS + 1)
    return [(m, counts.get(m, 0)) for m in range(first, last + 1)]


def _label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{datetime(2000, month + 1, 1):%b} {year}"


def _long_label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{datetime(2000, month + 1, 1):%B} {year}"


def timeline_svg(dates: list[datetime], name: str, chart_id: str = "timeline-chart") -> str:
    """A bar chart of mentions per month (the publisher's local month) as an accessible inline SVG element."""
    months = month_counts(dates)
    if not months:
        return ""
    peak = max(n for _, n in months)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(months)
    bar = max(step * 0.7, 1.0)
    total = sum(n for _, n in months)
    span = f"{_long_label(months[0][0])} to {_long_label(months[-1][0])}"
    desc = (f"{total} article{'' if total == 1 else 's'} mentioning {name}, by month, {span}; "
            f"the busiest month has {peak}.")
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Mentions of {escape(name)} per month</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<text class="label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text class="label" x="{LEFT - 6}" y="{TOP + plot_h + 4}" text-anchor="end">0</text>',
    ]
    for i, (month, n) in enumerate(months):
        x = LEFT + i * step + (step - bar) / 2
        if n:
            h = plot_h * n / peak
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}"><title>{_long_label(month)}: {n} article{"" if n == 1 else "s"}</title></rect>')
        else:
            parts.append(f'<rect class="tick" x="{x:.1f}" y="{TOP + plot_h - 2}" width="{bar:.1f}" height="2"/>')
    baseline = TOP + plot_h + 17
    parts.append(f'<text class="label" x="{LEFT}" y="{baseline}" text-anchor="start">{_label(months[0][0])}</text>')
    if len(months) > 1:
        parts.append(f'<text class="label" x="{WIDTH - RIGHT}" y="{baseline}" text-anchor="end">'
                     f'{_label(months[-1][0])}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
