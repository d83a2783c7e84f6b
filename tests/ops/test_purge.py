"""``billpay trial purge``: removes exactly the trial rows, of one office or all, keeps
every live row (and settlement files that mix trial and live lines), resets the trial
counters, records itself; a dry run removes nothing; live rows pointing at trial data
make it refuse."""

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.audit.models import AuditEntry
from billpay.audit.services import verify_chain
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillEvent, BillItem
from billpay.codes import make_ref1, parse_ref1
from billpay.errors import Conflict
from billpay.numbering import Counter
from billpay.offices.models import Office
from billpay.ops.models import TrialPurge
from billpay.ops.purge import purge_trial
from billpay.payments.models import Payment
from billpay.receipts import services as receipts
from billpay.receipts.models import Receipt, ReceiptCancellation, ReceiptPrint
from billpay.settlement.models import (
    BankLine,
    SettlementBatch,
    SettlementException,
    SettlementFile,
)
from billpay.settlement.services import import_settlement_file
from tests.settlement.factory import pay, reverse, settlement_file

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
MODELS = {"bills": Bill, "bill_items": BillItem, "bill_events": BillEvent, "payments": Payment,
          "receipts": Receipt, "receipt_prints": ReceiptPrint,
          "receipt_cancellations": ReceiptCancellation,
          "settlement_exceptions": SettlementException, "bank_lines": BankLine,
          "settlement_batches": SettlementBatch, "settlement_files": SettlementFile,
          "counters": Counter}


def counts(db) -> dict[str, int]:
    return {kind: db.scalar(select(func.count()).select_from(model))
            for kind, model in MODELS.items()}


def trial_rows(db, office_code=None) -> dict[str, int]:
    out = {}
    for kind, model in (("bills", Bill), ("payments", Payment), ("receipts", Receipt)):
        query = select(func.count()).select_from(model).where(model.trial.is_(True))
        if office_code:
            query = query.where(model.office_id == select(Office.id).where(
                Office.code == office_code).scalar_subquery())
        out[kind] = db.scalar(query)
    return out


def set_trial(db, code, flag=True):
    db.scalar(select(Office).where(Office.code == code)).trial = flag
    db.flush()


@dataclass
class World:
    live: list[Bill]
    trial_5001: list[Bill]
    trial_5002: list[Bill]
    live_receipts: list[int]


@pytest.fixture
def world(db, make_user) -> World:
    """Two offices with trial and live bills, paid at the counter and through the bank:
    a file of trial lines only (5001), a file mixing trial and live lines, an unknown
    trial Ref1 (an exception), a reversal, a print, a cancellation request."""
    clerk1 = Actor.for_user(make_user(Role.CLERK, "5001", username="c1"))
    head1 = Actor.for_user(make_user(Role.OFFICE_HEAD, "5001", username="h1"))
    clerk2 = Actor.for_user(make_user(Role.CLERK, "5002", username="c2"))
    finance = Actor.for_user(make_user(Role.FINANCE, "00", username="f1"))

    def issue(actor, amount):
        return bills.issue_bill(db, actor, bills.NewBill(
            payer_name="นายใบแจ้ง ทดสอบ", items=[bills.NewBillItem("HT01", 1, Decimal(amount))]),
            CONFIG)

    live = [issue(clerk1, f"{100 + i}.00") for i in range(3)]
    set_trial(db, "5001")
    set_trial(db, "5002")
    t1 = [issue(clerk1, f"{200 + i}.00") for i in range(5)]
    t2 = [issue(clerk2, f"{300 + i}.00") for i in range(2)]
    set_trial(db, "5001", False)
    live.append(issue(clerk1, "150.00"))
    # a file of 5001's trial lines only, with a reversal and an unknown trial Ref1
    unknown = make_ref1(9, "5001", bills.fiscal_year(t1[0].created_at), 99_999)
    import_settlement_file(db, finance, settlement_file(
        pay(t1[0].ref1, t1[0].total, minute=1), pay(t1[1].ref1, t1[1].total, minute=2),
        reverse(t1[1].ref1, t1[1].total, minute=3), pay(unknown, "55.00", minute=4)),
        "trial-only.txt")
    # a file mixing live and trial lines of both offices
    import_settlement_file(db, finance, settlement_file(
        pay(live[0].ref1, live[0].total, minute=5), pay(t1[2].ref1, t1[2].total, minute=6),
        pay(t2[0].ref1, t2[0].total, minute=7), pay(live[1].ref1, live[1].total, minute=8)),
        "mixed.txt")
    # the counter: a trial payment, printed, cancellation requested; a live one
    trial_receipt = receipts.take_counter_payment(db, clerk1, t1[3].ref1, method="cash",
                                                  reference=None)
    receipts.record_print(db, clerk1, trial_receipt)
    request = receipts.request_cancellation(db, clerk1, trial_receipt.id, "พิมพ์ผิด",
                                            replace=True)
    receipts.decide_cancellation(db, head1, request.id, approve=True)
    live_receipt = receipts.take_counter_payment(db, clerk1, live[2].ref1, method="cash",
                                                 reference=None)
    db.flush()
    live_receipts = sorted(db.scalars(select(Receipt.id).where(Receipt.trial.is_(False))))
    assert live_receipt.id in live_receipts
    return World(live, t1, t2, live_receipts)


def test_dry_run_removes_nothing_and_counts_what_it_would(db, world):
    before = counts(db)
    report = purge_trial(db, None, dry_run=True, performed_by="tester")
    assert counts(db) == before
    assert report.dry_run and report.purge_id is None
    assert report.counts["bills"] == 7
    assert report.counts["settlement_files"] == 1  # trial-only.txt; mixed.txt stays
    assert [f["filename"] for f in report.mixed_files] == ["mixed.txt"]
    assert db.scalar(select(func.count()).select_from(TrialPurge)) == 0


def test_purge_removes_exactly_the_trial_rows_and_keeps_every_live_one(db, world):
    before = counts(db)
    live_lines = set(db.scalars(select(BankLine.id).where(BankLine.trial.is_(False))))
    live_payments = set(db.scalars(select(Payment.id).where(Payment.trial.is_(False))))
    expected = purge_trial(db, None, dry_run=True).counts
    report = purge_trial(db, None, dry_run=False, performed_by="tester")
    assert report.counts == expected
    after = counts(db)
    assert {k: before[k] - after[k] for k in before} == report.counts
    assert trial_rows(db) == {"bills": 0, "payments": 0, "receipts": 0}
    # every live row survives
    assert set(db.scalars(select(Bill.id).where(Bill.trial.is_(False)))) == {
        b.id for b in world.live}
    assert set(db.scalars(select(Payment.id))) == live_payments
    assert sorted(db.scalars(select(Receipt.id))) == world.live_receipts
    assert live_lines <= set(db.scalars(select(BankLine.id)))
    # the mixed file is whole: its trial lines stay, unlinked; the trial-only file is gone
    files = db.scalars(select(SettlementFile.filename)).all()
    assert files == ["mixed.txt"]
    mixed = db.scalars(select(BankLine).where(BankLine.trial.is_(True))).all()
    assert len(mixed) == 2 and all(line.bill_id is None for line in mixed)
    assert report.counts["counters"] == 4  # bill-trial and receipt-trial of 5001 and 5002
    assert db.scalar(select(func.count()).select_from(Counter).where(
        Counter.series.in_(("bill-trial", "receipt-trial")))) == 0


def test_purge_by_office_leaves_other_offices_trial_data(db, world, make_user):
    report = purge_trial(db, None, office_code="5001", dry_run=False, performed_by="tester")
    assert trial_rows(db, "5001") == {"bills": 0, "payments": 0, "receipts": 0}
    assert trial_rows(db, "5002") == {"bills": 2, "payments": 1, "receipts": 1}
    assert report.counts["bills"] == 5 and report.office_code == "5001"
    assert db.get(Bill, world.trial_5002[0].id).status == "paid"
    # 5001's trial counters start again at 1; 5002's go on
    set_trial(db, "5001")
    set_trial(db, "5002")
    again = bills.issue_bill(db, Actor.for_user(make_user(Role.CLERK, "5001")), bills.NewBill(
        payer_name="x", items=[bills.NewBillItem("HT01", 1, Decimal("10.00"))]), CONFIG)
    other = bills.issue_bill(db, Actor.for_user(make_user(Role.CLERK, "5002")), bills.NewBill(
        payer_name="x", items=[bills.NewBillItem("HT01", 1, Decimal("10.00"))]), CONFIG)
    assert parse_ref1(again.ref1).running == 1 and again.ref1.startswith("9")
    assert parse_ref1(other.ref1).running == 3
    # then the rest: the mixed file still stays (it has live lines)
    purge_trial(db, None, dry_run=False)
    assert trial_rows(db) == {"bills": 0, "payments": 0, "receipts": 0}
    assert db.scalars(select(SettlementFile.filename)).all() == ["mixed.txt"]


def test_purge_is_recorded_and_the_audit_log_stays_whole(db, world):
    audit_rows = db.scalar(select(func.count()).select_from(AuditEntry))
    report = purge_trial(db, None, dry_run=False, performed_by="สมชาย (console)")
    row = db.get(TrialPurge, report.purge_id)
    assert row.performed_by == "สมชาย (console)" and row.office_id is None
    assert row.counts == report.counts and row.at is not None
    assert row.details["mixed_files"][0]["filename"] == "mixed.txt"
    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).all()
    assert len(entries) == audit_rows + 1  # nothing removed, the purge added
    assert entries[0].action == "trial.purge"
    assert json.loads(entries[0].after)["counts"]["bills"] == 7
    assert verify_chain(db).ok


def test_purge_refuses_when_a_live_row_points_at_a_trial_bill(db, world):
    trial_bill = world.trial_5001[4]
    db.add(Payment(bill_id=trial_bill.id, office_id=trial_bill.office_id, method="cash",
                   amount=trial_bill.total, paid_at=trial_bill.created_at, trial=False))
    db.flush()
    before = counts(db)
    with pytest.raises(Conflict, match="รายการรับชำระจริงของใบแจ้งทดลอง") as caught:
        purge_trial(db, None, dry_run=False)
    assert "ยังไม่ได้ลบข้อมูลใด" in caught.value.message
    assert counts(db) == before
    # and the dry run says so too
    with pytest.raises(Conflict):
        purge_trial(db, None, dry_run=True)


def test_every_trial_row_belongs_to_a_trial_bill(db, world):
    """The invariant the purge relies on, as billpay leaves the data."""
    trial_bills = set(db.scalars(select(Bill.id).where(Bill.trial.is_(True))))
    for model in (Payment, Receipt):
        rows = db.execute(select(model.bill_id, model.trial)).all()
        assert all((bill_id in trial_bills) == trial for bill_id, trial in rows)
    for bill_id, trial in db.execute(select(BankLine.bill_id, BankLine.trial)
                                     .where(BankLine.bill_id.is_not(None))):
        assert (bill_id in trial_bills) == trial


def test_cli_dry_run_then_confirm(app, db, world):
    runner = app.test_cli_runner()
    before = counts(db)
    dry = runner.invoke(args=["trial", "purge", "--office", "5001"])
    assert dry.exit_code == 0, dry.output
    assert "ยังไม่ได้ลบ" in dry.output and "--confirm" in dry.output
    assert counts(db) == before
    done = runner.invoke(args=["trial", "purge", "--office", "5001", "--confirm", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["dry_run"] is False and report["counts"]["bills"] == 5
    assert trial_rows(db, "5001")["bills"] == 0
    status = runner.invoke(args=["trial", "status", "--office", "5002"])
    assert status.exit_code == 0 and "5002" in status.output
    history = runner.invoke(args=["trial", "history"])
    assert f"#{report['purge_id']}" in history.output
    assert runner.invoke(args=["trial", "purge", "--office", "0000"]).exit_code == 1
