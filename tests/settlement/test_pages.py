"""The finance division's settlement pages: upload, reconciliation, the day, the
exceptions queue and resolving one; who may see and do what."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillStatus
from billpay.codes import make_ref1
from billpay.payments.models import Payment
from billpay.settlement import reconcile
from billpay.settlement.models import BankLine, SettlementException, SettlementFile
from billpay.settlement.records import KIND_REVERSAL
from billpay.settlement.services import import_settlement_file
from tests.settlement.factory import pay, reverse, settlement_file
from tests.support import csrf_token, login

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
UNKNOWN_REF1 = make_ref1(1, "9999", 2569, 4321)


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE, "00", username="finance1", full_name="สมใจ การคลัง")


@pytest.fixture
def finance_client(client, finance):
    login(client, finance.username)
    return client


@pytest.fixture
def issue(db, clerk_actor):
    def make(amount="250.00") -> Bill:
        return bills.issue_bill(db, clerk_actor, bills.NewBill(
            payer_name="นายทดสอบ", items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), CONFIG)
    return make


def counts(db) -> tuple[int, int, int, int]:
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (SettlementFile, BankLine, Payment, SettlementException))


def upload(client, *files: tuple[bytes, str], xhr: bool = False):
    token = csrf_token(client, "/settlement/upload")
    data = {"files": [(io.BytesIO(body), name) for body, name in files]}
    headers = {}
    if xhr:
        headers = {"X-Requested-With": "XMLHttpRequest", "X-CSRFToken": token}
    else:
        data["csrf_token"] = token
    return client.post("/settlement/upload", data=data, headers=headers,
                       content_type="multipart/form-data")


def text(response) -> str:
    return response.get_data(as_text=True)


def squash(html: str) -> str:
    """The page's text with tags dropped and whitespace collapsed, for phrase checks."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def exception_id(db, reason: str) -> int:
    return db.scalar(select(SettlementException.id).where(SettlementException.reason == reason))


# -- upload -----------------------------------------------------------------------------

def test_upload_page_has_the_form_and_the_script(finance_client):
    page = text(finance_client.get("/settlement/upload"))
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page
    assert "multiple" in page and "settlement_upload.js" in page
    assert "<script>" not in page  # CSP: no inline scripts


def test_upload_a_good_file(finance_client, db, issue):
    bill = issue("250.00")
    data = settlement_file(pay(bill.ref1, "250.00"),
                           pay(UNKNOWN_REF1, "99.50", minute=1, name="นางสาวไม่ทราบ ที่มา"))
    response = upload(finance_client, (data, "ktb_20261122.txt"))
    assert response.status_code == 200
    page = squash(text(response))
    assert "นำเข้าแล้ว" in page and "ktb_20261122.txt" in page
    assert "ตรงกับใบแจ้ง 1 250.00 บาท" in page
    assert "รอตรวจสอบ 1 99.50 บาท" in page
    assert "ไม่พบใบแจ้งตาม Ref1: 1 รายการ" in page
    db.expire_all()
    stored = db.scalar(select(SettlementFile))
    assert (stored.source, stored.filename, stored.detail_count) == ("upload", "ktb_20261122.txt", 2)
    assert f"/settlement/files/{stored.id}" in page or f"/settlement/files/{stored.id}" in text(
        response)
    assert db.get(Bill, bill.id).status == BillStatus.PAID
    assert counts(db) == (1, 2, 1, 1)


def test_upload_the_same_file_again_is_a_duplicate(finance_client, db, issue):
    data = settlement_file(pay(issue().ref1, "250.00"))
    upload(finance_client, (data, "first.txt"))
    before = counts(db)
    response = upload(finance_client, (data, "again.txt"))
    assert response.status_code == 200
    page = squash(text(response))
    assert "เคยนำเข้าแล้ว" in page and "again.txt" in page
    first_id = db.scalar(select(SettlementFile.id))
    assert f"/settlement/files/{first_id}" in text(response)  # the file imported before
    assert counts(db) == before


def test_a_broken_file_is_refused_naming_the_line_and_nothing_is_stored(finance_client, db,
                                                                       issue):
    bill = issue()
    data = bytearray(settlement_file(pay(bill.ref1, "250.00"), pay(bill.ref1, "1.00", minute=1)))
    data[256 + 1 + 256 + 1 + 170] = ord("X")  # line 3: the second detail's amount
    before = counts(db)
    response = upload(finance_client, (bytes(data), "broken.txt"))
    assert response.status_code == 422
    page = squash(text(response))
    assert "ไม่รับไฟล์" in page and "broken.txt" in page
    assert "บรรทัดที่ 3" in page and "จำนวนเงิน" in page and "(amount)" in page
    assert "ไม่มีรายการใดจากไฟล์นี้ถูกบันทึก" in page
    assert counts(db) == before
    db.expire_all()
    assert db.get(Bill, bill.id).status == BillStatus.ISSUED


def test_each_file_has_its_own_transaction(finance_client, db, issue):
    a, b = issue(), issue()
    good = settlement_file(pay(a.ref1, "250.00"))
    broken = bytearray(settlement_file(pay(b.ref1, "250.00", minute=4)))
    broken[256 + 1 + 170] = ord("X")
    response = upload(finance_client, (bytes(broken), "bad.txt"), (good, "good.txt"))
    assert response.status_code == 200  # one file went in
    page = squash(text(response))
    assert "ไม่รับไฟล์ bad.txt" in page and "นำเข้าแล้ว good.txt" in page
    db.expire_all()
    assert [f.filename for f in db.scalars(select(SettlementFile))] == ["good.txt"]
    assert (db.get(Bill, a.id).status, db.get(Bill, b.id).status) == ("paid", "issued")


def test_a_file_that_lost_a_race_asks_to_be_imported_again(finance_client, db, issue,
                                                          monkeypatch):
    """Two overlapping files imported at the same moment: the loser's lines hit the unique
    fingerprint. That file is rolled back and the page asks for it again; the others go in."""
    from sqlalchemy.exc import IntegrityError

    from billpay.settlement import views

    real = views.import_settlement_file

    def racing(db, actor, source, filename, **kwargs):
        if filename == "late.txt":
            raise IntegrityError("INSERT INTO bank_lines", {}, Exception("uq_bank_lines_fingerprint"))
        return real(db, actor, source, filename, **kwargs)

    monkeypatch.setattr(views, "import_settlement_file", racing)
    a = issue()
    response = upload(finance_client, (settlement_file(pay(a.ref1, "250.00", minute=3)), "late.txt"),
                      (settlement_file(pay(a.ref1, "250.00")), "first.txt"))
    assert response.status_code == 200
    page = squash(text(response))
    assert "ยังไม่ได้นำเข้า late.txt" in page and "กรุณานำเข้าไฟล์นี้อีกครั้ง" in page
    assert "นำเข้าแล้ว first.txt" in page
    db.expire_all()
    assert [f.filename for f in db.scalars(select(SettlementFile))] == ["first.txt"]


def test_the_script_gets_only_the_result_cards(finance_client, db, issue):
    response = upload(finance_client, (settlement_file(pay(issue().ref1, "250.00")), "x.txt"),
                      xhr=True)
    assert response.status_code == 200
    body = text(response)
    assert 'class="card file-result result-imported"' in body
    assert "<html" not in body and "upload-form" not in body


def test_upload_without_a_file_says_so(finance_client, db):
    token = csrf_token(finance_client, "/settlement/upload")
    response = finance_client.post("/settlement/upload", data={"csrf_token": token},
                                   content_type="multipart/form-data")
    assert response.status_code == 422
    assert "ยังไม่ได้เลือกไฟล์" in text(response)
    assert counts(db) == (0, 0, 0, 0)


def test_upload_without_csrf_token_is_refused(finance_client, db, issue):
    response = finance_client.post(
        "/settlement/upload", content_type="multipart/form-data",
        data={"files": [(io.BytesIO(settlement_file(pay(issue().ref1, "250.00"))), "x.txt")]})
    assert response.status_code == 400
    assert counts(db) == (0, 0, 0, 0)


# -- reconciliation -----------------------------------------------------------------------

@pytest.fixture
def two_files(finance_client, db, issue):
    """File 1 pays bill a; file 2 repeats that line (a duplicate), pays b, brings an unknown
    Ref1 and reverses a's payment."""
    a, b = issue(), issue()
    upload(finance_client, (settlement_file(pay(a.ref1, "250.00")), "day1.txt"))
    upload(finance_client, (settlement_file(
        pay(a.ref1, "250.00"), pay(b.ref1, "250.00", minute=1),
        pay(UNKNOWN_REF1, "99.50", minute=2), reverse(a.ref1, "250.00", minute=3)), "day2.txt"))
    db.expire_all()
    second = db.scalar(select(SettlementFile).where(SettlementFile.filename == "day2.txt"))
    return a, b, second


def test_reconciliation_figures(db, finance, two_files):
    from billpay.accounts.permissions import Actor

    _a, _b, second = two_files
    recon = reconcile.file_reconciliation(db, Actor.for_user(finance), second.id)
    [batch] = recon.batches
    money = Decimal
    assert (batch.trailer_credit.count, batch.trailer_credit.amount) == (3, money("599.50"))
    assert (batch.trailer_debit.count, batch.trailer_debit.amount) == (1, money("250.00"))
    assert (batch.stored_credit.count, batch.stored_credit.amount) == (2, money("349.50"))
    assert (batch.skipped_credit.count, batch.skipped_credit.amount) == (1, money("250.00"))
    assert (batch.matched.count, batch.exceptions_credit.count, batch.reversals.count) == (1, 1, 1)
    assert recon.recorded_duplicates == reconcile.Figures(1, money("250.00"))
    assert recon.net_amount == money("349.50")
    assert recon.ok and all(c.ok for c in recon.checks)


def test_reconciliation_page_shows_the_totals_and_ties(finance_client, db, two_files):
    a, b, second = two_files
    response = finance_client.get(f"/settlement/files/{second.id}")
    assert response.status_code == 200
    html = text(response)
    page = squash(html)
    assert "day2.txt" in page and "ธนาคารกรุงไทย" in page
    assert "ตามท้ายชุดของธนาคาร 3 599.50 1 250.00" in page
    assert "ข้าม: เคยนำเข้าแล้ว (ซ้ำ) 1 250.00 0 0.00" in page
    assert "บันทึกในระบบ 2 349.50 1 250.00" in page
    assert "✗" not in page and page.count("✓ ตรงกัน") >= 6
    # the lines, with their outcome and bill
    assert f"/bills/{b.ref1}" in html and UNKNOWN_REF1 in page
    assert "ยกเลิกรายการชำระเดิม" in page and "ไม่พบใบแจ้งตาม Ref1" in page
    only = squash(text(finance_client.get(f"/settlement/files/{second.id}?outcome=exception")))
    assert "1 รายการ (ไม่รวมรายการซ้ำที่ข้าม)" in only and b.ref1 not in only


def test_a_file_that_does_not_tie_shows_it(finance_client, db, two_files):
    _a, _b, second = two_files
    second.matched_count += 1  # the import's own counter disagrees with its lines
    db.flush()
    page = squash(text(finance_client.get(f"/settlement/files/{second.id}")))
    assert "✗ ไม่ตรง" in page
    listing = squash(text(finance_client.get("/settlement/files")))
    assert "day2.txt" in listing and "✗ ไม่ตรง" in listing


def test_files_list_pages_sorts_and_filters(finance_client, db, two_files):
    page = squash(text(finance_client.get("/settlement/files")))
    assert "พบ 2 ไฟล์" in page and "day1.txt" in page and "✓ ตรงกัน" in page
    assert "ไม่ตรง" not in page
    assert "สมใจ การคลัง" in page  # imported by
    by_name = text(finance_client.get("/settlement/files?sort=filename"))
    assert by_name.index("day1.txt") < by_name.index("day2.txt")
    assert "พบ 0 ไฟล์" in squash(text(finance_client.get("/settlement/files?bank=014")))
    bad = finance_client.get("/settlement/files?date_from=31/02/2569")
    assert "ไม่มีวันที่นี้ในปฏิทิน" in text(bad) and 'value="31/02/2569"' in text(bad)
    missing = finance_client.get("/settlement/files/999999")
    assert missing.status_code == 404 and "ไม่พบไฟล์ที่นำเข้า" in text(missing)


def test_day_view_sums_all_files_by_bank(finance_client, db, issue):
    a, b, c = issue(), issue(), issue("100.00")
    upload(finance_client, (settlement_file(pay(a.ref1, "250.00"), pay(UNKNOWN_REF1, "10.00",
                                                                       minute=1)), "ktb.txt"))
    upload(finance_client, (settlement_file(pay(b.ref1, "250.00", minute=2), bank="014"),
                            "scb.txt"))
    # another day (23 Nov, Bangkok): not in the 22nd
    late = replace(pay(c.ref1, "100.00"), paid_at=datetime(2026, 11, 22, 17, 30, tzinfo=UTC))
    upload(finance_client, (settlement_file(late), "late.txt"))
    response = finance_client.get("/settlement/days/2026-11-22")
    assert response.status_code == 200
    page = squash(text(response))
    assert "22 พฤศจิกายน 2569" in page
    ktb = re.search(r'data-bank="006">(.*?)</tr>', text(response), re.S).group(1)
    assert squash(ktb).split() [:6] == ["006", "ธนาคารกรุงไทย", "1", "2", "260.00", "2"]
    assert "ธนาคารไทยพาณิชย์" in page and "late.txt" not in page
    assert "รวม" in page  # two banks: a totals row
    assert re.search(r'id="day-lines">3<', text(response))
    assert re.search(r'id="day-matched">2<', text(response))
    next_day = finance_client.get("/settlement/days/2026-11-23")
    assert "late.txt" in text(next_day)
    # the form: a Buddhist-era day, or the latest day with payments
    jump = finance_client.get("/settlement/days?day=22/11/2569")
    assert jump.status_code == 302 and jump.headers["Location"].endswith("/settlement/days/2026-11-22")
    latest = finance_client.get("/settlement/days")
    assert latest.headers["Location"].endswith("/settlement/days/2026-11-23")
    bad = finance_client.get("/settlement/days?day=2569-11-22")
    assert bad.status_code == 422 and "ปีคริสต์ศักราช" in text(bad)
    empty = squash(text(finance_client.get("/settlement/days/2026-01-01")))
    assert "ไม่มีรายการชำระผ่านธนาคารในวันที่" in empty
    assert finance_client.get("/settlement/days/not-a-day").status_code == 404


# -- the exceptions queue ---------------------------------------------------------------

@pytest.fixture
def queue(finance_client, db, issue):
    """Three open exceptions: an unknown Ref1 (KTB, 22 Nov), a short payment of a 5001 bill
    (SCB, 23 Nov) and an unmatched bank reversal (KTB, 22 Nov)."""
    short = issue("250.00")
    upload(finance_client, (settlement_file(
        pay(UNKNOWN_REF1, "250.00", name="นางสาวไม่ทราบ ที่มา"),
        reverse(make_ref1(1, "9999", 2569, 4322), "80.00", minute=5)), "ktb.txt"))
    on_23rd = replace(pay(short.ref1, "200.00"), paid_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    upload(finance_client, (settlement_file(on_23rd, bank="014"), "scb.txt"))
    db.expire_all()
    return short


def rows(client, query: str = "") -> list[str]:
    html = text(client.get(f"/settlement/exceptions{query}"))
    return re.findall(r'<tr data-id="(\d+)"', html)


def test_exceptions_list_shows_the_facts(finance_client, db, queue):
    response = finance_client.get("/settlement/exceptions")
    page = squash(text(response))
    assert "พบ 3 รายการ" in page
    assert UNKNOWN_REF1 in page and "นางสาวไม่ทราบ ที่มา" in page
    assert "22 พ.ย. 69 10:00" in page  # paid at, Bangkok
    assert "ธนาคารกรุงไทย" in page and "ธนาคารไทยพาณิชย์" in page
    assert "ไม่พบใบแจ้งตาม Ref1" in page and "ชำระน้อยกว่ายอดในใบแจ้ง" in page
    assert "รายการยกเลิกของธนาคารไม่พบรายการชำระเดิม" in page
    assert "5001" in page  # the short payment's office
    nav = text(response)
    assert 'href="/settlement/exceptions"' in nav and "รับชำระผ่านธนาคาร" in nav


def test_exceptions_list_filters(finance_client, db, queue):
    short_id = exception_id(db, "amount_short")
    unknown_id = exception_id(db, "unknown_ref1")
    assert len(rows(finance_client)) == 3
    assert rows(finance_client, "?reason=amount_short") == [str(short_id)]
    assert rows(finance_client, "?bank=014") == [str(short_id)]
    assert rows(finance_client, "?office=5001") == [str(short_id)]
    assert rows(finance_client, "?date_from=23/11/2569") == [str(short_id)]
    assert len(rows(finance_client, "?date_to=22/11/2569")) == 2
    assert str(unknown_id) in rows(finance_client, "?date_from=22/11/2569&date_to=22/11/2569")
    assert rows(finance_client, "?status=resolved") == []
    assert len(rows(finance_client, "?status=all")) == 3
    empty = squash(text(finance_client.get("/settlement/exceptions?status=resolved")))
    assert "ไม่พบรายการที่ตรงกับเงื่อนไข" in empty
    bad = text(finance_client.get("/settlement/exceptions?date_from=1/1/2026"))
    assert "ปีต้องเป็นปีพุทธศักราช" in bad and 'value="1/1/2026"' in bad


def test_exceptions_list_sorts(finance_client, db, queue):
    short_id = str(exception_id(db, "amount_short"))      # 200.00, SCB, 23 Nov
    unknown_id = str(exception_id(db, "unknown_ref1"))    # 250.00, KTB, 22 Nov
    reversal_id = str(exception_id(db, "reversal_unmatched"))  # 80.00, KTB, 22 Nov
    assert rows(finance_client)[-1] == short_id           # oldest payment first
    assert rows(finance_client, "?sort=-paid_at")[0] == short_id
    assert rows(finance_client, "?sort=amount") == [reversal_id, short_id, unknown_id]
    assert rows(finance_client, "?sort=-amount") == [unknown_id, short_id, reversal_id]
    assert rows(finance_client, "?sort=-bank_code")[0] == short_id   # 014 after 006
    assert rows(finance_client, "?sort=nonsense")[-1] == short_id   # an unknown key: default
    page = text(finance_client.get("/settlement/exceptions?sort=-amount&reason=unknown_ref1"))
    assert "sort=amount" in page and "reason=unknown_ref1" in page  # the filter stays


def test_exceptions_list_pages(finance_client, db, issue):
    lines = [pay(make_ref1(1, "9999", 2569, 5000 + i), "10.00", minute=i % 60,
                 teller=f"{i:04d}") for i in range(55)]
    upload(finance_client, (settlement_file(*lines), "many.txt"))
    first, second = rows(finance_client), rows(finance_client, "?page=2")
    assert (len(first), len(second)) == (50, 5) and not set(first) & set(second)
    assert "หน้า 1 จาก 2" in text(finance_client.get("/settlement/exceptions"))


def test_exception_page_shows_the_raw_line(finance_client, db, queue):
    page = finance_client.get(f"/settlement/exceptions/{exception_id(db, 'amount_short')}")
    assert page.status_code == 200
    body = squash(text(page))
    assert "ชำระน้อยกว่ายอดในใบแจ้ง" in body and "ยอดในใบแจ้ง 250.00 บาท" in body
    assert "(ต่าง -50.00)" in body
    assert queue.ref1 in body and "scb.txt" in body and "บรรทัดที่ 2" in body
    assert "1–64" in body and "193–256" in body  # the raw record, 64 bytes a row
    assert 'id="resolve-form"' in text(page)


def test_resolve_needs_a_note_and_keeps_what_was_typed(finance_client, db, queue):
    item = exception_id(db, "unknown_ref1")
    path = f"/settlement/exceptions/{item}"
    token = csrf_token(finance_client, path)
    response = finance_client.post(path, data={"csrf_token": token, "resolution": "refund",
                                               "note": "  ", "bill_ref1": "123"})
    assert response.status_code == 422
    page = text(response)
    assert "กรุณาระบุเหตุผลการจัดการรายการนี้" in page
    assert re.search(r'value="refund" id="resolution-refund" checked', page)
    assert 'value="123"' in page
    nothing = finance_client.post(path, data={"csrf_token": token})
    assert "กรุณาเลือกวิธีจัดการ" in text(nothing) and "กรุณาระบุเหตุผล" in text(nothing)
    db.expire_all()
    assert db.get(SettlementException, item).status == "open"


def test_write_off_with_a_note_shows_who_and_when(finance_client, db, queue):
    item = exception_id(db, "unknown_ref1")
    path = f"/settlement/exceptions/{item}"
    token = csrf_token(finance_client, path)
    response = finance_client.post(path, data={"csrf_token": token, "resolution": "written_off",
                                               "note": "ธนาคารยืนยันว่าโอนผิดบัญชี คืนต้นทางแล้ว"})
    assert response.status_code == 303
    page = squash(text(finance_client.get(path)))
    assert "บันทึกแล้ว: ปิดรายการพร้อมเหตุผล" in page  # the flash
    assert "จัดการแล้ว" in page and "ธนาคารยืนยันว่าโอนผิดบัญชี คืนต้นทางแล้ว" in page
    assert "สมใจ การคลัง" in page and "2569 เวลา" in page
    assert 'id="resolve-form"' not in page
    db.expire_all()
    resolved = db.get(SettlementException, item)
    assert (resolved.status, resolved.resolution) == ("resolved", "written_off")
    assert str(item) not in rows(finance_client)  # gone from the open queue
    again = finance_client.post(path, data={"csrf_token": token, "resolution": "refund",
                                            "note": "อีกครั้ง"})
    assert again.status_code == 409 and "รายการนี้จัดการไปแล้ว" in text(again)


def test_link_to_the_right_bill_pays_it(finance_client, db, queue, issue):
    right = issue("250.00")
    item = exception_id(db, "unknown_ref1")
    path = f"/settlement/exceptions/{item}"
    token = csrf_token(finance_client, path)
    wrong = issue("999.00")
    refused = finance_client.post(path, data={"csrf_token": token, "resolution": "linked",
                                              "note": "ผู้ชำระพิมพ์ Ref1 ผิด",
                                              "bill_ref1": wrong.ref1})
    assert refused.status_code == 422
    assert "ไม่เท่ากับยอดใบแจ้ง" in text(refused) and wrong.ref1 in text(refused)
    response = finance_client.post(path, data={"csrf_token": token, "resolution": "linked",
                                               "note": "ผู้ชำระพิมพ์ Ref1 ผิด",
                                               "bill_ref1": right.ref1})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Bill, right.id).status == BillStatus.PAID
    payment = db.scalar(select(Payment).where(Payment.bill_id == right.id))
    assert payment.amount == Decimal("250.00")
    page = squash(text(finance_client.get(path)))
    assert "ผูกกับใบแจ้งที่ถูกต้อง" in page and right.ref1 in page and "ชำระแล้ว" in page


def test_accept_a_short_payment(finance_client, db, queue):
    item = exception_id(db, "amount_short")
    path = f"/settlement/exceptions/{item}"
    token = csrf_token(finance_client, path)
    response = finance_client.post(path, data={"csrf_token": token, "resolution": "accepted",
                                               "note": "อนุมัติตามบันทึกที่ 12/2569"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Bill, queue.id).status == BillStatus.PAID


def test_a_bank_reversal_cannot_be_linked(finance_client, db, queue):
    item = db.scalar(select(SettlementException.id).join(SettlementException.bank_line)
                     .where(BankLine.kind == KIND_REVERSAL))
    path = f"/settlement/exceptions/{item}"
    token = csrf_token(finance_client, path)
    response = finance_client.post(path, data={"csrf_token": token, "resolution": "linked",
                                               "note": "x", "bill_ref1": queue.ref1})
    assert response.status_code == 422
    assert "รายการยกเลิกของธนาคารผูกกับใบแจ้งไม่ได้" in text(response)


# -- who may ------------------------------------------------------------------------------

PAGES = ["/settlement/upload", "/settlement/files", "/settlement/days",
         "/settlement/days/2026-11-22", "/settlement/exceptions"]


def test_a_clerk_gets_403(client, db, make_user, queue):
    file_id = db.scalar(select(SettlementFile.id))
    item = exception_id(db, "unknown_ref1")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settlement/upload")})
    login(client, make_user(Role.CLERK, "5001", username="counter1").username)
    for path in [*PAGES, f"/settlement/files/{file_id}", f"/settlement/exceptions/{item}"]:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/bills/new")
    assert client.post(f"/settlement/exceptions/{item}", data={
        "csrf_token": token, "resolution": "written_off", "note": "x"}).status_code == 403
    assert client.post("/settlement/upload", data={"csrf_token": token}).status_code == 403
    assert "รับชำระผ่านธนาคาร" not in text(client.get("/bills"))  # no nav entry


def test_an_auditor_reads_but_does_not_resolve_or_upload(client, db, make_user, queue):
    file_id = db.scalar(select(SettlementFile.id))
    item = exception_id(db, "unknown_ref1")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settlement/upload")})
    login(client, make_user(Role.AUDITOR, "00", username="audit1").username)
    for path in ["/settlement/files", "/settlement/days/2026-11-22", "/settlement/exceptions",
                 f"/settlement/files/{file_id}"]:
        assert client.get(path).status_code == 200, path
    page = client.get(f"/settlement/exceptions/{item}")
    assert page.status_code == 200
    assert 'id="resolve-form"' not in text(page) and "ดูได้อย่างเดียว" in text(page)
    assert "นำเข้าไฟล์ธนาคาร" not in text(page)  # no upload tab
    assert client.get("/settlement/upload").status_code == 403
    token = csrf_token(client, "/settlement/exceptions")
    refused = client.post(f"/settlement/exceptions/{item}", data={
        "csrf_token": token, "resolution": "written_off", "note": "ตรวจแล้ว"})
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(SettlementException, item).status == "open"


def test_unknown_exception_is_404_even_for_a_post(finance_client, db):
    assert finance_client.get("/settlement/exceptions/987654").status_code == 404
    token = csrf_token(finance_client, "/settlement/exceptions")
    assert finance_client.post("/settlement/exceptions/987654",
                               data={"csrf_token": token}).status_code == 404


def test_empty_states_say_what_to_do(finance_client, db):
    assert "ยังไม่มีไฟล์ที่นำเข้า" in text(finance_client.get("/settlement/files"))
    assert "ไม่มีรายการรอตรวจสอบ" in text(finance_client.get("/settlement/exceptions"))
    days = text(finance_client.get("/settlement/days"))
    assert "ยังไม่มีไฟล์จากธนาคารที่นำเข้า" in days and "/settlement/upload" in days


def test_import_through_the_service_shows_up_too(finance_client, db, finance, issue):
    """Files imported by the nightly job (no user) are listed the same way."""
    import_settlement_file(db, None, settlement_file(pay(issue().ref1, "250.00")), "job.txt")
    db.flush()
    page = squash(text(finance_client.get("/settlement/files")))
    assert "job.txt" in page and "นำเข้าอัตโนมัติ" in page and "✓ ตรงกัน" in page


def test_bbl_commission_and_two_batches(finance_client, db, finance, issue):
    """A BBL file of two batches: the trailer's debit is the bank's commission, shown and
    taken off the net, not reconciled against reversals."""
    from billpay.accounts.permissions import Actor
    from billpay.settlement.writer import BatchSpec, write_settlement
    from tests.settlement.factory import ACCOUNT

    a, b = issue(), issue("100.00")
    data = write_settlement([
        BatchSpec(bank_code="002", account=ACCOUNT, company_name="DOPA", effective_date=day,
                  payments=[payment], commission_amount=Decimal("12.50"), commission_count=2)
        for day, payment in (
            (datetime(2026, 11, 22).date(), pay(a.ref1, "250.00")),
            (datetime(2026, 11, 23).date(), pay(b.ref1, "100.00", minute=9)))])
    assert upload(finance_client, (data, "bbl.txt")).status_code == 200
    file_id = db.scalar(select(SettlementFile.id))
    recon = reconcile.file_reconciliation(db, Actor.for_user(finance), file_id)
    assert len(recon.batches) == 2 and recon.ok
    assert recon.batches[0].commission == reconcile.Figures(2, Decimal("12.50"))
    assert recon.net_amount == Decimal("325.00")  # 350.00 less 2 × 12.50
    page = squash(text(finance_client.get(f"/settlement/files/{file_id}")))
    assert "ชุดที่ 2" in page and "ธนาคารกรุงเทพ" in page and "✗" not in page
    assert "ค่าธรรมเนียมในช่องเดบิต" in page and "12.50" in page
