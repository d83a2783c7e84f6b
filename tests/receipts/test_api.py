"""``/api/v1/receipts`` on SQLite and PostgreSQL: search, one receipt, the PDF as a print,
scope (another office's receipt is not found)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from billpay.accounts.models import Role
from billpay.accounts.services import create_token
from billpay.bills import services as bills
from billpay.receipts import services as receipts
from billpay.thaidate import BANGKOK
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(db, clerk):
    return create_token(db, name="counter-app", role=Role.CLERK, office_code="5001").secret


@pytest.fixture
def paid(db, clerk_actor):
    def make(amount="250.00"):
        bill = bills.issue_bill(db, clerk_actor, bills.NewBill(
            payer_name="นายเอพีไอ ทดสอบ", items=[bills.NewBillItem("HT01", 1, Decimal(amount))]),
            CONFIG)
        return receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash",
                                             reference=None)
    return make


def test_one_receipt_has_what_other_systems_need(client, token, paid, app):
    receipt = paid("1234.50")
    response = client.get(f"/api/v1/receipts/{receipt.id}", headers=auth(token))
    assert response.status_code == 200
    body = response.get_json()
    url = receipts.verification_url(receipt, app.extensions["billpay.receipts"])
    assert {k: body[k] for k in ("number", "book", "fiscal_year", "office_code", "amount",
                                 "amount_in_words", "status", "bill_ref1", "series",
                                 "verification_url")} == {
        "number": 1, "book": "1", "fiscal_year": receipt.fiscal_year, "office_code": "5001",
        "amount": "1234.50", "amount_in_words": "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์",
        "status": "valid", "bill_ref1": receipt.bill.ref1, "series": "e",
        "verification_url": url}
    assert datetime.fromisoformat(body["issued_at"]) == receipt.issued_at
    assert body["pdf_url"].endswith(f"/api/v1/receipts/{receipt.id}/pdf")


def test_pdf_counts_as_a_print(client, token, paid, app):
    receipt = paid()
    first = client.get(f"/api/v1/receipts/{receipt.id}/pdf", headers=auth(token))
    assert first.mimetype == "application/pdf" and first.headers["X-Receipt-Copy"] == "0"
    url = receipts.verification_url(receipt, app.extensions["billpay.receipts"])
    assert decode_codes(rasterise(first.data)[0])["QRCode"] == [url]
    assert "COPY" not in pdf_text(first.data)
    second = client.get(f"/api/v1/receipts/{receipt.id}/pdf", headers=auth(token))
    assert second.headers["X-Receipt-Copy"] == "1"
    text = base_letters(pdf_text(second.data))
    assert base_letters("สำเนา (COPY)") in text and base_letters("พิมพ์ครั้งที่ 2") in text
    body = client.get(f"/api/v1/receipts/{receipt.id}", headers=auth(token)).get_json()
    assert body["print_count"] == 2


def test_search_with_filters(client, token, paid):
    first, second = paid("100.00"), paid("200.00")
    year = first.fiscal_year
    response = client.get(f"/api/v1/receipts?office=5001&fiscal_year={year}&status=valid",
                          headers=auth(token))
    assert response.status_code == 200
    assert [(r["number"], r["amount"]) for r in response.get_json()] == [
        (1, "100.00"), (second.number, "200.00")]
    assert response.headers["X-Total-Count"] == "2"
    day = first.issued_at.astimezone(BANGKOK).date().isoformat()     # Christian era, ISO
    assert len(client.get(f"/api/v1/receipts?from={day}&to={day}",
                          headers=auth(token)).get_json()) == 2
    assert client.get("/api/v1/receipts?status=cancelled",
                      headers=auth(token)).get_json() == []
    assert client.get(f"/api/v1/receipts?fiscal_year={year + 1}",
                      headers=auth(token)).get_json() == []
    bad = client.get("/api/v1/receipts?from=31/02/2569&status=lost", headers=auth(token))
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]["query"]
    assert "from" in errors and "status" in errors


def test_buddhist_era_dates_in_the_query(client, token, paid):
    receipt = paid()
    day = receipt.issued_at.astimezone(BANGKOK)
    be = f"{day.day:02d}/{day.month:02d}/{day.year + 543}"
    rows = client.get(f"/api/v1/receipts?from={be}&to={be}", headers=auth(token)).get_json()
    assert [r["id"] for r in rows] == [receipt.id]


def test_another_office_gets_404(client, db, paid):
    receipt = paid()
    other = create_token(db, name="other", role=Role.CLERK, office_code="5002").secret
    for path in (f"/api/v1/receipts/{receipt.id}", f"/api/v1/receipts/{receipt.id}/pdf"):
        response = client.get(path, headers=auth(other))
        assert response.status_code == 404
        assert response.get_json() == {"code": 404, "status": "Not Found",
                                       "message": "ไม่พบใบเสร็จรับเงิน"}
    assert client.get("/api/v1/receipts?office=5001", headers=auth(other)).get_json() == []
    assert receipt.print_count == 0
    province = create_token(db, name="cm", role=Role.PROVINCIAL, office_code="50").secret
    assert client.get(f"/api/v1/receipts/{receipt.id}",
                      headers=auth(province)).status_code == 200


def test_without_receipt_permission_or_token(client, db, paid):
    receipt = paid()
    admin = create_token(db, name="admin", role=Role.ADMIN, office_code="00").secret
    assert client.get(f"/api/v1/receipts/{receipt.id}", headers=auth(admin)).status_code == 403
    assert client.get(f"/api/v1/receipts/{receipt.id}").status_code == 401
