"""The home page shows each person today's work, on SQLite and PostgreSQL: a clerk the
bills issued today and those unpaid, an office head the cancellations to approve and the
daily close, the finance division the users waiting, the open exceptions and the banks'
files not yet in; an executive lands on the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.accounts.services import Registration, register_user
from billpay.bills import services as bills
from billpay.db import utcnow
from billpay.receipts import services as receipts
from billpay.settlement.services import import_settlement_file
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement
from billpay.thaidate import BANGKOK, bangkok_date
from tests.accounts.helpers import CITIZEN_IDS, STRONG

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})


def issue(db, actor, amount="250.00"):
    return bills.issue_bill(db, actor, bills.NewBill(
        payer_name="นางสาวงานวันนี้ ทดสอบ",
        items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), CONFIG)


def count_of(html: str, key: str) -> int:
    """The number shown on the task ``key`` of the home page."""
    match = re.search(rf'id="task-{key}".*?class="task-count"[^>]*>([\d,]+)<', html, re.S)
    assert match, f"no task {key} on the page"
    return int(match.group(1).replace(",", ""))


def test_clerk_sees_todays_bills_and_the_unpaid(db, signed_in, clerk, clerk_actor,
                                                 make_user):
    for _ in range(3):
        issue(db, clerk_actor)
    paid = issue(db, clerk_actor, "99.00")
    receipts.take_counter_payment(db, clerk_actor, paid.ref1, method="cash", reference=None)
    other = Actor.for_user(make_user(Role.CLERK, "5002"))  # another office: not counted
    issue(db, other)
    db.flush()

    response = signed_in(clerk).get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>งานของวันนี้</h1>" in html
    assert count_of(html, "issued-today") == 4
    assert count_of(html, "unpaid") == 3
    assert count_of(html, "receipts-today") == 1
    assert 'href="/bills?status=issued"' in html
    assert 'id="task-cancellations"' not in html  # a clerk does not approve
    assert 'id="go-new-bill"' in html  # the counter is one key away


def test_clerk_home_in_english(db, signed_in, clerk):
    client = signed_in(clerk)
    client.set_cookie("lang", "en")
    html = client.get("/").get_data(as_text=True)
    assert "<h1>Today's work</h1>" in html and "Bills issued today" in html


def test_office_head_sees_cancellations_to_approve_and_the_daily_close(
        db, signed_in, clerk_actor, make_user):
    head = make_user(Role.OFFICE_HEAD, "5001")
    receipt = receipts.take_counter_payment(db, clerk_actor, issue(db, clerk_actor).ref1,
                                            method="cash", reference=None)
    html = signed_in(head).get("/").get_data(as_text=True)
    assert count_of(html, "cancellations") == 0
    assert 'id="task-daily-close"' in html and "/reports/daily?date=" in html

    receipts.request_cancellation(db, clerk_actor, receipt.id, "พิมพ์ชื่อผู้ชำระผิด")
    db.flush()
    html = signed_in(head).get("/").get_data(as_text=True)
    assert count_of(html, "cancellations") == 1
    # waiting work comes first
    assert html.index('id="task-cancellations"') < html.index('id="task-issued-today"')


def _bank_file(bank: str, paid_at: datetime, ref1: str, amount: str) -> bytes:
    day = bangkok_date(paid_at)
    return write_settlement([BatchSpec(
        bank_code=bank, account="1234567890", company_name="DOPA BILL PAYMENT",
        effective_date=day, payments=[PaymentSpec(
            paid_at=paid_at, customer_name="นายธนาคาร ทดสอบ", ref1=ref1, ref2="",
            amount=Decimal(amount), teller="0001", branch="0101")])])


def test_finance_sees_users_waiting_open_exceptions_and_missing_files(
        db, signed_in, clerk_actor, make_user):
    finance = make_user(Role.FINANCE, "00")
    importer = Actor.for_user(finance)
    html = signed_in(finance).get("/").get_data(as_text=True)
    assert (count_of(html, "users-waiting"), count_of(html, "open-exceptions"),
            count_of(html, "files-missing")) == (0, 0, 0)

    register_user(db, Registration(
        username="somchai.wait", password=STRONG, full_name="นายสมชาย รออนุมัติ",
        position="เจ้าพนักงานปกครอง", office_code="5001", citizen_id=CITIZEN_IDS[0],
        email="somchai.wait@example.go.th", phone="0812345678"))
    yesterday = bangkok_date(utcnow()) - timedelta(days=1)
    at = datetime.combine(yesterday, time(10, 0), tzinfo=BANGKOK).astimezone(UTC)
    bill = issue(db, clerk_actor)
    # Krungthai paid a bill three days before yesterday and nothing since; SCB sent
    # yesterday's file, with an unknown Ref1 in it
    import_settlement_file(db, importer, _bank_file("006", at - timedelta(days=3), bill.ref1,
                                                    "250.00"), "ktb.txt")
    import_settlement_file(db, importer, _bank_file("014", at, "000000000000000", "10.00"),
                           "scb.txt")
    db.flush()

    html = signed_in(finance).get("/").get_data(as_text=True)
    assert count_of(html, "users-waiting") == 1
    assert count_of(html, "open-exceptions") == 1
    assert count_of(html, "files-missing") == 1
    detail = re.search(r'id="task-files-missing".*?class="task-detail">([^<]*)<', html, re.S)
    assert detail and detail.group(1) == "ธนาคารกรุงไทย"
    assert 'href="/accounts/approvals"' in html and 'href="/settlement/exceptions"' in html


def test_executive_goes_to_the_dashboard(signed_in, make_user):
    response = signed_in(make_user(Role.EXECUTIVE, "00")).get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reports/dashboard")


@pytest.mark.parametrize("role, office", [(Role.ADMIN, "00"), (Role.AUDITOR, "00"),
                                          (Role.PROVINCIAL, "50")])
def test_other_roles_get_a_page_with_their_shortcuts(signed_in, make_user, role, office):
    response = signed_in(make_user(role, office)).get("/")
    assert response.status_code == 200
    assert 'id="shortcuts-title"' in response.get_data(as_text=True)
