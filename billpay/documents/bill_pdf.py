"""The bill-payment form (ใบแจ้งการชำระเงิน) as a PDF.

One A4 portrait sheet in two parts separated by a dashed cut line:

* ส่วนที่ 1 สำหรับผู้ชำระเงิน — the payer keeps it: office header, payer, items,
  total in figures and in Thai words, issue and due dates, how to pay.
* ส่วนที่ 2 สำหรับธนาคาร — the bank keeps it: biller, Biller ID, Ref.1 / Ref.2 in
  digits large enough to key, amount, the Code 128 bill-payment barcode with its
  human-readable line, the Thai QR (tag 30), and spaces for the teller.

Everything is drawn straight on a ReportLab canvas (no platypus) to keep a render
to a few milliseconds; all text goes through :func:`fonts.draw_text`, which shapes
Thai with HarfBuzz. Items that do not fit on the sheet continue on extra pages.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from billpay.documents import codes_drawing, fonts
from billpay.documents.fonts import draw_text, text_width, wrap_text


@dataclass(frozen=True)
class BillLine:
    """One item on a bill (a fee type and its amount)."""

    description: str          # fee type Thai name
    quantity: int
    unit_amount_text: str     # "1,234.50"
    amount_text: str


@dataclass(frozen=True)
class BillDocument:
    """Everything printed on a bill, already formatted as text."""

    agency_name: str          # "กรมการปกครอง"
    office_name: str          # "ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"
    office_code: str
    biller_name: str          # "กรมการปกครอง (รายได้แผ่นดิน)"
    revenue_type_label: str   # "รายได้แผ่นดิน" or "เงินนอกงบประมาณ"
    payer_name: str
    payer_id: str | None      # 13 digits
    payer_address: str | None
    payer_phone: str | None
    lines: tuple[BillLine, ...]
    total_text: str           # "3,649.22"
    total_in_words: str       # "สามพันหกร้อยสี่สิบเก้าบาทยี่สิบสองสตางค์"
    issued_text: str          # "22 พฤศจิกายน 2569 เวลา 14:05 น."
    due_date_text: str        # "22 ธันวาคม 2569"
    biller_id: str            # 15 digits
    ref1: str
    ref2: str
    barcode_data: str         # "|" + biller + "\r" + ref1 + "\r" + ref2 + "\r" + satang
    qr_payload: str           # Thai QR tag-30 payload string
    issued_by: str            # clerk's name
    watermark: str | None = None   # e.g. "ทดลอง / TRIAL", drawn large, diagonal, light


# --- page geometry (points) -------------------------------------------------------------

PAGE_W, PAGE_H = A4
LEFT = 34.0
RIGHT = PAGE_W - 34.0
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 28.0
BOTTOM = 26.0
CUT_Y = 294.0                         # the dashed line between the two parts
HOW_TO_PAY_H = 74.0

QR_SIZE = 33 * mm                     # symbol side, quiet zone outside it
BARCODE_HEIGHT = 12 * mm

INK = (0.10, 0.10, 0.12)
MUTED = (0.36, 0.38, 0.42)
ACCENT = (0.09, 0.20, 0.42)           # dark navy for headings and rules
TINT = (0.91, 0.93, 0.97)             # table header fill
RULE = (0.62, 0.65, 0.70)

# items table columns: (heading, width); the description takes what is left
_COLS = (("ลำดับ", 32.0), ("รายการ", 0.0), ("จำนวน", 42.0),
         ("ราคาต่อหน่วย (บาท)", 86.0), ("จำนวนเงิน (บาท)", 90.0))
_ITEM_SIZE = 10.5
_ITEM_LEADING = 13.0
_ITEM_PAD = 3.5
_HEADER_H = 18.0
_TOTAL_H = 19.0


def render_bill_pdf(doc: BillDocument) -> bytes:
    """Render ``doc`` as a PDF (A4 portrait) and return its bytes."""
    fonts.register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, lang="th-TH")
    canvas.setTitle(f"ใบแจ้งการชำระเงิน Ref.1 {doc.ref1}")
    canvas.setAuthor(f"{doc.agency_name} {doc.office_name}")
    canvas.setSubject(f"Bill payment {doc.biller_id} {doc.ref1} {doc.ref2} {doc.total_text}")
    canvas.setCreator("billpay")

    _watermark(canvas, doc.watermark)
    rest = _payer_part(canvas, doc)
    _cut_line(canvas)
    _bank_part(canvas, doc)
    page = 1
    while rest:
        canvas.showPage()
        page += 1
        _watermark(canvas, doc.watermark)
        rest = _continuation_page(canvas, doc, rest, page)
    canvas.showPage()
    _deflate_pages_faster(canvas)
    canvas.save()
    return out.getvalue()


class _FastFlate(pdfdoc.PDFStreamFilterZCompress):
    """FlateDecode at zlib level 3: the page stream of a bill (shaped text in hex, the QR's
    rectangles) deflates four times faster than at the default level 6, for about 800
    bytes more on a 45 KB file."""

    def encode(self, text):
        return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, 3)


_FAST_FLATE = _FastFlate()


def _deflate_pages_faster(canvas: Canvas) -> None:
    """Give each finished page its content stream, deflated by ``_FAST_FLATE``, before
    ReportLab makes one with its default filter (``PDFPage.check_format``)."""
    for page in canvas._doc.Pages.pages:
        if page.compression and not page.Contents and page.stream:
            stream = pdfdoc.PDFStream(content=page.stream, filters=[_FAST_FLATE])
            stream.__Comment__ = "page stream"
            page.Contents = stream


# --- small drawing helpers --------------------------------------------------------------

def _fill(canvas: Canvas, rgb: tuple[float, float, float]) -> None:
    canvas.setFillColorRGB(*rgb)


def _stroke(canvas: Canvas, rgb: tuple[float, float, float], width: float) -> None:
    canvas.setStrokeColorRGB(*rgb)
    canvas.setLineWidth(width)


_fit = fonts.fit_size


def _text(canvas: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False,
          align: str = "left", color: tuple[float, float, float] = INK,
          max_width: float | None = None) -> float:
    """Draw one line; with ``max_width``, shrink it to fit (down to 7 pt), then cut it short."""
    return fonts.draw_fitted_text(canvas, x, y, text, size, max_width=max_width, bold=bold,
                                  align=align, color=color)


def _text_in_row(canvas: Canvas, x: float, y: float, text: str, size: float, max_width: float,
                 *, bold: bool = False) -> None:
    """One line at ``size`` (or a little smaller) if it fits, else two smaller lines
    centred on the same baseline band, the second cut short if need be."""
    if _fit(text, max_width, size, bold=bold) >= size - 1.5:
        _text(canvas, x, y, text, size, bold=bold, max_width=max_width)
        return
    small = min(size, 8.5)
    lines = wrap_text(text, max_width, size=small, bold=bold)
    second = " ".join(lines[1:])
    _text(canvas, x, y + small * 0.55, lines[0], small, bold=bold, max_width=max_width)
    _text(canvas, x, y - small * 0.5, second, small, bold=bold, max_width=max_width)


def _format_thai_id(value: str | None) -> str:
    if not value:
        return "-"
    if len(value) == 13 and value.isdigit():
        return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"
    return value


def _watermark(canvas: Canvas, text: str | None) -> None:
    """Large, light, diagonal text under everything else on the page."""
    if not text:
        return
    angle = math.degrees(math.atan2(PAGE_H, PAGE_W))
    room = math.hypot(PAGE_W, PAGE_H) * 0.72
    size = min(88.0, room / max(text_width(text, 1, bold=True), 1e-6))
    canvas.saveState()
    canvas.translate(PAGE_W / 2, PAGE_H / 2)
    canvas.rotate(angle)
    canvas.setFillColorRGB(0.80, 0.27, 0.27, alpha=0.16)
    draw_text(canvas, 0, -size * 0.35, text, size=size, bold=True, align="centre")
    canvas.restoreState()


def _tag(canvas: Canvas, x_right: float, y_top: float, title: str, subtitle: str) -> None:
    """A small boxed label in a page corner: which part of the form this is."""
    width = max(text_width(title, 10.5, bold=True), text_width(subtitle, 8.5)) + 16
    canvas.saveState()
    _stroke(canvas, ACCENT, 0.8)
    _fill(canvas, TINT)
    canvas.roundRect(x_right - width, y_top - 30, width, 30, 4, stroke=1, fill=1)
    canvas.restoreState()
    _text(canvas, x_right - width / 2, y_top - 13, title, 10.5, bold=True, align="centre",
          color=ACCENT)
    _text(canvas, x_right - width / 2, y_top - 25, subtitle, 8.5, align="centre", color=MUTED)


def _field(canvas: Canvas, x: float, y: float, label: str, value: str, *, label_width: float,
           value_width: float, size: float = 10.5, bold: bool = False) -> None:
    _text(canvas, x, y, label, 9.5, color=MUTED)
    _text(canvas, x + label_width, y, value, size, bold=bold, max_width=value_width)


# --- part 1: for the payer --------------------------------------------------------------

def _header(canvas: Canvas, doc: BillDocument, *, tag: tuple[str, str]) -> float:
    """Agency and office at the top left, the part tag at the top right; returns the y below."""
    _tag(canvas, RIGHT, TOP, *tag)
    room = WIDTH - 170
    _text(canvas, LEFT, TOP - 13, doc.agency_name, 16, bold=True, color=ACCENT, max_width=room)
    _text(canvas, LEFT, TOP - 29, doc.office_name, 11.5, max_width=room)
    _text(canvas, LEFT, TOP - 42, f"รหัสหน่วยงาน {doc.office_code}", 9, color=MUTED)
    y = TOP - 50
    _stroke(canvas, ACCENT, 1.2)
    canvas.line(LEFT, y, RIGHT, y)
    return y


def _payer_part(canvas: Canvas, doc: BillDocument) -> list[tuple[int, BillLine]]:
    """Draw part 1; return the items that did not fit (numbered) for continuation pages."""
    y = _header(canvas, doc, tag=("ส่วนที่ 1 สำหรับผู้ชำระเงิน", "Payer's copy"))

    _text(canvas, PAGE_W / 2, y - 20, "ใบแจ้งการชำระเงิน (Bill Payment)", 17, bold=True,
          align="centre", color=ACCENT)
    _text(canvas, PAGE_W / 2, y - 32, f"ประเภทเงิน: {doc.revenue_type_label}", 10,
          align="centre", color=MUTED)

    y = _info_box(canvas, doc, y - 37)

    lowest = CUT_Y + 14 + HOW_TO_PAY_H
    numbered = list(enumerate(doc.lines, start=1))
    rest, y = _items_table(canvas, doc, numbered, top=y - 8, bottom=lowest + 8,
                           with_totals=True)
    _how_to_pay(canvas, doc, top=max(lowest, y - 10))
    return rest


def _info_box(canvas: Canvas, doc: BillDocument, top: float) -> float:
    """The payer's name (full width), then the payer's details (left) beside the bill's
    dates and references (right), then the address (full width); returns the box bottom."""
    step = 13.5
    split = 250.0                      # width of the left column
    left_label, right_label = 96.0, 112.0
    wide = WIDTH - 20 - left_label
    name = wrap_text(doc.payer_name, wide, size=11, bold=True)
    if len(name) > 2:
        name = [name[0], " ".join(name[1:])]
    address = wrap_text(doc.payer_address or "-", wide, size=10.5)
    if len(address) > 2:
        address = [address[0], " ".join(address[1:])]
    height = (len(name) + 4 + len(address)) * step + 10
    bottom = top - height

    canvas.saveState()
    _stroke(canvas, RULE, 0.6)
    canvas.roundRect(LEFT, bottom, WIDTH, height, 5, stroke=1, fill=0)
    columns_top = top - len(name) * step - 4
    canvas.line(LEFT + split, columns_top, LEFT + split, columns_top - 4 * step + 2)
    canvas.restoreState()

    x = LEFT + 10
    y = top - 16
    _text(canvas, x, y, "ผู้ชำระเงิน", 9.5, color=MUTED)
    for line in name:
        _text(canvas, x + left_label, y, line, 11, bold=True, max_width=wide)
        y -= step
    rows_y = y

    value_w = split - 20 - left_label
    _field(canvas, x, y, "เลขประจำตัวประชาชน", _format_thai_id(doc.payer_id),
           label_width=left_label, value_width=value_w)
    y -= step
    _field(canvas, x, y, "โทรศัพท์", doc.payer_phone or "-", label_width=left_label,
           value_width=value_w)
    y -= step
    _field(canvas, x, y, "ผู้ออกใบแจ้ง", doc.issued_by, label_width=left_label,
           value_width=value_w)
    y -= step
    y -= step
    _text(canvas, x, y, "ที่อยู่", 9.5, color=MUTED)
    for line in address:
        _text(canvas, x + left_label, y, line, 10.5, max_width=wide)
        y -= step

    x = LEFT + split + 10
    y = rows_y
    value_w = WIDTH - split - 20 - right_label
    _field(canvas, x, y, "วันที่ออกใบแจ้ง", doc.issued_text, label_width=right_label,
           value_width=value_w)
    y -= step
    _text(canvas, x, y, "กรุณาชำระภายในวันที่", 9.5, bold=True, color=ACCENT)
    _text(canvas, x + right_label, y, doc.due_date_text, 11, bold=True, color=ACCENT,
          max_width=value_w)
    y -= step
    _field(canvas, x, y, "เลขที่อ้างอิง 1 (Ref.1)", doc.ref1, label_width=right_label,
           value_width=value_w, bold=True, size=11)
    y -= step
    _field(canvas, x, y, "เลขที่อ้างอิง 2 (Ref.2)", doc.ref2 or "-", label_width=right_label,
           value_width=value_w, bold=True, size=11)
    return bottom


def _column_edges() -> list[float]:
    fixed = sum(width for _, width in _COLS)
    edges = [LEFT]
    for _, width in _COLS:
        edges.append(edges[-1] + (width or WIDTH - fixed))
    return edges


def _items_table(canvas: Canvas, doc: BillDocument, items: Sequence[tuple[int, BillLine]], *,
                 top: float, bottom: float, with_totals: bool,
                 ) -> tuple[list[tuple[int, BillLine]], float]:
    """Draw the items between ``top`` and ``bottom``; return the items left over and the
    y where the table ends."""
    edges = _column_edges()
    desc_width = edges[2] - edges[1] - 2 * _ITEM_PAD - 2
    totals_h = _TOTAL_H if with_totals else 0.0
    more_h = 18.0

    # lay out rows until the space runs out
    laid: list[tuple[int, BillLine, list[str], float]] = []
    y = top - _HEADER_H
    for position, (number, line) in enumerate(items):
        wrapped = wrap_text(line.description, desc_width, size=_ITEM_SIZE)
        height = len(wrapped) * _ITEM_LEADING + 2 * _ITEM_PAD
        last = position == len(items) - 1
        needed = height + totals_h + (0 if last else more_h)
        if y - needed < bottom and laid:
            break
        laid.append((number, line, wrapped, height))
        y -= height
    rest = list(items[len(laid):])

    canvas.saveState()
    # header
    _fill(canvas, TINT)
    canvas.rect(LEFT, top - _HEADER_H, WIDTH, _HEADER_H, stroke=0, fill=1)
    canvas.restoreState()
    for i, (heading, _) in enumerate(_COLS):
        _text(canvas, (edges[i] + edges[i + 1]) / 2, top - 12.5, heading, 10, bold=True,
              align="centre", color=ACCENT, max_width=edges[i + 1] - edges[i] - 4)

    # rows
    y = top - _HEADER_H
    for number, line, wrapped, height in laid:
        baseline = y - _ITEM_PAD - _ITEM_SIZE + 1
        _text(canvas, (edges[0] + edges[1]) / 2, baseline, str(number), _ITEM_SIZE,
              align="centre")
        for k, text in enumerate(wrapped):
            _text(canvas, edges[1] + _ITEM_PAD, baseline - k * _ITEM_LEADING, text, _ITEM_SIZE)
        _text(canvas, (edges[2] + edges[3]) / 2, baseline, f"{line.quantity:,}", _ITEM_SIZE,
              align="centre")
        _text(canvas, edges[4] - _ITEM_PAD - 2, baseline, line.unit_amount_text, _ITEM_SIZE,
              align="right")
        _text(canvas, edges[5] - _ITEM_PAD - 2, baseline, line.amount_text, _ITEM_SIZE,
              align="right")
        y -= height
        canvas.saveState()
        _stroke(canvas, RULE, 0.4)
        canvas.line(LEFT, y, RIGHT, y)
        canvas.restoreState()
    if rest:
        first, last = rest[0][0], rest[-1][0]
        _text(canvas, edges[1] + _ITEM_PAD, y - 13,
              f"รายการที่ {first}–{last} อยู่ในหน้าถัดไป (รวม {len(doc.lines)} รายการ)", 10,
              color=MUTED)
        y -= more_h

    rows_bottom = y
    totals_bottom = rows_bottom - (_TOTAL_H if with_totals else 0)
    if with_totals:
        canvas.saveState()
        _fill(canvas, TINT)
        canvas.rect(edges[3], totals_bottom, RIGHT - edges[3], _TOTAL_H, stroke=0, fill=1)
        canvas.restoreState()
        baseline = y - _TOTAL_H + 5.5
        _text(canvas, (edges[3] + edges[4]) / 2, baseline, "รวมเงินทั้งสิ้น", 11, bold=True,
              align="centre", color=ACCENT)
        _text(canvas, edges[5] - _ITEM_PAD - 2, baseline, doc.total_text, 11.5, bold=True,
              align="right")
        _text(canvas, (edges[0] + edges[3]) / 2, baseline, f"({doc.total_in_words})", 11,
              bold=True, align="centre", max_width=edges[3] - edges[0] - 12)

    # grid lines
    canvas.saveState()
    _stroke(canvas, RULE, 0.6)
    canvas.rect(LEFT, totals_bottom, WIDTH, top - totals_bottom, stroke=1, fill=0)
    for i, edge in enumerate(edges[1:-1], start=1):
        canvas.line(edge, top, edge, rows_bottom if i < 3 else totals_bottom)
    canvas.line(LEFT, top - _HEADER_H, RIGHT, top - _HEADER_H)
    canvas.restoreState()
    return rest, totals_bottom


def _how_to_pay(canvas: Canvas, doc: BillDocument, *, top: float) -> None:
    bottom = top - HOW_TO_PAY_H
    canvas.saveState()
    _stroke(canvas, RULE, 0.6)
    canvas.roundRect(LEFT, bottom, WIDTH, HOW_TO_PAY_H, 5, stroke=1, fill=0)
    canvas.restoreState()
    x = LEFT + 10
    y = top - 15
    _text(canvas, x, y, "วิธีชำระเงิน (How to pay)", 10.5, bold=True, color=ACCENT)
    steps = (
        "ชำระได้ที่ธนาคารทุกแห่งทุกช่องทาง: เคาน์เตอร์ธนาคาร  ATM  อินเทอร์เน็ตแบงก์กิ้ง  "
        "โมบายแบงก์กิ้ง",
        "สแกน QR Code ในส่วนที่ 2 ด้วยแอปพลิเคชันของธนาคาร (Thai QR Payment) "
        "ผู้รับเงินและยอดเงินจะแสดงให้อัตโนมัติ",
        f"หรือระบุรหัสผู้รับชำระ (Biller ID) {doc.biller_id} และเลขที่อ้างอิง 1 และ 2 "
        "ที่เคาน์เตอร์ธนาคารให้ยื่นใบแจ้งนี้ทั้งแผ่น",
    )
    for number, step in enumerate(steps, start=1):
        y -= 12.5
        _text(canvas, x + 4, y, f"{number}.", 10)
        _text(canvas, x + 16, y, step, 10, max_width=WIDTH - 36)
    y -= 14.5
    _text(canvas, x, y, "ใบแจ้งนี้ไม่ใช่ใบเสร็จรับเงิน ส่วนราชการจะออกใบเสร็จรับเงินเมื่อได้รับเงินจากธนาคารแล้ว",
          9.5, bold=True, color=MUTED, max_width=WIDTH - 20)


# --- the cut line -----------------------------------------------------------------------

def _cut_line(canvas: Canvas) -> None:
    label = "ตัดตามรอยประ"
    label_w = text_width(label, 9)
    canvas.saveState()
    _stroke(canvas, MUTED, 0.7)
    canvas.setDash(4, 3)
    mid = PAGE_W / 2
    canvas.line(14, CUT_Y, mid - label_w / 2 - 6, CUT_Y)
    canvas.line(mid + label_w / 2 + 6, CUT_Y, PAGE_W - 14, CUT_Y)
    canvas.restoreState()
    _scissors(canvas, 22, CUT_Y)
    _text(canvas, mid, CUT_Y - 3, label, 9, align="centre", color=MUTED)


def _scissors(canvas: Canvas, x: float, y: float) -> None:
    """A small vector scissors mark (Sarabun has no ✂ glyph), blades pointing right."""
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x - 9, y - 8, 24, 16, stroke=0, fill=1)
    _stroke(canvas, MUTED, 0.9)
    canvas.circle(x - 4, y + 3.6, 2.6, stroke=1, fill=0)
    canvas.circle(x - 4, y - 3.6, 2.6, stroke=1, fill=0)
    canvas.line(x - 1.8, y + 2.2, x + 12, y - 2.4)
    canvas.line(x - 1.8, y - 2.2, x + 12, y + 2.4)
    canvas.restoreState()


# --- part 2: for the bank ---------------------------------------------------------------

def _bank_part(canvas: Canvas, doc: BillDocument) -> None:
    top = CUT_Y - 14
    _tag(canvas, RIGHT, top, "ส่วนที่ 2 สำหรับธนาคาร", "Bank's copy")
    room = WIDTH - 170
    _text(canvas, LEFT, top - 12, "ใบนำฝากชำระเงินค่าสินค้าหรือบริการ (Bill Payment Pay-in Slip)",
          12.5, bold=True, color=ACCENT, max_width=room)
    _text(canvas, LEFT, top - 25, f"{doc.agency_name}  {doc.office_name}", 9.5, color=MUTED,
          max_width=room)

    # fee notice, boxed, and the due date
    notice = "โปรดเรียกเก็บค่าธรรมเนียมจากผู้ชำระเงิน"
    notice_y = top - 42
    notice_w = text_width(notice, 10.5, bold=True) + 14
    canvas.saveState()
    _stroke(canvas, INK, 0.9)
    canvas.rect(LEFT, notice_y - 5, notice_w, 17, stroke=1, fill=0)
    canvas.restoreState()
    _text(canvas, LEFT + 7, notice_y, notice, 10.5, bold=True)
    _text(canvas, LEFT + notice_w + 10, notice_y, f"กรุณาชำระภายในวันที่ {doc.due_date_text}",
          10.5, bold=True, color=ACCENT, max_width=WIDTH - notice_w - 10 - 140)

    # QR at the right; its quiet zone lies inside the reserved column
    qr_column = QR_SIZE + 26
    qr_x = RIGHT - qr_column + 13
    qr_top = top - 44
    codes_drawing.draw_qr(canvas, qr_x, qr_top - QR_SIZE, doc.qr_payload, QR_SIZE)
    _text(canvas, qr_x + QR_SIZE / 2, qr_top - QR_SIZE - 15, "Thai QR Payment", 9.5, bold=True,
          align="centre", color=ACCENT)
    _text(canvas, qr_x + QR_SIZE / 2, qr_top - QR_SIZE - 26, "สแกนเพื่อชำระเงิน", 9,
          align="centre", color=MUTED)

    # fields, left of the QR
    fields_top = top - 54
    fields_w = WIDTH - qr_column - 8
    label_w = 142.0
    value_w = fields_w - label_w - 20
    step = 18.0
    rows = (
        ("ชื่อผู้รับชำระ (Biller)", doc.biller_name, 11.0, True),
        ("รหัสผู้รับชำระ (Biller ID)", doc.biller_id, 13.0, True),
        ("ชื่อผู้ชำระเงิน (Name)", doc.payer_name, 11.0, False),
        ("เลขที่อ้างอิง 1 (Ref.1)", doc.ref1, 15.0, True),
        ("เลขที่อ้างอิง 2 (Ref.2)", doc.ref2 or "-", 15.0, True),
    )
    height = step * (len(rows) + 1) + 18
    bottom = fields_top - height
    canvas.saveState()
    _stroke(canvas, RULE, 0.6)
    canvas.roundRect(LEFT, bottom, fields_w, height, 5, stroke=1, fill=0)
    _stroke(canvas, RULE, 0.3)
    for k in range(1, len(rows) + 1):
        canvas.line(LEFT + 8, fields_top - k * step - 1, LEFT + fields_w - 8,
                    fields_top - k * step - 1)
    canvas.restoreState()
    x = LEFT + 10
    y = fields_top - step + 4.5
    for label, value, size, bold in rows:
        _text(canvas, x, y, label, 10, color=MUTED)
        _text_in_row(canvas, x + label_w, y, value, size, value_w, bold=bold)
        y -= step
    _text(canvas, x, y, "จำนวนเงิน (Amount)", 10, color=MUTED)
    _text(canvas, LEFT + fields_w - 36, y, doc.total_text, 15, bold=True, align="right")
    _text(canvas, LEFT + fields_w - 10, y, "บาท", 10.5, align="right")
    _text(canvas, x + label_w, y - 14, f"({doc.total_in_words})", 9.5, color=MUTED,
          max_width=value_w)

    # barcode and its human-readable line
    modules = len(codes_drawing.code128_modules(doc.barcode_data))
    quiet = codes_drawing.CODE128_QUIET_MODULES
    module_w = min(codes_drawing.CODE128_MODULE_WIDTH_PT, WIDTH / (modules + 2 * quiet))
    bar_y = bottom - 10 - BARCODE_HEIGHT
    codes_drawing.draw_code128(canvas, LEFT, bar_y, doc.barcode_data,
                               module_width_pt=module_w, height_pt=BARCODE_HEIGHT)
    _text(canvas, LEFT + quiet * module_w, bar_y - 10,
          codes_drawing.human_readable(doc.barcode_data), 9)

    # the teller's part
    teller_y = bar_y - 30
    _text(canvas, LEFT, teller_y, "สำหรับเจ้าหน้าที่ธนาคาร", 9.5, bold=True, color=ACCENT)
    slots = (("สาขา", 150.0), ("วันที่", 100.0), ("ผู้รับเงิน", 140.0))
    x = LEFT + 112
    for label, width in slots:
        _text(canvas, x, teller_y, label, 9.5, color=MUTED)
        w = text_width(label, 9.5) + 4
        canvas.saveState()
        canvas.setDash(1, 2)
        _stroke(canvas, MUTED, 0.6)
        canvas.line(x + w, teller_y - 2, x + width - 12, teller_y - 2)
        canvas.restoreState()
        x += width


# --- continuation pages -----------------------------------------------------------------

def _continuation_page(canvas: Canvas, doc: BillDocument, items: list[tuple[int, BillLine]],
                       page: int) -> list[tuple[int, BillLine]]:
    y = _header(canvas, doc, tag=("รายละเอียดรายการ (ต่อ)", f"หน้า {page}"))
    _text(canvas, LEFT, y - 20, f"ใบแจ้งการชำระเงิน  Ref.1 {doc.ref1}  Ref.2 {doc.ref2 or '-'}",
          11, bold=True, color=ACCENT)
    _text(canvas, RIGHT, y - 20, f"ผู้ชำระเงิน: {doc.payer_name}", 10.5, align="right",
          max_width=WIDTH / 2 - 10)
    rest, _ = _items_table(canvas, doc, items, top=y - 32, bottom=BOTTOM + 20,
                           with_totals=False)
    if not rest:
        _text(canvas, RIGHT, BOTTOM + 4,
              f"รวมเงินทั้งสิ้น {doc.total_text} บาท ({doc.total_in_words})", 10.5, bold=True,
              align="right", max_width=WIDTH)
    return rest
