"""Report speed on a national-size PostgreSQL database.

    .venv/bin/python bench/reports.py [--bills 10000000] [--admin-url URL] [--reuse]

Loads ``--bills`` bills (default ten million) across every office (954), 20 fee types
and three fiscal years (2567–2569) into a fresh database ``billpay_bench_reports`` with
``COPY``: one or two items each; 85 % paid (about 60 % of those through the bank, with
their bank lines, the rest in cash or by transfer), each payment with its receipt; 3 %
cancelled, 4 % expired. Then ``billpay reports rebuild`` fills the summary tables and
the script prints:

- the national statistics (fee type × month) of fiscal year 2569 (floor ≤ 2 s),
- one office's daily report (floor ≤ 100 ms), the median over 25 offices and days,
- one province's XLSX export of a month (collection detail): time and peak memory.

``--reuse`` skips the load when the database is already there (the load takes a
while: about 10–15 minutes for ten million bills on the 2-core reference machine).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

# the repository instead of bench/ (whose http.py would shadow the standard library)
sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scratch import fresh_postgres, postgres_url  # noqa: E402
from billpay import migrate  # noqa: E402
from billpay.accounts.models import Role  # noqa: E402
from billpay.accounts.permissions import Actor  # noqa: E402
from billpay.bills import catalogue  # noqa: E402
from billpay.bills.models import Bill, FeeType  # noqa: E402
from billpay.offices.models import Office, OfficeKind  # noqa: E402
from billpay.offices.services import seed_offices  # noqa: E402
from billpay.reports import exports, stats  # noqa: E402
from billpay.reports import services as reports  # noqa: E402
from billpay.thaidate import fiscal_year_bounds  # noqa: E402

DB_NAME = "billpay_bench_reports"
BATCH = 50_000
EXTRA_FEE_TYPES = [(f"BX{i:02d}", f"ค่าธรรมเนียมทดสอบประสิทธิภาพ {i}",
                    "state" if i % 3 else "off_budget") for i in range(1, 10)]
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0))


def damm(digits: str) -> str:
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return str(interim)


LOADED_TABLES = ("bills", "bill_items", "bank_lines", "payments", "receipts", "bill_events")


def _drop_indexes(cursor, tables) -> list[str]:
    """Drop the unique constraints and secondary indexes of ``tables`` (a bulk load into
    bare tables is several times faster) and return the statements that put them back."""
    restore: list[str] = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'", (table,))
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table))
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore.append(definition)
    return restore


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def load(url: str, n_bills: int, seed: int = 2569) -> None:
    migrate.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        seed_offices(db)
        catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
        for code, name, revenue_type in EXTRA_FEE_TYPES:
            db.add(FeeType(code=code, name_th=name, name_en=code, revenue_type=revenue_type,
                           amount_kind="variable", default_amount=None))
    with Session(engine) as db:
        offices = db.execute(select(Office.id, Office.code).where(
            Office.kind != OfficeKind.CENTRAL).order_by(Office.code)).all()
        fee_types = db.execute(select(FeeType.id, FeeType.revenue_type, FeeType.default_amount)
                               .order_by(FeeType.code)).all()
    print(f"loading {n_bills:,} bills across {len(offices)} offices and "
          f"{len(fee_types)} fee types …", flush=True)
    rng = random.Random(seed)
    years = (2567, 2568, 2569)
    starts = {fy: datetime.combine(fiscal_year_bounds(fy)[0], datetime.min.time(), tzinfo=UTC)
              - timedelta(hours=7) for fy in years}
    by_revenue = {rt: [f for f in fee_types if f.revenue_type == rt]
                  for rt in ("state", "off_budget")}
    bill_running: dict[tuple[int, int], int] = {}
    receipt_running: dict[tuple[int, int], int] = {}
    ids = {"bill": 0, "item": 0, "payment": 0, "receipt": 0, "line": 0, "event": 0}
    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
    cursor.execute("SET synchronous_commit = off")
    rebuild_indexes = _drop_indexes(cursor, LOADED_TABLES)
    raw.commit()
    cursor.execute(
        "INSERT INTO settlement_files (id, filename, sha256, size, source, bank_code, "
        "effective_date, imported_at, line_count, detail_count, duplicate_count, "
        "duplicate_amount, matched_count, matched_amount, reversal_count, reversal_amount, "
        "exception_count, exception_amount) VALUES (1, 'bench.txt', repeat('0', 64), 0, "
        "'cli', '006', '2026-09-30', now(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)")
    cursor.execute(
        "INSERT INTO settlement_batches (id, file_id, header_line, trailer_line, bank_code, "
        "account, company_name, effective_date, service_code, variant, detail_count, "
        "credit_count, credit_amount, debit_count, debit_amount) VALUES (1, 1, 1, 2, '006', "
        "'1234567890', 'DOPA', '2026-09-30', 'BILLPAY', 'krungthai', 0, 0, 0, 0, 0)")
    started = time.perf_counter()
    columns = {
        "bills": "id, office_id, ref1, ref2, biller_id, revenue_type, fiscal_year, running, "
                 "payer_name, total, due_date, status, created_at, cancelled_at, cancel_reason, "
                 "paid_at",
        "bill_items": "id, bill_id, line_no, fee_type_id, description, quantity, unit_amount, "
                      "amount",
        "bank_lines": "id, file_id, batch_id, line_no, seq, fingerprint, bank_code, account, "
                      "paid_at, customer_name, ref1_raw, ref1, ref2, ref3, branch, teller, kind, "
                      "txn_code, cheque_no, amount, cheque_bank, raw, outcome, bill_id",
        "payments": "id, bill_id, office_id, method, amount, paid_at, channel, bank_code, "
                    "branch, bank_reference, bank_line_id, status, recorded_at",
        "receipts": "id, office_id, fiscal_year, series, running, book, number, payment_id, "
                    "bill_id, amount, payer_name, issued_at, recorded_at, issuer_name, "
                    "issuer_position, status, print_count",
        "bill_events": "id, bill_id, from_status, to_status, at",
    }
    for start in range(0, n_bills, BATCH):
        out = {table: [] for table in columns}
        for _ in range(min(BATCH, n_bills - start)):
            ids["bill"] += 1
            bill_id = ids["bill"]
            office_id, office_code = offices[rng.randrange(len(offices))]
            fy = years[rng.randrange(3)]
            created = starts[fy] + timedelta(seconds=rng.randrange(365 * 86400))
            key = (office_id, fy)
            running = bill_running[key] = bill_running.get(key, 0) + 1
            body = f"1{office_code.ljust(4, '0')}{fy % 100:02d}{running:07d}"
            ref1 = body + damm(body)
            revenue_type = "state" if rng.random() < 0.8 else "off_budget"
            choices = by_revenue[revenue_type]
            total = Decimal(0)
            for line_no in range(1, 2 + (rng.random() < 0.3)):
                fee = choices[rng.randrange(len(choices))]
                amount = fee.default_amount or Decimal(rng.randrange(50, 5000))
                total += amount
                ids["item"] += 1
                out["bill_items"].append(f"{ids['item']}\t{bill_id}\t{line_no}\t{fee.id}\t"
                                         f"ค่าธรรมเนียม\t1\t{amount}\t{amount}\n")
            due = (created + timedelta(days=30)).date()
            roll = rng.random()
            status, cancelled_at, reason, paid_at = "issued", "\\N", "\\N", "\\N"
            if roll < 0.85:
                status = "paid"
                paid = created + timedelta(seconds=rng.randrange(20 * 86400))
                paid_at = _ts(paid)
                ids["payment"] += 1
                method = "bank" if rng.random() < 0.6 else ("cash" if rng.random() < 0.75
                                                             else "transfer")
                line_id = "\\N"
                if method == "bank":
                    ids["line"] += 1
                    line_id = str(ids["line"])
                    out["bank_lines"].append(
                        f"{line_id}\t1\t1\t{ids['line']}\t{ids['line'] % 1000000}\t"
                        f"{ids['line']:064x}\t006\t1234567890\t{paid_at}\tผู้ชำระ\t{ref1}\t"
                        f"{ref1}\t\t\t0101\t0001\tC\tCSH\t\t{total}\t\t\\\\x\tmatched\t"
                        f"{bill_id}\n")
                out["payments"].append(
                    f"{ids['payment']}\t{bill_id}\t{office_id}\t{method}\t{total}\t{paid_at}\t"
                    f"{'CSH' if method == 'bank' else 'CTR'}\t"
                    f"{'006' if method == 'bank' else chr(92) + 'N'}\t\\N\t\\N\t{line_id}\t"
                    f"active\t{paid_at}\n")
                receipt_fy = fy if paid < starts.get(fy + 1, datetime.max.replace(
                    tzinfo=UTC)) else fy + 1
                rkey = (office_id, receipt_fy)
                number = receipt_running[rkey] = receipt_running.get(rkey, 0) + 1
                ids["receipt"] += 1
                out["receipts"].append(
                    f"{ids['receipt']}\t{office_id}\t{receipt_fy}\te\t{number}\t"
                    f"{(number - 1) // 100 + 1}\t{number}\t{ids['payment']}\t{bill_id}\t"
                    f"{total}\tผู้ชำระ {bill_id}\t{paid_at}\t{paid_at}\t\t\tvalid\t0\n")
            elif roll < 0.88:
                status = "cancelled"
                cancelled_at = _ts(created + timedelta(hours=2))
                reason = "ผู้ชำระขอยกเลิก"
            elif roll < 0.92:
                status = "expired"
                ids["event"] += 1
                expired_at = datetime.combine(due + timedelta(days=1), datetime.min.time(),
                                              tzinfo=UTC)
                out["bill_events"].append(f"{ids['event']}\t{bill_id}\tissued\texpired\t"
                                          f"{_ts(expired_at)}\n")
            out["bills"].append(
                f"{bill_id}\t{office_id}\t{ref1}\t{due:%y%m%d}\t099999999999100\t"
                f"{revenue_type}\t{fy}\t{running}\tผู้ชำระ {bill_id}\t{total}\t{due}\t{status}\t"
                f"{_ts(created)}\t{cancelled_at}\t{reason}\t{paid_at}\n")
        for table, rows in out.items():
            if rows:
                with cursor.copy(f"COPY {table} ({columns[table]}) FROM STDIN") as copy:
                    copy.write("".join(rows))
        raw.commit()
        done = start + BATCH
        if done % 1_000_000 == 0 or done >= n_bills:
            rate = min(done, n_bills) / (time.perf_counter() - started)
            print(f"  {min(done, n_bills):,} bills ({rate:,.0f}/s)", flush=True)
    print(f"  rows written in {time.perf_counter() - started:.0f} s; indexing …", flush=True)
    for statement in rebuild_indexes:
        cursor.execute(statement)
    raw.commit()
    for table in LOADED_TABLES:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT coalesce(max(id), 1) FROM {table}))")
    raw.commit()
    cursor.execute("SET session_replication_role = origin")
    raw.close()
    print(f"loaded in {time.perf_counter() - started:.0f} s; rebuilding the summaries …",
          flush=True)
    rebuild_started = time.perf_counter()
    with Session(engine) as db, db.begin():
        daily, monthly = stats.rebuild(db)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"summaries: {daily:,} daily rows, {monthly:,} monthly rows "
          f"({time.perf_counter() - rebuild_started:.0f} s, with VACUUM ANALYZE)", flush=True)
    engine.dispose()


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(url: str) -> None:
    engine = create_engine(url)
    national = Actor(role=Role.FINANCE, name="bench")
    with Session(engine) as db:
        bills = db.scalar(select(func.count()).select_from(Bill))
        print(f"database: {bills:,} bills")
        national_times = _timed(lambda: reports.statistics(db, national, fiscal_year_=2569), 5)
        print(f"national statistics, fee type × month, FY 2569: median "
              f"{statistics.median(national_times) * 1000:,.0f} ms (best "
              f"{min(national_times) * 1000:,.0f} ms; floor 2,000 ms)")
        rng = random.Random(1)
        offices = db.scalars(select(Office.code).where(Office.kind == OfficeKind.DISTRICT)).all()
        samples = [(rng.choice(offices), date(2026, 3, 1) + timedelta(days=rng.randrange(150)))
                   for _ in range(25)]
        reports.daily_collection(db, national, day=samples[0][1], office_code=samples[0][0])
        daily_times = []
        for code, day in samples:
            started = time.perf_counter()
            reports.daily_collection(db, national, day=day, office_code=code)
            daily_times.append(time.perf_counter() - started)
        print(f"one office's daily report: median {statistics.median(daily_times) * 1000:.1f} ms "
              f"(max {max(daily_times) * 1000:.1f} ms; floor 100 ms)")
        tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = reports.collection_detail(db, national, date_from=date(2026, 3, 1),
                                           date_to=date(2026, 3, 31), province_code="50")
        body = exports.xlsx_bytes(report, printed_by="bench", printed_at=datetime.now(UTC))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows = report.tables[0]
        print(f"province 50 (Chiang Mai) XLSX, collection detail of March 2026: "
              f"{elapsed:.2f} s, {len(body) / 1e6:.1f} MB file, Python peak "
              f"{peak / 1e6:.0f} MB (process max RSS {rss_before / 1024:.0f} → "
              f"{rss_after / 1024:.0f} MB)")
        del rows
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bills", type=int, default=10_000_000)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--reuse", action="store_true",
                        help="measure an existing bench database without loading")
    args = parser.parse_args()
    url = (postgres_url(args.admin_url, DB_NAME) if args.reuse
           else fresh_postgres(args.admin_url, DB_NAME))
    if args.reuse:
        migrate.upgrade(url)  # a database loaded by an older version: bring it to head
    else:
        load(url, args.bills)
    measure(url)


if __name__ == "__main__":
    main()
