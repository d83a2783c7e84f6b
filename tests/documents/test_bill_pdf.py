"""The bill-payment PDF: what a bank's scanner, a payer and a teller read off the page."""

from __future__ import annotations

import io
import random
import string
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import qrcode
import qrcode.exceptions
import qrcode.util
from PIL import ImageChops
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from billpay.documents import BillDocument, BillLine, codes_drawing, fonts, render_bill_pdf
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise

BILLER_ID = "099400016550100"


# --- building the payloads the way the bill service does ------------------------------

def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def thai_qr(biller_id: str, ref1: str, ref2: str, amount: str) -> str:
    bill = tlv("00", "A000000677010112") + tlv("01", biller_id) + tlv("02", ref1)
    if ref2:
        bill += tlv("03", ref2)
    payload = (tlv("00", "01") + tlv("01", "12") + tlv("30", bill) + tlv("53", "764")
               + tlv("54", amount) + tlv("58", "TH") + "6304")
    return payload + f"{crc16_ccitt_false(payload.encode('ascii')):04X}"


def barcode_data(biller_id: str, ref1: str, ref2: str, satang: int) -> str:
    return f"|{biller_id}\r{ref1}\r{ref2}\r{satang}"


def make_bill(*, ref1: str = "123456789012", ref2: str = "670429", amount: str = "3649.22",
              total_text: str = "3,649.22",
              total_in_words: str = "สามพันหกร้อยสี่สิบเก้าบาทยี่สิบสองสตางค์",
              lines: tuple[BillLine, ...] | None = None, watermark: str | None = None
              ) -> BillDocument:
    satang = int(amount.replace(".", ""))
    return BillDocument(
        agency_name="กรมการปกครอง",
        office_name="ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่",
        office_code="5001",
        biller_name="กรมการปกครอง (รายได้แผ่นดิน)",
        revenue_type_label="รายได้แผ่นดิน",
        payer_name="นางสาวสมหญิง ใจดีมีสุข",
        payer_id="1101700203451",
        payer_address="99/9 หมู่ที่ 1 ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50200",
        payer_phone="081-234-5678",
        lines=lines or (
            BillLine("ค่าธรรมเนียมการออกบัตรประจำตัวประชาชน (กรณีบัตรหาย)", 1, "100.00", "100.00"),
            BillLine("ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืน (ป.4)", 2, "1,000.00", "2,000.00"),
            BillLine("ค่าธรรมเนียมการรับรองสำเนาทะเบียนบ้าน", 3, "516.40", "1,549.22"),
        ),
        total_text=total_text,
        total_in_words=total_in_words,
        issued_text="22 พฤศจิกายน 2569 เวลา 14:05 น.",
        due_date_text="22 ธันวาคม 2569",
        biller_id=BILLER_ID,
        ref1=ref1,
        ref2=ref2,
        barcode_data=barcode_data(BILLER_ID, ref1, ref2, satang),
        qr_payload=thai_qr(BILLER_ID, ref1, ref2, amount),
        issued_by="นายสมชาย ตั้งใจทำงาน",
        watermark=watermark,
    )


LONG_NAMES = (
    "ค่าธรรมเนียมการขอเปลี่ยนชื่อตัว ชื่อรอง หรือชื่อสกุล ตามพระราชบัญญัติชื่อบุคคล พ.ศ. 2505 "
    "(กรณีผู้ขอมีอายุเกินยี่สิบปีบริบูรณ์)",
    "ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืนและเครื่องกระสุนปืน (แบบ ป.4) "
    "สำหรับการป้องกันตัวและทรัพย์สิน",
    "ค่าธรรมเนียมการจดทะเบียนสมรสนอกสำนักทะเบียนอำเภอ ณ สถานที่ที่คู่สมรสร้องขอภายในเขตจังหวัด",
    "ค่าธรรมเนียมการคัดและรับรองสำเนาเอกสารทะเบียนราษฎรและทะเบียนครอบครัวที่อยู่ในความครอบครอง"
    "ของสำนักทะเบียน",
    "ค่าปรับกรณีแจ้งย้ายที่อยู่เกินกำหนดเวลาตามพระราชบัญญัติการทะเบียนราษฎร พ.ศ. 2534 "
    "และที่แก้ไขเพิ่มเติม",
)


def large_bill(**kwargs) -> BillDocument:
    lines = tuple(BillLine(name, 1 + i % 3, "123,456.78", "246,913.56")
                  for i, name in enumerate(LONG_NAMES))
    return make_bill(ref1="012345678901234", ref2="123456789012345678", amount="1234567.89",
                     total_text="1,234,567.89",
                     total_in_words="หนึ่งล้านสองแสนสามหมื่นสี่พันห้าร้อยหกสิบเจ็ดบาทแปดสิบเก้าสตางค์",
                     lines=lines, **kwargs)


# --- the payloads themselves -----------------------------------------------------------

def test_payload_helpers_reproduce_the_reference_examples():
    assert thai_qr(BILLER_ID, "123456789012", "670429", "3649.22") == (
        "00020101021230650016A000000677010112011509940001655010002121234567890120306670429"
        "530376454073649.225802TH6304165E")
    assert barcode_data(BILLER_ID, "123456789012", "670429", 364922) == (
        "|099400016550100\r123456789012\r670429\r364922")


# --- what a scanner reads ----------------------------------------------------------------

@pytest.mark.parametrize("doc", [
    pytest.param(make_bill(), id="reference-example"),
    pytest.param(large_bill(), id="15-digit-ref1-large-amount-5-long-lines"),
    pytest.param(make_bill(ref2="", watermark="ทดลอง / TRIAL"), id="empty-ref2-watermark"),
])
def test_barcode_and_qr_decode_from_a_300_dpi_raster(doc: BillDocument):
    pages = rasterise(render_bill_pdf(doc), dpi=300)
    assert len(pages) == 1
    found = decode_codes(pages[0])
    assert found.get("Code128") == [doc.barcode_data]     # byte for byte, CRs included
    assert found.get("QRCode") == [doc.qr_payload]


def test_code128_switches_code_sets_for_bar_cr_and_digit_runs():
    data = make_bill().barcode_data
    symbols = codes_drawing._Code128(data).encoded
    start_b, code_a, code_c, cr_in_a, bar_in_b = 104, 101, 99, 77, 92
    assert symbols[:2] == [start_b, bar_in_b]
    assert symbols.count(cr_in_a) == 3
    assert all(symbols[i - 1] == code_a or symbols[i - 2] == code_a
               for i, s in enumerate(symbols) if s == cr_in_a)
    assert code_c in symbols


def test_code128_has_quiet_zones_and_scannable_modules():
    assert codes_drawing.CODE128_MODULE_WIDTH_PT >= 0.3 / 25.4 * 72
    data = large_bill().barcode_data
    modules = codes_drawing.code128_modules(data)
    assert modules.startswith("1") and modules.endswith("1")
    width = codes_drawing.code128_width(data)
    assert width == pytest.approx((len(modules) + 20) * codes_drawing.CODE128_MODULE_WIDTH_PT)
    with pytest.raises(ValueError):
        codes_drawing.draw_code128(Canvas(io.BytesIO()), 0, 0, data, height_pt=30,
                                   quiet_modules=5)


def _qr_reference(payload: str, mask: int) -> list[list[bool]]:
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M,
                       mask_pattern=mask)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.get_matrix()


def test_fast_qr_matches_qrcode_for_every_mask_and_picks_the_lowest_penalty():
    rnd = random.Random(20261122)
    payloads = [make_bill().qr_payload, large_bill().qr_payload, "1", "billpay"]
    payloads += ["".join(rnd.choice(string.digits + string.ascii_uppercase + ". ")
                         for _ in range(rnd.randint(1, 400))) for _ in range(12)]
    for payload in payloads:
        penalties = []
        for mask in range(8):
            size, rows = codes_drawing.qr_rows(payload, mask=mask)
            expected = _qr_reference(payload, mask)
            assert [[bit == "1" for bit in format(row, f"0{size}b")] for row in rows] == expected
            penalty = codes_drawing.qr_penalty(rows, size)
            assert penalty == qrcode.util.lost_point(expected)
            penalties.append(penalty)
        chosen = codes_drawing.qr_matrix(payload)
        assert chosen == _qr_reference(payload, penalties.index(min(penalties)))


def test_fast_version_choice_matches_qrcode():
    rnd = random.Random(11)
    alphabets = (string.digits, string.digits + string.ascii_uppercase + " $%*+-./:",
                 string.printable, string.digits * 8 + "ก")
    for length in [*range(1, 60), *range(60, 2400, 37)]:
        for alphabet in alphabets:
            payload = "".join(rnd.choice(alphabet) for _ in range(length))
            for level in (qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                          qrcode.constants.ERROR_CORRECT_H):
                qr = qrcode.QRCode(error_correction=level)
                qr.add_data(payload)
                try:
                    expected = qr.best_fit()
                except (qrcode.exceptions.DataOverflowError, ValueError):  # too long
                    with pytest.raises(qrcode.exceptions.DataOverflowError):
                        codes_drawing._best_fit(payload, level)
                    continue
                version, data_list = codes_drawing._best_fit(payload, level)
                assert version == expected, (length, level)
                assert [(d.mode, d.data) for d in data_list] == [
                    (d.mode, d.data) for d in qr.data_list]


def test_fast_codewords_match_qrcode_at_every_error_correction_level():
    rnd = random.Random(7)
    payloads = [make_bill().qr_payload, "ก", *("".join(rnd.choice(string.printable)
                                                   for _ in range(rnd.randint(1, 700)))
                                           for _ in range(20))]
    for payload in payloads:
        for level in (qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                      qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H):
            qr = qrcode.QRCode(error_correction=level)
            qr.add_data(payload)
            qr.best_fit()
            assert codes_drawing._codewords(qr.version, level, qr.data_list) == (
                qrcode.util.create_data(qr.version, level, qr.data_list))


# --- what a person reads -----------------------------------------------------------------

def test_text_layer_carries_payer_references_and_amount():
    doc = large_bill()
    text = base_letters(pdf_text(render_bill_pdf(doc)))
    for value in (doc.payer_name, doc.ref1, doc.ref2, doc.total_text, doc.biller_id,
                  doc.due_date_text, doc.office_name, "ตัดตามรอยประ",
                  "โปรดเรียกเก็บค่าธรรมเนียมจากผู้ชำระเงิน", "สำหรับธนาคาร",
                  "สำหรับผู้ชำระเงิน", "เคาน์เตอร์ธนาคาร", "ATM", "อินเทอร์เน็ตแบงก์กิ้ง",
                  "โมบายแบงก์กิ้ง", f"({doc.total_in_words})"):
        assert base_letters(value) in text, value
    for line in doc.lines:                   # descriptions may wrap, never lose letters
        assert base_letters(line.description) in text
        assert line.amount_text in text
    # the human-readable line under the barcode: CRs shown as spaces
    assert doc.barcode_data.replace("\r", " ") in pdf_text(render_bill_pdf(doc))


def test_metadata_and_deterministic_output():
    doc = make_bill()
    pdf = render_bill_pdf(doc)
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert doc.ref1 in info.title and "ใบแจ้งการชำระเงิน" in info.title
    assert info.author.startswith("กรมการปกครอง")
    assert render_bill_pdf(doc) == pdf


def test_concurrent_renders_give_the_same_bytes():
    docs = [make_bill(), large_bill(), make_bill(watermark="ยกเลิก / CANCELLED")]
    expected = [render_bill_pdf(doc) for doc in docs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render_bill_pdf, docs * 6))
    assert results == expected * 6


def test_many_items_continue_on_a_second_page():
    lines = tuple(BillLine(f"{LONG_NAMES[i % 5]} รายการที่ {i + 1}", 1, "10.00", "10.00")
                  for i in range(24))
    doc = make_bill(lines=lines, amount="240.00", total_text="240.00",
                    total_in_words="สองร้อยสี่สิบบาทถ้วน")
    pdf = render_bill_pdf(doc)
    pages = rasterise(pdf, dpi=300)
    assert len(pages) >= 2
    found = decode_codes(pages[0])              # the bank's part stays on the first page
    assert found.get("Code128") == [doc.barcode_data]
    assert found.get("QRCode") == [doc.qr_payload]
    text = base_letters(pdf_text(pdf))
    for line in lines:
        assert base_letters(line.description) in text


def _with_reportlabs_own_embedding(monkeypatch, render):
    """``render()`` with ReportLab's own per-document subsetting instead of the shared one."""
    with monkeypatch.context() as patch:
        patch.setattr(fonts._SeededTTFont, "addObjects", TTFont.addObjects)
        return render()


def _latin_extras(count: int) -> str:
    """``count`` characters Sarabun has that are not seed glyphs (accented Latin …)."""
    fonts.register_fonts()
    font = pdfmetrics.getFont(fonts.REGULAR)
    codes = [code for code in sorted(font.face.charToGlyph)
             if code > 0xFF and code not in font._seed_codes and not 0xE000 <= code <= 0xF8FF]
    return "".join(map(chr, codes[:count]))


def _extras_pdf(text: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1, pageCompression=1)
    for row in range(0, len(text), 40):
        fonts.draw_text(canvas, 40, 780 - row / 2, text[row:row + 40], size=10)
        fonts.draw_text(canvas, 40, 400 - row / 2, "ที่ " + text[row:row + 40], size=10,
                        bold=True)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_shared_font_subsets_write_what_reportlab_writes(monkeypatch):
    """Every document's first subset starts from the same seed glyphs, and its embedded
    objects are formatted once: byte for byte what ReportLab writes per document — for a
    bill, for text with glyphs beyond the seed, and past one subset's 256 codes."""
    with_extras = replace(make_bill(), payer_name="Nguyễn Thị Đào ต่างชาติ")
    cases = [lambda: render_bill_pdf(make_bill()), lambda: render_bill_pdf(large_bill()),
             lambda: render_bill_pdf(with_extras), lambda: _extras_pdf(_latin_extras(20)),
             lambda: _extras_pdf(_latin_extras(200))]
    for render in cases:
        shared = render()
        assert shared == render()                      # the cached path again
        assert shared == _with_reportlabs_own_embedding(monkeypatch, render)
    text = pdf_text(render_bill_pdf(with_extras))
    assert "Nguyễn Thị Đào" in text
    many = _latin_extras(200)
    assert len(PdfReader(io.BytesIO(_extras_pdf(many))).pages[0]["/Resources"]["/Font"]) > 3
    assert base_letters(many[:40]) in base_letters(pdf_text(_extras_pdf(many)))


def test_every_bill_embeds_the_same_font_subset():
    """Different payers, offices and amounts: the same embedded fonts (the seed subset)."""
    def embedded(doc: BillDocument) -> list[bytes]:
        reader = PdfReader(io.BytesIO(render_bill_pdf(doc)))
        fonts_ = reader.pages[0]["/Resources"]["/Font"]
        return sorted(font.get_object()["/FontDescriptor"]["/FontFile2"].get_data()
                      for name, font in fonts_.items() if "Sarabun" in font["/BaseFont"])

    first = embedded(make_bill())
    assert len(first) == 2
    assert embedded(large_bill()) == first
    assert embedded(replace(make_bill(), payer_name="นายฐิติพงศ์ ญาณวุฒิ", office_code="1049",
                            office_name="สำนักงานเขตฯ ฤๅษี ฦๅ ฃ ฅ ๏ ๚ ๛ ฿")) == first


def test_watermark_is_printed():
    doc = make_bill(watermark="ยกเลิก / CANCELLED")
    assert base_letters("ยกเลิก/CANCELLED") in base_letters(pdf_text(render_bill_pdf(doc)))
    assert "CANCELLED" not in base_letters(pdf_text(render_bill_pdf(replace(doc, watermark=None))))


# --- Thai shaping ------------------------------------------------------------------------

UPPER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37"
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"


def _as_drawn(word: str, font_name: str = fonts.REGULAR) -> str:
    """The characters a shaped PDF's text layer shows for ``word``: HarfBuzz's glyphs,
    each as the code point ReportLab gave it (private-use for the shifted marks)."""
    return "".join(fonts.private_code_point(font_name, name) if "." in name
                   else chr(int(name[3:], 16))
                   for name in fonts.shaped_glyph_names(word, font_name))


def test_harfbuzz_picks_sarabuns_small_tone_marks_over_upper_vowels():
    small_mai_ek = fonts.private_code_point(fonts.REGULAR, "uni0E48.small")
    assert "\ue000" <= small_mai_ek <= "\uf8ff"
    for word in ("ที่", "ยี่", "หนึ่ง", "ปี่"):
        assert "uni0E48.small" in fonts.shaped_glyph_names(word)
        assert small_mai_ek in _as_drawn(word)


def test_bill_is_drawn_with_shifted_tone_marks():
    doc = large_bill()          # หนึ่ง, ยี่สิบ, ที่ in the words, the office and the address
    text = pdf_text(render_bill_pdf(doc))
    for word in ("ที่", "ยี่", "หนึ่ง"):
        assert _as_drawn(word) in text, word
    # ผู้ and ค่า keep their marks (positioned, not substituted)
    assert "ผู้ชำระเงิน"[:3] in text and "ค่า" in text
    # nowhere does a plain tone mark follow an upper vowel: every such pair was shaped
    assert not any(text[i] in UPPER_VOWELS and text[i + 1] in TONE_MARKS
                   for i in range(len(text) - 1))


def _word_pdf(words: str, *, shaped: bool, size: float = 40) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    if shaped:
        fonts.draw_text(canvas, 40, 700, words, size=size)
    else:
        fonts.register_fonts()
        canvas.setFont(fonts.REGULAR, size)
        canvas.drawString(40, 700, words)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_unshaped_text_would_fail_these_checks():
    words = "ที่ ยี่ หนึ่ง"
    unshaped = pdf_text(_word_pdf(words, shaped=False))
    shaped = pdf_text(_word_pdf(words, shaped=True))
    assert _as_drawn("ที่") not in unshaped and "ที่" in unshaped
    assert _as_drawn("ที่") in shaped and "ที่" not in shaped
    # and on the page: the shaped marks are drawn where the unshaped ones are not
    assert ImageChops.difference(rasterise(_word_pdf(words, shaped=False), dpi=100)[0],
                                 rasterise(_word_pdf(words, shaped=True), dpi=100)[0]).getbbox()


def test_paragraph_style_shapes_too():
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    paragraph = Paragraph("ที่ทำการปกครองอำเภอ หนึ่ง ยี่สิบ", fonts.paragraph_style("t", 12))
    paragraph.wrapOn(canvas, 400, 100)
    paragraph.drawOn(canvas, 40, 700)
    canvas.showPage()
    canvas.save()
    text = pdf_text(out.getvalue())
    assert _as_drawn("ที่") in text and _as_drawn("หนึ่ง") in text


def test_tone_mark_is_visible_above_the_vowel():
    def ink(word: str) -> int:
        page = rasterise(_word_pdf(word, shaped=True, size=60), dpi=100)[0].convert("L")
        return sum(page.histogram()[:128])

    assert ink("ที่") > ink("ที") + 20      # the mark adds ink of its own
    assert ink("หนึ่ง") > ink("หนึง") + 20


def test_fast_text_writer_draws_what_reportlab_draws():
    words = ("ที่ ยี่ หนึ่ง ผู้ ค่าธรรมเนียม ปี่ ป่ำ สำนักงาน", "Ref.1 123456789012 3,649.22",
             "ฐานข้อมูล ญาติ ปู่ ฟ้า ฝั่ง ก๋วยเตี๋ยว")

    def render(fast: bool) -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, invariant=1)
        y = 780.0
        for text in words:
            for bold in (False, True):
                for size in (10.5, 24):
                    font_name = fonts.BOLD if bold else fonts.REGULAR
                    if fast:
                        fonts.draw_text(canvas, 40, y, text, size=size, bold=bold)
                    else:
                        fonts._draw_with_reportlab(canvas, 40, y, fonts.shape(text, size,
                                                   bold=bold)[0], font_name, size)
                    y -= size * 1.6
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    fast, reference = rasterise(render(True), dpi=150)[0], rasterise(render(False), dpi=150)[0]
    assert ImageChops.difference(fast, reference).getbbox() is None
    assert pdf_text(render(True)) == pdf_text(render(False))


# --- line breaking -----------------------------------------------------------------------

@pytest.mark.parametrize("text", LONG_NAMES)
def test_wrapped_lines_fit_and_never_split_a_cluster(text: str):
    lines = fonts.wrap_text(text, 200, size=10.5)
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert fonts.text_width(line, 10.5) <= 201
        assert line[0] not in UPPER_VOWELS + TONE_MARKS + "\u0e30\u0e32\u0e33\u0e38\u0e39\u0e4c"
        assert line[-1] not in "\u0e40\u0e41\u0e42\u0e43\u0e44"


def test_register_fonts_is_idempotent_and_finds_the_fonts():
    fonts.register_fonts()
    fonts.register_fonts()
    assert (fonts.fonts_dir() / "Sarabun-Regular.ttf").is_file()
    assert fonts.private_code_point(fonts.REGULAR, "uni0E48.small") == (
        fonts.private_code_point(fonts.REGULAR, "uni0E48.small"))


def test_ellipsize_fits_and_cuts_between_clusters():
    text = "บริษัท ศรีสุวรรณวงศ์ชัยพัฒนาอสังหาริมทรัพย์และการก่อสร้างแห่งประเทศไทย จำกัด (มหาชน)"
    for width in (40, 90, 150, 260):
        short = fonts.ellipsize(text, width, size=10)
        assert short.endswith("…") and fonts.text_width(short, 10) <= width + 0.5
        assert text.startswith(short[:-1])
        assert text[len(short) - 1] not in UPPER_VOWELS + TONE_MARKS + "\u0e32\u0e33\u0e38\u0e39"
    assert fonts.ellipsize("สั้น", 100, size=10) == "สั้น"


def test_a_very_long_payer_name_still_renders_and_decodes():
    doc = replace(make_bill(), payer_id=None, payer_address=None, payer_phone=None, payer_name=(
        "บริษัท ศรีสุวรรณวงศ์ชัยพัฒนาอสังหาริมทรัพย์และการก่อสร้างแห่งประเทศไทย จำกัด (มหาชน) "
        "สำนักงานใหญ่ เลขที่ 999 ถนนพหลโยธิน แขวงจตุจักร"))
    pdf = render_bill_pdf(doc)
    found = decode_codes(rasterise(pdf, dpi=300)[0])
    assert found.get("Code128") == [doc.barcode_data]
    assert found.get("QRCode") == [doc.qr_payload]
    assert base_letters(doc.payer_name) in base_letters(pdf_text(pdf))
