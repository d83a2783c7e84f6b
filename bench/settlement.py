"""Benchmark: importing a bank settlement file, end to end, on PostgreSQL and SQLite.

    .venv/bin/python bench/settlement.py [--lines 1000000] [--small 250000]
                                         [--skip-sqlite] [--skip-postgresql] [--profile]

Run on demand, not in the suite. It

1. creates a scratch PostgreSQL database ``billpay_bench_settlement`` on the server of
   ``BILLPAY_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
   and a scratch SQLite file, both migrated and seeded with the offices;
2. bulk-inserts ``--lines`` + ``--small`` open bills into each (COPY on PostgreSQL);
3. writes, with ``billpay.settlement.writer``, a file of ``--lines`` detail lines paying
   the first bills and one of ``--small`` lines paying the others (Krungthai batches of
   up to 500,000 lines);
4. prints the parser's lines/s on the big file and its ratio to ``pandas.read_fwf`` on
   the same file (pandas is not a billpay dependency: ``.venv/bin/pip install pandas``
   for the comparison, which is skipped without it);
5. imports each file with ``import_settlement_file`` in a child process of its own, one
   transaction as in production, and prints the time and the child's peak RSS (floors:
   1,000,000 lines in ≤ 60 s on PostgreSQL, ≤ 300 MB), the small file first so the two
   peaks show whether memory grows with the file;
6. drops the scratch database and deletes the files.

``--profile`` runs the big PostgreSQL import under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

# the repository instead of bench/ (whose http.py would shadow the standard library)
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import func, select, text  # noqa: E402

from bench.scratch import drop_postgres, fresh_postgres  # noqa: E402

PG_ADMIN_URL = os.environ.get("BILLPAY_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_NAME = "billpay_bench_settlement"
BATCH_LINES = 500_000
DAY = date(2026, 11, 23)
OFFICE = "5001"
FEES = [Decimal(x) for x in ("20.00", "50.00", "100.00", "105.00", "200.00", "1000.00")]
NAMES = ["นายสมชาย ใจดี", "นางสาวมะลิ ศรีสุข", "นายก้องเกียรติ์ วงศ์ใหญ่", "บริษัท ไทยรุ่งเรือง จำกัด",
         "นางน้ำฝน ทองคำ", "ด.ช. ปิยะ แก้วมณี"]


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ``ru_maxrss``: the latter keeps
    the parent's size at fork across exec, so a child would report the parent's pandas."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def amount_of(running: int) -> Decimal:
    return FEES[running % len(FEES)] if running % 3 else Decimal(running % 99_991 + 1).scaleb(-1)


# -- databases ------------------------------------------------------------------------------

def make_databases(tmp: Path, want_pg: bool, want_sqlite: bool) -> dict[str, str]:
    from billpay import migrate
    from billpay.bills import catalogue
    from billpay.db import Database
    from billpay.offices.services import seed_offices

    urls = {}
    if want_pg:
        urls["postgresql"] = fresh_postgres(PG_ADMIN_URL, PG_NAME)
    if want_sqlite:
        urls["sqlite"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    for url in urls.values():
        migrate.upgrade(url)
        database = Database(url)
        with database.transaction() as db:
            seed_offices(db)
            catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
        database.engine.dispose()
    return urls


def seed_bills(url: str, count: int, chunk: int = 50_000) -> float:
    """``count`` issued bills of office 5001, running 1..count, with ``insert_rows``
    (COPY on PostgreSQL) in chunks; returns the seconds taken."""
    from billpay.bills.models import Bill
    from billpay.codes import make_ref1, make_ref2
    from billpay.db import Database, insert_rows
    from billpay.offices.models import Office
    from billpay.thaidate import fiscal_year

    database = Database(url)
    started = time.perf_counter()
    year = fiscal_year(DAY)
    due = DAY + timedelta(days=30)
    created = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with database.transaction() as db:
        office_id = db.scalar(select(Office.id).where(Office.code == OFFICE))
        for start in range(1, count + 1, chunk):
            rows = [dict(office_id=office_id, ref1=make_ref1(1, OFFICE, year, running),
                         ref2=make_ref2(due), biller_id="099999999999100", revenue_type="state",
                         fiscal_year=year, running=running, payer_name=NAMES[running % 6],
                         total=amount_of(running), due_date=due, status="issued",
                         created_at=created)
                    for running in range(start, min(start + chunk, count + 1))]
            insert_rows(db, Bill, rows)
        assert db.scalar(select(func.count()).select_from(Bill)) == count
    if url.startswith("postgresql"):
        with database.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    database.engine.dispose()
    return time.perf_counter() - started


# -- the file ---------------------------------------------------------------------------------

def payments(first: int, count: int) -> Iterator:
    from billpay.codes import make_ref1, make_ref2
    from billpay.settlement.records import BANGKOK
    from billpay.settlement.writer import PaymentSpec
    from billpay.thaidate import fiscal_year

    year = fiscal_year(DAY)
    ref2 = make_ref2(DAY + timedelta(days=30))
    opening = datetime(DAY.year, DAY.month, DAY.day, 8, 30, tzinfo=BANGKOK)
    for i in range(count):
        running = first + i
        yield PaymentSpec(
            paid_at=opening + timedelta(seconds=i * 25_200 // count),  # 08:30–15:30
            customer_name=NAMES[running % 6], ref1=make_ref1(1, OFFICE, year, running),
            ref2=ref2, amount=amount_of(running), branch=f"{running * 37 % 900 + 1:04d}",
            teller=f"{running * 11 % 59 + 1:04d}", txn_code="CSH", payer_bank="006")


def write_file(path: Path, first: int, details: int) -> int:
    """A Krungthai file of ``details`` payments for bills ``first``… (batches ≤ 500,000)."""
    from billpay.settlement.writer import BatchSpec, write_settlement_to

    per_batch = BATCH_LINES - 2
    batches = (BatchSpec("006", "0066012345", "กรมการปกครอง", DAY,
                         payments(first + done, min(per_batch, details - done)))
               for done in range(0, details, per_batch))
    with path.open("wb") as fp:
        return write_settlement_to(fp, batches)


def parse_speed(path: Path, lines: int) -> None:
    from billpay.settlement.parser import parse_settlement, validate_settlement
    from billpay.settlement.records import DETAIL_LAYOUT

    started = time.process_time()
    with path.open("rb") as fp:
        validate_settlement(fp, path.name)
    validate_cpu = time.process_time() - started
    started = time.process_time()
    with path.open("rb") as fp:
        for _record in parse_settlement(fp, filename=path.name):
            pass
    parse_cpu = time.process_time() - started
    print(f"parse: validate_settlement {lines / validate_cpu:,.0f} lines/s CPU, "
          f"parse_settlement {lines / parse_cpu:,.0f} lines/s CPU ({lines:,} lines)")
    try:
        import pandas as pd
    except ImportError:
        print("pandas not installed: comparison skipped (.venv/bin/pip install pandas)")
        return
    colspecs = [(start, end) for _name, start, end in DETAIL_LAYOUT[:-1]]
    started = time.process_time()
    frame = pd.read_fwf(path, colspecs=colspecs, encoding="cp874", header=None)
    pandas_cpu = time.process_time() - started
    rows = len(frame)
    del frame
    ratio = (lines / parse_cpu) / (rows / pandas_cpu)
    print(f"pandas.read_fwf {pd.__version__}: {rows / pandas_cpu:,.0f} lines/s CPU; "
          f"parse_settlement is {ratio:.1f}x pandas (floor ≥ 5x): "
          f"{'ok' if ratio >= 5 else 'BELOW'}")


# -- the import, in a child process -------------------------------------------------------------

def child_import(url: str, path: str, profile: bool) -> None:
    """Run by the parent as ``--child-import URL FILE``: one import, one commit; prints
    a JSON line with the seconds and this process's peak RSS."""
    import billpay.models  # noqa: F401 - every mapper configured
    from billpay.db import Database
    from billpay.settlement.services import import_settlement_file

    database = Database(url)
    rss_before = peak_rss_mb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    server_pid = None
    with database.transaction() as db:
        if url.startswith("postgresql"):
            server_pid = db.scalar(text("SELECT pg_backend_pid()"))
            server_started = process_cpu(server_pid)
        report = import_settlement_file(db, None, Path(path), Path(path).name, origin="cli")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_cpu = process_cpu(server_pid) - server_started if server_pid else None
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "server_cpu": server_cpu,
                      "rss_before_mb": rss_before,
                      "rss_peak_mb": peak_rss_mb(), "lines": report.lines,
                      "matched": report.matched, "status": report.status}))


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` on this machine: the
    PostgreSQL server process of the import's connection."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(url: str, path: Path, profile: bool = False) -> dict:
    args = [sys.executable, __file__, "--child-import", url, str(path)]
    if profile:
        args.append("--profile")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr[-3000:]}")
    if profile:
        print(done.stderr)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="details in the big file")
    ap.add_argument("--small", type=int, default=250_000,
                    help="details in the small file (memory comparison); 0 to skip")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-postgresql", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the big import on PostgreSQL (or SQLite)")
    ap.add_argument("--child-import", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_import:
        child_import(*args.child_import, profile=args.profile)
        return

    with tempfile.TemporaryDirectory(prefix="billpay-bench-") as tmp_name:
        tmp = Path(tmp_name)
        urls = make_databases(tmp, not args.skip_postgresql, not args.skip_sqlite)
        try:
            big, small = tmp / "ktb-big.txt", tmp / "ktb-small.txt"
            started = time.perf_counter()
            records = write_file(big, 1, args.lines)
            print(f"wrote {big.name}: {args.lines:,} details, {records:,} records, "
                  f"{big.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - started:.1f} s")
            if args.small:
                write_file(small, args.lines + 1, args.small)
            parse_speed(big, records)
            for backend, url in urls.items():
                seconds = seed_bills(url, args.lines + args.small)
                print(f"{backend}: seeded {args.lines + args.small:,} open bills in "
                      f"{seconds:.1f} s")
                results = []
                if args.small:
                    results.append((args.small, run_import(url, small)))
                profile = args.profile and backend == next(iter(urls))
                results.append((args.lines, run_import(url, big, profile=profile)))
                for lines, r in results:
                    assert r["status"] == "imported" and r["matched"] == lines, r
                    floor = ""
                    if lines == args.lines and backend == "postgresql" and lines >= 1_000_000:
                        floor = f" (floor ≤ 60 s: {'ok' if r['seconds'] <= 60 else 'OVER'})"
                    server = (f" + server {r['server_cpu']:.1f} s" if r["server_cpu"] is not None
                              else "")
                    print(f"{backend}: imported {lines:>9,} lines in {r['seconds']:6.1f} s = "
                          f"{lines / r['seconds']:,.0f} lines/s{floor}; CPU: importer "
                          f"{r['cpu']:.1f} s{server}; peak RSS {r['rss_peak_mb']:.0f} MB "
                          f"({r['rss_before_mb']:.0f} MB before the import; floor ≤ 300 MB: "
                          f"{'ok' if r['rss_peak_mb'] <= 300 else 'OVER'}); load average "
                          f"{r['load']:.1f} on {os.cpu_count()} cores")
        finally:
            if "postgresql" in urls:
                drop_postgres(PG_ADMIN_URL, PG_NAME)


if __name__ == "__main__":
    main()
