"""Median server time per page on the demo data, as each demo role sees it.

    .venv/bin/python bench/pages.py [--repeat 20] [--database-url URL] [--keep]

Sets up a fresh database the way ``billpay demo --no-serve`` does (offices, the demo
fee types, the demo users, a month of bills, counter payments, cancellations and a bank
file a day at four offices; ``billpay.demo.load_demo_activity``), signs in as each
demo role with Flask's test client and requests every main page of that role
``--repeat`` times after one warm-up request. Prints the median and 90th percentile per
page and the median over all requests. The time is the whole request inside the app
(routing, session and login, queries, templates), without a network or a browser.

The issue's floor: every page's median at most 100 ms on the 2-core reference machine.
Exits 1 if a page is slower or answers anything but 200.

Database: a temporary SQLite file by default; ``--database-url`` takes a PostgreSQL
server URL (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) on which a
scratch database ``billpay_bench_pages`` is created (and dropped unless ``--keep``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

# bench/ itself off the path: bench/http.py would stand in for the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bench.scratch import drop_postgres, fresh_postgres  # noqa: E402
from billpay import migrate  # noqa: E402
from billpay.accounts.services import Registration, create_user, register_user  # noqa: E402
from billpay.app import create_app  # noqa: E402
from billpay.bills import catalogue  # noqa: E402
from billpay.bills.models import Bill  # noqa: E402
from billpay.cli import DEMO_USERS  # noqa: E402
from billpay.db import get_database, utcnow  # noqa: E402
from billpay.demo import load_demo_activity  # noqa: E402
from billpay.offices.models import Office  # noqa: E402
from billpay.offices.services import seed_offices  # noqa: E402
from billpay.receipts.models import Receipt  # noqa: E402
from billpay.thaidate import bangkok_date  # noqa: E402

FLOOR_MS = 100.0
PASSWORD = "Bench-Pages-2569!"
DB_NAME = "billpay_bench_pages"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def set_up(url: str):
    """Migrate, seed and load the demo activity as ``billpay demo --no-serve`` does; a
    registration waiting for approval too. The app and a few ids the pages need."""
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-pages-" + "x" * 40,
                      "RATELIMIT_STORAGE_URL": "memory://", "LOG_LEVEL": "WARNING"})
    database = get_database(app)
    started = time.perf_counter()
    with app.app_context(), database.transaction() as db:
        seed_offices(db)
        catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
        for username, full_name, role, office, position in DEMO_USERS:
            create_user(db, username=username, password=PASSWORD, full_name=full_name,
                        role=role, office_code=office, position=position)
        made = load_demo_activity(db, app.extensions["billpay.billing"])
        register_user(db, Registration(
            full_name="นางสาวรอ อนุมัติ", position="เจ้าพนักงานปกครอง", office_code="5001",
            citizen_id="1101700203450", email="wait@dopa.go.th", phone="0812345678",
            username="waiting", password=PASSWORD))
    with app.app_context(), database.transaction() as db:
        office = db.scalar(select(Office).where(Office.code == "5001"))
        bill = db.scalar(select(Bill).where(Bill.office_id == office.id)
                         .order_by(Bill.id.desc()).limit(1))
        receipt = db.scalar(select(Receipt).where(Receipt.office_id == office.id)
                            .order_by(Receipt.id.desc()).limit(1))
        ids = {"ref1": bill.ref1, "receipt": receipt.id,
               "day": (bangkok_date(utcnow()) - timedelta(days=1)).isoformat()}
    print(f"demo data: {made.bills:,} bills, {made.counter_payments:,} counter payments, "
          f"{made.bank_files:,} bank files, {made.cancelled:,} cancelled "
          f"({time.perf_counter() - started:.1f} s)")
    return app, ids


def pages(ids: dict) -> dict[str, list[str]]:
    """Each demo user's main pages."""
    return {
        "clerk": ["/", "/bills/new", "/bills", f"/bills/{ids['ref1']}", "/receipts",
                  f"/receipts/{ids['receipt']}", "/receipts/counter", "/reports/",
                  "/reports/daily", "/account"],
        "head": ["/", "/receipts/cancellations", "/receipts/register", "/reports/daily"],
        "finance": ["/", "/accounts/approvals", "/settlement/exceptions", "/settlement/files",
                    f"/settlement/days/{ids['day']}", "/reports/statistics",
                    "/reports/remittance", "/reports/outstanding", "/reports/exceptions",
                    "/reports/cancellations", "/accounts/nominations", "/audit"],
        "admin": ["/", "/accounts/users", "/admin/fee-types"],
        "exec": ["/reports/dashboard", "/reports/statistics"],
    }


def sign_in(app, username: str):
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, f"{username} could not sign in"
    return client


def measure(app, ids: dict, repeat: int) -> list[tuple[str, str, int, list[float]]]:
    results = []
    for username, paths in pages(ids).items():
        client = sign_in(app, username)
        for path in paths:
            status = client.get(path).status_code  # warm-up: caches, first compile
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                status = response.status_code if response.status_code != 200 else status
            results.append((username, path, status, times))
    return results


def report(results, repeat: int, label: str) -> bool:
    print(f"\n{label}: median server time per page, {repeat} requests each (ms)")
    print(f"{'role':<8} {'page':<42} {'status':>6} {'median':>8} {'p90':>8}")
    ok = True
    everything = []
    for role, path, status, times in results:
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        slow = median > FLOOR_MS or status != 200
        ok &= not slow
        everything += times
        print(f"{role:<8} {path:<42} {status:>6} {median:>8.1f} {p90:>8.1f}"
              f"{'  ← over the floor' if slow else ''}")
    worst = max(results, key=lambda r: statistics.median(r[3]))
    print(f"overall median {statistics.median(everything):.1f} ms over {len(everything):,} "
          f"requests; slowest page {worst[1]} ({worst[0]}) {statistics.median(worst[3]):.1f} ms; "
          f"floor {FLOOR_MS:.0f} ms per page: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server (scratch database "
                        f"{DB_NAME} is created there); default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="billpay-bench-pages-") as tmp:
        if args.database_url:
            url, label = fresh_postgres(args.database_url, DB_NAME), "PostgreSQL"
        else:
            url, label = f"sqlite:///{tmp}/bench.db", "SQLite"
        try:
            app, ids = set_up(url)
            ok = report(measure(app, ids, args.repeat), args.repeat, label)
            get_database(app).engine.dispose()
        finally:
            if args.database_url and not args.keep:
                drop_postgres(args.database_url, DB_NAME)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
