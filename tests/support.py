"""Helpers shared by the tests: scratch databases, the app, signing in."""

from __future__ import annotations

import os
import re
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from billpay import migrate
from billpay.accounts import services as account_services
from billpay.app import create_app
from billpay.bills import catalogue
from billpay.db import get_database
from billpay.offices.services import seed_offices

# Cheap password hashing in tests: the production parameters cost ~0.1 s per hash.
account_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_ADMIN_URL = os.environ.get(
    "BILLPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery"
BACKENDS = ["sqlite", "postgresql"]
SECRET = "test-secret-key-" + "x" * 32


def _worker() -> str:
    """Names this test process's scratch databases: the xdist worker and the process id,
    so that two test runs on one machine never drop each other's databases."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _postgres_reachable() -> str | None:
    """None if the server answers; otherwise why not."""
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def fresh_postgres_database(name: str) -> str:
    """Drop and create database ``name`` on the test server; return its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database_url(backend: str, tmp_dir: Path, name: str) -> str:
    if backend == "sqlite":
        path = tmp_dir / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    return fresh_postgres_database(f"billpay_{name}_{_worker()}")


def prepare_database(url: str) -> None:
    """Migrate to head and load the reference data (offices, demo fee types)."""
    migrate.upgrade(url)
    app = make_app(url)
    with get_database(app).transaction() as db:
        seed_offices(db)
        catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
    get_database(app).engine.dispose()


def make_app(url: str, **extra):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, **extra})


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
