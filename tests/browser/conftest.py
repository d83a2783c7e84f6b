"""Browser fixtures: a live billpay server per backend and Debian's Chromium via Playwright.

Each backend (SQLite, PostgreSQL) gets its own FRESH database, migrated and seeded,
with one clerk of office 5001, served by werkzeug in a daemon thread while the browser
tests of that backend run (package scope: pytest groups the tests by the session-scoped
``backend``, so server, database and Chromium are gone before the other tests go on). Chromium is the system one (``/usr/bin/chromium``; Playwright's own browser
download is not used), driven with Playwright's plain sync API.

Screenshots of each step go to ``test-artifacts/browser/<backend>/NN-step.png``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from billpay.accounts.models import Role
from billpay.accounts.services import create_user
from billpay.db import get_database
from tests.support import (
    IN_CI,
    PASSWORD,
    _worker,
    drop_postgres_database,
    fresh_database_url,
    make_app,
    prepare_database,
)

CHROMIUM = os.environ.get("BILLPAY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

CLERK_USERNAME = "clerk.browser"
CLERK_NAME = "สมหญิง ใจดี"
CLERK_OFFICE = "5001"


@dataclass
class LiveServer:
    backend: str
    url: str
    app: object
    artifacts: Path
    username: str = CLERK_USERNAME
    password: str = PASSWORD


@pytest.fixture(scope="package")
def live_server(backend, tmp_path_factory) -> Iterator[LiveServer]:
    """billpay on a fresh database of ``backend``, served on 127.0.0.1:<free port>."""
    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"browser-{backend}"), "browser")
    server = thread = app = None
    try:
        prepare_database(url)
        # Every page the suite opens comes from one address (127.0.0.1) within a few
        # minutes: the per-address public limit (60 a minute) is for strangers, not for
        # this one "client" standing in for every user. Rate limits have their own tests.
        app = make_app(url, RATELIMIT_PUBLIC="100000 per minute",
                       RATELIMIT_LOGIN="100000 per minute")
        with get_database(app).transaction() as db:
            create_user(db, username=CLERK_USERNAME, password=PASSWORD, full_name=CLERK_NAME,
                        role=Role.CLERK, office_code=CLERK_OFFICE,
                        position="เจ้าพนักงานปกครองปฏิบัติงาน")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=f"billpay-{backend}",
                                  daemon=True)
        thread.start()
        artifacts = ARTIFACTS / backend
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir(parents=True)
        yield LiveServer(backend=backend, url=f"http://127.0.0.1:{server.server_port}",
                         app=app, artifacts=artifacts)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        if app is not None:
            get_database(app).engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(f"billpay_browser_{_worker()}")


FINANCE_USERNAME = "finance.settlement"  # test_registration.py has its own finance.browser
FINANCE_NAME = "สมศรี กองคลัง"
FINANCE_OFFICE = "00"  # the central finance division


@pytest.fixture(scope="package")
def finance_user(live_server) -> str:
    """A finance-division user (กองคลัง) in the live server's database; its username."""
    with get_database(live_server.app).transaction() as db:
        create_user(db, username=FINANCE_USERNAME, password=PASSWORD, full_name=FINANCE_NAME,
                    role=Role.FINANCE, office_code=FINANCE_OFFICE,
                    position="นักวิชาการเงินและบัญชีชำนาญการ")
    return FINANCE_USERNAME


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests of a backend."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Page:
    """A Playwright page plus what the test wants to know about it afterwards."""

    page: object
    shots: Path
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """Screenshot as ``NN-step.png`` once the fonts are in."""
        self.page.evaluate("document.fonts.ready.then(() => true)")
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    """A fresh context (no cookies) at 1366×768 in Thai, Bangkok time; collects JavaScript
    errors, console errors (CSP violations show up there) and failed requests."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT,
                                  locale="th-TH", timezone_id="Asia/Bangkok",
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    wrapped = Page(page=tab, shots=live_server.artifacts)
    tab.on("pageerror", lambda exc: wrapped.errors.append(f"page error: {exc}"))
    tab.on("console", lambda msg: msg.type == "error" and wrapped.errors.append(
        f"console: {msg.text.strip()} [{msg.location.get('url', '')}]"))
    tab.on("requestfailed", lambda req: wrapped.errors.append(
        f"request failed: {req.method} {req.url} {req.failure}"))
    try:
        yield wrapped
    finally:
        context.close()
