"""The counter journey in real Chromium: sign in, issue a bill by keyboard, print it.

Runs once per backend against a live server on a fresh database (see conftest.py).
The PDF the page hands out is rasterised at 300 dpi and its barcode and QR code are
decoded back, as a bank's scanner would read them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from billpay.accounts.models import User
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.codes import validate_thai_id
from billpay.db import get_database
from tests.documents.pdfcheck import decode_codes, rasterise

pytestmark = pytest.mark.browser

PAYER_NAME = "นายสมศักดิ์ ทดสอบระบบ"
PAYER_ID = "3100600123450"  # 13 digits, valid checksum (python-stdnum agrees)
FIXED_FEE = "FA01"  # fixed 100.00 in the demo catalogue
VARIABLE_FEE = "HT01 — ค่าธรรมเนียมใบอนุญาตประกอบธุรกิจโรงแรม"  # the datalist option's text
REQUIRED_TH = "กรุณากรอกข้อมูลนี้"


def sign_in(page, live_server) -> None:
    """Sign in the way a clerk does: the username box has focus, type, Tab, type; the
    caller presses Enter (after a screenshot, if it wants one)."""
    page.goto("/login")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(live_server.username)
    page.keyboard.press("Tab")
    page.keyboard.type(live_server.password)


def to_counter(tab) -> None:
    """From the home page (after signing in) to the counter by keyboard: the "issue a
    bill" shortcut has the focus, Enter follows it."""
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.locator("#go-new-bill")).to_be_focused()
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/bills/new$"))


def assert_sarabun_loaded(page) -> None:
    """The pages carry their own Thai font; without it Thai falls back to whatever the
    workstation has (on a bare machine: boxes)."""
    families = page.evaluate(
        "document.fonts.ready.then(fs => [...fs].filter(f => f.status === 'loaded')"
        ".map(f => f.family.replace(/\"/g, '')))")
    assert "Sarabun" in families, families
    assert "Sarabun" in page.evaluate("getComputedStyle(document.body).fontFamily")


# Noise, not faults: Chromium asks for /favicon.ico on its own (the app has none), a
# link that turns into a download shows up as an aborted navigation, and Chromium's
# built-in PDF viewer (showing the preview) loads from chrome-extension://.
NOISE = (re.compile(r"favicon\.ico"), re.compile(r"pdf\?download=1 net::ERR_ABORTED"),
         re.compile(r"chrome-extension://"),
         # a font still loading when the page navigates away (a busy machine): the next
         # page loads it again, and assert_sarabun_loaded checks that it did
         re.compile(r"/fonts/Sarabun-[A-Za-z]+\.ttf net::ERR_ABORTED"))
# What a refused PDF preview looks like (test_pdf_preview_is_not_blocked).
PREVIEW_BLOCKED = (re.compile(r"frame-ancestors"), re.compile(r"/pdf net::ERR_BLOCKED_BY_RESPONSE"))


def unexpected_errors(wrapped, *allowed: re.Pattern) -> list[str]:
    """JavaScript errors, console errors (CSP violations included) and failed requests
    seen by the page, less the ones listed."""
    patterns = NOISE + allowed
    return [e for e in wrapped.errors if not any(p.search(e) for p in patterns)]


def test_issue_bill_by_keyboard_and_download_pdf(page, live_server, tmp_path):
    tab = page.page
    assert validate_thai_id(PAYER_ID) == PAYER_ID

    sign_in(tab, live_server)
    assert_sarabun_loaded(tab)
    page.shot("01-login")
    tab.keyboard.press("Enter")

    # The clerk lands on today's work; Enter again opens the counter with the cursor
    # in the payer's ID (read off the ID card first).
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.locator("#task-issued-today")).to_be_visible()
    page.shot("02-home")
    to_counter(tab)
    expect(tab.locator("#payer_id")).to_be_focused()
    expect(tab.locator("h1")).to_have_text("ออกใบแจ้งการชำระเงิน")
    assert_sarabun_loaded(tab)
    page.shot("02-counter-empty")

    # A payer this office has never billed: Enter says so and goes on to the name.
    tab.keyboard.type(PAYER_ID)
    tab.keyboard.press("Enter")
    name = tab.locator("#payer_name")
    expect(name).to_be_focused()
    expect(tab.locator("#payer-found")).to_contain_text("ยังไม่เคยมีใบแจ้งของผู้ชำระรายนี้")
    tab.keyboard.type(PAYER_NAME)

    # Row 1: type the code and leave the box; a fixed fee takes its amount from the
    # catalogue and cannot be overtyped.
    tab.locator("#items-0-fee_type").click()
    tab.keyboard.type(FIXED_FEE)
    tab.keyboard.press("Tab")
    fee0 = tab.locator("#items-0-fee_type")
    expect(fee0).to_have_value(re.compile(r"^FA01 — ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืน"))
    amount0 = tab.locator("#items-0-amount")
    expect(amount0).to_have_value("100.00")
    expect(amount0).to_have_attribute("readonly", "")
    expect(tab.locator("#items-0-quantity")).to_be_focused()
    tab.keyboard.press("ControlOrMeta+A")
    tab.keyboard.type("2")

    # Row 2: pick the hotel licence from the suggestions (Chromium's datalist popup is not
    # drawn headless; picking sets the whole option text at once, as fill() does). A
    # variable fee leaves the amount open and puts the cursor there.
    tab.locator("#items-1-fee_type").fill(VARIABLE_FEE)
    amount1 = tab.locator("#items-1-amount")
    expect(amount1).to_be_focused()
    expect(amount1).not_to_have_attribute("readonly", "")
    tab.keyboard.type("2500.50")

    rows = tab.locator("#items tbody tr.item-row")
    expect(rows.nth(0).locator(".line-total")).to_have_text("200.00")
    expect(rows.nth(1).locator(".line-total")).to_have_text("2,500.50")
    expect(tab.locator("#grand-total")).to_have_text("2,700.50")
    page.shot("03-counter-filled")

    # Enter issues the bill and shows it.
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    ref1 = tab.locator("#ref1").inner_text().strip()
    assert re.fullmatch(r"\d{15}", ref1), ref1
    expect(tab.locator("h1")).to_contain_text(ref1)
    expect(tab.locator("#bill-total")).to_have_text("2,700.50")
    expect(tab.locator(".flash-success")).to_contain_text(ref1)
    expect(tab.locator("main")).to_contain_text(PAYER_NAME)
    expect(tab.locator("main")).to_contain_text(PAYER_ID)
    expect(tab.locator("main")).to_contain_text("สองพันเจ็ดร้อยบาทห้าสิบสตางค์")
    assert_sarabun_loaded(tab)
    page.shot("04-bill-issued")
    page.shot("05-bill-issued-full-page", full_page=True)

    # The PDF the clerk downloads is what the bank's scanner will read.
    with tab.expect_download() as info:
        tab.locator("#download-pdf").click()
    download = info.value
    assert download.suggested_filename == f"bill-{ref1}.pdf"
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    (live_server.artifacts / "06-bill.pdf").write_bytes(pdf)

    codes: dict[str, list[str]] = {}
    for image in rasterise(pdf, dpi=300):
        for kind, texts in decode_codes(image).items():
            codes.setdefault(kind, []).extend(texts)
    qr = codes.get("QRCode", [])
    barcodes = codes.get("Code128", [])
    assert qr and barcodes, f"decoded only {codes}"
    assert any(ref1 in payload for payload in qr), qr
    assert any(f"\r{ref1}\r" in text for text in barcodes), barcodes
    assert any(text.endswith("\r270050") for text in barcodes), barcodes  # satang
    assert any("54072700.50" in payload for payload in qr), qr  # EMVCo tag 54: amount

    errors = unexpected_errors(page)
    assert errors == [], "\n".join(errors)


def test_a_returning_payer_is_filled_in_from_their_id(page, live_server):
    """The second bill for a payer: the ID alone brings back name, address and phone from
    the office's newest bill for them, and Enter goes straight to the fee types."""
    returning_id = "1103700012346"
    with get_database(live_server.app).transaction() as db:
        clerk = db.scalar(select(User).where(User.username == live_server.username))
        earlier = bills.issue_bill(db, Actor.for_user(clerk), bills.NewBill(
            payer_name="ห้างหุ้นส่วนจำกัด กลับมาอีก", payer_id=returning_id,
            payer_address="12 หมู่ 3 ตำบลเชิงดอย", payer_phone="053123456",
            items=[bills.NewBillItem("FA01", 1, None)]),
            live_server.app.extensions["billpay.billing"]).ref1
    tab = page.page
    sign_in(tab, live_server)
    tab.keyboard.press("Enter")
    to_counter(tab)
    expect(tab.locator("#payer_id")).to_be_focused()
    tab.keyboard.type(f"{returning_id[0]}-{returning_id[1:5]}-{returning_id[5:10]}-"
                      f"{returning_id[10:12]}-{returning_id[12]}")
    tab.keyboard.press("Enter")
    expect(tab.locator("#items-0-fee_type")).to_be_focused()
    expect(tab.locator("#payer_name")).to_have_value("ห้างหุ้นส่วนจำกัด กลับมาอีก")
    expect(tab.locator("#payer_address")).to_have_value("12 หมู่ 3 ตำบลเชิงดอย")
    expect(tab.locator("#payer_phone")).to_have_value("053123456")
    expect(tab.locator("#payer-found")).to_contain_text(earlier)
    page.shot("12-counter-returning-payer")
    tab.keyboard.type(FIXED_FEE)
    tab.keyboard.press("Tab")
    expect(tab.locator("#items-0-amount")).to_have_value("100.00")
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    expect(tab.locator("main")).to_contain_text("ห้างหุ้นส่วนจำกัด กลับมาอีก")
    assert tab.locator("#ref1").inner_text().strip() != earlier
    errors = unexpected_errors(page)
    assert errors == [], "\n".join(errors)


def test_missing_payer_name_keeps_the_items(page, live_server):
    tab = page.page
    sign_in(tab, live_server)
    tab.keyboard.press("Enter")
    to_counter(tab)

    # No name: straight to the items.
    tab.locator("#items-0-fee_type").click()
    tab.keyboard.type(FIXED_FEE)
    tab.keyboard.press("Tab")
    expect(tab.locator("#items-0-amount")).to_have_value("100.00")
    tab.locator("#items-1-fee_type").fill(VARIABLE_FEE)
    expect(tab.locator("#items-1-amount")).to_be_focused()
    tab.keyboard.type("750")
    expect(tab.locator("#grand-total")).to_have_text("850.00")
    tab.keyboard.press("Enter")

    # Same page, the Thai message on the name, nothing typed is lost.
    expect(tab.locator("#form-error")).to_be_visible()
    error = tab.locator("#err-payer_name")
    expect(error).to_have_text(REQUIRED_TH)
    expect(tab.locator("#payer_name")).to_have_attribute("aria-invalid", "true")
    assert re.search(r"/bills/new$", tab.url)
    expect(tab.locator("#items-0-fee_type")).to_have_value(re.compile(r"^FA01 — "))
    expect(tab.locator("#items-0-amount")).to_have_value("100.00")
    expect(tab.locator("#items-0-amount")).to_have_attribute("readonly", "")
    expect(tab.locator("#items-1-fee_type")).to_have_value(VARIABLE_FEE)
    expect(tab.locator("#items-1-amount")).to_have_value("750")
    expect(tab.locator("#grand-total")).to_have_text("850.00")
    assert_sarabun_loaded(tab)
    page.shot("10-counter-missing-name")

    # Fixing the name is enough to issue it.
    tab.locator("#payer_name").fill(PAYER_NAME)
    tab.locator("#payer_name").press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    expect(tab.locator("#bill-total")).to_have_text("850.00")
    page.shot("11-bill-after-fix")

    # The refused form comes back as 422, which Chromium logs; nothing else may.
    errors = unexpected_errors(page, re.compile(r"status of 422 .*/bills/new\]$"))
    assert errors == [], "\n".join(errors)


def test_pdf_preview_is_not_blocked(page, live_server):
    tab = page.page
    sign_in(tab, live_server)
    tab.keyboard.press("Enter")
    to_counter(tab)
    tab.locator("#payer_name").fill(PAYER_NAME)
    tab.locator("#items-0-fee_type").fill(VARIABLE_FEE)
    tab.locator("#items-0-amount").fill("10")
    tab.locator("#items-0-amount").press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    expect(tab.locator(".pdf-preview object")).to_be_visible()
    tab.wait_for_load_state("load")
    blocked = [e for e in page.errors if any(p.search(e) for p in PREVIEW_BLOCKED)]
    assert blocked == [], "\n".join(blocked)
