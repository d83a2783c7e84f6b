"""The receipt PDF (pure, no database): what a payer, an auditor and a phone's camera read
off the printed sheet."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pypdf import PdfReader

from billpay.documents import fonts
from billpay.documents.receipt_pdf import (
    ReceiptDocument,
    ReceiptLine,
    RegisterDocument,
    RegisterRow,
    render_receipt_pdf,
    render_register_pdf,
)
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise

URL = "https://billpay.dopa.example/verify/1154/Zk3mQ0x9aB7cD1eF2gH3iJ4k"
UPPER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37"
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"


def make_receipt(**changes) -> ReceiptDocument:
    doc = ReceiptDocument(
        agency_name="กรมการปกครอง",
        office_name="ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่",
        office_code="5001", book="12", number="1154", fiscal_year="2570",
        date_text="22 พฤศจิกายน 2569", payer_name="นางสาวสมหญิง ใจดีมีสุข",
        bill_ref1="150017000001237",
        lines=(ReceiptLine("ค่าธรรมเนียมการออกบัตรประจำตัวประชาชน (กรณีบัตรหาย)", 1, "100.00"),
               ReceiptLine("ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืน (ป.4)", 2, "2,000.00"),
               ReceiptLine("ค่าธรรมเนียมการรับรองสำเนาทะเบียนบ้าน", 3, "1,549.22")),
        total_text="3,649.22", total_in_words="สามพันหกร้อยสี่สิบเก้าบาทยี่สิบสองสตางค์",
        payment_method="ชำระผ่านธนาคาร (Bill Payment)",
        payment_details=(("ธนาคาร", "ธนาคารกรุงไทย"), ("สาขา", "0101"),
                         ("ช่องทาง/รหัสรายการ", "CSH (เงินสดที่เคาน์เตอร์ธนาคาร)"),
                         ("เลขอ้างอิงธนาคาร", "0101/0001/000002"),
                         ("วันเวลาที่ชำระ", "22 พฤศจิกายน 2569 เวลา 10:15 น."),
                         ("บันทึกเข้าระบบ", "24 พฤศจิกายน 2569 เวลา 08:02 น.")),
        issuer_name="นายสมชาย รับเงิน", issuer_position="เจ้าพนักงานปกครองชำนาญงาน",
        verification_url=URL, copy_no=0, printed_text="24 พฤศจิกายน 2569 เวลา 09:12 น.",
        printed_by="นายสมชาย รับเงิน", revenue_type_label="รายได้แผ่นดิน")
    return replace(doc, **changes)


def _as_drawn(word: str, font_name: str = fonts.REGULAR) -> str:
    return "".join(fonts.private_code_point(font_name, name) if "." in name
                   else chr(int(name[3:], 16))
                   for name in fonts.shaped_glyph_names(word, font_name))


def qr_texts(pdf: bytes) -> list[str]:
    (page,) = rasterise(pdf, dpi=300)[:1]
    return decode_codes(page).get("QRCode", [])


def test_original_is_one_a5_page_whose_qr_opens_the_verification_url():
    pdf = render_receipt_pdf(make_receipt())
    reader = PdfReader(__import__("io").BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)  # A5 portrait
    assert qr_texts(pdf) == [URL]
    text = base_letters(pdf_text(pdf))
    for words in ("ใบเสร็จรับเงิน", "ต้นฉบับ", "เล่มที่", "เลขที่", "1154", "ปีงบประมาณ", "2570",
                  "22 พฤศจิกายน 2569", "นางสาวสมหญิง ใจดีมีสุข", "150017000001237",
                  "3,649.22", "สามพันหกร้อยสี่สิบเก้าบาทยี่สิบสองสตางค์", "ธนาคารกรุงไทย",
                  "0101/0001/000002", "10:15", "นายสมชาย รับเงิน", "เจ้าพนักงานปกครองชำนาญงาน",
                  "ตรวจสอบใบเสร็จได้ที่", URL):
        assert base_letters(words) in text, words
    assert base_letters("สำเนา (COPY)") not in text and "COPY" not in text
    assert "CANCELLED" not in text


def test_a_reprint_says_copy_and_how_many_times():
    pdf = render_receipt_pdf(make_receipt(copy_no=2))
    text = base_letters(pdf_text(pdf))
    assert base_letters("สำเนา") in text and "COPY" in text
    assert base_letters("พิมพ์ครั้งที่ 3") in text
    assert base_letters("ต้นฉบับ (ORIGINAL)") not in text
    assert qr_texts(pdf) == [URL]                 # the diagonal mark leaves the QR readable


def test_a_cancelled_receipt_says_so_with_the_reason():
    pdf = render_receipt_pdf(make_receipt(copy_no=1, cancelled=True,
                                          cancelled_text="25 พฤศจิกายน 2569",
                                          cancel_reason="ชื่อผู้ชำระเงินไม่ถูกต้อง"))
    text = base_letters(pdf_text(pdf))
    assert base_letters("ยกเลิก") in text and "CANCELLED" in text
    assert base_letters("ชื่อผู้ชำระเงินไม่ถูกต้อง") in text
    assert base_letters("25 พฤศจิกายน 2569") in text
    assert base_letters("สำเนา") in text
    assert qr_texts(pdf) == [URL]


def test_receipt_thai_is_shaped():
    # "CSH (เงินสดที่…)": Latin first, then Thai with a raised tone mark
    text = pdf_text(render_receipt_pdf(make_receipt()))
    for word in ("ที่", "ยี่", "สี่"):
        assert _as_drawn(word) in text, word
    assert not any(text[i] in UPPER_VOWELS and text[i + 1] in TONE_MARKS
                   for i in range(len(text) - 1))


def test_bank_issued_receipt_needs_no_signature_and_replacement_is_marked():
    pdf = render_receipt_pdf(make_receipt(
        system_issued=True, issuer_name="ระบบรับชำระเงินอัตโนมัติ (ไฟล์ธนาคาร)",
        issuer_position="", replaces_text="ออกแทนใบเสร็จเล่มที่ 12 เลขที่ 1150 ซึ่งยกเลิกแล้ว"))
    text = base_letters(pdf_text(pdf))
    assert base_letters("ไม่ต้องลงลายมือชื่อ") in text
    assert base_letters("ออกแทนใบเสร็จเล่มที่ 12 เลขที่ 1150") in text


def test_many_items_continue_on_a_second_sheet_with_the_total_once():
    lines = tuple(ReceiptLine(f"ค่าธรรมเนียมรายการที่ {i}", 1, "10.00") for i in range(1, 21))
    pdf = render_receipt_pdf(make_receipt(lines=lines, total_text="200.00",
                                          total_in_words="สองร้อยบาทถ้วน"))
    reader = PdfReader(__import__("io").BytesIO(pdf))
    assert len(reader.pages) == 2
    text = base_letters(pdf_text(pdf))
    for i in (1, 20):
        assert base_letters(f"ค่าธรรมเนียมรายการที่ {i}") in text
    assert base_letters("แผ่นต่อ") in text
    assert qr_texts(pdf) == [URL]


@pytest.mark.parametrize("rows", [0, 130])
def test_register_pdf_numbers_its_pages_and_says_who_printed_it(rows):
    entries = tuple(RegisterRow(
        series="อิเล็กทรอนิกส์", book="1", number=str(n), date_text="22 พ.ย. 69",
        payer_name="นายทดสอบ ชำระเงิน", ref1="150017000001237", amount_text="250.00",
        status="ใช้ได้" if n != 7 else "ยกเลิก",
        note="ยกเลิก: พิมพ์ชื่อผิด · ผู้ขอ นางสาวก · ผู้อนุมัติ นายข" if n == 7 else "",
        flag="cancelled" if n == 7 else "") for n in range(1, rows + 1))
    doc = RegisterDocument(
        agency_name="กรมการปกครอง", office_name="ที่ทำการปกครองอำเภอเมืองเชียงใหม่",
        office_code="5001", fiscal_year="2570", rows=entries,
        summary=(("ใบเสร็จ", f"{rows}"),), check_ok=True, check_text="ครบถ้วน",
        printed_by="นายสมชาย รับเงิน", printed_text="24 พฤศจิกายน 2569 เวลา 09:12 น.")
    pdf = render_register_pdf(doc)
    pages = len(PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert (pages == 1) == (rows == 0)
    text = base_letters(pdf_text(pdf))
    for page in range(1, pages + 1):
        assert base_letters(f"หน้า {page} / {pages}") in text
    assert base_letters("พิมพ์โดย นายสมชาย รับเงิน") in text
    assert base_letters("ทะเบียนคุมใบเสร็จรับเงิน") in text
