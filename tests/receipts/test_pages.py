"""The receipt pages on SQLite and PostgreSQL: the counter, printing (original, then
copies), cancellation by two people, the register and its exports, paper receipts,
scope, and the public verification page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.receipts import services as receipts
from billpay.receipts.models import Receipt, ReceiptPrint
from billpay.thaidate import BANGKOK, fiscal_year
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise
from tests.support import csrf_token, make_app

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})


@pytest.fixture
def issue(db, clerk_actor):
    def make(amount="250.00", actor=None, payer="นางสาวใบเสร็จ ทดสอบ"):
        return bills.issue_bill(db, actor or clerk_actor, bills.NewBill(
            payer_name=payer, items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), CONFIG)
    return make


@pytest.fixture
def paid(db, clerk_actor, issue):
    """A bill paid in cash at office 5001, with its receipt."""
    def make(amount="250.00"):
        bill = issue(amount)
        return receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash",
                                             reference=None)
    return make


@pytest.fixture
def clerk_client(signed_in, clerk):
    return signed_in(clerk)


@pytest.fixture
def head(make_user):
    return make_user(Role.OFFICE_HEAD, "5001", username="head", full_name="นายหัวหน้า อนุมัติ")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


# -- the counter and printing --------------------------------------------------------------

def test_counter_takes_cash_and_shows_the_original_then_copies(clerk_client, db, issue, app):
    bill = issue("80.50")
    found = clerk_client.get(f"/receipts/counter?ref1={bill.ref1}")
    assert found.status_code == 200
    assert "80.50" in text_of(found) and "แปดสิบบาทห้าสิบสตางค์" in text_of(found)
    response = post(clerk_client, f"/receipts/counter?ref1={bill.ref1}",
                    {"ref1": bill.ref1, "method": "cash"})
    assert response.status_code == 303
    location = response.headers["Location"]
    receipt_id = int(re.search(r"/receipts/(\d+)\?issued=1", location).group(1))
    page = text_of(clerk_client.get(location))
    assert f'data="/receipts/{receipt_id}/pdf"' in page      # the original, shown to print
    assert "รับชำระและออกใบเสร็จเล่มที่ 1 เลขที่ 1 แล้ว" in page

    original = clerk_client.get(f"/receipts/{receipt_id}/pdf")
    assert original.mimetype == "application/pdf"
    text = base_letters(pdf_text(original.data))
    assert base_letters("ต้นฉบับ (ORIGINAL)") in text and "COPY" not in text
    receipt = db.get(Receipt, receipt_id)
    url = receipts.verification_url(receipt, app.extensions["billpay.receipts"])
    assert decode_codes(rasterise(original.data)[0])["QRCode"] == [url]

    copy = clerk_client.get(f"/receipts/{receipt_id}/pdf")
    text = base_letters(pdf_text(copy.data))
    assert base_letters("สำเนา (COPY)") in text and base_letters("พิมพ์ครั้งที่ 2") in text
    third = base_letters(pdf_text(clerk_client.get(f"/receipts/{receipt_id}/pdf").data))
    assert base_letters("พิมพ์ครั้งที่ 3") in third
    db.expire_all()
    assert db.get(Receipt, receipt_id).print_count == 3
    prints = db.scalars(select(ReceiptPrint.copy_no).where(
        ReceiptPrint.receipt_id == receipt_id).order_by(ReceiptPrint.copy_no)).all()
    assert prints == [0, 1, 2]
    # the receipt page now offers the 4th print as a copy
    assert "พิมพ์สำเนา (ครั้งที่ 4)" in text_of(clerk_client.get(f"/receipts/{receipt_id}"))


def test_transfer_needs_a_reference_and_keeps_what_was_typed(clerk_client, db, issue):
    bill = issue()
    response = post(clerk_client, f"/receipts/counter?ref1={bill.ref1}",
                    {"ref1": bill.ref1, "method": "transfer", "reference": ""})
    assert response.status_code == 422
    page = text_of(response)
    assert "กรุณาระบุเลขที่อ้างอิงการโอน" in page
    assert 'id="method-transfer" checked' in page and bill.ref1 in page
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0
    ok = post(clerk_client, f"/receipts/counter?ref1={bill.ref1}",
              {"ref1": bill.ref1, "method": "transfer", "reference": "KTB 123456"})
    assert ok.status_code == 303
    receipt = db.scalar(select(Receipt))
    assert receipt.payment.method == "transfer" and receipt.payment.bank_reference == "KTB 123456"
    shown = text_of(clerk_client.get(ok.headers["Location"]))
    assert "KTB 123456" in shown and "โอนเงิน" in shown


def test_counter_unknown_ref1_and_a_paid_bill(clerk_client, paid):
    missing = clerk_client.get("/receipts/counter?ref1=150017000099999")
    assert missing.status_code == 404 and "ไม่พบใบแจ้ง" in text_of(missing)
    receipt = paid()
    again = clerk_client.get(f"/receipts/counter?ref1={receipt.bill.ref1}")
    page = text_of(again)
    assert "ใบแจ้งนี้รับชำระไม่ได้" in page and 'id="take-payment"' not in page
    assert f"/receipts/{receipt.id}" in page          # its receipt is linked


def test_bill_page_links_to_its_receipt(clerk_client, paid, issue):
    receipt = paid()
    page = text_of(clerk_client.get(f"/bills/{receipt.bill.ref1}"))
    assert f'href="/bills/{receipt.bill.ref1}/receipts"' in page
    hop = clerk_client.get(f"/bills/{receipt.bill.ref1}/receipts")
    assert hop.status_code == 302 and hop.headers["Location"].endswith(f"/receipts/{receipt.id}")
    unpaid = issue()
    page = text_of(clerk_client.get(f"/bills/{unpaid.ref1}"))
    assert f"/receipts/counter?ref1={unpaid.ref1}" in page


def test_list_filters_and_thai_dates(clerk_client, paid):
    receipt = paid()
    year = receipt.fiscal_year
    listed = text_of(clerk_client.get(f"/receipts?fiscal_year={year}&status=valid"))
    assert f"/receipts/{receipt.id}" in listed
    none = text_of(clerk_client.get("/receipts?status=cancelled"))
    assert "ไม่พบใบเสร็จที่ตรงกับเงื่อนไข" in none
    bad = text_of(clerk_client.get("/receipts?date_from=2026-13-01&fiscal_year=69"))
    assert "ไม่มีวันที่นี้ในปฏิทิน" in bad and "ปีงบประมาณต้องเป็นปี พ.ศ." in bad
    assert 'value="2026-13-01"' in bad                 # what was typed stays
    day = receipt.issued_at.astimezone(BANGKOK)
    be = f"{day.day:02d}/{day.month:02d}/{day.year + 543}"
    assert f"/receipts/{receipt.id}" in text_of(
        clerk_client.get(f"/receipts?date_from={be}&date_to={be}"))


def test_list_sorts_by_number_amount_and_back(clerk_client, paid):
    small, large, middle = paid("120.00"), paid("980.00"), paid("450.00")

    def order(query: str) -> list[int]:
        page = text_of(clerk_client.get(f"/receipts{query}"))
        return [int(n) for n in re.findall(r'href="/receipts/(\d+)"', page)
                if int(n) in {small.id, large.id, middle.id}]

    assert order("") == [small.id, large.id, middle.id]           # the register's order
    assert order("?sort=-amount") == [large.id, middle.id, small.id]
    assert order("?sort=amount") == [small.id, middle.id, large.id]
    assert order("?sort=-number") == [middle.id, large.id, small.id]
    # the heading in use shows its direction and offers the other one
    page = text_of(clerk_client.get("/receipts?sort=-amount"))
    assert "sort=amount" in page and "▼" in page


# -- cancellation, the register and its exports --------------------------------------------

def test_cancellation_request_approval_and_the_register(clerk_client, signed_in, head, db,
                                                        paid, clerk):
    receipt = paid("321.00")
    page = text_of(clerk_client.get(f"/receipts/{receipt.id}"))
    assert f'href="/receipts/{receipt.id}/cancel"' in page
    empty = post(clerk_client, f"/receipts/{receipt.id}/cancel", {"reason": " ", "replace": "1"})
    assert empty.status_code == 422 and "กรุณาระบุเหตุผลการยกเลิก" in text_of(empty)
    sent = post(clerk_client, f"/receipts/{receipt.id}/cancel",
                {"reason": "สะกดชื่อผู้ชำระผิด", "replace": "1"})
    assert sent.status_code == 303
    assert "มีคำขอยกเลิกรออนุมัติ" in text_of(clerk_client.get(f"/receipts/{receipt.id}"))

    approver = signed_in(head)
    queue = text_of(approver.get("/receipts/cancellations"))
    request_id = int(re.search(r'id="request-(\d+)"', queue).group(1))
    assert "สะกดชื่อผู้ชำระผิด" in queue and clerk.full_name in queue
    done = approver.post(f"/receipts/cancellations/{request_id}", data={
        "decision": "approve", "note": "",
        "csrf_token": csrf_token(approver, "/receipts/cancellations")})
    assert done.status_code == 303
    flashed = text_of(approver.get(done.headers["Location"]))
    assert "อนุมัติยกเลิกใบเสร็จเล่มที่ 1 เลขที่ 1 แล้ว และออกใบเสร็จแทนเล่มที่ 1 เลขที่ 2" in flashed
    assert "ไม่มีคำขอยกเลิกที่รอท่านพิจารณา" in flashed

    register = text_of(clerk_client.get(f"/receipts/register?fiscal_year={receipt.fiscal_year}"))
    assert "ครบถ้วน เลขที่ 1–2 ต่อเนื่อง" in register
    note = (f"ยกเลิก: สะกดชื่อผู้ชำระผิด · ผู้ขอ {clerk.full_name} · ผู้อนุมัติ {head.full_name}"
            " · ออกใบแทน เล่มที่ 1 เลขที่ 2")
    assert note in register
    assert 'data-number="1" data-status="cancelled"' in register
    assert 'data-number="2" data-status="valid"' in register
    assert "ออกแทน เล่มที่ 1 เลขที่ 1" in register

    # the cancelled receipt prints with ยกเลิก and its reason; the replacement says so
    pdf = base_letters(pdf_text(clerk_client.get(f"/receipts/{receipt.id}/pdf").data))
    assert base_letters("ยกเลิก (CANCELLED)") in pdf and base_letters("สะกดชื่อผู้ชำระผิด") in pdf
    new_id = db.scalar(select(Receipt.id).where(Receipt.replaces_id == receipt.id))
    pdf = base_letters(pdf_text(clerk_client.get(f"/receipts/{new_id}/pdf").data))
    assert base_letters("ออกแทนใบเสร็จเล่มที่ 1 เลขที่ 1") in pdf

    args = f"office=5001&fiscal_year={receipt.fiscal_year}"
    exported = clerk_client.get(f"/receipts/register.csv?{args}")
    assert exported.mimetype == "text/csv"
    body = exported.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:4] == ["ชุดใบเสร็จ", "ปีงบประมาณ", "เล่มที่", "เลขที่"]
    assert [(r[3], r[9]) for r in rows[1:]] == [("1", "ยกเลิก"), ("2", "ใช้ได้")]
    assert rows[1][10:14] == ["สะกดชื่อผู้ชำระผิด", clerk.full_name, head.full_name,
                              "เล่มที่ 1 เลขที่ 2"]
    assert rows[1][8] == "321.00"

    xlsx = clerk_client.get(f"/receipts/register.xlsx?{args}")
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book["ทะเบียนคุมใบเสร็จ"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "ชุดใบเสร็จ" and sheet["I1"].value == "จำนวนเงิน (บาท)"
    assert sheet["D2"].value == 1 and sheet["J2"].value == "ยกเลิก"
    assert sheet["I2"].value == Decimal("321.00") or float(sheet["I2"].value) == 321.0
    assert sheet["I2"].number_format == "#,##0.00"
    assert sheet["K2"].value == "สะกดชื่อผู้ชำระผิด" and sheet["N2"].value == "เล่มที่ 1 เลขที่ 2"
    summary = {row[0].value: row[1].value for row in book["ผลการตรวจ"].iter_rows()}
    assert summary["เลขขาด"] == 0 and summary["เลขซ้ำ"] == 0
    assert "ครบถ้วน" in summary["ผลการตรวจ"]

    pdf = clerk_client.get(f"/receipts/register.pdf?{args}")
    assert pdf.mimetype == "application/pdf"
    text = base_letters(pdf_text(pdf.data))
    for words in ("ทะเบียนคุมใบเสร็จรับเงิน", "สะกดชื่อผู้ชำระผิด", head.full_name,
                  f"พิมพ์โดย {clerk.full_name}", "หน้า 1 / 1", "ออกใบแทน เล่มที่ 1 เลขที่ 2"):
        assert base_letters(words) in text, words


def test_nobody_approves_their_own_request(signed_in, head, paid):
    receipt = paid()
    own = signed_in(head)
    assert post(own, f"/receipts/{receipt.id}/cancel", {"reason": "พิมพ์ผิด"}).status_code == 303
    queue = text_of(own.get("/receipts/cancellations"))
    request_id = int(re.search(r'id="request-(\d+)"', queue).group(1))
    refused = own.post(f"/receipts/cancellations/{request_id}", data={
        "decision": "approve", "note": "", "csrf_token": csrf_token(own, "/receipts/cancellations")})
    assert refused.status_code == 403
    assert "ผู้ขอยกเลิกอนุมัติคำขอของตนเองไม่ได้" in text_of(refused)
    assert receipt.status == "valid"


def test_rejecting_needs_a_note(clerk_client, signed_in, head, paid):
    receipt = paid()
    post(clerk_client, f"/receipts/{receipt.id}/cancel", {"reason": "ลองยกเลิก"})
    approver = signed_in(head)
    queue = text_of(approver.get("/receipts/cancellations"))
    request_id = int(re.search(r'id="request-(\d+)"', queue).group(1))
    token = csrf_token(approver, "/receipts/cancellations")
    bare = approver.post(f"/receipts/cancellations/{request_id}",
                         data={"decision": "reject", "note": " ", "csrf_token": token})
    assert bare.status_code == 422 and "กรุณาระบุเหตุผลที่ไม่อนุมัติ" in text_of(bare)
    done = approver.post(f"/receipts/cancellations/{request_id}",
                         data={"decision": "reject", "note": "ข้อมูลถูกต้องแล้ว",
                               "csrf_token": token})
    assert done.status_code == 303
    shown = text_of(clerk_client.get(f"/receipts/{receipt.id}"))
    assert "ไม่อนุมัติ" in shown and "ข้อมูลถูกต้องแล้ว" in shown


def test_provincial_officer_decides_for_the_districts_of_the_province(
        clerk_client, signed_in, make_user, paid):
    receipt = paid()
    post(clerk_client, f"/receipts/{receipt.id}/cancel", {"reason": "ชื่อผิด"})
    chiang_mai = signed_in(make_user(Role.PROVINCIAL, "50", username="cm"))
    assert f"/receipts/{receipt.id}" in text_of(chiang_mai.get("/receipts/cancellations"))
    lamphun = signed_in(make_user(Role.PROVINCIAL, "51", username="lp"))
    page = text_of(lamphun.get("/receipts/cancellations"))
    assert f"/receipts/{receipt.id}" not in page and "ไม่มีคำขอยกเลิกที่รอท่านพิจารณา" in page


def test_another_office_sees_nothing(signed_in, make_user, paid):
    receipt = paid()
    other = signed_in(make_user(Role.CLERK, "5002", username="other"))
    for path in (f"/receipts/{receipt.id}", f"/receipts/{receipt.id}/pdf",
                 f"/receipts/{receipt.id}/cancel", "/receipts/register?office=5001",
                 "/receipts/register.csv?office=5001", f"/bills/{receipt.bill.ref1}/receipts"):
        assert other.get(path).status_code == 404, path
    assert f"/receipts/{receipt.id}" not in text_of(other.get("/receipts"))
    assert receipt.print_count == 0


# -- paper receipts ------------------------------------------------------------------------

def test_paper_receipt_entry_keeps_values_and_lands_in_the_register(clerk_client, db, issue):
    bill = issue("150.00")
    form = {"book": "ก12", "number": "7", "issued_on": "31/02/2569", "payer_name": "นายกระดาษ",
            "amount": "150.00", "bill_ref1": bill.ref1, "payment_reference": "",
            "method": "cash"}
    bad = post(clerk_client, "/receipts/paper", form)
    assert bad.status_code == 422
    page = text_of(bad)
    assert "ไม่มีวันที่นี้ในปฏิทิน" in page and 'value="นายกระดาษ"' in page
    ok = post(clerk_client, "/receipts/paper", {**form, "issued_on": "20/11/2569"})
    assert ok.status_code == 303
    again = post(clerk_client, "/receipts/paper", {**form, "issued_on": "20/11/2569"})
    assert again.status_code == 409 and "บันทึกไว้แล้ว" in text_of(again)
    year = fiscal_year(date(2026, 11, 20))
    register = text_of(clerk_client.get(f"/receipts/register?fiscal_year={year}"))
    assert 'data-series="paper" data-number="7" data-status="valid"' in register
    assert "กระดาษ" in register
    db.expire_all()
    assert bill.status == "paid"


# -- public verification -------------------------------------------------------------------

def test_verification_page_valid_cancelled_and_tampered(app, db, paid, head, clerk_actor):
    receipt = paid("999.00")
    path = receipts.verification_url(receipt, app.extensions["billpay.receipts"]).split(
        "5000", 1)[1]
    with app.test_client() as anyone:
        valid = anyone.get(path)
        page = text_of(valid)
        assert valid.status_code == 200 and "ใช้ได้" in page
        assert "999.00" in page and "นา*** ทด***" in page
        assert "นางสาวใบเสร็จ" not in page and receipt.bill.ref1 not in page
        assert valid.headers["X-Robots-Tag"].startswith("noindex")

        request = receipts.request_cancellation(db, clerk_actor, receipt.id, "ผิด")
        receipts.decide_cancellation(db, Actor.for_user(head), request.id, approve=True)
        cancelled = text_of(anyone.get(path))
        assert "ใบเสร็จนี้ถูกยกเลิกแล้ว" in cancelled and "ยกเลิก" in cancelled

        signature = path.rsplit("/", 1)[1]
        forged = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        for bad in (path.rsplit("/", 1)[0] + "/" + forged,
                    f"/verify/{receipt.id + 1000}/{signature}"):
            refused = anyone.get(bad)
            body = text_of(refused)
            assert refused.status_code == 404 and "ตรวจสอบไม่ผ่าน" in body
            assert "999.00" not in body and "อำเภอ" not in body


def test_verification_is_rate_limited(backend_urls, backend):
    app = make_app(backend_urls[backend], RATELIMIT_PUBLIC="3 per minute")
    with app.test_client() as anyone:
        codes = [anyone.get("/verify/1/not-a-signature").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
