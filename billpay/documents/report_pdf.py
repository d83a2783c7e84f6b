"""Any report (``billpay.reports.tables.Report``) as an A4 landscape PDF.

The title, the filters and the checks on the first page; each table with its heading
and column headings (repeated on every page the table continues on), one line per
row (long text is shrunk, then cut short with "…"), the total row in bold; every page
says who printed it, when, and "หน้า x / n". Shaped Thai through ``fonts``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from billpay.documents import fonts

PAGE_W, PAGE_H = landscape(A4)
LEFT = 12 * mm
RIGHT = PAGE_W - 12 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 12 * mm
BOTTOM = 16 * mm
ROW_H = 13.0
SIZE = 8.0
INK = (0.10, 0.10, 0.12)
MUTED = (0.36, 0.38, 0.42)
ACCENT = (0.09, 0.20, 0.42)
TINT = (0.91, 0.93, 0.97)
RULE = (0.62, 0.65, 0.70)
RED = (0.70, 0.12, 0.10)
GREEN = (0.10, 0.45, 0.20)
_NUMERIC = {"int", "money", "percent"}


@dataclass
class _Line:
    kind: str  # title, header, row, total, gap, empty
    table: object | None = None
    values: tuple = ()


def _text(canvas: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False,
          align: str = "left", color=INK, max_width: float | None = None) -> None:
    fonts.draw_fitted_text(canvas, x, y, text, size, max_width=max_width, smallest=6.0,
                           bold=bold, align=align, color=color)


def _edges(table) -> list[float]:
    weights = [c.width for c in table.columns]
    total = sum(weights)
    edges = [LEFT]
    for weight in weights:
        edges.append(edges[-1] + WIDTH * weight / total)
    return edges


def render_report_pdf(report, *, agency_name: str, printed_by: str, printed_text: str,
                      display: Callable) -> bytes:
    fonts.register_fonts()
    head_h = 22.0 + 14.0 * (1 + len(report.checks) + len(report.notes))
    lines: list[_Line] = []
    for table in report.tables:
        lines.append(_Line("title", table))
        lines.append(_Line("header", table))
        rows = table.materialise()
        if not rows:
            lines.append(_Line("empty", table))
        for row in rows:
            lines.append(_Line("row", table, row))
        if table.totals is not None and rows:
            lines.append(_Line("total", table, table.totals))
        lines.append(_Line("gap", table))

    # paginate first, so that every page can say "หน้า x / n"
    pages: list[list[_Line]] = [[]]
    y = TOP - head_h
    for line in lines:
        height = 18.0 if line.kind == "title" else (6.0 if line.kind == "gap" else ROW_H)
        if y - height < BOTTOM + 6 and pages[-1]:
            current = pages[-1][-1].table if pages[-1] else None
            pages.append([])
            y = TOP - 24
            if line.kind in ("row", "total") and current is line.table:
                pages[-1].append(_Line("header", line.table))
                y -= ROW_H
        if line.kind == "gap" and not pages[-1]:
            continue
        pages[-1].append(line)
        y -= height

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1,
                    lang="th-TH")
    canvas.setTitle(report.title)
    canvas.setAuthor(agency_name)
    canvas.setCreator("billpay")
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        if number == 1:
            y = _first_header(canvas, report, agency_name)
        else:
            _text(canvas, LEFT, TOP - 10, f"{report.title} (ต่อ)", 11, bold=True, color=ACCENT)
            _text(canvas, RIGHT, TOP - 10, report.subtitle, 8.5, align="right", color=MUTED,
                  max_width=WIDTH / 2)
            y = TOP - 24
        for line in page:
            y = _draw_line(canvas, line, y, display)
        canvas.setStrokeColorRGB(*RULE)
        canvas.setLineWidth(0.4)
        canvas.line(LEFT, BOTTOM - 4, RIGHT, BOTTOM - 4)
        _text(canvas, LEFT, BOTTOM - 15, f"พิมพ์โดย {printed_by} เมื่อ {printed_text}", 8,
              color=MUTED, max_width=WIDTH * 0.7)
        _text(canvas, RIGHT, BOTTOM - 15, f"หน้า {number} / {total}", 8.5, bold=True,
              align="right", color=MUTED)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _first_header(canvas: Canvas, report, agency_name: str) -> float:
    _text(canvas, PAGE_W / 2, TOP - 12, report.title, 16, bold=True, align="centre",
          color=ACCENT, max_width=WIDTH)
    y = TOP - 28
    _text(canvas, PAGE_W / 2, y, f"{agency_name}   {report.subtitle}", 10, align="centre",
          max_width=WIDTH)
    for label, ok in report.checks:
        y -= 14
        mark = "ตรงกัน" if ok else "ไม่ตรงกัน — โปรดตรวจสอบ"
        _text(canvas, LEFT, y, f"{label}: {mark}", 9.5, bold=True, color=GREEN if ok else RED)
    for note in report.notes:
        y -= 14
        _text(canvas, LEFT, y, note, 8.5, color=MUTED, max_width=WIDTH)
    return TOP - 22.0 - 14.0 * (1 + len(report.checks) + len(report.notes))


def _draw_line(canvas: Canvas, line: _Line, y: float, display: Callable) -> float:
    table = line.table
    if line.kind == "gap":
        return y - 6
    if line.kind == "title":
        _text(canvas, LEFT, y - 13, table.title, 11, bold=True, color=ACCENT, max_width=WIDTH)
        return y - 18
    edges = _edges(table)
    if line.kind == "empty":
        _text(canvas, LEFT + 4, y - 9.5, table.empty, SIZE, color=MUTED)
        return y - ROW_H
    if line.kind == "header":
        canvas.setFillColorRGB(*TINT)
        canvas.rect(LEFT, y - ROW_H, WIDTH, ROW_H, stroke=0, fill=1)
        for i, column in enumerate(table.columns):
            _text(canvas, (edges[i] + edges[i + 1]) / 2, y - 9.5, column.label, 7.5, bold=True,
                  align="centre", color=ACCENT, max_width=edges[i + 1] - edges[i] - 3)
        return y - ROW_H
    bold = line.kind == "total"
    if bold:
        canvas.setFillColorRGB(*TINT)
        canvas.rect(LEFT, y - ROW_H, WIDTH, ROW_H, stroke=0, fill=1)
    for i, (column, value) in enumerate(zip(table.columns, line.values, strict=True)):
        numeric = column.kind.value in _NUMERIC
        left, right = edges[i] + 2, edges[i + 1] - 2
        _text(canvas, right if numeric else left, y - 9.5, display(value, column.kind), SIZE,
              bold=bold, align="right" if numeric else "left", max_width=right - left)
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.25)
    canvas.line(LEFT, y - ROW_H, RIGHT, y - ROW_H)
    return y - ROW_H
