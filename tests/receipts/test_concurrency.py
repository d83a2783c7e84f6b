"""Receipt numbers under real concurrency (PostgreSQL): 16 threads take counter payments
at once, in their own committed transactions, on one office and on many; some of the
transactions are deliberately rolled back. Afterwards every office's register for the
fiscal year runs 1..N with no gap and no duplicate."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from billpay.accounts.models import Role, User
from billpay.accounts.permissions import Actor
from billpay.accounts.services import create_user
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillStatus
from billpay.db import utcnow
from billpay.offices.models import Office
from billpay.payments.models import Payment
from billpay.receipts import services as receipts
from billpay.receipts.models import Receipt
from billpay.thaidate import fiscal_year
from tests.support import (
    PASSWORD,
    _worker,
    drop_postgres_database,
    fresh_database_url,
    prepare_database,
)

pytestmark = pytest.mark.slow

THREADS = 16
CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
MANY = 12  # offices in the "many offices" run: districts of several provinces and a province


class Committed:
    """The fresh database: a session factory with a connection for every thread, and the
    offices' clerks."""

    def __init__(self, url: str):
        self.engine = create_engine(url, pool_size=THREADS + 2, max_overflow=0)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.clerks: dict[str, int] = {}
        self.offices: list[str] = []

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessionmaker() as db, db.begin():
            yield db


@pytest.fixture(scope="module")
def committed(backend, tmp_path_factory):
    """A fresh PostgreSQL database (not the rolled-back test one): every thread commits."""
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time (BEGIN IMMEDIATE): concurrent "
                    "numbering is tested on PostgreSQL")
    url = fresh_database_url("postgresql", tmp_path_factory.mktemp("conc"),
                             "receipts_concurrency")
    database = None
    try:
        prepare_database(url)
        database = Committed(url)
        with database.transaction() as db:
            districts = list(db.scalars(select(Office.code).where(Office.kind == "district")
                                        .order_by(Office.province_code.desc(), Office.code)
                                        .limit(MANY - 1)))
            database.offices = ["5001", "50", *[c for c in districts if c != "5001"]][:MANY]
            database.clerks = {code: create_user(
                db, username=f"clerk{code}", password=PASSWORD, full_name=f"เจ้าหน้าที่ {code}",
                role=Role.CLERK, office_code=code).id for code in database.offices}
        yield database
    finally:
        if database is not None:
            database.engine.dispose()
        drop_postgres_database(f"billpay_receipts_concurrency_{_worker()}")


def _issue_bills(database: Committed, per_office: dict[str, int]) -> list[tuple]:
    """Bills (committed) to pay: (office code, clerk actor, ref1)."""
    out = []
    with database.transaction() as db:
        for code, count in per_office.items():
            actor = Actor.for_user(db.get(User, database.clerks[code]))
            for i in range(count):
                bill = bills.issue_bill(db, actor, bills.NewBill(
                    payer_name=f"ผู้ชำระ {code}-{i}",
                    items=[bills.NewBillItem("HT01", 1, Decimal("10.00") + i)]), CONFIG)
                out.append((code, actor, bill.ref1))
    return out


def _pay_all(database, work: list[tuple], *, rollback_every: int) -> tuple[Counter, Counter]:
    """16 threads pay ``work`` at once, each payment in its own transaction; every
    ``rollback_every``-th payment of a thread is rolled back after its receipt was issued
    (the bill stays unpaid). Returns receipts committed and rolled back, per office."""
    queue = list(work)
    random.Random(7).shuffle(queue)
    lock = threading.Lock()
    committed: Counter = Counter()
    rolled_back: Counter = Counter()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        done = 0
        while True:
            with lock:
                if not queue:
                    return
                code, actor, ref1 = queue.pop()
            try:
                with database.sessionmaker() as db:
                    receipt = receipts.take_counter_payment(db, actor, ref1, method="cash",
                                                            reference=None)
                    assert receipt.running >= 1
                    done += 1
                    if done % rollback_every == 0:
                        db.rollback()
                        with lock:
                            rolled_back[code] += 1
                    else:
                        db.commit()
                        with lock:
                            committed[code] += 1
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker) for _ in range(THREADS)]:
            future.result()
    assert not errors, errors[:3]
    return committed, rolled_back


def _receipts(database) -> Counter:
    with database.transaction() as db:
        return Counter(dict(db.execute(
            select(Office.code, func.count(Receipt.id)).join(Receipt.office)
            .group_by(Office.code)).all()))


def _paid_bills(database) -> Counter:
    with database.transaction() as db:
        return Counter(dict(db.execute(
            select(Office.code, func.count(Bill.id)).join(Bill.office)
            .where(Bill.status == BillStatus.PAID).group_by(Office.code)).all()))


def _check(database, committed: Counter, paid: Counter) -> None:
    """Numbers 1..N per office (``committed``: receipts per office in all), and the bills
    the run paid (``paid``: paid bills expected per office) match its receipts."""
    with database.transaction() as db:
        offices = dict(db.execute(select(Office.code, Office.id).where(
            Office.code.in_(list(committed)))).all())
        years = set(db.scalars(select(Receipt.fiscal_year).distinct()))
        for code, count in committed.items():
            numbers = sorted(db.scalars(select(Receipt.running).where(
                Receipt.office_id == offices[code])))
            assert numbers == list(range(1, count + 1)), code
            for year in years:
                check = receipts.check_register(db, offices[code], year)
                assert check.ok, (code, year, check)
    assert _paid_bills(database) == paid


def test_one_office_many_counters(committed):
    database = committed
    before, paid_before = _receipts(database), _paid_bills(database)
    work = _issue_bills(database, {"5001": 400})
    done, rolled_back = _pay_all(database, work, rollback_every=7)
    assert sum(done.values()) + sum(rolled_back.values()) == 400
    assert rolled_back["5001"] > 0
    _check(database, before + done, paid_before + done)
    with database.transaction() as db:   # each numbered in the fiscal year of its payment
        assert all(r.fiscal_year == fiscal_year(r.issued_at) for r in db.scalars(select(Receipt)))


def test_bulk_issue_across_offices_does_not_deadlock(committed):
    """Import-like transactions: each issues receipts for payments of many offices at
    once (taking several counters); 16 of them at a time, every third rolled back."""
    database = committed
    before = _receipts(database)
    work = _issue_bills(database, {code: 30 for code in database.offices})
    with database.transaction() as db:
        payments = []
        for code, _actor, ref1 in work:
            bill = db.scalar(select(Bill).where(Bill.ref1 == ref1))
            bill.status = BillStatus.PAID
            payment = Payment(bill_id=bill.id, office_id=bill.office_id, method="cash",
                              amount=bill.total, paid_at=utcnow(), channel="CTR")
            db.add(payment)
            db.flush()
            payments.append((code, receipts.PaymentToReceipt(
                payment.id, bill.id, bill.office_id, payment.amount, payment.paid_at)))
    random.Random(11).shuffle(payments)
    batches = [payments[i:i + 5] for i in range(0, len(payments), 5)]
    lock = threading.Lock()
    done: Counter = Counter()
    leftover = []
    start = threading.Barrier(THREADS)

    def worker(mine: list[list]) -> None:
        start.wait()
        for number, batch in enumerate(mine, start=1):
            with database.sessionmaker() as db:
                receipts.issue_receipts(db, [p for _, p in batch], issuer=None, now=utcnow())
                if number % 3 == 0:
                    db.rollback()
                    with lock:
                        leftover.extend(batch)
                else:
                    db.commit()
                    with lock:
                        done.update(code for code, _ in batch)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, batches[i::THREADS]) for i in range(THREADS)]:
            future.result()                 # a deadlock would raise here
    assert leftover and sum(done.values()) + len(leftover) == len(payments)
    with database.transaction() as db:
        offices = dict(db.execute(select(Office.code, Office.id)).all())
        for code, count in (before + done).items():
            numbers = sorted(db.scalars(select(Receipt.running).where(
                Receipt.office_id == offices[code])))
            assert numbers == list(range(1, count + 1)), code


def test_many_offices_at_once_with_rollbacks(committed):
    database = committed
    before, paid_before = _receipts(database), _paid_bills(database)
    per_office = {code: 40 for code in database.offices}
    work = _issue_bills(database, per_office)
    done, rolled_back = _pay_all(database, work, rollback_every=5)
    assert sum(done.values()) + sum(rolled_back.values()) == 40 * len(database.offices)
    assert sum(rolled_back.values()) > 0
    _check(database, before + done, paid_before + done)
