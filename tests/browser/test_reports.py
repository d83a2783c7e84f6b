"""Reports in real Chromium: the finance division opens the statistics, drills from the
nation to a province and to a district office, reads the charts and downloads the
Excel file; an executive lands on the dashboard.

Runs once per backend against the live server (see conftest.py). The bills are issued
and paid at the counter of office 6501 in the live server's own database, so the other
browser tests' bills and files are not touched.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.accounts.services import create_user
from billpay.bills import services as bills
from billpay.db import get_database
from billpay.offices.models import Office
from billpay.receipts import services as receipts
from billpay.thaidate import fiscal_year
from tests.browser.conftest import FINANCE_NAME
from tests.browser.test_counter import assert_sarabun_loaded, unexpected_errors
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

OFFICE = "6501"  # Mueang Phitsanulok
AMOUNTS = (Decimal("1250.00"), Decimal("480.50"), Decimal("99.25"))


def paid_bills(live_server) -> Decimal:
    """Three bills of office 6501 (one with two fee types) paid in cash; their total."""
    app = live_server.app
    with app.app_context(), get_database(app).transaction() as db:
        office = db.scalar(select(Office).where(Office.code == OFFICE))
        clerk = Actor(role=Role.CLERK, name="เจ้าหน้าที่ทดสอบ", office_id=office.id,
                      office_code=office.code, province_code=office.province_code,
                      office_kind=office.kind)
        total = Decimal("0.00")
        for i, amount in enumerate(AMOUNTS):
            items = [bills.NewBillItem("HT01", 1, amount)]
            if i == 0:
                items.append(bills.NewBillItem("FA01", 1, None))
            bill = bills.issue_bill(db, clerk, bills.NewBill(payer_name=f"ผู้ชำระรายงาน {i}",
                                                             items=items),
                                    app.extensions["billpay.billing"])
            receipts.take_counter_payment(db, clerk, bill.ref1, method="cash", reference=None)
            total += bill.total
    return total


def sign_in(tab, username: str) -> None:
    tab.goto("/login")
    tab.locator("#username").fill(username)
    tab.locator("#password").fill(PASSWORD)
    tab.locator("#password").press("Enter")


def test_statistics_drill_down_and_excel(page, live_server, finance_user):
    tab = page.page
    total = paid_bills(live_server)
    sign_in(tab, finance_user)
    tab.locator("#nav-reports").click()
    tab.wait_for_url(re.compile(r"/reports/$"))
    expect(tab.locator("#report-list")).to_contain_text("สถิติการจัดเก็บค่าธรรมเนียม")
    page.shot("80-reports-index")

    tab.locator("#report-statistics").click()
    tab.wait_for_url(re.compile(r"/reports/statistics$"))
    expect(tab.locator("h1")).to_have_text("สถิติการจัดเก็บค่าธรรมเนียม")
    expect(tab.locator("svg.chart")).to_have_count(3)
    assert_sarabun_loaded(tab)
    page.shot("81-statistics-nation", full_page=True)

    # nation → Phitsanulok (65) → Mueang Phitsanulok (6501)
    tab.locator("#table-3").get_by_role("link", name="จังหวัดพิษณุโลก", exact=True).click()
    tab.wait_for_url(re.compile(r"province=65"))
    expect(tab.locator("#report-head")).to_contain_text("จังหวัดพิษณุโลก")
    province_table = tab.locator("#table-3")
    expect(province_table.locator("tfoot")).to_contain_text(f"{total:,.2f}")
    page.shot("82-statistics-province", full_page=True)
    province_table.get_by_role("link", name=re.compile("เมืองพิษณุโลก")).click()
    tab.wait_for_url(re.compile(r"office=6501"))
    amounts = tab.locator("#table-1")
    expect(amounts.locator("tfoot")).to_contain_text(f"{total:,.2f}")
    page.shot("83-statistics-office", full_page=True)

    with tab.expect_download() as download_info:
        tab.locator("#export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    sheet = book.worksheets[0]
    assert sheet.cell(sheet.max_row, 2).value == "รวม"
    assert Decimal(str(sheet.cell(sheet.max_row, 15).value)) == total
    assert FINANCE_NAME in str(sheet.cell(4, 2).value)  # printed by
    assert sheet.freeze_panes is not None

    # a bad date is explained on its field, in Thai
    tab.goto("/reports/remittance?from=31/02/2569")
    expect(tab.locator("#err-from")).to_be_visible()
    page.shot("84-report-bad-date")
    # a link that turns into a download shows up as an aborted navigation
    errors = unexpected_errors(page, re.compile(r"\.xlsx\?[^ ]* net::ERR_ABORTED"))
    assert errors == [], "\n".join(errors)


def test_executive_dashboard(page, live_server):
    app = live_server.app
    with get_database(app).transaction() as db:
        create_user(db, username="exec.browser", password=PASSWORD, full_name="ผู้บริหาร ทดสอบ",
                    role=Role.EXECUTIVE, office_code="00", position="รองอธิบดี")
    tab = page.page
    sign_in(tab, "exec.browser")
    tab.wait_for_url(re.compile(r"/reports/dashboard$"))
    expect(tab.locator("h1")).to_have_text("ภาพรวมสำหรับผู้บริหาร")
    from billpay.db import utcnow
    from billpay.thaidate import bangkok_date

    expect(tab.locator("#report-head")).to_contain_text(str(fiscal_year(bangkok_date(utcnow()))))
    expect(tab.locator("#table-2")).to_contain_text("ภาคเหนือ")
    page.shot("85-dashboard", full_page=True)
    errors = unexpected_errors(page)
    assert errors == [], "\n".join(errors)
