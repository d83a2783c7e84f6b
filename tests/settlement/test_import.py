"""Importing settlement files: matching, exceptions, reversals, duplicates, refusals."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillStatus
from billpay.codes import make_ref1
from billpay.payments.models import Payment
from billpay.settlement.models import BankLine, SettlementException, SettlementFile
from billpay.settlement.services import FileRefused, import_settlement_file
from tests.settlement.factory import pay, reverse, settlement_file

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})


@pytest.fixture
def importer(db, make_user) -> Actor:
    return Actor.for_user(make_user(Role.FINANCE, "00", username="finance1"))


@pytest.fixture
def issue(db, clerk_actor):
    def make(amount="250.00") -> Bill:
        return bills.issue_bill(db, clerk_actor, bills.NewBill(
            payer_name="นายทดสอบ", items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), CONFIG)
    return make


def counts(db) -> tuple[int, int, int, int]:
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (SettlementFile, BankLine, Payment, SettlementException))


def run(db, actor, data: bytes, name="ktb.txt"):
    report = import_settlement_file(db, actor, data, name)
    db.expire_all()
    return report


def test_payment_matches_its_bill(db, importer, issue):
    bill = issue("250.00")
    report = run(db, importer, settlement_file(pay(bill.ref1, "250.00")))
    assert (report.status, report.lines, report.matched, report.exception_count) == (
        "imported", 1, 1, 0)
    assert report.matched_amount == Decimal("250.00")
    assert bill.status == BillStatus.PAID
    assert bill.paid_at.isoformat() == "2026-11-22T03:00:00+00:00"
    payment = db.scalar(select(Payment).where(Payment.bill_id == bill.id))
    line = db.get(BankLine, payment.bank_line_id)
    assert (payment.amount, payment.method, payment.status) == (Decimal("250.00"), "bank", "active")
    assert len(line.raw) == 256 and line.outcome == "matched" and line.bill_id == bill.id
    assert [e.to_status for e in bill.events] == ["issued", "paid"]


def test_ref1_as_banks_mangle_it_still_matches(db, importer, issue):
    a, b = issue(), issue()
    report = run(db, importer, settlement_file(pay(f"  {a.ref1}", "250.00"),
                                               pay(f"00000{b.ref1}", "250.00", minute=1)))
    assert report.matched == 2


@pytest.mark.parametrize("setup, reason", [
    (lambda bill, db, actor: (bill.ref1[:-1] + str((int(bill.ref1[-1]) + 3) % 10), "250.00"),
     "bad_check_digit"),
    (lambda bill, db, actor: (make_ref1(1, "9999", 2569, 4321), "250.00"), "unknown_ref1"),
    (lambda bill, db, actor: ("ABC-123", "250.00"), "unknown_ref1"),
    (lambda bill, db, actor: (bill.ref1, "249.99"), "amount_short"),
    (lambda bill, db, actor: (bill.ref1, "250.01"), "amount_over"),
    (lambda bill, db, actor: (bills.cancel_bill(db, actor, bill.ref1, "ยกเลิก").ref1, "250.00"),
     "bill_cancelled"),
])
def test_exceptions_keep_the_money_and_the_reason(db, importer, issue, clerk_actor, setup,
                                                  reason):
    bill = issue("250.00")
    ref1, amount = setup(bill, db, clerk_actor)
    before = bill.status
    report = run(db, importer, settlement_file(pay(ref1, amount)))
    assert dict(report.exceptions) == {reason: 1}
    assert report.exception_amount == Decimal(amount)
    exception = db.scalar(select(SettlementException))
    assert exception.reason == reason and exception.status == "open"
    assert exception.amount == Decimal(amount)
    assert db.get(Bill, bill.id).status == before


def test_expired_bill(db, importer, issue):
    bill = issue()
    bills.expire_overdue(db, today=bill.due_date.replace(year=bill.due_date.year + 1))
    report = run(db, importer, settlement_file(pay(bill.ref1, "250.00")))
    assert dict(report.exceptions) == {"bill_expired": 1}


def test_paid_twice_in_one_file_and_across_files(db, importer, issue):
    bill = issue()
    first = run(db, importer, settlement_file(pay(bill.ref1, "250.00"),
                                              pay(bill.ref1, "250.00", minute=5, teller="0002")))
    assert (first.matched, dict(first.exceptions)) == (1, {"already_paid": 1})
    second = run(db, importer, settlement_file(pay(bill.ref1, "250.00", minute=9)), "scb.txt")
    assert dict(second.exceptions) == {"already_paid": 1}


def test_same_file_twice_and_an_overlapping_file(db, importer, issue):
    a, b = issue(), issue()
    data = settlement_file(pay(a.ref1, "250.00"))
    run(db, importer, data)
    before = counts(db)
    again = run(db, importer, data, "again.txt")
    assert (again.status, again.duplicates) == ("duplicate_file", 1)
    assert counts(db) == before
    overlap = run(db, importer, settlement_file(pay(a.ref1, "250.00"), pay(b.ref1, "250.00",
                                                                           minute=2)), "o.txt")
    assert (overlap.status, overlap.duplicates, overlap.matched) == ("imported", 1, 1)
    assert db.scalar(select(func.count()).select_from(Payment)) == 2


def test_reversal_in_a_later_file_undoes_the_payment(db, importer, issue):
    bill = issue()
    run(db, importer, settlement_file(pay(bill.ref1, "250.00")))
    report = run(db, importer, settlement_file(reverse(bill.ref1, "250.00", minute=30)), "d.txt")
    assert (report.reversals, report.exception_count) == (1, 0)
    assert bill.status == BillStatus.ISSUED and bill.paid_at is None
    payment = db.scalar(select(Payment).where(Payment.bill_id == bill.id))
    assert payment.status == "reversed" and payment.reversal_line_id is not None
    assert [e.to_status for e in bill.events] == ["issued", "paid", "issued"]
    repaid = run(db, importer, settlement_file(pay(bill.ref1, "250.00", minute=45)), "p.txt")
    assert repaid.matched == 1 and db.get(Bill, bill.id).status == BillStatus.PAID


def test_reversal_in_the_same_file_and_unmatched_reversal(db, importer, issue):
    bill = issue()
    report = run(db, importer, settlement_file(
        pay(bill.ref1, "250.00"), reverse(bill.ref1, "250.00", minute=1),
        reverse(bill.ref1, "250.00", minute=2)))
    assert (report.matched, report.reversals) == (1, 1)
    assert dict(report.exceptions) == {"reversal_unmatched": 1}
    assert db.get(Bill, bill.id).status == BillStatus.ISSUED


def test_reversal_of_an_exception_closes_it(db, importer, issue):
    bill = issue()
    run(db, importer, settlement_file(pay(bill.ref1, "300.00")))
    report = run(db, importer, settlement_file(reverse(bill.ref1, "300.00", minute=3)), "r.txt")
    assert report.reversals == 1
    exception = db.scalar(select(SettlementException).where(
        SettlementException.reason == "amount_over"))
    assert (exception.status, exception.resolution) == ("resolved", "reversed")


def test_a_broken_file_is_refused_whole(db, importer, issue):
    bill = issue()
    data = bytearray(settlement_file(pay(bill.ref1, "250.00"), pay(bill.ref1, "1.00", minute=1)))
    data[256 + 1 + 256 + 1 + 170] = ord("X")  # line 3: the second detail's amount
    before = counts(db)
    with pytest.raises(FileRefused) as caught:
        run(db, importer, bytes(data), "broken.txt")
    assert caught.value.errors["line"] == 3 and caught.value.errors["field"] == "amount"
    assert "broken.txt" in caught.value.errors["file"][0]
    assert counts(db) == before
    assert db.get(Bill, bill.id).status == BillStatus.ISSUED


def test_clerks_may_not_import(db, clerk_actor, issue):
    from billpay.errors import Forbidden

    with pytest.raises(Forbidden):
        import_settlement_file(db, clerk_actor, settlement_file(pay(issue().ref1, "250.00")), "x")


def test_many_lines_across_chunks(db, importer, issue):
    created = [issue(f"{100 + i}.00") for i in range(30)]
    lines = [pay(b.ref1, f"{100 + i}.00", minute=i % 60, teller=f"{i:04d}")
             for i, b in enumerate(created)]
    lines.append(reverse(created[3].ref1, "103.00", minute=59))
    report = import_settlement_file(db, importer, settlement_file(*lines), "big.txt",
                                    chunk_lines=7)
    assert (report.matched, report.reversals, report.exception_count) == (30, 1, 0)
    db.expire_all()
    statuses = [db.get(Bill, b.id).status for b in created]
    assert statuses.count("paid") == 29 and statuses[3] == "issued"
