"""A maintenance window seen in Chromium: the banner ahead of it, then the counter's form
refused with the Thai read-only page while it is on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from billpay.db import get_database, utcnow
from billpay.ops import services
from billpay.ops.models import MaintenanceWindow
from tests.browser.test_counter import sign_in, to_counter, unexpected_errors

pytestmark = pytest.mark.browser

REASON = "ปรับปรุงฐานข้อมูลประจำปี"


def test_banner_then_read_only_counter(page, live_server):
    database = get_database(live_server.app)
    now = utcnow()
    with database.transaction() as db:
        window = services.schedule_window(db, None, starts_at=now + timedelta(hours=2),
                                          ends_at=now + timedelta(hours=3), reason=REASON,
                                          now=now)
        window_id = window.id
    try:
        tab = page.page
        sign_in(tab, live_server)
        tab.keyboard.press("Enter")
        to_counter(tab)
        banner = tab.locator("#maintenance-banner")
        expect(banner).to_contain_text("ประกาศ: ระบบจะปิดปรับปรุงตั้งแต่")
        expect(banner).to_contain_text(REASON)
        page.shot("maintenance-01-banner-before")

        with database.transaction() as db:  # the window begins
            w = db.get(MaintenanceWindow, window_id)
            w.starts_at = utcnow() - timedelta(minutes=1)
        tab.reload()
        expect(banner).to_contain_text("ขณะนี้ระบบปิดปรับปรุง")
        tab.locator("#payer_name").fill("นายทดสอบ ปิดปรับปรุง")
        tab.locator("#items-0-fee_type").fill("FA01")
        tab.keyboard.press("Tab")
        page.shot("maintenance-02-counter-during")
        tab.locator("#issue").click()
        refused = tab.locator("#maintenance-refused")
        expect(refused).to_contain_text("ระบบปิดปรับปรุงชั่วคราว ยังบันทึกข้อมูลไม่ได้")
        expect(refused).to_contain_text(REASON)
        expect(refused).to_contain_text("เล่มกระดาษ")
        page.shot("maintenance-03-refused")
        # reading still works
        tab.goto("/bills")
        expect(tab.locator("h1")).to_be_visible()
        assert not unexpected_errors(page, re.compile(r"503")), page.errors
    finally:
        with database.transaction() as db:
            db.execute(delete(MaintenanceWindow).where(MaintenanceWindow.id == window_id))
