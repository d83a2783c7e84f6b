"""/healthz, /readyz, /metrics and the request log line."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from billpay.accounts.models import Role
from tests.ops.helpers import bearer, token, window
from tests.support import make_app

BILL_JSON = {"payer_name": "ทดสอบ ตัวชี้วัด", "items": [{"fee_type": "FA01"}]}
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=1"


def test_healthz_needs_no_database_and_readyz_says_it_is_unreachable():
    app = make_app(UNREACHABLE)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert "OperationalError" in body["reason"]


def test_readyz_is_ok_at_head_and_fails_when_the_schema_is_behind(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok" and body["revision"] == body["head"]
    db.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["revision"] == ["0004"] and "billpay db upgrade" in body["reason"]
    assert body["message"] == "โครงสร้างฐานข้อมูลไม่ตรงกับรุ่นของโปรแกรม"


def _sample(metrics: str, name: str, **labels) -> float:
    """The value of one sample of the exposition text (0 if absent)."""
    for line in metrics.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        got = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if head.split("{")[0] == name and all(got.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


def test_metrics_exposes_requests_and_business_counts(client, db):
    secret = token(db, Role.CLERK, "5001", name="metrics-counter")
    first = client.get("/metrics").get_data(as_text=True)
    for name in ("billpay_http_requests_total", "billpay_http_request_duration_seconds_bucket",
                 "billpay_bills_issued_total", "billpay_settlement_files_imported_total",
                 "billpay_settlement_exceptions_open", "billpay_receipts_issued_total",
                 "billpay_settlement_queue_files", "billpay_maintenance_active"):
        assert f"\n{name}" in first or f"# TYPE {name.removesuffix('_total')}" in first, name
    issued = _sample(first, "billpay_bills_issued_total", status="issued")
    posted = _sample(first, "billpay_http_requests_total", method="POST",
                     endpoint="api_bills.Bills", status="201")
    assert client.post("/api/v1/bills", json=BILL_JSON,
                       headers=bearer(secret)).status_code == 201
    window(db)
    second = client.get("/metrics").get_data(as_text=True)
    assert _sample(second, "billpay_bills_issued_total", status="issued") == issued + 1
    assert _sample(second, "billpay_http_requests_total", method="POST",
                   endpoint="api_bills.Bills", status="201") == posted + 1
    assert _sample(second, "billpay_http_request_duration_seconds_count", method="POST",
                   endpoint="api_bills.Bills") >= 1
    assert _sample(second, "billpay_maintenance_active") == 1


def test_metrics_token_and_the_local_only_default(client, app, monkeypatch):
    assert client.get("/metrics").status_code == 200  # from 127.0.0.1, no proxy
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
                      ).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    monkeypatch.setitem(app.config["BILLPAY"], "METRICS_TOKEN", "s3cret-scrape-token")
    response = client.get("/metrics")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"]
    assert client.get("/metrics", headers=bearer("wrong")).status_code == 401
    assert client.get("/metrics", headers=bearer("s3cret-scrape-token"),
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


@pytest.fixture
def json_app(backend_urls, backend):
    app = make_app(backend_urls[backend], LOG_FORMAT="json")
    yield app
    make_app(backend_urls[backend])  # back to text for the tests after this one


def test_json_log_line_per_request_with_request_id_and_user(json_app, capsys):
    client = json_app.test_client()
    client.get("/healthz", headers={"X-Request-ID": "req-123"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
             if line.startswith("{")]
    entry = next(e for e in lines if e.get("path") == "/healthz")
    assert entry["request_id"] == "req-123" and entry["method"] == "GET"
    assert entry["status"] == 200 and entry["duration_ms"] >= 0
    assert "user_id" in entry and entry["logger"] == "billpay.request"


def test_json_log_line_names_the_user(client, db, clerk, capsys, backend_urls, backend):
    from tests.support import login

    app = make_app(backend_urls[backend], LOG_FORMAT="json")
    try:
        from billpay.db import get_database

        with get_database(app).bound_to(get_database(client.application).sessionmaker):
            c = app.test_client()
            login(c, clerk.username)
            capsys.readouterr()
            c.get("/bills")
            entry = next(json.loads(line) for line in capsys.readouterr().err.splitlines()
                         if line.startswith("{") and '"/bills"' in line)
    finally:
        make_app(backend_urls[backend])
    assert entry["user_id"] == clerk.id and entry["status"] == 200


def test_bad_log_format_is_refused():
    from billpay.config import ConfigError

    with pytest.raises(ConfigError):
        make_app("sqlite://", LOG_FORMAT="yaml")
