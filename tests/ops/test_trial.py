"""The trial period: which offices are in trial mode, trial bills (Ref1 mode 9), trial
receipts (their own numbers), trial payments from the bank file and the simulator, the
ทดลอง / TRIAL marks on the PDFs, and go-live."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.documents import bill_pdf
from billpay.codes import parse_ref1
from billpay.db import utcnow
from billpay.errors import Conflict, Invalid
from billpay.offices.models import Office
from billpay.ops.trial import in_trial_mode, set_go_live, set_office_trial, trial_status
from billpay.payments.models import Payment
from billpay.receipts import services as receipts
from billpay.receipts.documents import receipt_pdf
from billpay.receipts.models import Receipt
from billpay.settlement.models import BankLine, SettlementException
from billpay.settlement.services import import_settlement_file, resolve_exception
from billpay.settlement.simulator import simulate_settlement
from billpay.settlement.writer import write_settlement
from billpay.thaidate import bangkok_date
from tests.documents.pdfcheck import base_letters, pdf_text
from tests.settlement.factory import pay, settlement_file

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
TRIAL_DEPLOYMENT = replace(CONFIG, trial=True)
KEY = receipts.ReceiptConfig(book_size=3, signing_key=b"k" * 32, public_url="https://b.example")
TODAY = date(2026, 11, 22)


def office(db, code="5001") -> Office:
    return db.scalar(select(Office).where(Office.code == code))


def set_trial(db, code, flag=True):
    office(db, code).trial = flag
    db.flush()


@pytest.fixture
def finance(make_user) -> Actor:
    return Actor.for_user(make_user(Role.FINANCE, "00", username="fin"))


@pytest.fixture
def issue(db, clerk_actor):
    def make(amount="250.00", actor=None, config=CONFIG):
        return bills.issue_bill(db, actor or clerk_actor, bills.NewBill(
            payer_name="นางสาวใบแจ้ง ระบบ",
            items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), config)
    return make


# -- the rule ----------------------------------------------------------------------------

@pytest.mark.parametrize("deployment, flagged, go_live, expected", [
    (False, False, None, False),                  # live by default
    (True, False, None, True),                    # the deployment's trial period
    (False, True, None, True),                    # one office flagged
    (True, False, TODAY + timedelta(days=1), True),   # go-live still to come
    (True, True, TODAY, False),                   # go-live day: live, whatever the flags
    (False, True, TODAY - timedelta(days=9), False),  # after go-live
])
def test_an_office_is_in_trial_before_its_go_live_date_only(deployment, flagged, go_live,
                                                            expected):
    o = Office(code="5001", kind="district", province_code="50", name_th="x", name_en="x",
               trial=flagged, go_live_on=go_live)
    assert in_trial_mode(o, deployment_trial=deployment, today=TODAY) is expected


# -- bills -------------------------------------------------------------------------------

def test_trial_bill_ref1_starts_with_9_and_a_live_one_with_1(db, issue):
    live = issue()
    set_trial(db, "5001")
    trial = issue()
    set_trial(db, "5001", False)
    live_again = issue()
    assert live.ref1.startswith("1") and not live.trial
    assert trial.ref1.startswith("9") and trial.trial
    assert live_again.ref1.startswith("1")
    # each mode numbers from its own series: live 1, 2; trial 1 (stored as -1)
    assert [parse_ref1(b.ref1).running for b in (live, trial, live_again)] == [1, 1, 2]
    assert [b.running for b in (live, trial, live_again)] == [1, -1, 2]
    assert parse_ref1(trial.ref1).is_trial and not parse_ref1(live.ref1).is_trial


def test_the_deployment_setting_puts_offices_without_go_live_in_trial(db, issue):
    assert issue(config=TRIAL_DEPLOYMENT).trial
    office(db).go_live_on = bangkok_date(utcnow())
    db.flush()
    bill = issue(config=TRIAL_DEPLOYMENT)
    assert not bill.trial and bill.ref1.startswith("1")


def test_after_go_live_a_trial_bill_is_impossible(db, issue):
    today = bangkok_date(utcnow())
    set_go_live(db, None, "5001", today - timedelta(days=1), today=today)
    with pytest.raises(Conflict, match="เริ่มใช้งานจริงแล้ว"):
        set_office_trial(db, None, "5001", True, today=today)
    with pytest.raises(Conflict, match="เปลี่ยนวันเริ่มใช้งานจริงไม่ได้"):
        set_go_live(db, None, "5001", today + timedelta(days=30), today=today)
    office(db).trial = True  # even flagged behind the service's back
    db.flush()
    assert not issue(config=TRIAL_DEPLOYMENT).trial


def test_a_future_go_live_date_can_move_and_status_lists_the_office(db, issue):
    today = bangkok_date(utcnow())
    set_office_trial(db, None, "5001", True, today=today)
    set_go_live(db, None, "5001", today + timedelta(days=10), today=today)
    set_go_live(db, None, "5001", today + timedelta(days=20), today=today)
    issue()
    (row,) = trial_status(db, deployment_trial=False, today=today, office_code="5001")
    assert (row.in_trial, row.flagged, row.go_live_on, row.trial_bills) == (
        True, True, today + timedelta(days=20), 1)


# -- receipts ----------------------------------------------------------------------------

def test_trial_receipts_never_take_a_live_number(db, finance, issue):
    made = []
    for i, trial in enumerate([False, True, False, True, True, False, False]):
        set_trial(db, "5001", trial)
        made.append(issue(f"{100 + i}.00"))
    data = settlement_file(*[pay(b.ref1, b.total, minute=i) for i, b in enumerate(made)])
    report = import_settlement_file(db, finance, data, "mixed.txt", book_size=3)
    assert report.matched == 7
    rows = db.scalars(select(Receipt).order_by(Receipt.amount)).all()
    live = [r for r in rows if not r.trial]
    trial = [r for r in rows if r.trial]
    assert [(r.number, r.book) for r in live] == [(1, "1"), (2, "1"), (3, "1"), (4, "2")]
    assert [(r.number, r.book, r.running) for r in trial] == [
        (1, "ทดลอง-1", -1), (2, "ทดลอง-1", -2), (3, "ทดลอง-1", -3)]
    assert trial[0].display_number == "ทดลอง-1/1"
    assert {r.bill_id for r in trial} == {b.id for b in made if b.trial}
    check = receipts.check_register(db, office(db).id, live[0].fiscal_year)
    assert check.ok and (check.first, check.last, check.issued) == (1, 4, 4)
    # payments and bank lines carry the bill's mode
    payments = db.scalars(select(Payment)).all()
    assert {p.bill_id for p in payments if p.trial} == {b.id for b in made if b.trial}
    lines = db.scalars(select(BankLine)).all()
    assert sorted(line.ref1 for line in lines if line.trial) == sorted(
        b.ref1 for b in made if b.trial)


def test_a_counter_payment_of_a_trial_bill_gives_a_trial_receipt(db, clerk_actor, issue):
    set_trial(db, "5001")
    bill = issue()
    receipt = receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash",
                                            reference=None, book_size=3)
    assert receipt.trial and receipt.book == "ทดลอง-1" and receipt.number == 1
    assert db.scalar(select(Payment.trial).where(Payment.bill_id == bill.id)) is True
    set_trial(db, "5001", False)
    live = receipts.take_counter_payment(db, clerk_actor, issue().ref1, method="cash",
                                         reference=None, book_size=3)
    assert not live.trial and (live.book, live.number, live.running) == ("1", 1, 1)


def test_an_exception_never_links_a_trial_line_to_a_live_bill(db, finance, issue):
    set_trial(db, "5001")
    trial = issue("100.00")
    set_trial(db, "5001", False)
    live = issue("100.00")
    import_settlement_file(db, finance, settlement_file(pay(trial.ref1, "99.00")), "x.txt")
    item = db.scalar(select(SettlementException))
    assert item.bank_line.trial
    with pytest.raises(Invalid, match="ทดลอง"):
        resolve_exception(db, finance, item.id, "accepted", "ทดสอบ", bill_ref1=live.ref1)
    resolve_exception(db, finance, item.id, "accepted", "ทดสอบ", bill_ref1=trial.ref1)
    payment = db.scalar(select(Payment).where(Payment.bill_id == trial.id))
    assert payment.trial and payment.amount == Decimal("99.00")


def test_the_simulator_pays_trial_bills_and_the_import_matches_them(db, finance, issue):
    set_trial(db, "5001")
    trial_bills = [issue(f"{200 + i}.00") for i in range(3)]
    set_trial(db, "5001", False)
    live_bills = [issue(f"{300 + i}.00") for i in range(2)]
    day = bangkok_date(utcnow())
    sim = simulate_settlement(db, bank_code="006", day=day, office_code="5001", seed=7,
                              unknown=1)
    refs = {p.ref1 for p in sim.payments}
    assert {b.ref1 for b in trial_bills + live_bills} <= refs
    report = import_settlement_file(db, finance, write_settlement(sim.batches), "sim.txt")
    assert report.matched == 5 and dict(report.exceptions) == {"unknown_ref1": 1}
    for bill in trial_bills + live_bills:
        db.refresh(bill)
        assert bill.status == "paid"
        receipt = db.scalar(select(Receipt).where(Receipt.bill_id == bill.id))
        assert receipt.trial is bill.trial
        assert receipt.book.startswith("ทดลอง-") is bill.trial
    trial_lines = db.scalars(select(BankLine.ref1).where(BankLine.trial.is_(True))).all()
    assert sorted(trial_lines) == sorted(b.ref1 for b in trial_bills)


# -- the PDFs ----------------------------------------------------------------------------

def test_trial_bill_and_receipt_pdfs_say_trial_and_live_ones_do_not(db, clerk_actor, issue):
    live = issue()
    set_trial(db, "5001")
    trial = issue()
    for bill, expected in ((trial, True), (live, False)):
        text = base_letters(pdf_text(bill_pdf(bill).getvalue()))
        assert ("TRIAL" in text) is expected
        assert (base_letters("ทดลอง") in text) is expected
        receipt = receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash",
                                                reference=None, book_size=3)
        pdf = receipt_pdf(receipt, copy_no=0, config=KEY)
        text = base_letters(pdf_text(pdf))
        assert ("TRIAL" in text) is expected
        assert (base_letters("ทดลอง") in text) is expected


# -- the pages ---------------------------------------------------------------------------

def test_pages_show_trial_in_the_header_and_on_bills_and_receipts(db, clerk_client, issue,
                                                                  clerk_actor):
    live = issue()
    page = clerk_client.get("/bills/new").get_data(as_text=True)
    assert 'id="trial-badge"' not in page and 'id="trial-notice"' not in page
    set_trial(db, "5001")
    trial = issue()
    page = clerk_client.get("/bills/new").get_data(as_text=True)
    assert 'id="trial-badge"' in page and 'id="trial-notice"' in page
    shown = clerk_client.get(f"/bills/{trial.ref1}").get_data(as_text=True)
    assert 'id="bill-trial"' in shown and "ทดลอง" in shown
    assert 'id="bill-trial"' not in clerk_client.get(f"/bills/{live.ref1}").get_data(as_text=True)
    receipt = receipts.take_counter_payment(db, clerk_actor, trial.ref1, method="cash",
                                            reference=None)
    shown = clerk_client.get(f"/receipts/{receipt.id}").get_data(as_text=True)
    assert 'id="receipt-trial"' in shown and "ทดลอง-1" in shown


def test_the_api_says_whether_a_bill_is_trial(db, clerk_client, issue):
    set_trial(db, "5001")
    trial = issue()
    body = clerk_client.get(f"/api/v1/bills/{trial.ref1}").get_json()
    assert body["trial"] is True and body["ref1"].startswith("9")
