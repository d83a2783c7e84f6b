"""The report pages, their exports read back (CSV, XLSX, PDF) and their JSON, on SQLite
and PostgreSQL, for the roles that use them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from billpay.accounts import services as accounts
from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.reports import services as reports
from tests.documents.pdfcheck import base_letters, pdf_text


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE, "00", username="finance-pages", full_name="นางการเงิน ตรวจยอด")


def text(response) -> str:
    return response.get_data(as_text=True)


def test_statistics_page_with_charts_and_drill_down(db, scenario, signed_in, finance):
    client = signed_in(finance)
    index = client.get("/reports/")
    assert index.status_code == 200 and "สถิติการจัดเก็บค่าธรรมเนียม" in text(index)
    page = client.get("/reports/statistics?fiscal_year=2570")
    body = text(page)
    assert page.status_code == 200
    assert body.count("<svg") == 3  # trend, share by fee type, top offices
    assert "/reports/statistics?fiscal_year=2570&amp;province=50" in body
    expected = reports.statistics(db, Actor.for_user(finance), fiscal_year_=2570)
    assert f"{expected.tables[0].totals[-1]:,.2f}" in body
    drilled = text(client.get("/reports/statistics?fiscal_year=2570&province=50"))
    assert "province=50&amp;office=5001" in drilled or "office=5001" in drilled


def test_daily_page_says_whether_the_bank_ties(db, scenario, signed_in, make_user):
    clerk = make_user(Role.CLERK, "5001", username="clerk-daily")
    client = signed_in(clerk)
    page = client.get("/reports/daily?date=22/11/2569")
    body = text(page)
    assert page.status_code == 200
    assert "กระทบยอดกับรายการของธนาคาร" in body and 'data-ok="false"' not in body
    assert body.count('data-ok="true"') == 2
    assert client.get("/reports/daily?office=5002&date=22/11/2569").status_code == 404
    assert client.get("/reports/exceptions").status_code == 403  # not a clerk's report


def test_bad_filters_are_explained_in_thai(db, signed_in, finance):
    client = signed_in(finance)
    page = client.get("/reports/remittance?from=31/02/2569")
    assert page.status_code == 200
    assert 'id="err-from"' in text(page) and 'aria-invalid="true"' in text(page)
    export = client.get("/reports/remittance.csv?from=31/02/2569")
    assert export.status_code == 422 and "ตัวกรองรายงานไม่ถูกต้อง" in text(export)
    backwards = client.get("/reports/remittance?from=22/11/2569&to=01/11/2569")
    assert backwards.status_code == 422 and "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น" in text(backwards)


def test_csv_export_opens_in_excel_and_matches(db, scenario, signed_in, finance):
    client = signed_in(finance)
    response = client.get("/reports/remittance.csv?from=20/11/2569&to=22/11/2569&group_by=office")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["รายงานการนำส่งเงินตามประเภทรายได้"]
    header_at = rows.index(["รหัส", "หน่วยงาน", "รายการ (สุทธิ)", "รายได้แผ่นดิน",
                            "เงินนอกงบประมาณ", "รวม"])
    body = rows[header_at + 1:]
    offices = {r[0]: Decimal(r[-1]) for r in body if r and r[0]}
    assert set(offices) == {"5001", "5002", "6501"}
    assert body[-1][1] == "รวม" and Decimal(body[-1][-1]) == scenario.net()
    assert sum(offices.values()) == scenario.net()


def test_xlsx_export_has_thai_headers_number_formats_and_frozen_header(db, scenario,
                                                                        signed_in, finance):
    client = signed_in(finance)
    response = client.get("/reports/statistics.xlsx?fiscal_year=2570")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[0].startswith("ยอดรับสุทธิ")
    sheet = book.worksheets[0]
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "รหัส")
    assert sheet.cell(header_row, 2).value == "ประเภทค่าธรรมเนียม"
    assert sheet.cell(header_row, 1).font.bold
    assert sheet.freeze_panes == f"A{header_row + 1}"
    last = sheet.max_row
    assert sheet.cell(last, 2).value == "รวม"
    total = sheet.cell(last, 15)
    assert total.number_format == "#,##0.00"
    assert Decimal(str(total.value)) == scenario.net()
    first = sheet.cell(header_row + 1, 4)
    assert isinstance(first.value, (int, float, Decimal)) and first.number_format == "#,##0.00"


def test_pdf_export_has_shaped_thai_page_numbers_and_printer(db, scenario, signed_in,
                                                             finance):
    client = signed_in(finance)
    response = client.get("/reports/daily.pdf?office=5001&date=22/11/2569")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = base_letters(pdf_text(response.get_data()))
    assert base_letters("รายงานการรับเงินประจำวัน") in content
    assert base_letters("กระทบยอดกับรายการของธนาคาร") in content
    pages = content.count(base_letters("พิมพ์โดย นางการเงิน ตรวจยอด"))
    assert pages >= 1
    assert base_letters(f"หน้า 1 / {pages}") in content
    assert base_letters(f"หน้า {pages} / {pages}") in content


def test_large_export_streams_every_row(db, scenario, signed_in, finance):
    client = signed_in(finance)
    response = client.get("/reports/detail.csv?from=20/11/2569&to=22/11/2569")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    payments = sum(c for c, _ in scenario.payments.values())
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "วันเวลาที่ชำระ")
    assert len([r for r in rows[header_at + 1:] if r]) == payments


def test_json_api_with_a_token(db, scenario, app, make_user):
    token = accounts.create_token(db, name="mis", role=Role.EXECUTIVE, office_code=None).secret
    client = app.test_client()
    response = client.get("/api/v1/reports/remittance?from=2026-11-20&to=2026-11-22"
                          "&group_by=nation", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["report"] == "remittance"
    assert Decimal(data["tables"][0]["totals"]["total"]) == scenario.net()
    assert isinstance(data["tables"][0]["totals"]["total"], str)  # exact decimals
    bad = client.get("/api/v1/reports/remittance?from=nope",
                     headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.get_json()["errors"]["from"]
    missing = client.get("/api/v1/reports/nothing", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_executive_lands_on_the_dashboard(db, scenario, signed_in, make_user):
    executive = make_user(Role.EXECUTIVE, "00", username="exec-home")
    client = signed_in(executive)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/reports/dashboard")
    page = client.get("/reports/dashboard")
    assert page.status_code == 200 and "แยกตามภาค" in text(page)
    assert "ภาคเหนือ" in text(page)
