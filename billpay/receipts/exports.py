"""The control register as files: CSV (UTF-8 with BOM, opens in Thai Excel), XLSX
(Thai headers, number formats, frozen header row) and PDF (shaped Thai, numbered
pages, who printed it and when)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from billpay.documents.receipt_pdf import RegisterDocument, RegisterRow, render_register_pdf
from billpay.money import format_amount
from billpay.receipts.documents import SERIES_LABELS_TH, STATUS_LABELS_TH
from billpay.receipts.queries import Register, RegisterEntry
from billpay.thaidate import BE_OFFSET, thai_date, thai_datetime, to_bangkok

HEADERS = ("ชุดใบเสร็จ", "ปีงบประมาณ", "เล่มที่", "เลขที่", "วันที่ (พ.ศ.)", "วันเวลาที่ชำระ",
           "ผู้ชำระเงิน", "Ref.1", "จำนวนเงิน (บาท)", "สถานะ", "เหตุผลการยกเลิก", "ผู้ขอยกเลิก",
           "ผู้อนุมัติ", "ใบเสร็จที่ออกแทน", "ออกแทนใบเสร็จ", "หมายเหตุ")


def _status(entry: RegisterEntry) -> str:
    if entry.status == "gap":
        return "ขาดหาย"
    label = STATUS_LABELS_TH.get(entry.status, entry.status)
    return f"{label} (ซ้ำ)" if entry.duplicate else label


def _be_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = to_bangkok(moment)
    return f"{local.day:02d}/{local.month:02d}/{local.year + BE_OFFSET}"


def _values(entry: RegisterEntry, fiscal_year: int) -> list:
    return [SERIES_LABELS_TH.get(entry.series, entry.series), fiscal_year, entry.book,
            entry.number, _be_date(entry.issued_at),
            to_bangkok(entry.issued_at).replace(tzinfo=None) if entry.issued_at else None,
            entry.payer_name, entry.ref1, entry.amount, _status(entry),
            entry.cancel_reason or "", entry.requested_by or "", entry.approved_by or "",
            entry.replacement or "", entry.replaces or "", entry.note]


def register_filename(register: Register, ext: str) -> str:
    return f"receipt-register-{register.office.code}-{register.fiscal_year}.{ext}"


def register_csv(register: Register) -> str:
    """The register as CSV text, starting with a BOM so that Excel reads it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for entry in register.entries:
        row = _values(entry, register.fiscal_year)
        row[5] = row[5].strftime("%Y-%m-%d %H:%M:%S") if row[5] else ""
        row[8] = f"{row[8]:.2f}" if row[8] is not None else ""
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


def register_xlsx(register: Register, *, printed_by: str, printed_at: datetime) -> bytes:
    """The register as an Excel workbook: the numbers on one sheet (header row frozen,
    filters on, amounts as numbers with two decimals), the check on a second."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "ทะเบียนคุมใบเสร็จ"
    sheet.append(HEADERS)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E8EDF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    red = PatternFill("solid", fgColor="FDECEB")
    amber = PatternFill("solid", fgColor="FFF6E0")
    for entry in register.entries:
        sheet.append(_values(entry, register.fiscal_year))
        row = sheet.max_row
        sheet.cell(row, 6).number_format = "yyyy-mm-dd hh:mm"
        sheet.cell(row, 9).number_format = "#,##0.00"
        sheet.cell(row, 4).number_format = "0"
        if entry.flag in ("gap", "duplicate"):
            for cell in sheet[row]:
                cell.fill = red
        elif entry.flag == "cancelled":
            for cell in sheet[row]:
                cell.fill = amber
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(sheet.max_row, 1)}"
    widths = (14, 11, 8, 9, 13, 18, 30, 18, 15, 10, 30, 22, 22, 20, 20, 50)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    summary = book.create_sheet("ผลการตรวจ")
    rows = [("หน่วยงาน", f"{register.office.display_name} ({register.office.code})"),
            ("ปีงบประมาณ", register.fiscal_year),
            *_summary(register),
            ("ผลการตรวจ", register.check_text),
            ("พิมพ์โดย", printed_by),
            ("พิมพ์เมื่อ", thai_datetime(printed_at))]
    for label, value in rows:
        summary.append([label, value])
        summary.cell(summary.max_row, 1).font = bold
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(register: Register) -> list[tuple[str, object]]:
    check = register.check
    span = f"{check.first:,}–{check.last:,}" if check.first is not None else "-"
    return [("ใบเสร็จอิเล็กทรอนิกส์ (เลข)", check.issued), ("ช่วงเลขที่", span),
            ("ใช้ได้ (ทุกชุด)", register.valid_count),
            ("ยอดเงินที่ใช้ได้ (บาท)", format_amount(register.valid_amount)),
            ("ยกเลิก (ทุกชุด)", register.cancelled_count),
            ("ใบเสร็จกระดาษ", register.paper_count),
            ("เลขขาด", len(check.gaps)), ("เลขซ้ำ", len(check.duplicates))]


def register_document(register: Register, *, agency_name: str, printed_by: str,
                      printed_at: datetime) -> RegisterDocument:
    rows = tuple(RegisterRow(
        series=SERIES_LABELS_TH.get(e.series, e.series), book=e.book, number=f"{e.number:,}",
        date_text=thai_date(e.issued_at, short=True) if e.issued_at else "",
        payer_name=e.payer_name, ref1=e.ref1,
        amount_text=format_amount(e.amount) if e.amount is not None else "",
        status=_status(e), note=e.note, flag=e.flag) for e in register.entries)
    summary = tuple((label, f"{value:,}" if isinstance(value, int) else str(value))
                    for label, value in _summary(register))
    return RegisterDocument(
        agency_name=agency_name, office_name=register.office.display_name,
        office_code=register.office.code, fiscal_year=str(register.fiscal_year), rows=rows,
        summary=summary, check_ok=register.check.ok, check_text=register.check_text,
        printed_by=printed_by, printed_text=thai_datetime(printed_at))


def register_pdf(register: Register, *, agency_name: str, printed_by: str,
                 printed_at: datetime) -> bytes:
    return render_register_pdf(register_document(register, agency_name=agency_name,
                                                 printed_by=printed_by, printed_at=printed_at))
