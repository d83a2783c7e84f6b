"""Receipts issued per second on PostgreSQL, 16 workers at once: counter payments (bill
locked, paid, receipt numbered from the office's counter, audit entry, commit), each in
its own transaction, as the counter page does.

    .venv/bin/python bench/receipts.py [--workers 16] [--offices 50] [--receipts 4000]
                                       [--threads] [--admin-url URL] [--keep]

Two runs on a fresh database: the payments spread over ``--offices`` district offices,
then every worker on one office (all on one counter row). After each run every office's
register is checked: numbers 1..N, no gap, no duplicate. Workers are processes (one
engine each) unless ``--threads``. The issue's floor is 300 receipts/s across 50 offices
on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

# the repository instead of bench/ (whose http.py would shadow the standard library)
sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.scratch import drop_postgres, fresh_postgres  # noqa: E402
from billpay import migrate  # noqa: E402
from billpay.accounts.models import User  # noqa: E402
from billpay.accounts.permissions import Actor  # noqa: E402
from billpay.accounts.services import create_user  # noqa: E402
from billpay.bills import catalogue  # noqa: E402
from billpay.bills import services as bills  # noqa: E402
from billpay.bills.models import Bill, BillStatus  # noqa: E402
from billpay.offices.models import Office  # noqa: E402
from billpay.offices.services import seed_offices  # noqa: E402
from billpay.receipts import services as receipts  # noqa: E402
from billpay.receipts.models import Receipt  # noqa: E402

FLOOR = 300.0
CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
DB_NAME = "billpay_bench_receipts"
_BILL_SEQ = itertools.count(1)


def prepare(url: str, offices: int) -> tuple[list[str], dict[str, int]]:
    """Offices, fee types and one clerk per office."""
    migrate.upgrade(url)
    engine = create_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as db, db.begin():
        seed_offices(db)
        catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
        codes = list(db.scalars(select(Office.code).where(Office.kind == "district")
                                .order_by(Office.code).limit(offices)))
        clerks = {code: create_user(db, username=f"bench{code}", password="bench-password-1",
                                    full_name=f"เจ้าหน้าที่การเงิน {code}", role="clerk",
                                    office_code=code, position="เจ้าพนักงานการเงินและบัญชี").id
                  for code in codes}
    engine.dispose()
    return codes, clerks


def issue_bills(url: str, clerks: dict[str, int], per_office: dict[str, int]) -> list[tuple]:
    """Unpaid bills to pay in the timed run (not timed): (office, clerk id, ref1)."""
    engine = create_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    work = []
    with factory() as db, db.begin():
        for code, count in per_office.items():
            actor = Actor.for_user(db.get(User, clerks[code]))
            for i in range(count):
                bill = bills.issue_bill(db, actor, bills.NewBill(
                    payer_name=f"นายทดสอบ ความเร็ว {i}",
                    items=[bills.NewBillItem("HT01", 1, Decimal("100.00") + i % 50)]), CONFIG)
                work.append((code, clerks[code], bill.ref1))
    engine.dispose()
    # interleave offices, as payments arrive at many counters at once
    work.sort(key=lambda w: (w[2][-8:], w[0]))
    return work


def paid_bills(url: str, per_office: dict[str, int]) -> list[tuple]:
    """Bills already paid, with their payments but no receipt yet, written with COPY (not
    timed): what a settlement import hands to ``issue_receipts``. (office, payment id, …)."""
    from datetime import UTC, date, datetime

    from billpay.db import insert_rows
    from billpay.payments.models import Payment

    engine = create_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    out = []
    with factory() as db, db.begin():
        ids = dict(db.execute(select(Office.code, Office.id)).all())
        paid_at = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)
        rows, offices = [], []
        for code, count in per_office.items():
            for _ in range(count):
                i = next(_BILL_SEQ)
                rows.append(dict(office_id=ids[code], ref1=f"9{ids[code]:05d}{i:09d}",
                                 ref2="691222", biller_id="099999999999100",
                                 revenue_type="state", fiscal_year=2570, running=10**6 + i,
                                 payer_name=f"นายทดสอบ ความเร็ว {i}", total=Decimal("100.00"),
                                 due_date=date(2026, 12, 22), status="paid",
                                 created_at=paid_at, paid_at=paid_at))
                offices.append(code)
        bill_ids = insert_rows(db, Bill, rows, return_ids=True)
        payment_ids = insert_rows(db, Payment, [dict(
            bill_id=bill_id, office_id=row["office_id"], method="cash", amount=row["total"],
            paid_at=paid_at, channel="CTR", status="active", recorded_at=paid_at)
            for bill_id, row in zip(bill_ids, rows, strict=True)], return_ids=True)
        for code, bill_id, payment_id, row in zip(offices, bill_ids, payment_ids, rows,
                                                  strict=True):
            out.append((code, payment_id, bill_id, row["office_id"]))
    engine.dispose()
    out.sort(key=lambda w: (w[1] % 997, w[0]))
    return out


def _batch_worker(url: str, jobs: list[tuple], start_at: float, out, batch: int) -> None:
    """Receipts for ``batch`` payments per transaction, as an import chunk issues them."""
    from datetime import UTC, datetime

    engine = create_engine(url, pool_size=1, max_overflow=0)
    factory = sessionmaker(engine, expire_on_commit=False)
    paid_at = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)
    while time.time() < start_at:
        time.sleep(0.001)
    latencies = []
    for first in range(0, len(jobs), batch):
        chunk = jobs[first:first + batch]
        t0 = time.perf_counter()
        with factory() as db:
            receipts.issue_receipts(db, [receipts.PaymentToReceipt(
                payment_id, bill_id, office_id, Decimal("100.00"), paid_at)
                for _, payment_id, bill_id, office_id in chunk], issuer=None,
                now=datetime.now(UTC))
            db.commit()
        latencies.extend([(time.perf_counter() - t0) / len(chunk)] * len(chunk))
    engine.dispose()
    out.put(latencies)


def _worker(url: str, jobs: list[tuple], start_at: float, out, no_audit: bool = False) -> None:
    if no_audit:  # diagnosis only: what the payment costs without the audit log's chain lock
        receipts.audit = lambda *args, **kwargs: None
    engine = create_engine(url, pool_size=1, max_overflow=0)
    factory = sessionmaker(engine, expire_on_commit=False)
    actors: dict[int, Actor] = {}
    with factory() as db:
        for _, clerk_id, _ in jobs:
            if clerk_id not in actors:
                actors[clerk_id] = Actor.for_user(db.get(User, clerk_id))
    while time.time() < start_at:
        time.sleep(0.001)
    latencies = []
    for _, clerk_id, ref1 in jobs:
        t0 = time.perf_counter()
        with factory() as db:
            receipts.take_counter_payment(db, actors[clerk_id], ref1, method="cash",
                                          reference=None)
            db.commit()
        latencies.append(time.perf_counter() - t0)
    engine.dispose()
    out.put(latencies)


def run(url: str, work: list[tuple], workers: int, threads: bool,
        no_audit: bool = False, batch: int = 0) -> tuple[float, list[float]]:
    shares = [work[i::workers] for i in range(workers)]
    target, extra = (_batch_worker, (batch,)) if batch else (_worker, (no_audit,))
    if threads:
        import queue
        import threading

        out = queue.Queue()
        start_at = time.time() + 1.0
        procs = [threading.Thread(target=target, args=(url, share, start_at, out, *extra))
                 for share in shares]
    else:
        ctx = mp.get_context("fork")
        out = ctx.Queue()
        start_at = time.time() + 2.0
        procs = [ctx.Process(target=target, args=(url, share, start_at, out, *extra))
                 for share in shares]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(out.get())
    for proc in procs:
        proc.join()
    elapsed = time.time() - start_at
    return elapsed, latencies


def check(url: str) -> tuple[int, int, int, int]:
    """(receipts, offices checked, gaps, duplicates) over every office and fiscal year."""
    engine = create_engine(url)
    factory = sessionmaker(engine)
    gaps = duplicates = offices = 0
    with factory() as db:
        total = db.scalar(select(func.count()).select_from(Receipt))
        for office_id, year in db.execute(select(Receipt.office_id, Receipt.fiscal_year)
                                          .distinct()).all():
            result = receipts.check_register(db, office_id, year)
            gaps += len(result.gaps)
            duplicates += len(result.duplicates)
            offices += 1
        unpaid = db.scalar(select(func.count()).select_from(Bill).where(
            Bill.status == BillStatus.ISSUED))
        if unpaid:
            raise SystemExit(f"{unpaid} bills left unpaid")
    engine.dispose()
    return total, offices, gaps, duplicates


def report(label: str, count: int, elapsed: float, latencies: list[float],
           checked: tuple[int, int, int, int], floor: float | None) -> bool:
    rate = count / elapsed
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    total, offices, gaps, dups = checked
    ok = gaps == 0 and dups == 0 and (floor is None or rate >= floor)
    print(f"{label}: {count:,} receipts in {elapsed:.2f} s = {rate:,.0f} receipts/s"
          f" (median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
          f" per receipt, its share of its transaction); register: {total:,} receipts in {offices} office-years, "
          f"{gaps} gaps, {dups} duplicates"
          + (f"; floor {floor:.0f}/s {'met' if rate >= floor else 'NOT met'}" if floor else ""))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--offices", type=int, default=50)
    parser.add_argument("--receipts", type=int, default=4000,
                        help="payments per run (default 4000)")
    parser.add_argument("--threads", action="store_true", help="threads instead of processes")
    parser.add_argument("--admin-url", default=os.environ.get(
        "BILLPAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--batch", type=int, default=0,
                        help="instead of counter payments: receipts for this many already "
                             "paid payments per transaction (issue_receipts, as the "
                             "settlement import does)")
    parser.add_argument("--no-audit", action="store_true",
                        help="diagnosis: skip the audit-log entry of each payment (its lock "
                             "serialises every office's payments)")
    args = parser.parse_args()

    url = fresh_postgres(args.admin_url, DB_NAME)
    try:
        t0 = time.perf_counter()
        codes, clerks = prepare(url, args.offices)
        per_office = {code: args.receipts // len(codes) for code in codes}
        for code in codes[: args.receipts - sum(per_office.values())]:
            per_office[code] += 1
        make = ((lambda counts: paid_bills(url, counts)) if args.batch
                else (lambda counts: issue_bills(url, clerks, counts)))
        spread = make(per_office)
        what = (f"receipts for paid payments, {args.batch} per transaction" if args.batch
                else "counter payments, one per transaction")
        print(f"setup: {len(codes)} offices, {len(spread):,} bills in "
              f"{time.perf_counter() - t0:.1f} s; {what}; {args.workers} "
              f"{'threads' if args.threads else 'processes'}, {os.cpu_count()} CPUs")

        elapsed, latencies = run(url, spread, args.workers, args.threads, args.no_audit,
                                 args.batch)
        ok = report(f"{len(codes)} offices", len(spread), elapsed, latencies, check(url),
                    FLOOR)
        # the same office as above: its numbers go on from where the first run stopped
        one = make({codes[0]: args.receipts})
        elapsed, latencies = run(url, one, args.workers, args.threads, args.no_audit,
                                 args.batch)
        ok &= report("one office", len(one), elapsed, latencies, check(url), None)
    finally:
        if not args.keep:
            drop_postgres(args.admin_url, DB_NAME)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
