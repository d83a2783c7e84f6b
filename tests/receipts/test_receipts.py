"""Receipts: numbering per office and fiscal year, bank reversals, two-person
cancellation, counter payments, paper books, the register, the QR signature."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import BillStatus
from billpay.errors import Conflict, Forbidden, Invalid, NotFound
from billpay.receipts import services as receipts
from billpay.receipts.models import Receipt
from billpay.settlement.services import import_settlement_file
from billpay.settlement.writer import PaymentSpec
from tests.settlement.factory import pay, reverse, settlement_file

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
KEY = receipts.ReceiptConfig(book_size=3, signing_key=b"k" * 32, public_url="https://b.example")


@pytest.fixture
def finance(make_user) -> Actor:
    return Actor.for_user(make_user(Role.FINANCE, "00", username="fin"))


@pytest.fixture
def head(make_user) -> Actor:
    return Actor.for_user(make_user(Role.OFFICE_HEAD, "5001", username="head"))


@pytest.fixture
def issue(db, clerk_actor):
    def make(amount="250.00", actor=None):
        return bills.issue_bill(db, actor or clerk_actor, bills.NewBill(
            payer_name="นางสาวใบเสร็จ ทดสอบ",
            items=[bills.NewBillItem("HT01", 1, Decimal(amount))]), CONFIG)
    return make


def receipts_of(db, office_code="5001"):
    return db.scalars(select(Receipt).join(Receipt.office).where(
        Receipt.office.has(code=office_code)).order_by(Receipt.running)).all()


def paid_at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_each_matched_payment_gets_a_numbered_receipt(db, finance, issue):
    created = [issue(f"{100 + i}.00") for i in range(4)]
    data = settlement_file(*[pay(b.ref1, f"{100 + i}.00", minute=i) for i, b in
                             enumerate(created)])
    import_settlement_file(db, finance, data, "f.txt", book_size=3)
    rows = receipts_of(db)
    assert [(r.running, r.book, r.number) for r in rows] == [
        (1, "1", 1), (2, "1", 2), (3, "1", 3), (4, "2", 4)]
    assert [r.amount for r in rows] == [Decimal("100.00"), Decimal("101.00"),
                                         Decimal("102.00"), Decimal("103.00")]
    assert {r.fiscal_year for r in rows} == {2570}
    assert rows[0].payer_name == "นางสาวใบเสร็จ ทดสอบ"
    assert rows[0].issued_at == paid_at("2026-11-22T10:00:00+07:00")
    assert receipts.check_register(db, rows[0].office_id, 2570).ok


@pytest.mark.parametrize("moment, year", [
    ("2026-09-30T23:59:59+07:00", 2569),
    ("2026-10-01T00:00:00+07:00", 2570),
])
def test_fiscal_year_follows_the_payment_time_in_bangkok(db, finance, issue, moment, year):
    bill = issue()
    spec = PaymentSpec(paid_at=paid_at(moment), customer_name="x", ref1=bill.ref1,
                       amount=Decimal("250.00"))
    import_settlement_file(db, finance, settlement_file(spec), "fy.txt")
    (receipt,) = receipts_of(db)
    assert (receipt.fiscal_year, receipt.running) == (year, 1)


def test_bank_reversal_cancels_the_receipt(db, finance, issue):
    bill = issue()
    import_settlement_file(db, finance, settlement_file(pay(bill.ref1, "250.00")), "a.txt")
    import_settlement_file(db, finance, settlement_file(reverse(bill.ref1, "250.00", minute=9)),
                           "b.txt")
    db.expire_all()
    (receipt,) = receipts_of(db)
    assert (receipt.status, receipt.cancel_kind) == ("cancelled", "bank_reversal")
    assert "ยกเลิก" in receipt.cancel_reason
    # paid again: a new number, the old one stays in the register as cancelled
    import_settlement_file(db, finance, settlement_file(pay(bill.ref1, "250.00", minute=30)),
                           "c.txt")
    rows = receipts_of(db)
    assert [(r.running, r.status) for r in rows] == [(1, "cancelled"), (2, "valid")]
    check = receipts.check_register(db, rows[0].office_id, 2570)
    assert (check.issued, check.cancelled, check.gaps) == (2, 1, [])


def test_cancellation_needs_a_second_person(db, finance, issue, clerk_actor, head, make_user):
    bill = issue()
    import_settlement_file(db, finance, settlement_file(pay(bill.ref1, "250.00")), "a.txt")
    (receipt,) = receipts_of(db)
    with pytest.raises(Invalid):
        receipts.request_cancellation(db, clerk_actor, receipt.id, "  ")
    request = receipts.request_cancellation(db, clerk_actor, receipt.id, "ชื่อผู้ชำระผิด",
                                            replace=True)
    with pytest.raises(Conflict):
        receipts.request_cancellation(db, clerk_actor, receipt.id, "ซ้ำ")
    with pytest.raises(Forbidden):
        receipts.decide_cancellation(db, clerk_actor, request.id, approve=True)
    other_head = Actor.for_user(make_user(Role.OFFICE_HEAD, "5002", username="head2"))
    with pytest.raises(NotFound):  # another office's request does not exist for them
        receipts.decide_cancellation(db, other_head, request.id, approve=True)
    receipts.decide_cancellation(db, head, request.id, approve=True, book_size=100)
    db.expire_all()
    old, new = receipts_of(db)
    assert (old.status, old.cancel_kind, old.cancel_reason) == ("cancelled", "approved",
                                                               "ชื่อผู้ชำระผิด")
    assert (old.cancel_requested_by_id, old.cancel_approved_by_id) == (clerk_actor.user_id,
                                                                        head.user_id)
    assert (new.running, new.replaces_id, new.status) == (2, old.id, "valid")
    assert new.payment_id == old.payment_id


def test_nobody_approves_their_own_request(db, finance, issue, head):
    bill = issue()
    import_settlement_file(db, finance, settlement_file(pay(bill.ref1, "250.00")), "a.txt")
    (receipt,) = receipts_of(db)
    request = receipts.request_cancellation(db, head, receipt.id, "พิมพ์ผิด")
    with pytest.raises(Forbidden, match="ของตนเอง"):
        receipts.decide_cancellation(db, head, request.id, approve=True)


def test_counter_payment_issues_a_receipt(db, clerk_actor, issue):
    bill = issue("80.00")
    receipt = receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash",
                                            reference=None)
    assert bill.status == BillStatus.PAID
    assert (receipt.amount, receipt.running, receipt.payment.method) == (
        Decimal("80.00"), 1, "cash")
    with pytest.raises(Conflict):
        receipts.take_counter_payment(db, clerk_actor, bill.ref1, method="cash", reference=None)


def test_a_rolled_back_receipt_gives_its_number_back(db, clerk_actor, issue):
    first, second = issue(), issue()
    savepoint = db.begin_nested()
    receipts.take_counter_payment(db, clerk_actor, first.ref1, method="cash", reference=None)
    savepoint.rollback()
    receipt = receipts.take_counter_payment(db, clerk_actor, second.ref1, method="cash",
                                            reference=None)
    assert receipt.running == 1


def test_paper_receipt_matches_the_later_bank_payment(db, clerk_actor, finance, issue):
    bill = issue()
    paper = receipts.enter_paper_receipt(db, clerk_actor, receipts.PaperReceipt(
        book="P12", number=7, issued_on=datetime(2026, 11, 22).date(),
        payer_name="นางสาวใบเสร็จ ทดสอบ", amount=Decimal("250.00"), bill_ref1=bill.ref1,
        payment_reference="slip 123", method="bank"))
    with pytest.raises(Conflict):
        receipts.enter_paper_receipt(db, clerk_actor, receipts.PaperReceipt(
            book="P12", number=7, issued_on=datetime(2026, 11, 22).date(), payer_name="x",
            amount=Decimal("1.00")))
    import_settlement_file(db, finance, settlement_file(pay(bill.ref1, "250.00")), "a.txt")
    db.expire_all()
    total = db.scalar(select(func.count()).select_from(Receipt))
    assert total == 1
    assert db.get(Receipt, paper.id).payment_id is not None


def test_signature_and_tampering(db, clerk_actor, issue):
    receipt = receipts.take_counter_payment(db, clerk_actor, issue().ref1, method="cash",
                                            reference=None)
    signature = receipts.receipt_signature(receipt, KEY.signing_key)
    assert receipts.verify(db, receipt.id, signature, KEY) is receipt
    assert receipts.verify(db, receipt.id, signature[:-1] + ("A" if signature[-1] != "A"
                                                             else "B"), KEY) is None
    forged = receipts.ReceiptConfig(book_size=3, signing_key=b"x" * 32, public_url="")
    assert receipts.verify(db, receipt.id, receipts.receipt_signature(receipt, b"x" * 32),
                           KEY) is None
    assert forged.signing_key != KEY.signing_key
    assert receipts.verification_url(receipt, KEY).startswith(
        f"https://b.example/verify/{receipt.id}/")


def test_prints_count_copies(db, clerk_actor, issue):
    receipt = receipts.take_counter_payment(db, clerk_actor, issue().ref1, method="cash",
                                            reference=None)
    assert [receipts.record_print(db, clerk_actor, receipt) for _ in range(3)] == [0, 1, 2]
    assert receipt.print_count == 3


def test_masking():
    assert receipts.mask_name("สมชาย ใจดี") == "สม*** ใจ***"
