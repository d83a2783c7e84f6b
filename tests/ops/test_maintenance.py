"""Maintenance windows: the banner before, read-only pages and a 503 API during, the
settlement files sent during a window queued and imported after it, in order."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.bills.models import Bill
from billpay.db import get_database, utcnow
from billpay.errors import Conflict, Invalid
from billpay.ops import services
from billpay.ops.models import MaintenanceWindow, QueuedSettlementFile
from billpay.receipts.models import Receipt
from billpay.settlement.models import SettlementException, SettlementFile
from tests.ops.helpers import REASON, bearer, end_it, token, window
from tests.settlement.factory import pay, reverse, settlement_file
from tests.settlement.test_simulator import seed_bills
from tests.support import csrf_token, login

BILL_JSON = {"payer_name": "ทดสอบ ช่วงปิดปรับปรุง", "items": [{"fee_type": "FA01"}]}
FILES = "/api/v1/settlement-files"


def bill_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Bill))


def upload(client, secret, data: bytes, name="ktb-20261122.txt"):
    return client.post(FILES, headers=bearer(secret), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


@pytest.fixture
def inline_queue(app, monkeypatch):
    """Import the queue inside the request that notices it (instead of a thread)."""
    monkeypatch.setitem(app.config["BILLPAY"], "SETTLEMENT_QUEUE_DRAIN", "inline")


# -- banner --------------------------------------------------------------------------------

def test_banner_shows_from_the_notice_period_before_a_window(clerk_client, db):
    far = window(db, starts_in=timedelta(hours=30), reason="ครั้งที่ไกลเกินประกาศ")
    page = clerk_client.get("/bills").get_data(as_text=True)
    assert 'id="maintenance-banner"' not in page  # 30 h away, notice is 24 h
    db.delete(far)
    window(db, starts_in=timedelta(hours=3))
    page = clerk_client.get("/bills").get_data(as_text=True)
    assert 'id="maintenance-banner"' in page and REASON in page
    assert "ประกาศ: ระบบจะปิดปรับปรุงตั้งแต่" in page and "เวลา" in page
    # before it starts nothing is refused
    response = clerk_client.post("/api/v1/bills", json=BILL_JSON,
                                 headers={"X-CSRFToken": csrf_token(clerk_client, "/bills/new")})
    assert response.status_code == 201


def test_banner_on_the_sign_in_page_too(client, db):
    window(db, starts_in=timedelta(hours=1))
    assert REASON in client.get("/login").get_data(as_text=True)


def test_cancelled_window_shows_no_banner(clerk_client, db):
    w = window(db, starts_in=timedelta(hours=2))
    w.cancelled_at = utcnow()
    db.flush()
    assert 'id="maintenance-banner"' not in clerk_client.get("/bills").get_data(as_text=True)


# -- during a window -----------------------------------------------------------------------

def test_pages_are_read_only_during_a_window(clerk_client, db):
    w = window(db, lasts=timedelta(minutes=60))
    before = bill_count(db)
    page = clerk_client.get("/bills/new")
    assert page.status_code == 200
    assert "ขณะนี้ระบบปิดปรับปรุง" in page.get_data(as_text=True)
    token_ = csrf_token(clerk_client, "/bills/new")
    response = clerk_client.post("/bills/new", data={"csrf_token": token_, "payer_name": "นายก ข",
                                                 "fee_type": "FA01"})
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "ระบบปิดปรับปรุงชั่วคราว ยังบันทึกข้อมูลไม่ได้" in text and REASON in text
    assert 2990 <= int(response.headers["Retry-After"]) <= 3000  # 50 minutes left
    assert bill_count(db) == before
    end_it(db, w)
    assert clerk_client.post("/bills/new", data={"csrf_token": token_, "payer_name": ""}
                             ).status_code == 422  # open again: the form is checked


def test_api_answers_503_with_retry_after_during_a_window(client, db):
    secret = token(db, Role.CLERK, "5001", name="counter-app")
    window(db, starts_in=-timedelta(minutes=5), lasts=timedelta(minutes=35))
    response = client.post("/api/v1/bills", json=BILL_JSON, headers=bearer(secret))
    assert response.status_code == 503
    body = response.get_json()
    assert (body["code"], body["status"]) == (503, "Service Unavailable")
    assert REASON in body["message"] and "ปิดปรับปรุง" in body["message"]
    assert 1790 <= int(response.headers["Retry-After"]) <= 1800
    assert client.get("/api/v1/bills", headers=bearer(secret)).status_code == 200


def test_sign_in_sign_out_and_probes_work_during_a_window(client, db, clerk):
    window(db)
    login(client, clerk.username)  # asserts the 302
    assert client.get("/bills").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/bills")})
    assert response.status_code == 302
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path


def test_admin_can_end_the_window_from_its_page(client, db, make_user):
    admin = make_user(Role.ADMIN, "00", username="ops-admin")
    w = window(db)
    login(client, admin.username)
    page = client.get("/admin/maintenance").get_data(as_text=True)
    assert "กำลังปิดปรับปรุง" in page and "สิ้นสุดทันที" in page
    response = client.post(f"/admin/maintenance/{w.id}/cancel",
                           data={"csrf_token": csrf_token(client, "/admin/maintenance")})
    assert response.status_code == 303
    db.refresh(w)
    assert w.ended_early_at is not None and w.ends_at <= utcnow()
    assert services.current_window(db, utcnow()) is None


# -- the admin page ------------------------------------------------------------------------

def test_admin_schedules_a_window_in_bangkok_time(client, db, make_user):
    admin = make_user(Role.ADMIN, "00", username="ops-admin")
    login(client, admin.username)
    token_ = csrf_token(client, "/admin/maintenance")
    tomorrow = (utcnow() + timedelta(days=2)).date()
    be = f"{tomorrow.day:02d}/{tomorrow.month:02d}/{tomorrow.year + 543}"
    form = {"csrf_token": token_, "starts_date": be, "starts_time": "22:00",
            "ends_date": be, "ends_time": "23:30", "reason": "  ปรับปรุงเครื่องแม่ข่าย  "}
    response = client.post("/admin/maintenance", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    w = db.scalar(select(MaintenanceWindow).order_by(MaintenanceWindow.id.desc()))
    assert w.reason == "ปรับปรุงเครื่องแม่ข่าย" and w.created_by_name == admin.full_name
    assert w.starts_at.utcoffset() == timedelta(0)
    assert (w.starts_at.hour, w.ends_at.hour, w.ends_at.minute) == (15, 16, 30)  # UTC
    # the same time again overlaps: refused in Thai, nothing added
    again = client.post("/admin/maintenance", data=form)
    assert again.status_code == 422 and "ซ้อนกับช่วงปิดปรับปรุงที่กำหนดไว้แล้ว" in again.get_data(
        as_text=True)
    bad = client.post("/admin/maintenance", data={**form, "ends_time": "21:00"})
    assert bad.status_code == 422 and "เวลาสิ้นสุดต้องอยู่หลังเวลาเริ่ม" in bad.get_data(as_text=True)
    # cancel: the row stays, marked
    response = client.post(f"/admin/maintenance/{w.id}/cancel", data={"csrf_token": token_})
    assert response.status_code == 303
    db.refresh(w)
    assert w.cancelled_at is not None and w.cancelled_by_name == admin.full_name
    assert "ยกเลิกแล้ว" in client.get("/admin/maintenance").get_data(as_text=True)


def test_schedule_service_refusals(db):
    now = utcnow()
    with pytest.raises(Invalid) as bad:
        services.schedule_window(db, None, starts_at=now, ends_at=now - timedelta(hours=1),
                                 reason=" ", now=now)
    assert set(bad.value.errors) == {"reason", "ends_at"}
    services.start_window(db, None, minutes=30, reason="ทดสอบ", now=now)
    with pytest.raises(Conflict):
        services.start_window(db, None, minutes=30, reason="ทดสอบ", now=now)


# -- settlement files during a window ------------------------------------------------------

def test_file_sent_during_a_window_is_queued_then_imported_when_it_ends(client, db, app):
    bills = seed_bills(db, 3)
    secret = token(db)
    window(db)
    data = settlement_file(*(pay(ref1, amount, minute=i) for i, (ref1, amount)
                             in enumerate(bills)))
    response = upload(client, secret, data)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and body["queue_id"] and "เข้าคิว" in body["message"]
    assert upload(client, secret, data).get_json()["queue_id"] == body["queue_id"]  # a retry
    files_before = db.scalar(select(func.count()).select_from(SettlementFile))
    receipts_before = db.scalar(select(func.count()).select_from(Receipt))
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "issued"

    result = app.test_cli_runner().invoke(args=["maintenance", "end"])
    assert result.exit_code == 0, result.output
    assert "สิ้นสุดช่วงปิดปรับปรุงระบบ" in result.output
    assert f"[คิว {body['queue_id']}] ktb-20261122.txt: นำเข้าแล้ว" in result.output
    db.expire_all()
    row = db.get(QueuedSettlementFile, body["queue_id"])
    assert row.state == "imported" and row.settlement_file_id and row.processed_at
    assert "ตรงกับใบแจ้ง 3 รายการ" in row.result_message
    record = db.get(SettlementFile, row.settlement_file_id)
    assert record.source == "api" and record.imported_by_token_id is not None
    assert db.scalar(select(func.count()).select_from(SettlementFile)) == files_before + 1
    assert db.scalar(select(func.count()).select_from(Receipt)) == receipts_before + 3
    statuses = db.scalars(select(Bill.status).where(Bill.ref1.in_([r for r, _ in bills])))
    assert set(statuses) == {"paid"}


def test_first_request_after_the_scheduled_end_imports_the_queue(client, db, inline_queue):
    bills = seed_bills(db, 1)
    secret = token(db)
    w = window(db)
    queued = upload(client, secret, settlement_file(pay(*bills[0]))).get_json()["queue_id"]
    assert client.get("/healthz").status_code == 200  # probes do not look at the queue
    assert db.get(QueuedSettlementFile, queued).state == "queued"
    end_it(db, w)
    assert client.get("/login").status_code == 200  # any page, after the end
    db.expire_all()
    assert db.get(QueuedSettlementFile, queued).state == "imported"
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "paid"


def test_queue_is_imported_in_arrival_order(client, db, inline_queue):
    """A reversal in the second file undoes the payment in the first: only in order."""
    (ref1, amount), = seed_bills(db, 1)
    secret = token(db)
    w = window(db)
    first = upload(client, secret, settlement_file(pay(ref1, amount, minute=1)), "day1.txt")
    second = upload(client, secret, settlement_file(reverse(ref1, amount, minute=2)), "day2.txt")
    assert (first.status_code, second.status_code) == (202, 202)
    exceptions = db.scalar(select(func.count()).select_from(SettlementException))
    end_it(db, w)
    # after the end, while files still wait, a new upload queues behind them
    client.get("/login")
    db.expire_all()
    rows = db.scalars(select(QueuedSettlementFile).order_by(QueuedSettlementFile.id)).all()
    assert [(r.filename, r.state) for r in rows] == [("day1.txt", "imported"),
                                                      ("day2.txt", "imported")]
    assert db.scalar(select(Bill.status).where(Bill.ref1 == ref1)) == "issued"  # reversed
    assert db.scalar(select(func.count()).select_from(SettlementException)) == exceptions
    receipt = db.scalar(select(Receipt).join(Bill, Receipt.bill_id == Bill.id)
                        .where(Bill.ref1 == ref1))
    assert receipt.status == "cancelled"


def test_upload_while_files_still_wait_queues_behind_them(client, db):
    bills = seed_bills(db, 2)
    secret = token(db)
    w = window(db)
    upload(client, secret, settlement_file(pay(*bills[0])), "a.txt")
    end_it(db, w)  # over, but nobody has imported the queue yet (drain off)
    app = client.application
    app.config["BILLPAY"]["SETTLEMENT_QUEUE_DRAIN"], saved = "off", app.config["BILLPAY"][
        "SETTLEMENT_QUEUE_DRAIN"]
    try:
        response = upload(client, secret, settlement_file(pay(*bills[1])), "b.txt")
    finally:
        app.config["BILLPAY"]["SETTLEMENT_QUEUE_DRAIN"] = saved
    assert response.status_code == 202 and "ต่อจากไฟล์" in response.get_json()["message"]
    results = services.import_queue(get_database(app))
    assert [(r.filename, r.state) for r in results] == [("a.txt", "imported"),
                                                        ("b.txt", "imported")]


def test_bad_file_during_a_window_is_refused_at_once(client, db):
    secret = token(db)
    window(db)
    response = upload(client, secret, b"H000001not a settlement file\n")
    assert response.status_code == 422 and response.get_json()["code"] == 422
    assert db.scalar(select(func.count()).select_from(QueuedSettlementFile)) == 0


def test_failed_queued_file_is_recorded_not_dropped(app, db):
    now = utcnow()
    row, _ = services.queue_settlement_file(db, None, "broken.txt", b"garbage\n", origin="watch",
                                            now=now)
    results = services.import_queue(get_database(app))
    assert [(r.queue_id, r.state) for r in results] == [(row.id, "failed")]
    db.expire_all()
    row = db.get(QueuedSettlementFile, row.id)
    assert row.state == "failed" and row.result_message and row.content == b"garbage\n"
    result = app.test_cli_runner().invoke(args=["maintenance", "requeue", str(row.id)])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.get(QueuedSettlementFile, row.id).state == "queued"


def test_queue_waits_while_a_window_is_on(app, db):
    window(db)
    services.queue_settlement_file(db, None, "x.txt", b"x", origin="api", now=utcnow())
    assert services.import_queue(get_database(app)) == []
    assert services.queue_counts(db)["queued"] == 1
