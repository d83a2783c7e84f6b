"""A ``Report`` as CSV, XLSX, PDF and JSON.

CSV is UTF-8 with a BOM (Excel then reads the Thai), streamed row by row. XLSX has
Thai headers, number formats and a frozen header row, one sheet per table, written
with openpyxl's write-only mode so that a large export does not build the workbook in
memory. PDF has shaped Thai, page numbers and who printed it when.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from billpay.money import format_amount
from billpay.reports.tables import Column, Kind, Report, Table, json_value
from billpay.thaidate import BE_OFFSET, thai_date, thai_datetime, to_bangkok

FORMATS = ("csv", "xlsx", "pdf")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filename(report: Report, ext: str, today: date) -> str:
    return f"report-{report.slug}-{today:%Y%m%d}.{ext}"


def display(value, kind: Kind) -> str:
    """A value as the page and the PDF show it."""
    if value is None or value == "":
        return "" if value == "" else "-"
    if kind is Kind.MONEY:
        return format_amount(Decimal(value))
    if kind is Kind.INT:
        return f"{value:,}" if isinstance(value, int) else str(value)
    if kind is Kind.PERCENT:
        return f"{Decimal(value) * 100:+.1f}%"
    if kind is Kind.DATE and isinstance(value, date | datetime):
        return thai_date(value, short=True)
    if kind is Kind.DATETIME and isinstance(value, datetime):
        local = to_bangkok(value)
        return f"{thai_date(local, short=True)} {local:%H:%M}"
    return str(value)


def _csv_value(value, kind: Kind) -> str:
    if value is None:
        return ""
    if kind is Kind.MONEY and value != "":
        return f"{Decimal(value):.2f}"
    if kind is Kind.PERCENT and value != "":
        return f"{Decimal(value) * 100:.2f}"
    if kind is Kind.DATE and isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f"{day.day:02d}/{day.month:02d}/{day.year + BE_OFFSET}"
    if kind is Kind.DATETIME and isinstance(value, datetime):
        local = to_bangkok(value)
        return f"{local.day:02d}/{local.month:02d}/{local.year + BE_OFFSET} {local:%H:%M:%S}"
    return str(value)


def csv_chunks(report: Report) -> Iterator[str]:
    """The report as CSV text pieces (stream them): a BOM, the title and filters, then
    each table with its heading, rows and total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([report.title])
    for label, value in report.filters:
        writer.writerow([label, value])
    yield "\ufeff" + flush()
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([c.label for c in table.columns])
        kinds = [c.kind for c in table.columns]
        for index, row in enumerate(table.rows, start=1):
            writer.writerow([_csv_value(v, k) for v, k in zip(row, kinds, strict=True)])
            if index % 1000 == 0:
                yield flush()
        if table.totals is not None:
            writer.writerow([_csv_value(v, k) for v, k in zip(table.totals, kinds, strict=True)])
        yield flush()


def csv_text(report: Report) -> str:
    return "".join(csv_chunks(report))


_XLSX_FORMATS = {Kind.MONEY: "#,##0.00", Kind.INT: "#,##0", Kind.PERCENT: "0.0%",
                 Kind.DATE: "dd/mm/yyyy", Kind.DATETIME: "dd/mm/yyyy hh:mm"}


def _xlsx_value(value, kind: Kind):
    if isinstance(value, datetime):
        return to_bangkok(value).replace(tzinfo=None)
    if kind is Kind.MONEY and isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "ตาราง"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:25]} {n}"
        n += 1
    used.add(name)
    return name


def xlsx_bytes(report: Report, *, printed_by: str, printed_at: datetime) -> bytes:
    """The report as a workbook: one sheet per table (title and filters on top, header
    row frozen, numbers as numbers), streamed through openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    fill = PatternFill("solid", fgColor="E8EDF7")
    used: set[str] = set()
    header_lines = 2 + len(report.filters) + 1
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        columns = table.columns
        for index, column in enumerate(columns, start=1):
            width = 14 * column.width if column.kind is Kind.TEXT else 16
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(width, 60))
        sheet.freeze_panes = f"A{header_lines + 2}"

        def styled(value, font=None, number_format=None, fill_=None, wrap=False, sheet=sheet):
            cell = WriteOnlyCell(sheet, value=value)
            if font is not None:
                cell.font = font
            if number_format:
                cell.number_format = number_format
            if fill_ is not None:
                cell.fill = fill_
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            return cell

        sheet.append([styled(f"{report.title} — {table.title}", title_font)])
        for label, value in report.filters:
            sheet.append([styled(label, bold), value])
        sheet.append(["พิมพ์โดย", f"{printed_by} เมื่อ {thai_datetime(printed_at)}"])
        sheet.append([])
        sheet.append([styled(c.label, bold, fill_=fill, wrap=True) for c in columns])
        formats = [_XLSX_FORMATS.get(c.kind) for c in columns]
        for row in table.rows:
            sheet.append([styled(_xlsx_value(v, c.kind), number_format=f) if f else v
                          for v, c, f in zip(row, columns, formats, strict=True)])
        if table.totals is not None:
            sheet.append([styled(_xlsx_value(v, c.kind), bold, f) for v, c, f
                          in zip(table.totals, columns, formats, strict=True)])
    if not report.tables:
        book.create_sheet("รายงาน").append([report.title])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_bytes(report: Report, *, agency_name: str, printed_by: str,
              printed_at: datetime) -> bytes:
    from billpay.documents.report_pdf import render_report_pdf

    return render_report_pdf(report, agency_name=agency_name, printed_by=printed_by,
                             printed_text=thai_datetime(printed_at), display=display)


def _column_json(column: Column) -> dict:
    return {"key": column.key, "label": column.label, "kind": column.kind.value}


def _table_json(table: Table) -> dict:
    keys = [c.key for c in table.columns]
    return {
        "title": table.title,
        "columns": [_column_json(c) for c in table.columns],
        "rows": [{k: json_value(v) for k, v in zip(keys, row, strict=True)}
                 for row in table.rows],
        "totals": ({k: json_value(v) for k, v in zip(keys, table.totals, strict=True)}
                   if table.totals is not None else None),
    }


def report_json(report: Report) -> dict:
    return {
        "report": report.slug,
        "title": report.title,
        "filters": [{"label": label, "value": value} for label, value in report.filters],
        "tables": [_table_json(t) for t in report.tables],
        "checks": [{"label": label, "ok": ok} for label, ok in report.checks],
        "notes": report.notes,
    }
