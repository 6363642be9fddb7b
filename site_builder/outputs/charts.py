"""Inline SVG charts drawn at build time: no chart library and no script in the browser."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape

MIN_CHART_MONTHS = 3  # a company mentioned in fewer distinct months gets a sentence, not a chart
WIDTH, HEIGHT = 480, 150
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 12, 26  # margins inside the viewBox for the axis labels


def _month_index(dt: datetime) -> int:
    return dt.year * 12 + dt.month - 1


def month_span(dates) -> tuple[int, int] | None:
    """(first, last) month index of the dates (the archive's span, when given every article's date); None for none."""
    months = [_month_index(d) for d in dates]
    return (min(months), max(months)) if months else None


def month_counts(dates: list[datetime], span: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """(month index, count) for every month of span (first, last month index: the archive's months), widened
    to the dates' own months should any fall outside it; without span, from the first date's month to the last's."""
    if not dates:
        return []
    counts = Counter(_month_index(d) for d in dates)
    first, last = min(counts), max(counts)
    if span is not None:
        first, last = min(first, span[0]), max(last, span[1])
    return [(m, counts.get(m, 0)) for m in range(first, last + 1)]


def draws_chart(dates: list[datetime]) -> bool:
    """True when the dates fall in enough distinct months for a chart to say more than a sentence."""
    return len({_month_index(d) for d in dates}) >= MIN_CHART_MONTHS


def _articles(n: int) -> str:
    return f"{n} article{'' if n == 1 else 's'}"


def timeline_sentence(dates: list[datetime]) -> str:
    """What a chart of few months would show, said in words: 'Mentioned in 1 article, in January 2026.'"""
    counts = sorted(Counter(_month_index(d) for d in dates).items())
    if not counts:
        return "Not mentioned in any published article yet."
    if len(counts) == 1:
        return f"Mentioned in {_articles(len(dates))}, in {_long_label(counts[0][0])}."
    parts = [f"{n} in {_long_label(m)}" for m, n in counts]
    return f"Mentioned in {_articles(len(dates))}: {', '.join(parts[:-1])} and {parts[-1]}."


def _label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{datetime(2000, month + 1, 1):%b} {year}"


def _long_label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{datetime(2000, month + 1, 1):%B} {year}"


def timeline_svg(
    dates: list[datetime], name: str, chart_id: str = "timeline-chart", span: tuple[int, int] | None = None
) -> str:
    """A bar chart of mentions per month (the publisher's local month) as an accessible inline SVG element: one
    slot per month of span (the archive's months, see month_counts), each with its month in data-month."""
    months = month_counts(dates, span)
    if not months:
        return ""
    peak = max(n for _, n in months)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(months)
    bar = max(step * 0.7, 1.0)
    total = sum(n for _, n in months)
    period = f"{_long_label(months[0][0])} to {_long_label(months[-1][0])}"
    desc = f"{_articles(total)} mentioning {name}, by month, {period}; the busiest month has {peak}."
    parts = [
        (
            f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        ),
        f'<title id="{chart_id}-title">Mentions of {escape(name)} per month</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<text class="label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text class="label" x="{LEFT - 6}" y="{TOP + plot_h + 4}" text-anchor="end">0</text>',
    ]
    for i, (month, n) in enumerate(months):
        x = LEFT + i * step + (step - bar) / 2
        year, month0 = divmod(month, 12)
        data = f'data-month="{year:04d}-{month0 + 1:02d}"'
        if n:
            h = plot_h * n / peak
            parts.append(
                f'<rect class="bar" {data} x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{_long_label(month)}: {_articles(n)}</title></rect>'
            )
        else:
            parts.append(
                f'<rect class="tick" {data} x="{x:.1f}" y="{TOP + plot_h - 2}" width="{bar:.1f}" '
                f'height="2"><title>{_long_label(month)}: no articles</title></rect>'
            )
    baseline = TOP + plot_h + 17
    parts.append(f'<text class="label" x="{LEFT}" y="{baseline}" text-anchor="start">{_label(months[0][0])}</text>')
    if len(months) > 1:
        parts.append(
            f'<text class="label" x="{WIDTH - RIGHT}" y="{baseline}" text-anchor="end">{_label(months[-1][0])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
