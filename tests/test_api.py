"""The JSON API: bearer tokens, the error shape, bad input stores nothing."""

import json

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import ApiToken, Role
from billpay.accounts.services import create_token
from billpay.bills.models import Bill

VALID = {"payer_name": "บริษัท ทดสอบ จำกัด", "payer_id": "0105556012341",
         "items": [{"fee_type": "FA01", "quantity": 2}, {"fee_type": "HT01", "amount": "1500.25"}]}


@pytest.fixture
def token(db, clerk):
    return create_token(db, name="counter-app", role=Role.CLERK, office_code="5001").secret


def auth(secret):
    return {"Authorization": f"Bearer {secret}"}


def bills_in_db(db) -> int:
    return db.scalar(select(func.count()).select_from(Bill))


def test_create_bill_returns_codes_and_links(client, token):
    response = client.post("/api/v1/bills", json=VALID, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["amount"] == "1700.25"
    assert body["status"] == "issued"
    assert len(body["ref1"]) == 15 and body["ref1"].isdigit()
    assert body["barcode_data"] == f"|099999999999100\r{body['ref1']}\r{body['ref2']}\r170025"
    assert body["qr_payload"].startswith("000201010212")
    assert body["pdf_url"].endswith(f"/api/v1/bills/{body['ref1']}/pdf")
    assert body["amount_in_words"] == "หนึ่งพันเจ็ดร้อยบาทยี่สิบห้าสตางค์"
    got = client.get(f"/api/v1/bills/{body['ref1']}", headers=auth(token))
    assert got.get_json()["ref1"] == body["ref1"]
    pdf = client.get(f"/api/v1/bills/{body['ref1']}/pdf", headers=auth(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_json_numbers_are_read_exactly(client, token):
    body = dict(VALID, items=[{"fee_type": "HT01", "amount": 0.1}, {"fee_type": "HT01",
                                                                     "amount": 0.2}])
    response = client.post("/api/v1/bills", data=json.dumps(body),
                           content_type="application/json", headers=auth(token))
    assert response.get_json()["amount"] == "0.30"


@pytest.mark.parametrize("change, where", [
    ({"items": [{"fee_type": "HT01", "amount": "-5"}]}, ["items", "0", "amount"]),
    ({"items": [{"fee_type": "HT01", "amount": "10.005"}]}, ["items", "0", "amount"]),
    ({"items": [{"fee_type": "HT01", "amount": 10.005}]}, ["items", "0", "amount"]),
    ({"items": [{"fee_type": "XX99"}]}, ["items", "0", "fee_type"]),
    ({"items": []}, ["items"]),
    ({"payer_id": "1101700203452"}, ["payer_id"]),
    ({"payer_name": "ก" * 201}, ["payer_name"]),
    ({"payer_name": "   "}, ["payer_name"]),
    ({"office_code": "5002"}, ["office_code"]),
    ({"due_date": "2026-02-30"}, ["due_date"]),
    ({"surprise": 1}, ["surprise"]),
])
def test_bad_input_gets_field_errors_and_stores_nothing(client, db, token, change, where):
    before = bills_in_db(db)
    response = client.post("/api/v1/bills", json={**VALID, **change}, headers=auth(token))
    assert response.status_code in (400, 422)
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}
    node = body["errors"].get("json", body["errors"])
    for key in where:
        node = node[key]
    assert node, body
    assert bills_in_db(db) == before


def test_inactive_fee_type(client, db, token):
    from billpay.bills.models import FeeType

    db.scalar(select(FeeType).where(FeeType.code == "PW01")).active = False
    db.flush()
    response = client.post("/api/v1/bills", json={**VALID, "items": [{"fee_type": "PW01"}]},
                           headers=auth(token))
    assert response.status_code == 422
    assert "ปิดการใช้งาน" in response.get_json()["errors"]["items"]["0"]["fee_type"][0]


def test_malformed_json(client, token):
    response = client.post("/api/v1/bills", data=b'{"payer_name": ', headers=auth(token),
                           content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"] == "รูปแบบ JSON ไม่ถูกต้อง"
    assert "Traceback" not in response.get_data(as_text=True)


def test_missing_or_bad_token_is_401(client):
    assert client.get("/api/v1/fee-types").status_code == 401
    response = client.get("/api/v1/fee-types", headers=auth("bp_not-a-token"))
    assert response.status_code == 401
    assert response.get_json()["status"] == "Unauthorized"


def test_token_is_stored_only_as_hash(db, token):
    stored = db.scalar(select(ApiToken).where(ApiToken.name == "counter-app"))
    assert token not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_foreign_office_bill_is_404(client, db, token, make_user):
    from billpay.accounts.services import create_token as make

    mine = client.post("/api/v1/bills", json=VALID, headers=auth(token)).get_json()["ref1"]
    other = make(db, name="other", role=Role.CLERK, office_code="5002").secret
    for path in (f"/api/v1/bills/{mine}", f"/api/v1/bills/{mine}/pdf"):
        response = client.get(path, headers=auth(other))
        assert response.status_code == 404
        assert response.get_json()["code"] == 404
    cancel = client.post(f"/api/v1/bills/{mine}/cancel", json={"reason": "x"}, headers=auth(other))
    assert cancel.status_code == 404


def test_cancel(client, token):
    ref1 = client.post("/api/v1/bills", json=VALID, headers=auth(token)).get_json()["ref1"]
    missing = client.post(f"/api/v1/bills/{ref1}/cancel", json={}, headers=auth(token))
    assert missing.status_code == 422
    assert "reason" in missing.get_json()["errors"]["json"]
    done = client.post(f"/api/v1/bills/{ref1}/cancel", json={"reason": "ออกผิด"},
                       headers=auth(token))
    assert done.status_code == 200
    assert done.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/bills/{ref1}/cancel", json={"reason": "ออกผิด"},
                        headers=auth(token))
    assert again.status_code == 409


def test_reference_data(client, token):
    fee_types = client.get("/api/v1/fee-types", headers=auth(token)).get_json()
    fa01 = next(f for f in fee_types if f["code"] == "FA01")
    assert fa01["default_amount"] == "100.00" and fa01["revenue_type"] == "state"
    offices = client.get("/api/v1/offices?province=50", headers=auth(token)).get_json()
    assert offices[0]["code"] == "50"
    assert any(o["code"] == "5001" and o["name_th"] == "เมืองเชียงใหม่" for o in offices)


def test_session_api_calls_need_csrf_header(client, clerk):
    from tests.support import csrf_token, login

    login(client, clerk.username)
    refused = client.post("/api/v1/bills", json=VALID)
    assert refused.status_code == 400
    token = csrf_token(client, "/bills/new")
    accepted = client.post("/api/v1/bills", json=VALID, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/v1/bills", "/api/v1/bills/{ref1}", "/api/v1/bills/{ref1}/pdf",
            "/api/v1/bills/{ref1}/cancel", "/api/v1/fee-types", "/api/v1/offices"} <= set(
        spec["paths"])
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/v1/bills" in page.get_data(as_text=True)
