"""The finance division's morning in real Chromium: upload the bank's files, watch them go
up and in, read the results, then work the exception the file left and write it off.

Runs once per backend against the live server (see conftest.py). The bill the file pays
is issued in the live server's own database; the file is built with the settlement
writer (tests/settlement/factory.py), with one payment whose Ref1 is no bill's.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from billpay.accounts.models import User
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.codes import make_ref1
from billpay.db import get_database
from tests.browser.conftest import CLERK_USERNAME, FINANCE_NAME
from tests.browser.test_counter import assert_sarabun_loaded, unexpected_errors
from tests.settlement.factory import pay, settlement_file

pytestmark = pytest.mark.browser

UNKNOWN_REF1 = make_ref1(1, "9999", 2569, 7777)
PAID_BILLS = 300
STRANGER = "นางสาวสุดา ไม่ทราบที่มา"
NOTE = "ธนาคารกรุงไทยยืนยันว่าผู้ชำระโอนผิดหน่วยงาน คืนเงินต้นทางแล้ว ตามหนังสือ กค 0402/123"
# Chromium logs every 4xx answer as a console error: the refused file (422) and the
# resolve form sent without a note (422) are expected here.
EXPECTED_422 = re.compile(r"status of 422 .*/settlement/(upload|exceptions/\d+)\]$")

# Records every phase an upload row goes through and the progress values seen, so the
# test knows the page really showed them, however fast the server was. An init script
# runs before the page's own (Playwright injects it; the page's CSP does not apply).
RECORDER = """
window.__phases = [];
window.__progress = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    var el = r.target;
    if (r.type === 'attributes' && r.attributeName === 'data-phase') {
      window.__phases.push(el.getAttribute('data-phase'));
    }
    if (r.type === 'attributes' && el.tagName === 'PROGRESS') {
      window.__progress.push(el.hasAttribute('value') ? el.value : 'indeterminate');
    }
  });
}).observe(document, {subtree: true, attributes: true,
                      attributeFilter: ['data-phase', 'value']});
"""


def issue_bills(live_server, amounts: list[Decimal]) -> list[str]:
    """Bills issued by the live server's clerk, in its own database; their Ref1s."""
    app = live_server.app
    with app.app_context(), get_database(app).transaction() as db:
        clerk = db.scalar(select(User).where(User.username == CLERK_USERNAME))
        actor = Actor.for_user(clerk)
        return [bills.issue_bill(db, actor, bills.NewBill(
            payer_name=f"นายสมศักดิ์ ชำระตรง {i + 1}",
            items=[bills.NewBillItem("HT01", 1, amount)]),
            app.extensions["billpay.billing"]).ref1 for i, amount in enumerate(amounts)]


def sign_in_as_finance(tab, live_server, finance_user) -> None:
    tab.goto("/login?next=/settlement/upload")
    tab.locator("#username").fill(finance_user)
    tab.locator("#password").fill(live_server.password)
    tab.locator("#password").press("Enter")
    tab.wait_for_url(re.compile(r"/settlement/upload$"))


def test_upload_then_write_off_the_exception(page, live_server, finance_user, tmp_path):
    tab = page.page
    # A day's file from Krungthai: 300 bills paid at the bank (big enough, ~77 KB, for the
    # browser to report the upload's progress in steps) and one stranger's payment.
    amounts = [Decimal("1250.00")] + [Decimal(100 + i) for i in range(1, PAID_BILLS)]
    refs = issue_bills(live_server, amounts)
    ref1 = refs[0]
    good = tmp_path / "KTB_DOPA_20261122.txt"
    good.write_bytes(settlement_file(
        *[pay(ref, amount, minute=i % 60, teller=f"{i // 60 + 1:04d}", name=f"ผู้ชำระ รายที่ {i + 1}")
          for i, (ref, amount) in enumerate(zip(refs, amounts, strict=True))],
        pay(UNKNOWN_REF1, "480.00", minute=7, name=STRANGER, teller="0099")))
    total = sum(amounts)
    broken = bytearray(settlement_file(pay(ref1, "1250.00", minute=30)))
    broken[256 + 1 + 170] = ord("X")  # line 2: the amount
    bad = tmp_path / "KTB_DOPA_20261122_copy.txt"
    bad.write_bytes(bytes(broken))

    tab.add_init_script(RECORDER)
    sign_in_as_finance(tab, live_server, finance_user)
    expect(tab.locator("h1")).to_have_text("นำเข้าไฟล์สรุปรายการรับชำระจากธนาคาร")
    expect(tab.locator(".subnav a[aria-current=page]")).to_have_text("นำเข้าไฟล์ธนาคาร")
    assert_sarabun_loaded(tab)
    page.shot("40-settlement-upload")

    # A slow line, so that the upload takes a few seconds and the phases can be seen.
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": 25_000})
    tab.locator("#files").set_input_files([str(good), str(bad)])
    tab.locator("#upload-submit").click()

    rows = tab.locator("#upload-list .upload-item")
    expect(rows).to_have_count(2)
    first = rows.nth(0)
    expect(first).to_have_attribute("data-phase", "uploading")
    expect(first.locator(".upload-state")).to_contain_text("กำลังส่งไฟล์")
    expect(tab.locator("#upload-submit")).to_be_disabled()
    tab.wait_for_function(
        "() => { const p = document.querySelector('#upload-list progress');"
        " return p && p.value > 5 && p.value < 100; }")
    page.shot("41-settlement-uploading")
    expect(first).to_have_attribute("data-phase", "importing", timeout=20_000)
    expect(first.locator(".upload-state")).to_contain_text("กำลังตรวจสอบและนำเข้า")
    assert tab.evaluate("document.querySelector('#upload-list progress').hasAttribute('value')"
                        ) is False  # indeterminate while the server imports
    page.shot("42-settlement-importing")

    expect(first).to_have_attribute("data-phase", "imported", timeout=20_000)
    second = rows.nth(1)
    expect(second).to_have_attribute("data-phase", "refused", timeout=20_000)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    phases = tab.evaluate("window.__phases")
    assert phases.index("uploading") < phases.index("importing") < phases.index("imported")
    assert "indeterminate" in tab.evaluate("window.__progress")
    expect(tab.locator("#upload-submit")).to_be_enabled()

    imported = tab.locator(".file-result.result-imported")
    expect(imported).to_contain_text("KTB_DOPA_20261122.txt")
    expect(imported.locator(".figure").nth(0)).to_contain_text(f"{PAID_BILLS + 1}")
    expect(imported.locator(".figure").nth(1)).to_contain_text(f"{PAID_BILLS}")
    expect(imported.locator(".figure").nth(1)).to_contain_text(f"{total:,.2f}")
    expect(imported.locator(".figure").nth(2)).to_contain_text("480.00")
    expect(imported).to_contain_text("ไม่พบใบแจ้งตาม Ref1: 1 รายการ")
    refused = tab.locator(".file-result.result-refused")
    expect(refused).to_contain_text("KTB_DOPA_20261122_copy.txt")
    expect(refused.locator(".refused-line")).to_have_text("2")
    expect(refused).to_contain_text("ไม่มีรายการใดจากไฟล์นี้ถูกบันทึก")
    assert_sarabun_loaded(tab)
    page.shot("43-settlement-results", full_page=True)

    # The queue: the stranger's payment waits there.
    imported.get_by_role("link", name="ไปจัดการรายการรอตรวจสอบ").click()
    tab.wait_for_url(re.compile(r"/settlement/exceptions$"))
    row = tab.locator("#exception-table tbody tr").filter(has_text=UNKNOWN_REF1)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(STRANGER)
    expect(row).to_contain_text("480.00")
    expect(row).to_contain_text("ไม่พบใบแจ้งตาม Ref1")
    expect(row).to_contain_text("22 พ.ย. 69 10:07")
    page.shot("44-settlement-exceptions")

    row.get_by_role("link", name="จัดการ").click()
    tab.wait_for_url(re.compile(r"/settlement/exceptions/\d+$"))
    expect(tab.locator("#ref1-raw")).to_contain_text(UNKNOWN_REF1)
    expect(tab.locator("#raw-record tr")).to_have_count(4)
    page.shot("45-settlement-exception", full_page=True)

    # Writing it off without a reason is refused in Thai; the choice stays.
    tab.locator("#resolution-written_off").check()
    tab.locator("#resolve-submit").click()
    expect(tab.locator("#err-note")).to_have_text("กรุณาระบุเหตุผลการจัดการรายการนี้")
    expect(tab.locator("#resolution-written_off")).to_be_checked()
    expect(tab.locator("#note")).to_have_attribute("aria-invalid", "true")
    tab.locator("#resolve").scroll_into_view_if_needed()
    page.shot("46-settlement-exception-no-note")

    tab.locator("#note").fill(NOTE)
    tab.locator("#resolve-submit").click()
    expect(tab.locator("#resolution")).to_be_visible()
    expect(tab.locator(".flash-success")).to_contain_text("ปิดรายการพร้อมเหตุผล")
    expect(tab.locator("#exception-status")).to_have_text("จัดการแล้ว")
    expect(tab.locator("#resolution-note")).to_have_text(NOTE)
    expect(tab.locator("#resolved-by")).to_have_text(FINANCE_NAME)
    expect(tab.locator("#resolved-at")).to_contain_text("เวลา")
    expect(tab.locator("#resolve-form")).to_have_count(0)
    page.shot("47-settlement-written-off", full_page=True)

    # The file ties out; the bill it paid is paid.
    tab.get_by_role("link", name="KTB_DOPA_20261122.txt").click()
    tab.wait_for_url(re.compile(r"/settlement/files/\d+$"))
    expect(tab.locator("#file-tie")).to_contain_text("✓ ตรงกัน")
    expect(tab.locator(".tie-bad")).to_have_count(0)
    expect(tab.locator("#line-table")).to_contain_text(ref1)
    page.shot("48-settlement-file", full_page=True)

    tab.get_by_role("link", name="22 พฤศจิกายน 2569").click()
    tab.wait_for_url(re.compile(r"/settlement/days/2026-11-22$"))
    expect(tab.locator('#day-table tr[data-bank="006"]')).to_contain_text("ธนาคารกรุงไทย")
    expect(tab.locator("#day-matched")).to_have_text(f"{PAID_BILLS}")
    page.shot("49-settlement-day", full_page=True)

    tab.goto(f"/bills/{ref1}")
    expect(tab.locator(".page-head .badge")).to_have_text("ชำระแล้ว")

    errors = unexpected_errors(page, EXPECTED_422)
    assert errors == [], "\n".join(errors)
