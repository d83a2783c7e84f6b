"""axe-core on the main pages, as each role sees them (with rows in their tables), in
Thai and in English: no violation of impact serious or critical (see a11y.py).

The rows are made in the live server's database at office 6701 (Mueang Phetchabun)
and a Siam Commercial Bank file of today, so the other browser tests' offices, banks
and days are not touched.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.accounts.services import create_user
from billpay.bills import services as bills
from billpay.db import get_database, utcnow
from billpay.offices.models import Office
from billpay.receipts import services as receipts
from billpay.settlement.services import import_settlement_file
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement
from billpay.thaidate import bangkok_date
from tests.browser.a11y import assert_accessible, failing_violations
from tests.browser.test_counter import unexpected_errors
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

OFFICE = "6701"
CLERK = "clerk.a11y"
ADMIN = "admin.a11y"
HEAD = "head.a11y"


@pytest.fixture(scope="module")
def rows(live_server, finance_user):
    """A clerk, an office head and an admin; two bills of office 6701, one paid at the
    counter (a receipt), and a bank file with an unknown Ref1 (an open exception)."""
    app = live_server.app
    with app.app_context(), get_database(app).transaction() as db:
        clerk = create_user(db, username=CLERK, password=PASSWORD, full_name="นางสาวเข้าถึง ได้ดี",
                            role=Role.CLERK, office_code=OFFICE, position="เจ้าพนักงานปกครอง")
        create_user(db, username=HEAD, password=PASSWORD, full_name="นายหัวหน้า เข้าถึง",
                    role=Role.OFFICE_HEAD, office_code=OFFICE, position="ปลัดอำเภอ")
        create_user(db, username=ADMIN, password=PASSWORD, full_name="นายผู้ดูแล ระบบ",
                    role=Role.ADMIN, office_code="00", position="นักวิชาการคอมพิวเตอร์")
        db.flush()
        office = db.scalar(select(Office).where(Office.code == OFFICE))
        actor = Actor.for_user(clerk)
        issued = [bills.issue_bill(db, actor, bills.NewBill(
            payer_name=f"นายทดสอบ เข้าถึง {i}",
            items=[bills.NewBillItem("HT01", 1, Decimal("320.00")),
                   bills.NewBillItem("FA01", 1, None)]),
            app.extensions["billpay.billing"]) for i in range(2)]
        receipt = receipts.take_counter_payment(db, actor, issued[0].ref1, method="cash",
                                                reference=None)
        finance = Actor(role=Role.FINANCE, name="กองคลัง", office_id=None, office_code="00",
                        province_code=None, office_kind=None)
        now = utcnow().replace(microsecond=0)
        data = write_settlement([BatchSpec(
            bank_code="014", account="1234567890", company_name="DOPA BILL PAYMENT",
            effective_date=bangkok_date(now), payments=[PaymentSpec(
                paid_at=now.astimezone(UTC), customer_name="นายไม่ทราบ ที่มา",
                ref1="670100000000001", ref2="", amount=Decimal("55.00"), teller="0001",
                branch="0101")])])
        import_settlement_file(db, finance, data, "SCB_A11Y.txt")
        assert office is not None
        return {"bill": issued[1].ref1, "receipt": receipt.id}


def sign_in(tab, username: str) -> None:
    tab.goto("/login")
    tab.locator("#username").fill(username)
    tab.locator("#password").fill(PASSWORD)
    tab.locator("#password").press("Enter")
    tab.wait_for_url(lambda url: not url.endswith("/login"))


def check_pages(page, prefix: str, paths: list[str]) -> None:
    """Open each page, screenshot it, run axe; fail once at the end with every page's
    serious and critical violations."""
    tab = page.page
    problems = []
    for i, path in enumerate(paths):
        response = tab.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response.status}"
        name = f"{prefix}-{i:02d}"
        page.shot(name, full_page=True)
        problems.append(failing_violations(page, name))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    errors = unexpected_errors(page)
    assert errors == [], "\n".join(errors)


def test_public_pages(page, rows):
    check_pages(page, "50-a11y-public", ["/login", "/register"])


def test_public_pages_in_english(page, rows):
    page.page.goto("/lang/en")  # sets the cookie
    check_pages(page, "51-a11y-english", ["/login", "/register"])


def test_clerk_pages(page, rows):
    sign_in(page.page, CLERK)
    check_pages(page, "52-a11y-clerk", [
        "/", "/bills/new", "/bills", f"/bills/{rows['bill']}", "/receipts",
        f"/receipts/{rows['receipt']}", "/receipts/counter", "/reports/",
        "/reports/daily", "/account"])


def test_office_head_pages(page, rows):
    sign_in(page.page, HEAD)
    check_pages(page, "53-a11y-head", ["/", "/receipts/cancellations", "/receipts/register"])


def test_finance_pages(page, rows, finance_user):
    sign_in(page.page, finance_user)
    check_pages(page, "54-a11y-finance", [
        "/", "/settlement/exceptions", "/settlement/files", "/settlement/upload",
        "/settlement/days", "/accounts/approvals", "/accounts/nominations",
        "/reports/statistics", "/reports/dashboard", "/audit"])


def test_admin_pages(page, rows):
    sign_in(page.page, ADMIN)
    check_pages(page, "55-a11y-admin", [
        "/", "/accounts/users", "/admin/fee-types", "/admin/fee-types/new",
        "/admin/maintenance"])


def test_clerk_pages_in_english(page, rows):
    sign_in(page.page, CLERK)
    page.page.goto("/lang/en")
    check_pages(page, "56-a11y-clerk-english", ["/", "/bills/new", "/bills", "/receipts"])


def test_axe_finds_a_missing_label(page, live_server):
    """The check can fail: a page with an unlabelled input and low-contrast text."""
    tab = page.page
    tab.goto("/login")
    tab.evaluate("""() => {
        const input = document.createElement('input');
        document.querySelector('main').appendChild(input);
        const p = document.createElement('p');
        p.textContent = 'จาง'; p.style.color = '#eeeeee';
        document.querySelector('main').appendChild(p);
    }""")
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page, "57-a11y-broken")
