"""The assignment order (คำสั่งมอบหมาย) as a PDF: the finance division's written order
that names, for one province, the people approved to use billpay, their office and
their role.

A4 portrait, Sarabun with shaped Thai (:func:`fonts.draw_text`): heading, a short
preamble, the table of people (repeated heading on each page, long names and
offices wrapped), the date and a place to sign. A pure function of
:class:`AssignmentOrder`; no database, no app.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from billpay.documents import fonts
from billpay.documents.fonts import draw_text, wrap_text


@dataclass(frozen=True)
class AssignedUser:
    full_name: str
    position: str
    office_name: str
    role_label: str
    username: str


@dataclass(frozen=True)
class AssignmentOrder:
    province_name: str                 # "เชียงใหม่"
    date_text: str                     # "22 พฤศจิกายน 2569"
    year_text: str                     # "2569", for "ที่ ......../2569"
    users: tuple[AssignedUser, ...]
    agency_name: str = "กรมการปกครอง"
    division_name: str = "กองคลัง"
    order_no: str | None = None        # written in by hand when None
    signer_name: str | None = None
    signer_position: str = "ผู้อำนวยการกองคลัง"
    system_name: str = ("ระบบการจัดการข้อมูลการชำระค่าธรรมเนียมแบบใบแจ้งการชำระเงิน "
                        "(Bill Payment) และการออกใบเสร็จรับเงินของกรมการปกครอง")


PAGE_W, PAGE_H = A4
LEFT = 48.0
RIGHT = PAGE_W - 40.0
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 48.0
BOTTOM = 48.0
INK = (0.1, 0.1, 0.12)
MUTED = (0.36, 0.38, 0.42)
TINT = (0.91, 0.93, 0.97)
RULE = (0.55, 0.58, 0.63)

BODY = 14.0                            # the size of Thai official letters (TH Sarabun 16 ≈ 14)
CELL = 11.0
LEADING = 14.0
PAD = 4.0
# (heading, width); ชื่อ-สกุล takes what is left
_COLS = (("ลำดับ", 30.0), ("ชื่อ-สกุล", 0.0), ("ตำแหน่ง", 104.0), ("หน่วยงาน", 112.0),
         ("บทบาท", 106.0), ("ชื่อผู้ใช้", 62.0))
_HEAD_H = 22.0


def _edges() -> list[float]:
    fixed = sum(w for _, w in _COLS)
    edges = [LEFT]
    for _, width in _COLS:
        edges.append(edges[-1] + (width or WIDTH - fixed))
    return edges


def _cells(number: int, user: AssignedUser, edges: list[float]) -> list[list[str]]:
    texts = (str(number), user.full_name, user.position, user.office_name, user.role_label,
             user.username)
    return [wrap_text(text or "-", edges[i + 1] - edges[i] - 2 * PAD, size=CELL)
            for i, text in enumerate(texts)]


def _paragraph(canvas: Canvas, y: float, text: str, *, indent: float = 0.0,
               size: float = BODY, bold: bool = False) -> float:
    """Draw a wrapped paragraph from ``y`` down (first line indented); returns the y below."""
    first = wrap_text(text, WIDTH - indent, size=size, bold=bold)
    lines = [first[0]] + (wrap_text(" ".join(first[1:]), WIDTH, size=size, bold=bold)
                          if len(first) > 1 else [])
    for index, line in enumerate(lines):
        draw_text(canvas, LEFT + (indent if index == 0 else 0), y, line, size=size, bold=bold,
                  color=INK)
        y -= size * 1.45
    return y


def _heading(canvas: Canvas, doc: AssignmentOrder) -> float:
    y = TOP
    draw_text(canvas, PAGE_W / 2, y, f"คำสั่ง{doc.agency_name}", size=18, bold=True,
              align="centre", color=INK)
    y -= 22
    number = doc.order_no or f"............/{doc.year_text}"
    draw_text(canvas, PAGE_W / 2, y, f"ที่ {number}", size=BODY, align="centre", color=INK)
    y -= 20
    subject = (f"เรื่อง มอบหมายผู้ปฏิบัติหน้าที่เป็นผู้ใช้งานระบบ (User) "
               f"ของจังหวัด{doc.province_name}")
    for line in wrap_text(subject, WIDTH - 40, size=BODY, bold=True):
        draw_text(canvas, PAGE_W / 2, y, line, size=BODY, bold=True, align="centre", color=INK)
        y -= BODY * 1.45
    canvas.setStrokeColorRGB(*INK)
    canvas.setLineWidth(0.6)
    canvas.line(PAGE_W / 2 - 60, y + 4, PAGE_W / 2 + 60, y + 4)
    y -= 16
    preamble = (f"ตามที่จังหวัด{doc.province_name}ได้แจ้งรายชื่อบุคคลที่ได้รับมอบหมายให้ปฏิบัติหน้าที่"
                f"เป็นผู้ใช้งานในระบบ (User) ของที่ทำการปกครองจังหวัดและที่ทำการปกครองอำเภอในสังกัด "
                f"เพื่อใช้งาน{doc.system_name} นั้น")
    y = _paragraph(canvas, y, preamble, indent=48)
    y -= 4
    order = (f"{doc.agency_name}โดย{doc.division_name}จึงมอบหมายให้บุคคลดังต่อไปนี้ปฏิบัติหน้าที่"
             "เป็นผู้ใช้งานในระบบ ตามบทบาทและหน่วยงานที่กำหนด โดยให้ใช้งานได้เฉพาะข้อมูลของหน่วยงาน "
             "ตามขอบเขตของบทบาท และให้เก็บรักษารหัสผ่านไว้เป็นความลับ")
    y = _paragraph(canvas, y, order, indent=48)
    return y - 6


def _table_head(canvas: Canvas, edges: list[float], top: float) -> float:
    canvas.saveState()
    canvas.setFillColorRGB(*TINT)
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(LEFT, top - _HEAD_H, WIDTH, _HEAD_H, stroke=1, fill=1)
    canvas.restoreState()
    for index, (title, _width) in enumerate(_COLS):
        middle = (edges[index] + edges[index + 1]) / 2
        draw_text(canvas, middle, top - 15, title, size=CELL, bold=True, align="centre",
                  color=INK)
    return top - _HEAD_H


def _row(canvas: Canvas, edges: list[float], top: float, cells: list[list[str]],
         height: float) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.5)
    canvas.rect(LEFT, top - height, WIDTH, height, stroke=1, fill=0)
    for x in edges[1:-1]:
        canvas.line(x, top, x, top - height)
    canvas.restoreState()
    for index, lines in enumerate(cells):
        y = top - PAD - CELL
        for line in lines:
            if index == 0:
                draw_text(canvas, (edges[0] + edges[1]) / 2, y, line, size=CELL, align="centre",
                          color=INK)
            else:
                draw_text(canvas, edges[index] + PAD, y, line, size=CELL, color=INK)
            y -= LEADING


def _footer(canvas: Canvas, page: int, pages: int, doc: AssignmentOrder) -> None:
    draw_text(canvas, RIGHT, BOTTOM - 22, f"หน้า {page}/{pages}", size=9, align="right",
              color=MUTED)
    draw_text(canvas, LEFT, BOTTOM - 22, f"คำสั่งมอบหมายผู้ใช้งาน จังหวัด{doc.province_name}",
              size=9, color=MUTED)


SIGNATURE_H = 150.0


def _layout(doc: AssignmentOrder, edges: list[float], first_top: float
            ) -> list[list[tuple[int, list[list[str]], float]]]:
    """Rows per page; the last page keeps room for the date and the signature."""
    pages: list[list[tuple[int, list[list[str]], float]]] = [[]]
    y = first_top - _HEAD_H
    for number, user in enumerate(doc.users, start=1):
        cells = _cells(number, user, edges)
        height = max(len(lines) for lines in cells) * LEADING + 2 * PAD - 2
        if y - height < BOTTOM:
            pages.append([])
            y = TOP - _HEAD_H
        pages[-1].append((number, cells, height))
        y -= height
    if y - SIGNATURE_H < BOTTOM:
        pages.append([])
    return pages


def render_assignment_order(doc: AssignmentOrder) -> bytes:
    """Render ``doc`` as a PDF (A4 portrait) and return its bytes."""
    fonts.register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, lang="th-TH")
    canvas.setTitle(f"คำสั่งมอบหมายผู้ใช้งานระบบ จังหวัด{doc.province_name}")
    canvas.setAuthor(f"{doc.division_name} {doc.agency_name}")
    canvas.setCreator("billpay")
    edges = _edges()

    # the heading's height is the same on every render: measure it on a scratch canvas
    first_top = _heading(Canvas(io.BytesIO(), pagesize=A4), doc)
    pages = _layout(doc, edges, first_top)
    for page_number, rows in enumerate(pages, start=1):
        top = _heading(canvas, doc) if page_number == 1 else TOP
        y = top
        if rows or (page_number == 1 and not doc.users):
            y = _table_head(canvas, edges, top)
        if page_number == 1 and not doc.users:
            canvas.saveState()
            canvas.setStrokeColorRGB(*RULE)
            canvas.rect(LEFT, y - 24, WIDTH, 24, stroke=1, fill=0)
            canvas.restoreState()
            draw_text(canvas, PAGE_W / 2, y - 16, "ยังไม่มีผู้ใช้ที่ได้รับอนุมัติในจังหวัดนี้",
                      size=CELL, align="centre", color=MUTED)
            y -= 24
        for _number, cells, height in rows:
            _row(canvas, edges, y, cells, height)
            y -= height
        if page_number == len(pages):
            _closing(canvas, doc, y - 24)
        _footer(canvas, page_number, len(pages), doc)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _closing(canvas: Canvas, doc: AssignmentOrder, y: float) -> None:
    draw_text(canvas, LEFT + 48, y, "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป", size=BODY, color=INK)
    y -= 30
    centre = LEFT + WIDTH * 0.62
    draw_text(canvas, centre, y, f"สั่ง ณ วันที่ {doc.date_text}", size=BODY, align="centre",
              color=INK)
    y -= 52
    signer = f"({doc.signer_name})" if doc.signer_name else "(" + "." * 48 + ")"
    draw_text(canvas, centre, y, signer, size=BODY, align="centre", color=INK)
    y -= 20
    draw_text(canvas, centre, y, doc.signer_position, size=BODY, align="centre", color=INK)
