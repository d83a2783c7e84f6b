"""Bills, receipts and reports on a phone (390×844) and on paper (print media): on the
phone nothing is wider than the screen (wide tables scroll inside their own box) and
the navigation wraps; in print the header, navigation, footer, buttons and filter forms
are gone and the content fills the page. Screenshots and PDFs of the print rendering go
to the artefacts (``80-*``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from billpay.accounts.models import Role, User
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.db import get_database
from billpay.receipts import services as receipts
from tests.browser.conftest import CLERK_USERNAME
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def paid_bill(live_server) -> tuple[str, int]:
    """A bill of the browser clerk's office with two fee types, paid at the counter."""
    app = live_server.app
    with app.app_context(), get_database(app).transaction() as db:
        clerk = db.scalar(select(User).where(User.username == CLERK_USERNAME))
        actor = Actor.for_user(clerk)
        bill = bills.issue_bill(db, actor, bills.NewBill(
            payer_name="ห้างหุ้นส่วนจำกัด ทดสอบการแสดงผลบนโทรศัพท์มือถือ", payer_id="1103700012346",
            items=[bills.NewBillItem("HT01", 1, Decimal("12500.00")),
                   bills.NewBillItem("FA01", 2, None)]), app.extensions["billpay.billing"])
        receipt = receipts.take_counter_payment(db, actor, bill.ref1, method="cash",
                                                reference=None)
        assert clerk.role == Role.CLERK
        return bill.ref1, receipt.id


def pages(ref1: str, receipt_id: int) -> list[tuple[str, str]]:
    return [("home", "/"), ("counter", "/bills/new"), ("bills", "/bills"),
            ("bill", f"/bills/{ref1}"), ("receipts", "/receipts"),
            ("receipt", f"/receipts/{receipt_id}"), ("daily", "/reports/daily"),
            ("statistics", "/reports/statistics")]


@pytest.fixture
def clerk_tab(browser, live_server):
    def open_(viewport):
        context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                      locale="th-TH", timezone_id="Asia/Bangkok",
                                      device_scale_factor=1)
        context.set_default_timeout(10_000)
        tab = context.new_page()
        tab.goto("/login")
        tab.locator("#username").fill(CLERK_USERNAME)
        tab.locator("#password").fill(PASSWORD)
        tab.locator("#password").press("Enter")
        tab.wait_for_url(lambda url: not url.endswith("/login"))
        contexts.append(context)
        return tab

    contexts: list = []
    yield open_
    for context in contexts:
        context.close()


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // inside a box that scrolls sideways: fine
    let p = el.parentElement, scrolls = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && p.getBoundingClientRect().right <= width + 1) { scrolls = true; break; }
      p = p.parentElement;
    }
    if (!scrolls) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(box.right));
  }
  return {pageWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""


def test_phone_layout(clerk_tab, live_server, paid_bill):
    tab = clerk_tab(PHONE)
    problems = []
    for name, path in pages(*paid_bill):
        tab.goto(path)
        tab.evaluate("document.fonts.ready.then(() => true)")
        tab.screenshot(path=str(live_server.artifacts / f"80-phone-{name}.png"), full_page=True)
        result = tab.evaluate(OVERFLOW)
        if result["pageWidth"] > result["width"] + 1 or result["wide"]:
            problems.append(f"{path}: page {result['pageWidth']}px on a {result['width']}px "
                            f"screen; too wide: {result['wide']}")
    assert not problems, "\n".join(problems)


HIDDEN_IN_PRINT = (".topbar", ".footer", ".toolbar", "form.filters", ".skip-link", ".pager",
                   ".report-actions", "#maintenance-banner", ".subnav", "nav.breadcrumb",
                   ".print-note")


def test_print_layout(clerk_tab, live_server, paid_bill):
    tab = clerk_tab({"width": 1366, "height": 768})
    tab.emulate_media(media="print")
    problems = []
    for name, path in pages(*paid_bill):
        if name in ("home", "counter"):
            continue
        tab.goto(path)
        tab.evaluate("document.fonts.ready.then(() => true)")
        tab.screenshot(path=str(live_server.artifacts / f"81-print-{name}.png"), full_page=True)
        tab.pdf(path=str(live_server.artifacts / f"81-print-{name}.pdf"), format="A4",
                print_background=True)
        expect(tab.locator("main h1").first).to_be_visible()
        for selector in HIDDEN_IN_PRINT:
            for element in tab.locator(selector).all():
                if element.is_visible():
                    problems.append(f"{path}: {selector} is printed")
        for element in tab.locator("main a.button, main button").all():
            if element.is_visible():
                problems.append(f"{path}: button {element.inner_text()[:30]!r} is printed")
    assert not problems, "\n".join(problems)
