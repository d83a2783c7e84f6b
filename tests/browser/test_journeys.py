"""The whole service in real Chromium, on a fresh database per backend (issue 9):

1. a person registers; the finance division approves them as a clerk of a district;
2. the clerk issues a bill with two fee types and downloads its PDF, whose barcode and
   QR decode back to the bill's references;
3. an import job sends a simulated bank file (the API, with its token) paying that bill
   and the district's others, with one unknown reference and one reversal;
4. the receipt appears; the clerk reprints it (marked สำเนา); a cancellation the clerk
   requests is approved by the office head;
5. the finance division resolves the unknown payment; the daily report and the
   statistics show the right totals; the XLSX export opens;
6. an admin announces a maintenance window on its page (every page shows the banner);
   one started from the console (``billpay maintenance start``) is enforced: the
   counter's form is refused with the Thai read-only page until ``billpay maintenance
   end``; another office's bill is refused by its URL.

Everything happens at district 5005 (Doi Saket) and Siam Commercial Bank (014), so the
other browser tests' offices and banks are not touched. Screenshots:
``test-artifacts/browser/<backend>/6N-*.png``.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import delete, select

from billpay.accounts.models import Nomination, Role
from billpay.accounts.permissions import Actor
from billpay.accounts.services import create_token, create_user
from billpay.bills import services as bills
from billpay.db import get_database, utcnow
from billpay.offices.models import Office
from billpay.ops.models import MaintenanceWindow
from billpay.settlement.records import KIND_REVERSAL
from billpay.settlement.simulator import simulate_settlement
from billpay.settlement.writer import write_settlement
from billpay.thaidate import BANGKOK, bangkok_date
from tests.accounts.helpers import CITIZEN_IDS
from tests.browser.a11y import assert_accessible
from tests.browser.test_counter import assert_sarabun_loaded, unexpected_errors
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

OFFICE = "5005"  # อำเภอดอยสะเก็ด จังหวัดเชียงใหม่
BANK = "014"  # Siam Commercial Bank
NEWCOMER = "pranee.j"
NEWCOMER_NAME = "นางสาวปราณี ใจงาม"
NEWCOMER_PASSWORD = "Pranee-Doi-2569!"
HEAD = "head.doisaket"
ADMIN = "admin.journey"
ANNOUNCED = "ย้ายเครื่องแม่ข่ายไปศูนย์ข้อมูลใหม่"
ENFORCED = "ปรับปรุงฐานข้อมูลด่วน"
PAYER = "นายมานพ ชำระครบ"
FOREIGN_PAYER = "นายต่างถิ่น ไม่เกี่ยว"
OTHER_AMOUNTS = (Decimal("150.00"), Decimal("275.25"), Decimal("1210.00"))


@pytest.fixture(scope="module")
def setting(live_server, finance_user):
    """The province's list naming the newcomer, the district's office head, three other
    bills of the district (the bank file pays them too), a bill of another office, and
    the import job's token."""
    app = live_server.app
    with app.app_context(), get_database(app).transaction() as db:
        office = db.scalar(select(Office).where(Office.code == OFFICE))
        db.add(Nomination(office=office, seq=1, full_name=NEWCOMER_NAME,
                          position="เจ้าพนักงานปกครองปฏิบัติงาน", citizen_id=CITIZEN_IDS[2],
                          proposed_role="clerk", source="แบบแจ้งรายชื่อ จังหวัดเชียงใหม่"))
        create_user(db, username=HEAD, password=PASSWORD, full_name="นายสุรชัย หัวหน้าดี",
                    role=Role.OFFICE_HEAD, office_code=OFFICE,
                    position="ปลัดอำเภอ หัวหน้าฝ่ายบริหารงานปกครอง")
        create_user(db, username=ADMIN, password=PASSWORD, full_name="นายดูแล ระบบงาน",
                    role=Role.ADMIN, office_code="00", position="นักวิชาการคอมพิวเตอร์")
        config = app.extensions["billpay.billing"]
        district = Actor(role=Role.CLERK, name="เจ้าหน้าที่ดอยสะเก็ด", office_id=office.id,
                         office_code=office.code, province_code=office.province_code,
                         office_kind=office.kind)
        for i, amount in enumerate(OTHER_AMOUNTS):
            bills.issue_bill(db, district, bills.NewBill(
                payer_name=f"ผู้ชำระดอยสะเก็ด {i + 1}",
                items=[bills.NewBillItem("HT01", 1, amount)]), config)
        foreign = db.scalar(select(Office).where(Office.code == "6501"))
        foreign_bill = bills.issue_bill(db, Actor(
            role=Role.CLERK, name="เจ้าหน้าที่พิษณุโลก", office_id=foreign.id,
            office_code=foreign.code, province_code=foreign.province_code,
            office_kind=foreign.kind), bills.NewBill(
                payer_name=FOREIGN_PAYER, items=[bills.NewBillItem("FA01", 1, None)]), config)
        token = create_token(db, name="settlement-import-journey", role=Role.IMPORT_JOB,
                             office_code=None).secret
    return {"foreign_ref1": foreign_bill.ref1, "token": token, "finance": finance_user}


def sign_in(tab, username: str, password: str = PASSWORD) -> None:
    tab.goto("/login")
    tab.locator("#username").fill(username)
    tab.locator("#password").fill(password)
    tab.locator("#password").press("Enter")
    tab.wait_for_url(re.compile(r"/$"))


def sign_out(tab) -> None:
    tab.get_by_role("button", name="ออกจากระบบ").click()
    tab.wait_for_url(re.compile(r"/login$"))


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def simulated_file(app, keep: str) -> tuple[bytes, str, str]:
    """Today's SCB file paying the district's open bills, with one unknown reference and
    one reversal (never of ``keep``, the journey's bill): its bytes, the unknown Ref1
    and the reversed one."""
    today = bangkok_date(utcnow())
    with app.app_context(), get_database(app).transaction() as db:
        for seed in range(2569, 2669):
            plan = simulate_settlement(db, bank_code=BANK, day=today, office_code=OFFICE,
                                       unknown=1, reversals=1, seed=seed)
            reversed_ = [p.ref1 for p in plan.payments if p.kind == KIND_REVERSAL]
            if keep not in reversed_:
                break
        open_refs = {b.ref1 for b in db.scalars(select(bills.Bill).where(
            bills.Bill.office.has(Office.code == OFFICE)))}
    unknown = [p.ref1 for p in plan.payments if p.ref1 not in open_refs]
    assert plan.paid == len(OTHER_AMOUNTS) + 1 and len(unknown) == 1 and len(reversed_) == 1
    assert any(p.ref1 == keep for p in plan.payments)
    return write_settlement(list(plan.batches)), unknown[0], reversed_[0]


def test_the_whole_service(page, live_server, setting, tmp_path):
    tab = page.page
    shot = page.shot

    # -- 1. Register; the finance division approves a clerk of Doi Saket ----------------
    tab.goto("/login")
    tab.locator("#register-link").click()
    tab.wait_for_url(re.compile(r"/register$"))
    tab.locator("#full_name").fill(NEWCOMER_NAME)
    tab.locator("#position").fill("เจ้าพนักงานปกครองปฏิบัติงาน")
    tab.locator("#office_code").select_option(OFFICE)
    tab.locator("#citizen_id").fill(CITIZEN_IDS[2])
    tab.locator("#email").fill("pranee@dopa.go.th")
    tab.locator("#phone").fill("053-495001")
    tab.locator("#username").fill(NEWCOMER)
    tab.locator("#password").fill(NEWCOMER_PASSWORD)
    tab.locator("#password_confirm").fill(NEWCOMER_PASSWORD)
    shot("60-journey-register", full_page=True)
    tab.locator("#password_confirm").press("Enter")
    tab.wait_for_url(re.compile(r"/register/done$"))
    expect(tab.locator("#registered")).to_contain_text("รอกองคลังอนุมัติ")

    sign_in(tab, setting["finance"])
    waiting = tab.locator("#task-users-waiting")
    expect(waiting.locator(".task-count")).not_to_have_text("0")
    shot("61-journey-finance-home")
    waiting.locator("a").click()
    tab.wait_for_url(re.compile(r"/accounts/approvals$"))
    row = tab.locator("#approval-table tbody tr", has_text=NEWCOMER)
    expect(row).to_contain_text("ตรงกับรายชื่อ")
    row.get_by_role("link", name="พิจารณา").click()
    expect(tab.locator("#role")).to_have_value("clerk")
    expect(tab.locator("#office_code")).to_have_value(OFFICE)
    tab.locator("#approve").click()
    tab.wait_for_url(re.compile(r"/accounts/approvals$"))
    expect(tab.locator(".flash-success")).to_contain_text(NEWCOMER)
    shot("62-journey-approved")
    sign_out(tab)

    # -- 2. The clerk issues a bill with two fee types; its PDF's codes decode ----------
    sign_in(tab, NEWCOMER, NEWCOMER_PASSWORD)
    expect(tab.locator(".user-office")).to_contain_text("ดอยสะเก็ด")
    expect(tab.locator("#task-issued-today .task-count")).to_have_text("3")
    expect(tab.locator("#task-unpaid .task-count")).to_have_text("3")
    expect(tab.locator("#go-new-bill")).to_be_focused()
    shot("63-journey-clerk-home")
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/bills/new$"))
    # the cursor is in the payer's ID; a payer without one: Enter goes on to the name
    expect(tab.locator("#payer_id")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.locator("#payer_name")).to_be_focused()
    tab.keyboard.type(PAYER)
    tab.locator("#items-0-fee_type").click()
    tab.keyboard.type("FA01")
    tab.keyboard.press("Tab")
    expect(tab.locator("#items-0-amount")).to_have_value("100.00")
    tab.locator("#items-1-fee_type").fill("HT01")
    tab.locator("#items-1-fee_type").press("Tab")
    expect(tab.locator("#items-1-amount")).to_be_focused()
    tab.keyboard.type("1520.75")
    expect(tab.locator("#grand-total")).to_have_text("1,620.75")
    shot("64-journey-counter")
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/bills/\d{15}\?issued=1$"))
    ref1 = tab.locator("#ref1").inner_text().strip()
    assert ref1.startswith("15005"), ref1
    bill_total = Decimal("1620.75")
    expect(tab.locator("#bill-total")).to_have_text(money(bill_total))
    shot("65-journey-bill", full_page=True)
    with tab.expect_download() as info:
        tab.locator("#download-pdf").click()
    pdf_path = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    (live_server.artifacts / "65-journey-bill.pdf").write_bytes(pdf)
    with live_server.app.app_context(), get_database(live_server.app).transaction() as db:
        bill = db.scalar(select(bills.Bill).where(bills.Bill.ref1 == ref1))
        ref2 = bill.ref2
        assert len(bill.items) == 2
    codes: dict[str, list[str]] = {}
    for image in rasterise(pdf, dpi=300):
        for kind, texts in decode_codes(image).items():
            codes.setdefault(kind, []).extend(texts)
    assert any(f"\r{ref1}\r{ref2}\r" in text for text in codes.get("Code128", [])), codes
    assert any(ref1 in qr and ref2 in qr for qr in codes.get("QRCode", [])), codes
    assert any(text.endswith("\r162075") for text in codes["Code128"])  # satang

    # -- 3. The import job sends the bank's file through the API -----------------------
    data, unknown_ref1, reversed_ref1 = simulated_file(live_server.app, keep=ref1)
    (live_server.artifacts / "66-journey-SCB.txt").write_bytes(data)
    response = tab.context.request.post(
        "/api/v1/settlement-files",
        headers={"Authorization": f"Bearer {setting['token']}"},
        multipart={"file": {"name": "SCB_DOISAKET.txt", "mimeType": "text/plain",
                            "buffer": data}})
    assert response.status == 201, response.text()
    imported = response.json()
    assert (imported["status"], imported["matched"], imported["reversals"],
            imported["exception_count"]) == ("imported", 4, 1, 1), imported
    matched_amount = Decimal(imported["matched_amount"])
    reversal_amount = Decimal(imported["reversal_amount"])
    assert matched_amount == bill_total + sum(OTHER_AMOUNTS)
    net = matched_amount - reversal_amount

    # -- 4. The receipt is there; a copy says สำเนา; the office head approves a cancellation
    tab.goto(f"/bills/{ref1}")
    expect(tab.locator("h1 .badge, .page-head .badge").first).to_have_text("ชำระแล้ว")
    shot("66-journey-bill-paid")
    tab.locator("#bill-receipts").click()  # its one receipt opens straight away
    tab.wait_for_url(re.compile(r"/receipts/\d+$"))
    receipt_url = tab.url
    expect(tab.locator("#receipt-amount")).to_have_text(money(bill_total))
    expect(tab.locator("#print-receipt")).to_contain_text("ต้นฉบับ")
    original = tab.context.request.get(receipt_url + "/pdf")
    assert base_letters("ต้นฉบับ (ORIGINAL)") in base_letters(pdf_text(original.body()))
    copy = tab.context.request.get(receipt_url + "/pdf").body()
    (live_server.artifacts / "67-journey-receipt-copy.pdf").write_bytes(copy)
    assert base_letters("สำเนา (COPY)") in base_letters(pdf_text(copy))
    tab.reload()
    expect(tab.locator("#print-receipt")).to_have_text(re.compile(r"พิมพ์สำเนา \(ครั้งที่ 3\)"))
    shot("67-journey-receipt", full_page=True)
    tab.locator("#request-cancel").click()
    tab.locator("#reason").fill("ชื่อผู้ชำระในใบเสร็จสะกดผิด ขอออกใบใหม่")
    tab.locator("#replace").check()
    tab.get_by_role("button", name="ส่งคำขอยกเลิก").click()
    expect(tab.locator("#pending-note")).to_contain_text("สะกดผิด")
    shot("68-journey-cancel-requested")
    sign_out(tab)

    sign_in(tab, HEAD)
    task = tab.locator("#task-cancellations")
    expect(task.locator(".task-count")).to_have_text("1")
    expect(tab.locator("#task-daily-close")).to_be_visible()
    shot("69-journey-head-home")
    task.locator("a").click()
    tab.wait_for_url(re.compile(r"/receipts/cancellations$"))
    request = tab.locator("#pending-queue article").first
    expect(request).to_contain_text("สะกดผิด")
    request.get_by_role("button", name="อนุมัติยกเลิก").click()
    expect(tab.locator("#queue-empty")).to_be_visible()
    tab.goto(receipt_url)
    expect(tab.locator("#cancelled-note")).to_contain_text("สะกดผิด")
    expect(tab.locator("#replacement-link")).to_be_visible()
    shot("70-journey-receipt-cancelled", full_page=True)
    sign_out(tab)

    # -- 5. Finance resolves the unknown payment; the reports add up --------------------
    sign_in(tab, setting["finance"])
    tab.locator("#task-open-exceptions a").click()
    tab.wait_for_url(re.compile(r"/settlement/exceptions$"))
    row = tab.locator("#exception-table tbody tr").filter(has_text=unknown_ref1)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ไม่พบใบแจ้งตาม Ref1")
    row.get_by_role("link", name="จัดการ").click()
    tab.wait_for_url(re.compile(r"/settlement/exceptions/\d+$"))
    tab.locator("#resolution-refund").check()
    tab.locator("#note").fill("ผู้ชำระโอนผิดหน่วยงาน คืนเงินตามหนังสือ ดส 0018/123")
    tab.locator("#resolve-submit").click()
    expect(tab.locator("#exception-status")).to_have_text("จัดการแล้ว")
    expect(tab.locator("#resolution-label")).to_have_text("คืนเงินผู้ชำระ")
    shot("71-journey-exception-refunded", full_page=True)

    tab.goto(f"/reports/daily?office={OFFICE}")
    summary = tab.locator("#table-1")
    paid_row = summary.locator("tbody tr", has_text="รับชำระเงิน (ทุกช่องทาง)")
    expect(paid_row.locator("td").nth(1)).to_have_text("4")
    expect(paid_row.locator("td").nth(2)).to_have_text(money(matched_amount))
    expect(summary.locator("tbody tr", has_text="ธนาคารยกเลิกรายการชำระ")).to_contain_text(
        money(reversal_amount))
    # five receipts: four from the file and the replacement; two cancelled: the one the
    # bank's reversal took back and the clerk's, replaced
    issued_row = summary.locator("tbody tr", has_text="ออกใบเสร็จรับเงิน")
    expect(issued_row.locator("td").nth(1)).to_have_text("5")
    expect(issued_row.locator("td").nth(2)).to_have_text(money(matched_amount + bill_total))
    cancelled_row = summary.locator("tbody tr", has_text="ยกเลิกใบเสร็จรับเงิน")
    expect(cancelled_row.locator("td").nth(1)).to_have_text("2")
    expect(cancelled_row.locator("td").nth(2)).to_have_text(money(reversal_amount + bill_total))
    expect(summary.locator("tfoot")).to_contain_text(money(net))
    assert_sarabun_loaded(tab)
    shot("72-journey-daily-report", full_page=True)
    with tab.expect_download() as info:
        tab.locator("#export-xlsx").click()
    xlsx = tmp_path / info.value.suggested_filename
    info.value.save_as(xlsx)
    assert xlsx.suffix == ".xlsx"
    workbook = load_workbook(io.BytesIO(xlsx.read_bytes()), read_only=True)
    values = [cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
              for cell in row if cell is not None]
    assert any(v == net or (isinstance(v, float | int | Decimal) and Decimal(str(v)) == net)
               for v in values), f"net {net} not in the workbook"

    tab.goto(f"/reports/statistics?office={OFFICE}")
    expect(tab.locator("h1")).to_have_text("สถิติการจัดเก็บค่าธรรมเนียม")
    expect(tab.locator("#table-1 tfoot")).to_contain_text(money(net))
    shot("73-journey-statistics", full_page=True)
    assert_accessible(page, "73-journey-statistics")
    sign_out(tab)

    # -- 6. A maintenance window announced, then one enforced ---------------------------
    try:
        maintenance(page, live_server)
    finally:  # the other browser tests must not see these windows
        with get_database(live_server.app).transaction() as db:
            db.execute(delete(MaintenanceWindow).where(
                MaintenanceWindow.reason.in_((ANNOUNCED, ENFORCED))))

    # Another office's bill is not found by its URL
    sign_in(tab, NEWCOMER, NEWCOMER_PASSWORD)
    response = tab.goto(f"/bills/{setting['foreign_ref1']}")
    assert response is not None and response.status == 404
    expect(tab.locator("h1")).to_have_text("ไม่พบใบแจ้งการชำระเงิน")
    expect(tab.locator("main")).not_to_contain_text(FOREIGN_PAYER)
    shot("74-journey-foreign-bill-refused")
    assert tab.context.request.get(f"/bills/{setting['foreign_ref1']}/pdf").status == 404

    errors = unexpected_errors(page, re.compile(r"status of 404 .*/bills/\d{15}\]$"),
                               re.compile(r"status of 503 .*/bills/new\]$"),
                               # a link that turns into a download aborts its navigation
                               re.compile(r"/reports/daily\.xlsx\?\S+ net::ERR_ABORTED"))
    assert errors == [], "\n".join(errors)


def be(moment) -> tuple[str, str]:
    """A Bangkok date (Buddhist era) and time as the maintenance form takes them."""
    local = moment.astimezone(BANGKOK)
    return f"{local:%d/%m}/{local.year + 543}", f"{local:%H:%M}"


def maintenance(page, live_server) -> None:
    tab = page.page
    cli = live_server.app.test_cli_runner()
    sign_in(tab, ADMIN)
    tab.goto("/admin/maintenance")
    starts, ends = utcnow() + timedelta(hours=6), utcnow() + timedelta(hours=8)
    (start_date, start_time), (end_date, end_time) = be(starts), be(ends)
    tab.locator("#starts_date").fill(start_date)
    tab.locator("#starts_time").fill(start_time)
    tab.locator("#ends_date").fill(end_date)
    tab.locator("#ends_time").fill(end_time)
    tab.locator("#reason").fill(ANNOUNCED)
    tab.locator("#maintenance-form button[type=submit]").click()
    expect(tab.locator("#maintenance-table tbody tr", has_text=ANNOUNCED)).to_have_count(1)
    shot_name = "75-journey-maintenance-announced"
    page.shot(shot_name, full_page=True)
    sign_out(tab)

    # the clerk sees the announcement on every page
    sign_in(tab, NEWCOMER, NEWCOMER_PASSWORD)
    banner = tab.locator("#maintenance-banner")
    expect(banner).to_contain_text("ประกาศ: ระบบจะปิดปรับปรุงตั้งแต่")
    expect(banner).to_contain_text(ANNOUNCED)
    page.shot("76-journey-maintenance-banner")

    # the console starts a window now: reading works, saving is refused in Thai
    started = cli.invoke(args=["maintenance", "start", "--minutes", "30", "--reason", ENFORCED])
    assert started.exit_code == 0, started.output
    assert "เริ่มช่วงปิดปรับปรุงระบบแล้ว" in started.output
    tab.goto("/bills/new")
    expect(banner).to_contain_text("ขณะนี้ระบบปิดปรับปรุง")
    expect(banner).to_contain_text(ENFORCED)
    tab.locator("#payer_name").fill("นายทดสอบ ช่วงปิดปรับปรุง")
    tab.locator("#items-0-fee_type").fill("FA01")
    tab.keyboard.press("Tab")
    tab.locator("#issue").click()
    refused = tab.locator("#maintenance-refused")
    expect(refused).to_contain_text("ระบบปิดปรับปรุงชั่วคราว ยังบันทึกข้อมูลไม่ได้")
    expect(refused).to_contain_text(ENFORCED)
    page.shot("77-journey-maintenance-refused")
    assert_accessible(page, "77-journey-maintenance-refused")
    with live_server.app.app_context(), get_database(live_server.app).transaction() as db:
        assert not db.scalar(select(bills.Bill.id).where(
            bills.Bill.payer_name == "นายทดสอบ ช่วงปิดปรับปรุง"))

    ended = cli.invoke(args=["maintenance", "end"])
    assert ended.exit_code == 0, ended.output
    tab.goto("/bills/new")
    expect(banner).to_contain_text(ANNOUNCED)  # the announced one is still ahead
    expect(banner).not_to_contain_text("ขณะนี้ระบบปิดปรับปรุง")
    sign_out(tab)
