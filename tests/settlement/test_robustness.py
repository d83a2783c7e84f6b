"""Whatever arrives and whatever happens during an import, a file is stored whole or not
at all: mutated files, a process killed with SIGKILL half-way, two imports at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from billpay.bills.models import Bill
from billpay.db import Database, in_values, update_rows
from billpay.payments.models import Payment
from billpay.settlement.models import BankLine, SettlementException, SettlementFile
from billpay.settlement.services import FileRefused, import_settlement_file
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement_to
from billpay.thaidate import day_start
from tests.settlement.factory import pay, reverse, settlement_file
from tests.settlement.test_simulator import DAY, seed_bills
from tests.support import _worker, drop_postgres_database, fresh_database_url, prepare_database

ROOT = Path(__file__).resolve().parents[2]
TABLES = (SettlementFile, BankLine, Payment, SettlementException)


def counts(db) -> tuple[int, ...]:
    return tuple(db.scalar(select(func.count()).select_from(m)) for m in TABLES)


# -- fuzz: mutated files either import or are refused, never anything else --------------------

MUTATION_BYTES = b"0129HDTC \r\n\x1a\xa0\xff\x00-"


@st.composite
def mutation(draw):
    kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup_line",
                                 "drop_line", "swap_lines", "digits", "crlf", "tail"]))
    return kind, draw(st.integers(0, 2**31)), draw(st.integers(0, 2**31)), draw(
        st.binary(min_size=1, max_size=3))


def mutate(base: bytes, steps) -> bytes:
    data = bytearray(base)
    for kind, a, b, blob in steps:
        n = len(data)
        lines = bytes(data).split(b"\n")
        if kind == "flip" and n:
            data[a % n] ^= 1 << (b % 8)
        elif kind == "set" and n:
            data[a % n] = MUTATION_BYTES[b % len(MUTATION_BYTES)]
        elif kind == "insert":
            data[a % (n + 1):a % (n + 1)] = blob
        elif kind == "delete" and n:
            del data[a % n:a % n + 1 + b % 3]
        elif kind == "truncate":
            del data[a % (n + 1):]
        elif kind in ("dup_line", "drop_line", "swap_lines") and len(lines) > 1:
            i, j = a % len(lines), b % len(lines)
            if kind == "dup_line":
                lines.insert(j, lines[i])
            elif kind == "drop_line":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif kind == "digits" and n:  # a plausible typo inside a number field
            data[a % n] = ord("0") + b % 10
        elif kind == "crlf":
            data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
        elif kind == "tail":
            data += [b"\n\n", b"\x1a", b"\r\n\x1a", blob][b % 4]
    return bytes(data)


@pytest.fixture
def fuzz_base(db):
    bills = seed_bills(db, 4)
    (a, ta), (b, tb), (c, _tc), (d, td) = bills
    return settlement_file(pay(a, ta), pay(b, "1.00", minute=1), pay(c, "3.00", minute=2),
                           pay("150019999999998", "7.00", minute=3), reverse(a, ta, minute=4),
                           pay(d, td, minute=5))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(mutation(), min_size=1, max_size=4))
def test_mutated_files_import_or_are_refused_whole(db, fuzz_base, steps):
    data = mutate(fuzz_base, steps)
    before = counts(db)
    try:
        report = import_settlement_file(db, None, data, "fuzz.txt")
    except FileRefused as refused:
        event(f"refused: {refused.errors['field']}")
        assert refused.errors["line"] >= 1 and refused.errors["field"]
        assert "fuzz.txt" in refused.errors["file"][0] and refused.message
        assert counts(db) == before  # nothing of a refused file
        return
    event(report.status)
    after = counts(db)
    if report.status == "duplicate_file":
        assert after == before
    else:
        new_lines = report.lines - report.duplicates
        assert after[0] == before[0] + 1 and after[1] == before[1] + new_lines
        assert report.matched + report.reversals + report.exception_count == new_lines


# -- the bulk writers store exactly what the ORM would --------------------------------------

def test_bulk_rows_compare_like_orm_rows(db):
    """``insert_rows`` / ``update_rows`` bypass the ORM for speed; on SQLite, where a
    timestamp is text, a value written in another format would no longer compare."""
    (ref, total), _ = seed_bills(db, 2)
    created = day_start(DAY) - timedelta(days=2)
    bill = db.scalar(select(Bill).where(Bill.ref1 == ref))
    assert (bill.created_at, bill.total) == (created, total)
    assert db.scalar(select(func.count()).select_from(Bill).where(
        Bill.created_at == created, Bill.total == total)) == 1
    assert not db.scalar(select(func.count()).select_from(Bill).where(Bill.created_at < created))
    paid = datetime(2026, 11, 20, 3, 4, 5, 600, tzinfo=UTC)
    update_rows(db, Bill, [{"id": bill.id, "status": "paid", "paid_at": paid}])
    db.expire_all()
    assert (db.get(Bill, bill.id).status, db.get(Bill, bill.id).paid_at) == ("paid", paid)
    assert db.scalar(select(Bill.id).where(Bill.paid_at == paid)) == bill.id
    assert db.scalar(select(Bill.id).where(in_values(db, Bill.ref1, [ref, "x"]))) == bill.id


# -- committed databases for the tests that need real processes or threads --------------------

def fresh(backend: str, tmp_path: Path, name: str) -> str:
    url = fresh_database_url(backend, tmp_path, name)
    prepare_database(url)
    return url


def drop(backend: str, name: str) -> None:
    if backend == "postgresql":
        drop_postgres_database(f"billpay_{name}_{_worker()}")


def seed_committed(url: str, count: int, first_running: int = 5_000_001):
    database = Database(url)
    with database.transaction() as db:
        bills = seed_bills(db, count, first_running=first_running)
    database.engine.dispose()
    return bills


def write_paying_file(path: Path, bills, *, first: int = 0) -> None:
    """One Krungthai batch paying ``bills`` exactly, streamed to ``path``; the bill
    ``first + i`` is paid at the same second in every file (the same bank line)."""
    start = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    payments = (PaymentSpec(paid_at=start + timedelta(seconds=first + i),
                            customer_name="นายทดสอบ ชำระ", ref1=ref, amount=total,
                            branch="0101", teller="0007", payer_bank="006")
                for i, (ref, total) in enumerate(bills))
    with path.open("wb") as fp:
        write_settlement_to(fp, [BatchSpec("006", "0066012345", "กรมการปกครอง",
                                           start.date(), payments)])


def committed_counts(url: str) -> tuple[tuple[int, ...], dict[str, int]]:
    database = Database(url)
    with database.engine.connect() as conn:
        rows = tuple(conn.execute(select(func.count()).select_from(m)).scalar() for m in TABLES)
        statuses = dict(conn.execute(select(Bill.status, func.count()).group_by(Bill.status)).all())
    database.engine.dispose()
    return rows, statuses


def cli_env(url: str) -> dict[str, str]:
    return {**os.environ, "BILLPAY_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def import_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "billpay", "settlement", "import", "--json", str(path)]


# -- kill -9 --------------------------------------------------------------------------------

KILL_LINES = int(os.environ.get("BILLPAY_TEST_KILL_LINES", "8000"))


def _writing_lines(backend: str, wal: Path, admin) -> bool:
    """Whether the import is writing bank lines (it is then well inside its transaction)."""
    if backend == "sqlite":  # dirty pages spilled to the write-ahead log
        return wal.exists() and wal.stat().st_size > 1_000_000
    with admin.connect() as conn:  # COPY / INSERT into bank_lines holds this lock
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'bank_lines' AND l.mode = 'RowExclusiveLock' "
            "AND l.pid <> pg_backend_pid()")).scalar())


def _wait_alone(admin, timeout: float = 15) -> None:
    """Until the killed client's server process has noticed and rolled back."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with admin.connect() as conn:
            if not conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")).scalar():
                return
        time.sleep(0.1)
    raise AssertionError("the killed import's server process is still there")


@pytest.mark.slow
def test_sigkill_mid_import_leaves_nothing_and_a_rerun_imports_all(backend, tmp_path):
    url = fresh(backend, tmp_path, "kill")
    try:
        bills = seed_committed(url, KILL_LINES)
        path = tmp_path / "ktb-big.txt"
        write_paying_file(path, bills)
        admin = Database(url).engine if backend == "postgresql" else None
        wal = Path(url.removeprefix("sqlite:///") + "-wal")

        child = subprocess.Popen(import_command(path), env=cli_env(url),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not _writing_lines(backend, wal, admin):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        time.sleep(0.3)  # a few more chunks
        assert child.poll() is None, "the import finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        if admin is not None:
            _wait_alone(admin)
            admin.dispose()

        rows, statuses = committed_counts(url)
        assert rows == (0, 0, 0, 0)  # no file, no line, no payment, no exception
        assert statuses == {"issued": KILL_LINES}

        rerun = subprocess.run(import_command(path), env=cli_env(url), capture_output=True,
                               text=True, timeout=240)
        assert rerun.returncode == 0, rerun.stderr
        (report,) = json.loads(rerun.stdout)
        assert (report["status"], report["lines"], report["matched"]) == (
            "imported", KILL_LINES, KILL_LINES)
        rows, statuses = committed_counts(url)
        assert rows == (1, KILL_LINES, KILL_LINES, 0)
        assert statuses == {"paid": KILL_LINES}
    finally:
        drop(backend, "kill")


# -- two imports at the same moment (PostgreSQL) --------------------------------------------------

def _at_once(url: str, jobs: list[bytes]) -> list:
    """Run one import per job in its own thread and transaction, released together."""
    database = Database(url)
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int, data: bytes) -> None:
        try:
            barrier.wait()
            with database.transaction() as db:
                results[index] = import_settlement_file(db, None, data, f"job{index}.txt")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, data)) for i, data in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    database.engine.dispose()
    assert all(not isinstance(r, BaseException) for r in results), results
    return results


def test_concurrent_imports_record_each_payment_once(backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time (BEGIN IMMEDIATE): nothing to race")
    url = fresh(backend, tmp_path, "race")
    try:
        bills = seed_committed(url, 3000)
        same = tmp_path / "same.txt"
        write_paying_file(same, bills[:1000])
        data = same.read_bytes()
        reports = _at_once(url, [data, data])
        assert sorted(r.status for r in reports) == ["duplicate_file", "imported"]
        imported = next(r for r in reports if r.status == "imported")
        assert (imported.matched, imported.duplicates) == (1000, 0)
        rows, _ = committed_counts(url)
        assert rows == (1, 1000, 1000, 0)

        # Two different files that overlap on 1,000 lines (the same payments).
        one, two = tmp_path / "one.txt", tmp_path / "two.txt"
        write_paying_file(one, bills[1000:2500], first=1000)
        write_paying_file(two, bills[1500:3000], first=1500)
        reports = _at_once(url, [one.read_bytes(), two.read_bytes()])
        assert [r.status for r in reports] == ["imported", "imported"]
        assert sorted(r.duplicates for r in reports) == [0, 1000]
        assert sum(r.matched for r in reports) == 2000
        assert all(r.exception_count == 0 for r in reports), [r.exceptions for r in reports]
        rows, statuses = committed_counts(url)
        assert rows == (3, 3000, 3000, 0) and statuses == {"paid": 3000}
        database = Database(url)
        with database.engine.connect() as conn:
            per_bill = conn.execute(select(func.count()).select_from(Payment)
                                    .group_by(Payment.bill_id)
                                    .having(func.count() > 1)).all()
        database.engine.dispose()
        assert per_bill == []
    finally:
        drop(backend, "race")
