"""The bank simulator: realistic files that pay open bills, and exactly what importing
them reports; its output parses back to the same payments (property-based)."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billpay.bills.models import Bill
from billpay.codes import make_ref1, make_ref2, parse_ref1
from billpay.db import insert_rows
from billpay.errors import Invalid
from billpay.offices.models import Office
from billpay.payments.models import Payment
from billpay.settlement.parser import parse_settlement, validate_settlement
from billpay.settlement.records import BANGKOK, Detail
from billpay.settlement.services import import_settlement_file
from billpay.settlement.simulator import (
    BANKS,
    COUNTER_HOURS,
    ELECTRONIC_HOURS,
    OpenBill,
    cp874_name,
    plan_settlement,
    simulate_settlement,
)
from billpay.settlement.writer import write_settlement
from billpay.thaidate import day_start, fiscal_year

DAY = date(2026, 11, 20)  # a Friday
NAMES = ["นายสมชาย ใจดี", "บริษัท ทดสอบ จำกัด 😀", "นางสาว\u00a0มะลิ  ศรีสุข",
         "ก" * 70, "JOHN SMITH\tJR."]


def seed_bills(db, count: int, *, office: str = "5001", first_running: int = 5_000_001,
               day: date = DAY, status: str = "issued", created_at: datetime | None = None,
               due: date | None = None) -> list[tuple[str, Decimal]]:
    """``count`` open bills inserted in bulk (COPY on PostgreSQL), running numbers far
    above the counters ``issue_bill`` uses; returns their (Ref1, total)."""
    office_id = db.scalar(select(Office.id).where(Office.code == office))
    year = fiscal_year(day)
    due = due or day + timedelta(days=30)
    created_at = created_at or day_start(day) - timedelta(days=2)
    rows = []
    for i in range(count):
        running = first_running + i
        rows.append(dict(
            office_id=office_id, ref1=make_ref1(1, office.ljust(4, "0"), year, running),
            ref2=make_ref2(due), biller_id="099999999999100", revenue_type="state",
            fiscal_year=year, running=running, payer_name=NAMES[i % len(NAMES)],
            total=Decimal(100 + running % 400) + Decimal(running % 4) / 4, due_date=due,
            status=status, created_at=created_at))
    insert_rows(db, Bill, rows)
    return [(r["ref1"], r["total"]) for r in rows]


def details_of(data: bytes) -> list[Detail]:
    return [r for r in parse_settlement(io.BytesIO(data), filename="sim.txt")
            if isinstance(r, Detail)]


def same_payment(detail: Detail, spec) -> bool:
    return (detail.paid_at == spec.paid_at and detail.customer_name == spec.customer_name
            and detail.ref1 == spec.ref1 and detail.ref2 == spec.ref2
            and detail.amount == spec.amount and detail.branch == spec.branch
            and detail.teller == spec.teller and detail.kind == spec.kind
            and detail.txn_code == spec.txn_code and detail.cheque_no == spec.cheque_no
            and detail.cheque_bank == spec.cheque_bank and detail.payer_bank == spec.payer_bank
            and detail.biller_id == spec.biller_id)


# -- against the database ----------------------------------------------------------------------

@pytest.mark.parametrize("bank", sorted(BANKS))
def test_simulated_file_imports_to_exactly_the_expected_counts(db, bank):
    bills = seed_bills(db, 40)
    sim = simulate_settlement(db, bank_code=bank, day=DAY, unknown=3, wrong_amount=4,
                              reversals=2, duplicates=3, seed=7)
    assert (sim.paid, sim.short + sim.over, sim.lines) == (36, 4, 36 + 4 + 3 + 2 + 3)
    data = write_settlement(sim.batches)
    report = import_settlement_file(db, None, data, f"sim-{bank}.txt")
    expected = sim.expected_report()
    assert {k: getattr(report, k) for k in ("lines", "matched", "reversals", "duplicates")} == {
        k: expected[k] for k in ("lines", "matched", "reversals", "duplicates")}
    assert dict(report.exceptions) == expected["exceptions"]
    assert sum(expected["exceptions"].values()) == 3 + 4
    db.expire_all()
    statuses = Counter(db.scalars(select(Bill.status).where(
        Bill.ref1.in_([ref for ref, _ in bills]))))
    assert statuses == {"paid": 36 - 2, "issued": 4 + 2}  # wrong amounts, reversed
    assert db.scalar(select(func.count()).select_from(Payment)) == 36


def test_every_line_looks_like_a_bank_day(db):
    seed_bills(db, 60)
    sim = simulate_settlement(db, bank_code="006", day=DAY, unknown=5, seed=1)
    details = details_of(write_settlement(sim.batches))
    assert len(details) == sim.lines == 65
    assert [d.paid_at for d in details] == sorted(d.paid_at for d in details)
    names = {cp874_name(n) for n in NAMES}
    for d in details:
        local = d.paid_at.astimezone(BANGKOK)
        assert local.date() == DAY
        hours = COUNTER_HOURS if d.txn_code in ("CSH", "CHQ") else ELECTRONIC_HOURS
        assert hours[0] <= local.time() <= hours[1], (d.txn_code, local)
        assert d.txn_code in {c.code for c in BANKS["006"].channels}
        assert d.branch.isdigit() and d.teller.isdigit() and len(d.branch) == 4
        assert (d.cheque_no != "") == (d.txn_code == "CHQ")
        assert d.payer_bank and d.payer_bank.isdigit()  # Krungthai's variant field
        assert parse_ref1(d.ref1)  # a valid check digit, also for the unknown ones
        assert d.customer_name in names or d.ref2 == ""
    assert "บริษัท ทดสอบ จำกัด ?" in names and "ก" * 50 in names


def test_variants_scb_biller_id_and_bbl_commission(db):
    seed_bills(db, 5)
    scb = details_of(write_settlement(
        simulate_settlement(db, bank_code="014", day=DAY, seed=2).batches))
    assert {d.biller_id for d in scb} == {"099999999999100"}
    bbl = write_settlement(simulate_settlement(db, bank_code="002", day=DAY, seed=2,
                                               reversals=1).batches)
    (batch,) = validate_settlement(io.BytesIO(bbl), "bbl.txt").batches
    assert (batch.commission_count, batch.commission_amount) == (5, Decimal("50.00"))
    assert (batch.credit_count, batch.debit_count) == (5, 1)


def test_only_open_bills_of_the_office_payable_that_day(db):
    open_ = seed_bills(db, 3)
    seed_bills(db, 2, first_running=5_100_001, status="paid")
    seed_bills(db, 2, first_running=5_200_001, due=DAY - timedelta(days=1))
    seed_bills(db, 2, first_running=5_300_001, created_at=day_start(DAY + timedelta(days=1)))
    other = seed_bills(db, 2, office="5002", first_running=5_400_001)
    refs = {d.ref1 for b in simulate_settlement(db, bank_code="024", day=DAY).batches
            for d in b.payments}
    assert refs == {r for r, _ in open_ + other}
    only = simulate_settlement(db, bank_code="024", day=DAY, office_code="5002")
    assert {p.ref1 for p in only.payments} == {r for r, _ in other}
    province = simulate_settlement(db, bank_code="024", day=DAY, office_code="50")
    assert province.paid == 5
    assert simulate_settlement(db, bank_code="024", day=DAY, limit=2).paid == 2


def test_same_seed_same_file(db):
    seed_bills(db, 10)
    one = simulate_settlement(db, bank_code="006", day=DAY, unknown=2, reversals=1, seed=42)
    two = simulate_settlement(db, bank_code="006", day=DAY, unknown=2, reversals=1, seed=42)
    assert write_settlement(one.batches) == write_settlement(two.batches)


def test_a_bill_issued_during_the_day_is_paid_after_it_was_issued(db):
    issued = datetime.combine(DAY, time(16, 45), tzinfo=BANGKOK)
    seed_bills(db, 5, created_at=issued.astimezone(UTC))
    for p in simulate_settlement(db, bank_code="014", day=DAY, seed=3).payments:
        assert issued < p.paid_at <= datetime.combine(DAY, time(23, 59, 59), tzinfo=BANGKOK)


def test_impossible_requests_are_refused_in_thai(db):
    seed_bills(db, 3)
    with pytest.raises(Invalid, match="ไม่พอ"):
        simulate_settlement(db, bank_code="006", day=DAY, wrong_amount=4)
    with pytest.raises(Invalid, match="ไม่พอ"):
        simulate_settlement(db, bank_code="006", day=DAY, wrong_amount=1, reversals=3)
    with pytest.raises(Invalid, match="ธนาคาร"):
        simulate_settlement(db, bank_code="999", day=DAY)
    with pytest.raises(Invalid, match="หน่วยงาน"):
        simulate_settlement(db, bank_code="006", day=DAY, office_code="9999")


def test_no_open_bills_gives_a_valid_empty_day(db):
    sim = simulate_settlement(db, bank_code="006", day=date(2001, 1, 1), unknown=2)
    data = write_settlement(sim.batches)
    assert validate_settlement(io.BytesIO(data), "x").detail_count == 2 == sim.lines


def test_round_trip_through_the_database(db):
    seed_bills(db, 12)
    sim = simulate_settlement(db, bank_code="014", day=DAY, unknown=2, wrong_amount=2,
                              reversals=2, duplicates=2, seed=11)
    details = details_of(write_settlement(sim.batches))
    assert len(details) == len(sim.payments)
    assert all(same_payment(d, p) for d, p in zip(details, sim.payments, strict=True))


# -- property: the pure planner ----------------------------------------------------------------

money = st.integers(1, 10**9).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def open_bills(draw) -> list[OpenBill]:
    count = draw(st.integers(0, 25))
    runnings = draw(st.lists(st.integers(1, 9_999_999), min_size=count, max_size=count,
                             unique=True))
    year = fiscal_year(DAY)
    return [OpenBill(ref1=make_ref1(1, "5001", year, r), ref2=make_ref2(DAY),
                     total=draw(money), payer_name=draw(st.text(max_size=80)),
                     biller_id=draw(st.from_regex(r"\A[0-9]{15}\Z")),
                     created_at=draw(st.datetimes(
                         min_value=datetime(2026, 11, 1), max_value=datetime(2026, 11, 20, 16, 58),
                         timezones=st.just(UTC))))
            for r in runnings]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bills=open_bills(), bank=st.sampled_from(sorted(BANKS)), seed=st.integers(0, 2**32),
       unknown=st.integers(0, 4), data=st.data())
def test_planned_file_parses_back_to_the_same_payments(bills, bank, seed, unknown, data):
    wrong = data.draw(st.integers(0, len(bills)))
    right = len(bills) - wrong
    reversals = data.draw(st.integers(0, right))
    duplicates = data.draw(st.integers(0, right))
    rng = random.Random(seed)
    refs = [make_ref1(1, "5002", fiscal_year(DAY), 9_000_000 + i) for i in range(unknown)]
    sim = plan_settlement(bills, bank_code=bank, day=DAY, rng=rng, unknown_refs=refs,
                          wrong_amount=wrong, reversals=reversals, duplicates=duplicates)
    data_ = write_settlement(sim.batches)
    details = details_of(data_)
    payments = sim.payments
    assert len(details) == len(payments) == sim.lines
    for detail, spec in zip(details, payments, strict=True):
        assert same_payment(detail, spec), (detail, spec)
    # Every bill is paid once, by its payer's name as the bank can print it.
    credits = Counter(d.ref1 for d in details if d.kind == "C")
    by_ref = {b.ref1: b for b in bills}
    for ref1, count in credits.items():
        if ref1 in by_ref:
            bill = by_ref[ref1]
            assert count in (1, 2)  # twice when the bank repeated the line
            line = next(d for d in details if d.ref1 == ref1)
            assert line.customer_name == cp874_name(bill.payer_name)
            assert line.paid_at > bill.created_at
    assert set(credits) == set(by_ref) | set(refs)
    debits = [d for d in details if d.kind == "D"]
    assert len(debits) == reversals
    for d in debits:  # a reversal follows the payment it undoes, same bank line
        first = next(i for i, x in enumerate(details) if x.ref1 == d.ref1 and x.kind == "C")
        assert details.index(d) > first and details[first].amount == d.amount
    summary = validate_settlement(io.BytesIO(data_), "sim.txt")
    assert summary.credit_amount == sum(p.amount for p in payments if p.kind == "C")
