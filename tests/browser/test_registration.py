"""The accounts journey in real Chromium: a district officer registers, the finance
division approves the registration against the province's list, and the new user signs
in and issues a bill.

Runs once per backend against the live server of conftest.py; screenshots of each step
go to ``test-artifacts/browser/<backend>/2N-*.png``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from billpay.accounts.models import Nomination, Role
from billpay.accounts.services import create_user
from billpay.db import get_database
from billpay.offices.models import Office
from tests.accounts.helpers import CITIZEN_IDS
from tests.browser.test_counter import assert_sarabun_loaded, unexpected_errors
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

FINANCE = "finance.browser"
NEW_USER = "wandee.k"
NEW_PASSWORD = "Wandee-Bill-2569"
NEW_NAME = "นางวันดี ขยันดี"
OFFICE = "5002"  # อำเภอจอมทอง จังหวัดเชียงใหม่


@pytest.fixture(scope="module")
def nominated(live_server):
    """The finance officer, and the province's list naming the newcomer for office 5002."""
    with get_database(live_server.app).transaction() as db:
        create_user(db, username=FINANCE, password=PASSWORD, full_name="นายการเงิน กองคลัง",
                    role=Role.FINANCE, office_code="00", position="นักวิชาการเงินและบัญชี")
        office = db.scalar(select(Office).where(Office.code == OFFICE))
        db.add(Nomination(office=office, seq=1, full_name=NEW_NAME,
                          position="เจ้าพนักงานปกครองปฏิบัติงาน", citizen_id=CITIZEN_IDS[4],
                          proposed_role="clerk", source="แบบแจ้งรายชื่อ จังหวัดเชียงใหม่"))


def sign_in(tab, username: str, password: str) -> None:
    tab.goto("/login")
    tab.locator("#username").fill(username)
    tab.locator("#password").fill(password)
    tab.locator("#password").press("Enter")


def sign_out(tab) -> None:
    tab.get_by_role("button", name="ออกจากระบบ").click()
    tab.wait_for_url(re.compile(r"/login$"))


def test_register_approve_sign_in_and_issue_a_bill(page, live_server, nominated):
    tab = page.page

    # 1. The newcomer registers from the sign-in page.
    tab.goto("/login")
    tab.locator("#register-link").click()
    tab.wait_for_url(re.compile(r"/register$"))
    expect(tab.locator("#full_name")).to_be_focused()
    assert_sarabun_loaded(tab)
    page.shot("20-register-empty")
    tab.locator("#full_name").fill(NEW_NAME)
    tab.locator("#position").fill("เจ้าพนักงานปกครองปฏิบัติงาน")
    tab.locator("#office_code").select_option(OFFICE)
    tab.locator("#citizen_id").fill("1-1004-00134-56-7")
    tab.locator("#email").fill("wandee@dopa.go.th")
    tab.locator("#phone").fill("053-123456")
    tab.locator("#username").fill(NEW_USER)
    tab.locator("#password").fill("short")
    tab.locator("#password_confirm").fill("short")
    tab.locator("#password_confirm").press("Enter")

    # A weak password is refused in Thai, and nothing typed is lost.
    expect(tab.locator("#form-error")).to_be_visible()
    expect(tab.locator("#err-password")).to_contain_text("อย่างน้อย 10 ตัวอักษร")
    expect(tab.locator("#full_name")).to_have_value(NEW_NAME)
    expect(tab.locator("#office_code")).to_have_value(OFFICE)
    page.shot("21-register-weak-password", full_page=True)
    tab.locator("#password").fill(NEW_PASSWORD)
    tab.locator("#password_confirm").fill(NEW_PASSWORD)
    tab.locator("#password_confirm").press("Enter")
    tab.wait_for_url(re.compile(r"/register/done$"))
    expect(tab.locator("#registered")).to_contain_text("รอกองคลังอนุมัติ")
    page.shot("22-registered")

    # Not yet: the account waits for the finance division.
    sign_in(tab, NEW_USER, NEW_PASSWORD)
    expect(tab.locator("#login-error")).to_contain_text("รอกองคลังอนุมัติ")

    # 2. The finance division finds the registration beside the province's list.
    sign_in(tab, FINANCE, PASSWORD)
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.locator("#task-users-waiting .task-count")).to_have_text("1")
    tab.locator("#task-users-waiting a").click()
    tab.wait_for_url(re.compile(r"/accounts/approvals$"))
    row = tab.locator("#approval-table tbody tr", has_text=NEW_USER)
    expect(row).to_contain_text("ตรงกับรายชื่อ")
    page.shot("23-approvals-queue")
    row.get_by_role("link", name="พิจารณา").click()
    expect(tab.locator("#nomination-match")).to_contain_text(NEW_NAME)
    expect(tab.locator("#role")).to_have_value("clerk")
    expect(tab.locator("#office_code")).to_have_value(OFFICE)
    page.shot("24-approval", full_page=True)
    tab.locator("#approve").click()
    tab.wait_for_url(re.compile(r"/accounts/approvals$"))
    expect(tab.locator(".flash-success")).to_contain_text(NEW_USER)
    expect(tab.locator("#empty")).to_be_visible()
    page.shot("25-approved")
    sign_out(tab)

    # 3. The new user signs in and lands on the counter of their own office.
    sign_in(tab, NEW_USER, NEW_PASSWORD)
    tab.wait_for_url(re.compile(r"/$"))
    tab.locator("#go-new-bill").click()
    tab.wait_for_url(re.compile(r"/bills/new$"))
    expect(tab.locator(".user-office")).to_contain_text("จอมทอง")
    tab.locator("#payer_name").fill("นายผู้ชำระ ทดสอบ")
    tab.locator("#items-0-fee_type").click()
    tab.keyboard.type("FA01")
    tab.keyboard.press("Tab")
    expect(tab.locator("#items-0-amount")).to_have_value("100.00")
    page.shot("26-new-user-counter")
    tab.locator("#payer_name").press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    ref1 = tab.locator("#ref1").inner_text().strip()
    assert ref1.startswith("15002"), ref1  # live mode, office 5002
    expect(tab.locator("#bill-total")).to_have_text("100.00")
    assert_sarabun_loaded(tab)
    page.shot("27-new-user-bill")

    errors = unexpected_errors(page, re.compile(r"status of 40[13] .*/login\]$"),
                               re.compile(r"status of 422 .*/register\]$"))
    assert errors == [], "\n".join(errors)
