"""Bills issued and rendered per second (create + PDF), one process on one core.

    .venv/bin/python bench/bill_pdf.py [--bills 500] [--database-url URL]

Default database: a scratch SQLite file. Each bill is issued through the service in
its own transaction (as the counter page does), then its PDF is rendered.
The issue's floor is 100 bills/s.

Each phase is timed by the wall clock and by this process's CPU time
(``time.process_time``): on a shared machine the wall figures move with the load
(printed too), the CPU figures much less. The last line stays the wall-clock rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

# the repository instead of bench/ (whose http.py would shadow the standard library)
sys.path[0] = str(Path(__file__).resolve().parents[1])

from billpay import migrate  # noqa: E402
from billpay.accounts.permissions import Actor  # noqa: E402
from billpay.accounts.services import create_user  # noqa: E402
from billpay.app import create_app  # noqa: E402
from billpay.bills import catalogue  # noqa: E402
from billpay.bills import services as bills  # noqa: E402
from billpay.bills.documents import bill_pdf  # noqa: E402
from billpay.db import get_database  # noqa: E402
from billpay.offices.services import seed_offices  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench" * 10})
        database = get_database(app)
        billing = app.extensions["billpay.billing"]
        with database.transaction() as db:
            seed_offices(db)
            if not catalogue.list_fee_types(db):
                catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
            user = create_user(db, username=f"bench{time.time_ns()}", password="bench-password",
                               full_name="นางสาวทดสอบ ความเร็ว", role="clerk", office_code="5001")
            actor = Actor.for_user(user)
        request = bills.NewBill(
            payer_name="นายสมศักดิ์ ทดสอบระบบ", payer_id="0105556012341",
            payer_address="99 หมู่ 1 ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่",
            items=[bills.NewBillItem("FA01", 1), bills.NewBillItem("HT01", 1, Decimal("2450.75"))])

        def one() -> tuple[float, float, float, float, int]:
            t0, c0 = time.perf_counter(), time.process_time()
            with database.transaction() as db:
                bill = bills.issue_bill(db, actor, request, billing)
                bill.created_by  # noqa: B018 - loaded for the PDF, as the view does
            t1, c1 = time.perf_counter(), time.process_time()
            size = len(bill_pdf(bill).getvalue())
            t2, c2 = time.perf_counter(), time.process_time()
            return t1 - t0, t2 - t1, c1 - c0, c2 - c1, size

        for _ in range(20):  # warm up: fonts, caches, connection pool
            one()
        create_times, render_times, create_cpu, render_cpu = [], [], [], []
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(args.bills):
            created, rendered, created_cpu, rendered_cpu, size = one()
            create_times.append(created)
            render_times.append(rendered)
            create_cpu.append(created_cpu)
            render_cpu.append(rendered_cpu)
        elapsed = time.perf_counter() - start
        elapsed_cpu = time.process_time() - start_cpu
        get_database(app).engine.dispose()

    backend = url.split(":", 1)[0]
    print(f"database: {backend}; bills: {args.bills}; PDF size: {size:,} bytes")
    ms = lambda values: statistics.median(values) * 1000  # noqa: E731
    print(f"create (issue + commit): median {ms(create_times):.2f} ms wall, "
          f"{ms(create_cpu):.2f} ms CPU")
    print(f"render PDF:              median {ms(render_times):.2f} ms wall, "
          f"{ms(render_cpu):.2f} ms CPU")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}; CPU-bound rate: "
          f"{args.bills / elapsed_cpu:.1f} bills per CPU second")
    print(f"bills per second (create + PDF, one core): {args.bills / elapsed:.1f}  (floor 100)")


if __name__ == "__main__":
    main()
