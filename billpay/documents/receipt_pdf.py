"""The receipt (ใบเสร็จรับเงิน) and its control register (ทะเบียนคุมใบเสร็จรับเงิน) as PDFs.

The receipt is one A5 portrait sheet, laid out as the agency's approved form:
agency and office, the book and number (เล่มที่ / เลขที่) boxed at the top right,
the title, fiscal year and date (Buddhist era, the day the payer paid), who paid,
the items with the total in figures and in Thai words, how it was paid, the
issuer's name and position, and a QR code that opens the public verification page.

The first print is the original (ต้นฉบับ). Every later print is a copy and says
so twice: a boxed สำเนา (COPY) tag with "พิมพ์ครั้งที่ N" beside the title and a
large light diagonal สำเนา / COPY across the sheet. A cancelled receipt carries
ยกเลิก (CANCELLED) the same way, with the date and the reason.

The register is A4 landscape: every number of one office and fiscal year, both
series (electronic, and paper books used during outages), with its status, the
check for gaps and duplicates, page numbers and who printed it when.

Pure functions from text to bytes, like :mod:`billpay.documents.bill_pdf`; all text
goes through :func:`fonts.draw_text` (shaped Thai), the QR is drawn as vectors.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from billpay.documents import codes_drawing, fonts
from billpay.documents.fonts import draw_text, text_width, wrap_text

INK = (0.10, 0.10, 0.12)
MUTED = (0.36, 0.38, 0.42)
ACCENT = (0.09, 0.20, 0.42)           # dark navy, as on the bill
TINT = (0.91, 0.93, 0.97)
RULE = (0.62, 0.65, 0.70)
RED = (0.70, 0.12, 0.10)
RED_TINT = (0.99, 0.92, 0.92)
AMBER_TINT = (1.0, 0.96, 0.86)


@dataclass(frozen=True)
class ReceiptLine:
    """One item received for (a fee type, from the bill)."""

    description: str
    quantity: int
    amount_text: str              # "1,234.50"


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything printed on a receipt, already formatted as text."""

    agency_name: str              # "กรมการปกครอง"
    office_name: str              # "ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"
    office_code: str
    book: str                     # เล่มที่
    number: str                   # เลขที่
    fiscal_year: str              # "2570"
    date_text: str                # "22 พฤศจิกายน 2569" (the day the payer paid, Bangkok)
    payer_name: str
    bill_ref1: str | None
    lines: tuple[ReceiptLine, ...]
    total_text: str
    total_in_words: str
    payment_method: str           # "ชำระผ่านธนาคาร" / "เงินสด ณ ที่ทำการ" / "โอนเงิน …"
    payment_details: tuple[tuple[str, str], ...]  # (label, value): bank, channel, ref, time
    issuer_name: str
    issuer_position: str
    verification_url: str
    copy_no: int = 0              # 0 = the original; 1 = the first copy (second print) …
    printed_text: str = ""        # "23 พฤศจิกายน 2569 เวลา 09:12 น."
    printed_by: str = ""
    system_issued: bool = False   # issued by the import job: no hand signature
    replaces_text: str | None = None   # "ออกแทนใบเสร็จเล่มที่ 1 เลขที่ 7 ซึ่งยกเลิกแล้ว"
    cancelled: bool = False
    cancelled_text: str = ""      # date of the cancellation
    cancel_reason: str = ""
    revenue_type_label: str = ""  # "รายได้แผ่นดิน"
    trial: bool = False           # a trial-period receipt: ทดลอง / TRIAL, not a real receipt

    @property
    def is_copy(self) -> bool:
        return self.copy_no > 0

    @property
    def print_number(self) -> int:
        """พิมพ์ครั้งที่ N: the original is the first print."""
        return self.copy_no + 1


# --- shared drawing helpers ---------------------------------------------------------------

def _text(canvas: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False,
          align: str = "left", color: tuple[float, float, float] = INK,
          max_width: float | None = None) -> float:
    """One line of shaped text; with ``max_width`` shrunk to fit (down to 6.5 pt), then cut
    short with "…"."""
    return fonts.draw_fitted_text(canvas, x, y, text, size, max_width=max_width,
                                  smallest=6.5, bold=bold, align=align, color=color)


def _line(canvas: Canvas, x1: float, y1: float, x2: float, y2: float, *,
          color: tuple[float, float, float] = RULE, width: float = 0.6,
          dash: tuple[float, float] | None = None) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(*color)
    canvas.setLineWidth(width)
    if dash:
        canvas.setDash(*dash)
    canvas.line(x1, y1, x2, y2)
    canvas.restoreState()


def _box(canvas: Canvas, x: float, y: float, w: float, h: float, *,
         stroke: tuple[float, float, float] | None = RULE, fill: tuple[float, float, float] | None = None,
         width: float = 0.6, radius: float = 0.0) -> None:
    canvas.saveState()
    if stroke:
        canvas.setStrokeColorRGB(*stroke)
        canvas.setLineWidth(width)
    if fill:
        canvas.setFillColorRGB(*fill)
    if radius:
        canvas.roundRect(x, y, w, h, radius, stroke=1 if stroke else 0, fill=1 if fill else 0)
    else:
        canvas.rect(x, y, w, h, stroke=1 if stroke else 0, fill=1 if fill else 0)
    canvas.restoreState()


def _diagonal(canvas: Canvas, page_w: float, page_h: float, text: str,
              rgb: tuple[float, float, float], alpha: float) -> None:
    """Large, light, diagonal text across the page (under nothing: drawn last, translucent,
    so that it also shows over the QR's white quiet zone without hiding its modules)."""
    angle = math.degrees(math.atan2(page_h, page_w))
    room = math.hypot(page_w, page_h) * 0.70
    size = min(96.0, room / max(text_width(text, 1, bold=True), 1e-6))
    canvas.saveState()
    canvas.translate(page_w / 2, page_h / 2)
    canvas.rotate(angle)
    canvas.setFillColorRGB(*rgb, alpha=alpha)
    draw_text(canvas, 0, -size * 0.35, text, size=size, bold=True, align="centre")
    canvas.restoreState()


# --- the receipt --------------------------------------------------------------------------

PAGE_W, PAGE_H = A5
MARGIN = 26.0
LEFT = MARGIN
RIGHT = PAGE_W - MARGIN
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 24.0
BOTTOM = 22.0
QR_SIZE = 24 * mm

_ITEM_SIZE = 9.5
_ITEM_LEADING = 12.0
_ITEM_PAD = 3.0
_HEAD_H = 16.0
_TOTAL_H = 17.0
_WORDS_H = 17.0
# items table columns: (heading, width); the description takes what is left
_COLS = (("ลำดับ", 30.0), ("รายการ", 0.0), ("จำนวน", 38.0), ("จำนวนเงิน (บาท)", 82.0))


def render_receipt_pdf(doc: ReceiptDocument) -> bytes:
    """Render ``doc`` as a PDF (A5 portrait, continuation pages for long item lists)."""
    fonts.register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A5, invariant=1, pageCompression=1, lang="th-TH")
    kind = "สำเนา" if doc.is_copy else "ต้นฉบับ"
    if doc.trial:
        kind += " ทดลอง"
    canvas.setTitle(f"ใบเสร็จรับเงิน เล่มที่ {doc.book} เลขที่ {doc.number} ({kind})")
    canvas.setAuthor(f"{doc.agency_name} {doc.office_name}")
    canvas.setSubject(f"Receipt {doc.office_code} FY{doc.fiscal_year} {doc.book}/{doc.number} "
                      f"{doc.total_text}")
    canvas.setCreator("billpay")

    numbered = list(enumerate(doc.lines, start=1))
    rest = _first_page(canvas, doc, numbered)
    pages = 1
    _marks(canvas, doc)
    while rest:
        canvas.showPage()
        pages += 1
        rest = _continuation(canvas, doc, rest, pages)
        _marks(canvas, doc)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _marks(canvas: Canvas, doc: ReceiptDocument) -> None:
    if doc.trial:
        _diagonal(canvas, PAGE_W, PAGE_H, "ทดลอง / TRIAL", (0.80, 0.27, 0.27), 0.18)
        if doc.cancelled or doc.is_copy:  # the tags under the title still say which
            return
    if doc.cancelled:
        _diagonal(canvas, PAGE_W, PAGE_H, "ยกเลิก / CANCELLED", (0.80, 0.15, 0.12), 0.20)
    elif doc.is_copy:
        _diagonal(canvas, PAGE_W, PAGE_H, "สำเนา / COPY", (0.55, 0.58, 0.64), 0.20)


def _header(canvas: Canvas, doc: ReceiptDocument) -> float:
    """Agency and office at the left, book and number boxed at the right; returns y below."""
    box_w, box_h = 112.0, 40.0
    _box(canvas, RIGHT - box_w, TOP - box_h, box_w, box_h, stroke=ACCENT, width=0.9, radius=3)
    _line(canvas, RIGHT - box_w, TOP - box_h / 2, RIGHT, TOP - box_h / 2, color=ACCENT,
          width=0.5)
    for row, (label, value) in enumerate((("เล่มที่", doc.book), ("เลขที่", doc.number))):
        y = TOP - 14 - row * box_h / 2
        _text(canvas, RIGHT - box_w + 8, y, label, 9, color=MUTED)
        _text(canvas, RIGHT - 8, y, value, 12, bold=True, align="right", max_width=box_w - 50)

    room = WIDTH - box_w - 12
    _text(canvas, LEFT, TOP - 12, doc.agency_name, 13.5, bold=True, color=ACCENT,
          max_width=room)
    office = wrap_text(doc.office_name, room, size=10)
    y = TOP - 26
    for line in office[:2]:
        _text(canvas, LEFT, y, line, 10, max_width=room)
        y -= 12
    _text(canvas, LEFT, y, f"รหัสหน่วยงาน {doc.office_code}", 8.5, color=MUTED)
    return min(y - 6, TOP - box_h - 4)


def _title(canvas: Canvas, doc: ReceiptDocument, top: float) -> float:
    y = top - 22
    _text(canvas, PAGE_W / 2, y, "ใบเสร็จรับเงิน", 20, bold=True, align="centre", color=ACCENT)
    # original / copy tag under the title, and a red CANCELLED tag beside it
    if doc.is_copy:
        tags = [(f"สำเนา (COPY)  ·  พิมพ์ครั้งที่ {doc.print_number}", RED, RED_TINT)]
    else:
        tags = [("ต้นฉบับ (ORIGINAL)", ACCENT, TINT)]
    if doc.cancelled:
        tags.append(("ยกเลิก (CANCELLED)", RED, RED_TINT))
    if doc.trial:
        tags.append(("ทดลอง (TRIAL)", RED, AMBER_TINT))
    widths = [text_width(label, 10, bold=True) + 18 for label, _, _ in tags]
    x = PAGE_W / 2 - (sum(widths) + 8 * (len(tags) - 1)) / 2
    for (label, color, fill), w in zip(tags, widths, strict=True):
        _box(canvas, x, y - 21, w, 15, stroke=color, fill=fill, width=0.9, radius=3)
        _text(canvas, x + w / 2, y - 17, label, 10, bold=True, align="centre", color=color)
        x += w + 8
    y -= 38
    _text(canvas, LEFT, y, "ปีงบประมาณ", 9.5, color=MUTED)
    _text(canvas, LEFT + text_width("ปีงบประมาณ", 9.5) + 5, y, doc.fiscal_year, 11, bold=True)
    date_w = text_width(doc.date_text, 11, bold=True)
    _text(canvas, RIGHT, y, doc.date_text, 11, bold=True, align="right")
    _text(canvas, RIGHT - date_w - 5, y, "วันที่", 9.5, color=MUTED, align="right")
    if doc.revenue_type_label:
        _text(canvas, PAGE_W / 2, y, f"ประเภทเงิน: {doc.revenue_type_label}", 9, color=MUTED,
              align="centre")
    y -= 7
    _line(canvas, LEFT, y, RIGHT, y, color=ACCENT, width=1.0)
    return y


def _payer(canvas: Canvas, doc: ReceiptDocument, top: float) -> float:
    y = top - 16
    label = "ได้รับเงินจาก"
    _text(canvas, LEFT, y, label, 9.5, color=MUTED)
    x = LEFT + 74
    name = wrap_text(doc.payer_name, RIGHT - x, size=11.5, bold=True)
    for line in name[:2]:
        _text(canvas, x, y, line, 11.5, bold=True, max_width=RIGHT - x)
        y -= 14
    if doc.bill_ref1:
        _text(canvas, LEFT, y, "ตามใบแจ้ง Ref.1", 9.5, color=MUTED)
        _text(canvas, x, y, doc.bill_ref1, 10.5)
        y -= 14
    if doc.replaces_text:
        _text(canvas, LEFT, y, doc.replaces_text, 9, bold=True, color=RED, max_width=WIDTH)
        y -= 13
    return y + 4


def _edges() -> list[float]:
    fixed = sum(width for _, width in _COLS)
    edges = [LEFT]
    for _, width in _COLS:
        edges.append(edges[-1] + (width or WIDTH - fixed))
    return edges


def _items(canvas: Canvas, doc: ReceiptDocument, items: Sequence[tuple[int, ReceiptLine]], *,
           top: float, bottom: float, with_totals: bool) -> tuple[list, float]:
    """Draw items between ``top`` and ``bottom``; returns the items left over and the y
    where the table ends."""
    edges = _edges()
    desc_w = edges[2] - edges[1] - 2 * _ITEM_PAD
    totals_h = _TOTAL_H + _WORDS_H if with_totals else 0.0
    more_h = 15.0
    laid: list[tuple[int, ReceiptLine, list[str], float]] = []
    y = top - _HEAD_H
    for position, (number, line) in enumerate(items):
        wrapped = wrap_text(line.description, desc_w, size=_ITEM_SIZE)
        height = len(wrapped) * _ITEM_LEADING + 2 * _ITEM_PAD
        last = position == len(items) - 1
        if y - height - totals_h - (0 if last else more_h) < bottom and laid:
            break
        laid.append((number, line, wrapped, height))
        y -= height
    rest = list(items[len(laid):])

    _box(canvas, LEFT, top - _HEAD_H, WIDTH, _HEAD_H, stroke=None, fill=TINT)
    for i, (heading, _) in enumerate(_COLS):
        _text(canvas, (edges[i] + edges[i + 1]) / 2, top - 11, heading, 9, bold=True,
              align="centre", color=ACCENT, max_width=edges[i + 1] - edges[i] - 4)
    y = top - _HEAD_H
    for number, line, wrapped, height in laid:
        base = y - _ITEM_PAD - _ITEM_SIZE + 1
        _text(canvas, (edges[0] + edges[1]) / 2, base, str(number), _ITEM_SIZE, align="centre")
        for k, text in enumerate(wrapped):
            _text(canvas, edges[1] + _ITEM_PAD, base - k * _ITEM_LEADING, text, _ITEM_SIZE)
        _text(canvas, (edges[2] + edges[3]) / 2, base, f"{line.quantity:,}", _ITEM_SIZE,
              align="centre")
        _text(canvas, edges[4] - _ITEM_PAD - 2, base, line.amount_text, _ITEM_SIZE,
              align="right")
        y -= height
        _line(canvas, LEFT, y, RIGHT, y, width=0.35)
    if with_totals and not rest:
        # blank ruled rows down to the space left, as on the printed form (at most 8 rows)
        blank = _ITEM_LEADING + 2 * _ITEM_PAD
        for _ in range(max(0, 8 - len(laid))):
            if y - blank - totals_h < bottom:
                break
            y -= blank
            _line(canvas, LEFT, y, RIGHT, y, width=0.35)
    if rest:
        _text(canvas, edges[1] + _ITEM_PAD, y - 11,
              f"รายการที่ {rest[0][0]}–{rest[-1][0]} อยู่ในแผ่นต่อ (รวม {len(doc.lines)} รายการ)",
              9, color=MUTED, max_width=edges[3] - edges[1] - 6)
        y -= more_h
    rows_bottom = y
    if with_totals:
        _box(canvas, edges[2], y - _TOTAL_H, RIGHT - edges[2], _TOTAL_H, stroke=None, fill=TINT)
        base = y - _TOTAL_H + 5
        _text(canvas, edges[2] - 6, base, "รวมเงิน", 10.5, bold=True, align="right",
              color=ACCENT)
        _text(canvas, edges[4] - _ITEM_PAD - 2, base, doc.total_text, 11.5, bold=True,
              align="right")
        y -= _TOTAL_H
        _line(canvas, LEFT, y, RIGHT, y, width=0.5)
        words = f"({doc.total_in_words})"
        _text(canvas, LEFT + 8, y - _WORDS_H + 5, "จำนวนเงินตัวอักษร", 9, color=MUTED)
        _text(canvas, RIGHT - 8, y - _WORDS_H + 5, words, 10.5, bold=True, align="right",
              max_width=WIDTH - 100)
        y -= _WORDS_H
    canvas.saveState()
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(LEFT, y, WIDTH, top - y, stroke=1, fill=0)
    for i, edge in enumerate(edges[1:-1], start=1):
        canvas.line(edge, top, edge, rows_bottom if i < 3 else rows_bottom - (
            _TOTAL_H if with_totals else 0))
    canvas.line(LEFT, top - _HEAD_H, RIGHT, top - _HEAD_H)
    canvas.restoreState()
    return rest, y


def _payment(canvas: Canvas, doc: ReceiptDocument, top: float) -> float:
    details = list(doc.payment_details)
    rows = (len(details) + 1) // 2
    height = 20 + rows * 12.5 + 4
    _box(canvas, LEFT, top - height, WIDTH, height, radius=3)
    _text(canvas, LEFT + 8, top - 13, "การชำระเงิน", 9.5, bold=True, color=ACCENT)
    _text(canvas, LEFT + 70, top - 13, doc.payment_method, 10, bold=True,
          max_width=WIDTH - 78)
    col_w = (WIDTH - 16) / 2
    for index, (label, value) in enumerate(details):
        x = LEFT + 8 + (index % 2) * col_w
        y = top - 27 - (index // 2) * 12.5
        _text(canvas, x, y, label, 8.5, color=MUTED)
        lw = text_width(label, 8.5) + 5
        _text(canvas, x + lw, y, value, 9.5, max_width=col_w - lw - 6)
    return top - height


def _cancelled_box(canvas: Canvas, doc: ReceiptDocument, top: float) -> float:
    reason = wrap_text(f"เหตุผล: {doc.cancel_reason}", WIDTH - 16, size=9.5)[:2]
    height = 18 + len(reason) * 12 + 2
    _box(canvas, LEFT, top - height, WIDTH, height, stroke=RED, fill=RED_TINT, width=0.9,
         radius=3)
    _text(canvas, LEFT + 8, top - 13,
          f"ใบเสร็จฉบับนี้ถูกยกเลิกแล้ว (CANCELLED) เมื่อ {doc.cancelled_text}", 10, bold=True,
          color=RED, max_width=WIDTH - 16)
    y = top - 26
    for line in reason:
        _text(canvas, LEFT + 8, y, line, 9.5, color=RED, max_width=WIDTH - 16)
        y -= 12
    return top - height


def _sign_and_verify(canvas: Canvas, doc: ReceiptDocument) -> float:
    """Anchored to the foot of the sheet: the QR (verification) with its caption at the
    left, the issuer's acknowledgement and signature block at the right. Returns its top."""
    url_y = BOTTOM + 20
    label = "ตรวจสอบใบเสร็จได้ที่ "
    _text(canvas, LEFT, url_y, label, 8, color=MUTED)
    _text(canvas, LEFT + text_width(label, 8), url_y, doc.verification_url, 8, color=ACCENT,
          max_width=WIDTH - text_width(label, 8))

    qr_x = LEFT + 4
    qr_y = url_y + 14
    codes_drawing.draw_qr(canvas, qr_x, qr_y, doc.verification_url, QR_SIZE)
    top = qr_y + QR_SIZE + 4
    text_x = qr_x + QR_SIZE + 9
    caption = ("สแกน QR Code", "เพื่อตรวจสอบสถานะ", "ของใบเสร็จนี้", "(ใช้ได้ / ยกเลิก)")
    _text(canvas, text_x, top - 16, "ตรวจสอบความถูกต้อง", 9, bold=True, color=ACCENT)
    for k, line in enumerate(caption):
        _text(canvas, text_x, top - 29 - k * 10.5, line, 8.5, color=MUTED)

    sig_x = LEFT + WIDTH * 0.55
    sig_w = RIGHT - sig_x
    centre = sig_x + sig_w / 2
    y = top - 12
    _text(canvas, centre, y, "ได้รับเงินไว้เป็นการถูกต้องแล้ว", 9.5, align="centre")
    y -= 26
    if doc.system_issued:
        _text(canvas, centre, y + 6, doc.issuer_name or "-", 10, bold=True, align="centre",
              max_width=sig_w)
        _text(canvas, centre, y - 8, "ใบเสร็จรับเงินอิเล็กทรอนิกส์ออกโดยระบบ", 8.5, color=MUTED,
              align="centre", max_width=sig_w)
        _text(canvas, centre, y - 19, "ไม่ต้องลงลายมือชื่อ", 8.5, color=MUTED, align="centre")
        return top
    _text(canvas, sig_x, y, "ลงชื่อ", 9.5)
    _line(canvas, sig_x + 26, y - 2, RIGHT - 40, y - 2, color=MUTED, width=0.6, dash=(1, 2))
    _text(canvas, RIGHT, y, "ผู้รับเงิน", 9.5, align="right")
    y -= 15
    _text(canvas, centre, y, f"({doc.issuer_name or '-'})", 10, bold=True, align="centre",
          max_width=sig_w)
    if doc.issuer_position:
        _text(canvas, centre, y - 12.5, f"ตำแหน่ง {doc.issuer_position}", 9, align="centre",
              max_width=sig_w)
    return top


def _footer(canvas: Canvas, doc: ReceiptDocument, page: int | None = None) -> None:
    _line(canvas, LEFT, BOTTOM + 9, RIGHT, BOTTOM + 9, width=0.4)
    left = f"พิมพ์ครั้งที่ {doc.print_number}"
    left = f"สำเนา (COPY) · {left}" if doc.is_copy else f"ต้นฉบับ · {left}"
    if doc.printed_text:
        left += f" · พิมพ์เมื่อ {doc.printed_text}"
    if doc.printed_by:
        left += f" โดย {doc.printed_by}"
    right = "billpay" if page is None else f"แผ่นที่ {page}"
    _text(canvas, LEFT, BOTTOM, left, 7.5, color=MUTED, max_width=WIDTH - 60)
    _text(canvas, RIGHT, BOTTOM, right, 7.5, color=MUTED, align="right")


def _first_page(canvas: Canvas, doc: ReceiptDocument,
                items: list[tuple[int, ReceiptLine]]) -> list[tuple[int, ReceiptLine]]:
    y = _header(canvas, doc)
    y = _title(canvas, doc, y)
    y = _payer(canvas, doc, y)
    cancel_h = 44.0 if doc.cancelled else 0.0
    pay_h = 24 + ((len(doc.payment_details) + 1) // 2) * 12.5
    block_top = _sign_and_verify(canvas, doc)
    bottom = block_top + 10 + pay_h + cancel_h
    rest, y = _items(canvas, doc, items, top=y - 4, bottom=bottom, with_totals=True)
    y = _payment(canvas, doc, y - 8)
    if doc.cancelled:
        y = _cancelled_box(canvas, doc, y - 6)
    _footer(canvas, doc, 1 if rest else None)
    return rest


def _continuation(canvas: Canvas, doc: ReceiptDocument, items: list[tuple[int, ReceiptLine]],
                  page: int) -> list[tuple[int, ReceiptLine]]:
    y = _header(canvas, doc)
    _text(canvas, PAGE_W / 2, y - 18, "ใบเสร็จรับเงิน (แผ่นต่อ)", 15, bold=True, align="centre",
          color=ACCENT)
    _text(canvas, PAGE_W / 2, y - 32,
          f"ปีงบประมาณ {doc.fiscal_year} · วันที่ {doc.date_text} · {doc.payer_name}", 9.5,
          align="centre", color=MUTED, max_width=WIDTH)
    rest, end = _items(canvas, doc, items, top=y - 42, bottom=BOTTOM + 34, with_totals=False)
    if not rest:
        _text(canvas, RIGHT, end - 14, f"รวมเงินทั้งสิ้น {doc.total_text} บาท", 10.5, bold=True,
              align="right")
        _text(canvas, RIGHT, end - 27, f"({doc.total_in_words})", 9.5, align="right",
              max_width=WIDTH)
    _footer(canvas, doc, page)
    return rest


# --- the control register -----------------------------------------------------------------

@dataclass(frozen=True)
class RegisterRow:
    """One line of the register: a number and what became of it."""

    series: str                   # "อิเล็กทรอนิกส์" / "กระดาษ"
    book: str
    number: str
    date_text: str                # "22 พ.ย. 69" or "" for a gap
    payer_name: str
    ref1: str
    amount_text: str
    status: str                   # "ใช้ได้" / "ยกเลิก" / "ขาดหาย" / "ซ้ำ"
    note: str = ""                # reason, requester, approver, replacement …
    flag: str = ""                # "" | "cancelled" | "gap" | "duplicate"


@dataclass(frozen=True)
class RegisterDocument:
    agency_name: str
    office_name: str
    office_code: str
    fiscal_year: str
    rows: tuple[RegisterRow, ...]
    summary: tuple[tuple[str, str], ...]  # (label, value) pairs for the header box
    check_ok: bool
    check_text: str                # "ครบถ้วน ไม่มีเลขขาดหรือซ้ำ" / "พบเลขขาด: 4, 9"
    printed_by: str
    printed_text: str
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


REG_W, REG_H = landscape(A4)
REG_LEFT = 28.0
REG_RIGHT = REG_W - 28.0
REG_WIDTH = REG_RIGHT - REG_LEFT
REG_TOP = REG_H - 26.0
REG_BOTTOM = 34.0
_REG_SIZE = 8.5
_REG_LEADING = 10.5
_REG_PAD = 3.0
_REG_HEAD_H = 16.0
# (heading, width, align); the note takes what is left
_REG_COLS = (("ลำดับ", 34.0, "centre"), ("ชุด", 62.0, "left"), ("เล่มที่", 40.0, "centre"),
             ("เลขที่", 46.0, "right"), ("วันที่", 58.0, "left"), ("ผู้ชำระเงิน", 150.0, "left"),
             ("Ref.1", 86.0, "left"), ("จำนวนเงิน (บาท)", 74.0, "right"),
             ("สถานะ", 50.0, "left"), ("หมายเหตุ", 0.0, "left"))


def _reg_edges() -> list[float]:
    fixed = sum(width for _, width, _ in _REG_COLS)
    edges = [REG_LEFT]
    for _, width, _ in _REG_COLS:
        edges.append(edges[-1] + (width or REG_WIDTH - fixed))
    return edges


def _reg_row_height(row: RegisterRow, note_w: float) -> tuple[list[str], float]:
    note = wrap_text(row.note, note_w, size=_REG_SIZE)[:3] if row.note else [""]
    return note, len(note) * _REG_LEADING + 2 * _REG_PAD


def render_register_pdf(doc: RegisterDocument) -> bytes:
    """Render the control register (A4 landscape), every page numbered "หน้า x / n"."""
    fonts.register_fonts()
    edges = _reg_edges()
    note_w = edges[-1] - edges[-2] - 2 * _REG_PAD
    laid = [(row, *_reg_row_height(row, note_w)) for row in doc.rows]

    # paginate first, so that every page can say "หน้า x / n"
    first_top = REG_TOP - 118
    other_top = REG_TOP - 40
    pages: list[list[tuple[int, RegisterRow, list[str], float]]] = [[]]
    y = first_top - _REG_HEAD_H
    for index, (row, note, height) in enumerate(laid, start=1):
        if y - height < REG_BOTTOM + 8 and pages[-1]:
            pages.append([])
            y = other_top - _REG_HEAD_H
        pages[-1].append((index, row, note, height))
        y -= height

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(REG_W, REG_H), invariant=1, pageCompression=1, lang="th-TH")
    canvas.setTitle(f"ทะเบียนคุมใบเสร็จรับเงิน {doc.office_code} ปีงบประมาณ {doc.fiscal_year}")
    canvas.setAuthor(f"{doc.agency_name} {doc.office_name}")
    canvas.setCreator("billpay")
    total = len(pages)
    for number, rows in enumerate(pages, start=1):
        top = _reg_first_header(canvas, doc) if number == 1 else _reg_other_header(canvas, doc)
        _reg_table(canvas, rows, top, edges)
        if number == 1 and not rows:
            _text(canvas, REG_W / 2, top - 40, "ยังไม่มีใบเสร็จในปีงบประมาณนี้", 11,
                  align="centre", color=MUTED)
        _reg_footer(canvas, doc, number, total)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _reg_first_header(canvas: Canvas, doc: RegisterDocument) -> float:
    _text(canvas, REG_W / 2, REG_TOP - 14, "ทะเบียนคุมใบเสร็จรับเงิน", 17, bold=True,
          align="centre", color=ACCENT)
    _text(canvas, REG_W / 2, REG_TOP - 31,
          f"{doc.agency_name}  {doc.office_name} (รหัส {doc.office_code})  ปีงบประมาณ "
          f"{doc.fiscal_year}", 11, align="centre", max_width=REG_WIDTH)
    box_top = REG_TOP - 42
    box_h = 62.0
    fill = TINT if doc.check_ok else RED_TINT
    stroke = ACCENT if doc.check_ok else RED
    _box(canvas, REG_LEFT, box_top - box_h, REG_WIDTH, box_h, stroke=stroke, fill=fill,
         width=0.8, radius=3)
    col_w = REG_WIDTH / 4
    for index, (label, value) in enumerate(doc.summary[:8]):
        x = REG_LEFT + 10 + (index % 4) * col_w
        y = box_top - 15 - (index // 4) * 14
        _text(canvas, x, y, label, 8.5, color=MUTED)
        _text(canvas, x + text_width(label, 8.5) + 5, y, value, 9.5, bold=True,
              max_width=col_w - text_width(label, 8.5) - 16)
    mark = "ผลการตรวจ: " + doc.check_text
    _text(canvas, REG_LEFT + 10, box_top - 50, mark, 10, bold=True,
          color=ACCENT if doc.check_ok else RED, max_width=REG_WIDTH - 20)
    y = box_top - box_h - 4
    for note in doc.extra_notes[:1]:
        _text(canvas, REG_LEFT, y - 8, note, 8, color=MUTED, max_width=REG_WIDTH)
    return REG_TOP - 118


def _reg_other_header(canvas: Canvas, doc: RegisterDocument) -> float:
    _text(canvas, REG_LEFT, REG_TOP - 12, "ทะเบียนคุมใบเสร็จรับเงิน (ต่อ)", 12, bold=True,
          color=ACCENT)
    _text(canvas, REG_RIGHT, REG_TOP - 12,
          f"{doc.office_name} (รหัส {doc.office_code}) · ปีงบประมาณ {doc.fiscal_year}", 9.5,
          align="right", color=MUTED, max_width=REG_WIDTH / 2)
    return REG_TOP - 40


def _reg_table(canvas: Canvas, rows, top: float, edges: list[float]) -> None:
    _box(canvas, REG_LEFT, top - _REG_HEAD_H, REG_WIDTH, _REG_HEAD_H, stroke=None, fill=TINT)
    for i, (heading, _, _) in enumerate(_REG_COLS):
        _text(canvas, (edges[i] + edges[i + 1]) / 2, top - 11, heading, 8.5, bold=True,
              align="centre", color=ACCENT, max_width=edges[i + 1] - edges[i] - 4)
    y = top - _REG_HEAD_H
    for index, row, note, height in rows:
        if row.flag in ("gap", "duplicate"):
            _box(canvas, REG_LEFT, y - height, REG_WIDTH, height, stroke=None, fill=RED_TINT)
        elif row.flag == "cancelled":
            _box(canvas, REG_LEFT, y - height, REG_WIDTH, height, stroke=None, fill=AMBER_TINT)
        base = y - _REG_PAD - _REG_SIZE + 1
        values = (str(index), row.series, row.book, row.number, row.date_text, row.payer_name,
                  row.ref1, row.amount_text, row.status)
        for i, value in enumerate(values):
            _, _, align = _REG_COLS[i]
            left, right = edges[i] + _REG_PAD, edges[i + 1] - _REG_PAD
            x = {"left": left, "right": right, "centre": (left + right) / 2}[align]
            bold = i == 8 and row.flag != ""
            color = RED if (i == 8 and row.flag in ("cancelled", "gap", "duplicate")) else INK
            _text(canvas, x, base, value, _REG_SIZE, align=align, bold=bold, color=color,
                  max_width=right - left)
        for k, line in enumerate(note):
            _text(canvas, edges[-2] + _REG_PAD, base - k * _REG_LEADING, line, _REG_SIZE,
                  max_width=edges[-1] - edges[-2] - 2 * _REG_PAD)
        y -= height
        _line(canvas, REG_LEFT, y, REG_RIGHT, y, width=0.3)
    canvas.saveState()
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(REG_LEFT, y, REG_WIDTH, top - y, stroke=1, fill=0)
    for edge in edges[1:-1]:
        canvas.line(edge, top, edge, y)
    canvas.restoreState()


def _reg_footer(canvas: Canvas, doc: RegisterDocument, page: int, total: int) -> None:
    _line(canvas, REG_LEFT, REG_BOTTOM - 6, REG_RIGHT, REG_BOTTOM - 6, width=0.4)
    _text(canvas, REG_LEFT, REG_BOTTOM - 18,
          f"พิมพ์โดย {doc.printed_by} เมื่อ {doc.printed_text}", 8, color=MUTED,
          max_width=REG_WIDTH * 0.7)
    _text(canvas, REG_RIGHT, REG_BOTTOM - 18, f"หน้า {page} / {total}", 8.5, bold=True,
          align="right", color=MUTED)
