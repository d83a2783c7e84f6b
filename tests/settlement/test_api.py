"""``POST /api/v1/settlement-files``: an import job uploads the bank's file."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.services import create_token
from billpay.bills.models import Bill
from billpay.payments.models import Payment
from billpay.settlement.models import BankLine, SettlementException, SettlementFile
from tests.settlement.factory import pay, settlement_file
from tests.settlement.test_simulator import seed_bills

URL = "/api/v1/settlement-files"


def counts(db) -> tuple[int, ...]:
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (SettlementFile, BankLine, Payment, SettlementException))


@pytest.fixture
def token(db):
    return create_token(db, name="ktb-import", role=Role.IMPORT_JOB, office_code=None).secret


def auth(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def bills(db):
    return seed_bills(db, 4)


def upload(client, secret, data: bytes, name="ktb-20261120.txt"):
    return client.post(URL, headers=auth(secret), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


def test_upload_imports_and_answers_201_with_the_report(client, db, token, bills):
    data = settlement_file(pay(bills[0][0], bills[0][1]), pay(bills[1][0], "1.00", minute=1))
    response = upload(client, token, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["filename"], body["lines"], body["matched"]) == (
        "imported", "ktb-20261120.txt", 2, 1)
    assert body["exceptions"] == {"amount_short": 1} and body["exception_count"] == 1
    assert body["matched_amount"] == f"{bills[0][1]:.2f}" and body["file_id"]
    assert body["message"].startswith("นำเข้า ktb-20261120.txt")
    db.expire_all()
    record = db.get(SettlementFile, body["file_id"])
    assert record.source == "api" and record.imported_by_token_id is not None
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "paid"


def test_same_file_again_answers_200_duplicate_file(client, db, token, bills):
    data = settlement_file(pay(bills[0][0], bills[0][1]))
    assert upload(client, token, data).status_code == 201
    before = counts(db)
    again = upload(client, token, data, "renamed.txt")
    assert again.status_code == 200
    assert (again.get_json()["status"], again.get_json()["duplicates"]) == ("duplicate_file", 1)
    assert counts(db) == before


def test_raw_body_with_x_filename(client, db, token, bills):
    data = settlement_file(pay(bills[2][0], bills[2][1]))
    response = client.post(URL, data=data, headers={
        **auth(token), "Content-Type": "application/octet-stream",
        "X-Filename": quote("กรุงไทย 20 พ.ย..txt")})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["filename"] == "กรุงไทย 20 พ.ย..txt"
    assert response.get_json()["matched"] == 1


def test_refused_file_answers_422_naming_file_line_field_value(client, db, token, bills):
    data = bytearray(settlement_file(pay(bills[0][0], bills[0][1]),
                                     pay(bills[1][0], bills[1][1], minute=1)))
    data[2 * 257 + 20] = ord("3")  # line 3: the date's day becomes 3x
    before = counts(db)
    response = upload(client, token, bytes(data), "bad.txt")
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["status"]) == (422, "Unprocessable Entity")
    assert "bad.txt" in body["message"] and "บรรทัดที่ 3" in body["message"]
    errors = body["errors"]
    assert (errors["line"], errors["field"]) == (3, "date")
    assert errors["value"] == bytes(data[2 * 257 + 20:2 * 257 + 28]).decode()
    assert "bad.txt line 3, field date" in errors["file"][0]
    assert counts(db) == before
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "issued"


def test_empty_upload_is_refused_too(client, db, token):
    response = upload(client, token, b"", "empty.txt")
    assert response.status_code == 422 and response.get_json()["errors"]["line"] >= 1


@pytest.mark.parametrize("kwargs, status, where", [
    ({"content_type": "multipart/form-data", "data": {}}, 422, "file"),
    ({"data": b"H", "headers": {"Content-Type": "application/octet-stream"}}, 422, "X-Filename"),
    ({"json": {"file": "x"}}, 415, "Content-Type"),
])
def test_bad_requests_get_the_error_shape(client, db, token, kwargs, status, where):
    kwargs = dict(kwargs)
    headers = {**auth(token), **kwargs.pop("headers", {})}
    response = client.post(URL, headers=headers, **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"} and where in body["errors"]


def test_only_the_import_role_may_upload(client, db, bills):
    data = settlement_file(pay(bills[0][0], bills[0][1]))
    clerk = create_token(db, name="counter", role=Role.CLERK, office_code="5001").secret
    assert upload(client, clerk, data).status_code == 403
    assert client.post(URL, data={"file": (io.BytesIO(data), "x.txt")},
                       content_type="multipart/form-data").status_code == 401
    assert upload(client, "bp_not-a-token", data).status_code == 401
    assert counts(db) == (0, 0, 0, 0)


def test_documented_in_openapi(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"][URL]["post"]
    assert {"200", "201", "422"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"multipart/form-data",
                                                   "application/octet-stream"}
    assert "ImportReportOut" in spec["components"]["schemas"]
