"""Charts as inline SVG, drawn on the server: no script and nothing from the internet.

``bars``: horizontal bars, ranked, each with its value and share. ``columns``: one
column per period (months), with last year's as a lighter column beside it. Colours
and sizes come from presentation attributes and the stylesheet's classes, never an
inline ``style`` (the Content-Security-Policy allows none).
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from markupsafe import Markup

from billpay.money import format_amount
from billpay.reports.tables import Chart


def _short(amount: Decimal) -> str:
    value = abs(amount)
    if value >= 1_000_000:
        return f"{amount / 1_000_000:,.1f} ล้าน"
    if value >= 1_000:
        return f"{amount / 1_000:,.1f} พัน"
    return f"{amount:,.0f}"


def render(chart: Chart) -> Markup:
    return _bars(chart) if chart.kind == "bars" else _columns(chart)


def _bars(chart: Chart) -> Markup:
    bars = chart.bars
    if not bars:
        return Markup('<p class="empty">ยังไม่มีข้อมูล</p>')
    width, label_w, row_h = 720, 300, 30
    top = max((b.value for b in bars), default=Decimal(0)) or Decimal(1)
    total = sum((b.value for b in bars), Decimal(0)) or Decimal(1)
    height = row_h * len(bars) + 8
    # a chart whose labels are drill-down links is a group of links, not one image
    role = "group" if any(b.href for b in bars) else "img"
    parts = [f'<svg class="chart" role="{role}" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">']
    for i, bar in enumerate(bars):
        y = 4 + i * row_h
        length = max(float(bar.value / top) * (width - label_w - 170), 0)
        label = escape(bar.label if len(bar.label) <= 34 else bar.label[:33] + "…")
        text = f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" class="chart-label">{label}</text>'
        if bar.href:
            text = f'<a href="{escape(bar.href)}">{text}</a>'
        share = float(bar.value / total) * 100
        parts.append(
            f'{text}<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" '
            f'class="chart-bar"><title>{label}: {format_amount(bar.value)} {chart.unit}</title>'
            f'</rect><text x="{label_w + length + 6:.1f}" y="{y + 20}" class="chart-value">'
            f'{_short(bar.value)} ({share:.1f}%)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _columns(chart: Chart) -> Markup:
    bars, compare = chart.bars, chart.compare
    slots = max(len(bars), len(compare))
    if not slots:
        return Markup('<p class="empty">ยังไม่มีข้อมูล</p>')
    width, height, left, bottom = 720, 240, 64, 28
    plot_h = height - bottom - 12
    top = max([b.value for b in (*bars, *compare)] + [Decimal(0)]) or Decimal(1)
    slot_w = (width - left - 8) / slots
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">']
    for k in range(5):
        value = top * k / 4
        y = 12 + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="chart-grid"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end" class="chart-axis">{_short(value)}</text>')
    column_w = slot_w * (0.38 if compare else 0.7)
    for i in range(slots):
        x = left + i * slot_w + slot_w * 0.1
        for series, bar_list, cls in ((0, compare, "chart-bar-last"), (1, bars, "chart-bar")):
            if i >= len(bar_list):
                continue
            bar = bar_list[i]
            h = max(float(bar.value / top) * plot_h, 0)
            bx = x + (series * column_w if compare else 0)
            parts.append(f'<rect x="{bx:.1f}" y="{12 + plot_h - h:.1f}" width="{column_w:.1f}" '
                         f'height="{h:.1f}" class="{cls}"><title>{escape(bar.label)}: '
                         f'{format_amount(bar.value)} {chart.unit}</title></rect>')
        label = bars[i].label if i < len(bars) else compare[i].label
        parts.append(f'<text x="{left + (i + 0.5) * slot_w:.1f}" y="{height - 10}" '
                     f'text-anchor="middle" class="chart-axis">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
