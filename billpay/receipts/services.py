"""Issuing, printing, verifying and cancelling receipts.

Numbers come from ``billpay.numbering`` (a counter row per office, fiscal year and
series, advanced inside the transaction that records the payment): a rollback gives
the number back, so the register never has a gap or a duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from billpay.accounts.models import User
from billpay.accounts.permissions import (
    Actor,
    Permission,
    in_scope,
    may_approve_for,
    scope_clause,
)
from billpay.audit.services import record as audit
from billpay.bills.models import Bill, BillStatus
from billpay.db import insert_rows, page_of, utcnow
from billpay.errors import Conflict, Forbidden, Invalid, NotFound
from billpay.numbering import take_numbers
from billpay.ops.trial import RECEIPT_TRIAL_SERIES, TRIAL_BOOK_PREFIX
from billpay.payments.models import Payment, PaymentMethod
from billpay.receipts.models import (
    CancelKind,
    CancellationStatus,
    Receipt,
    ReceiptCancellation,
    ReceiptPrint,
    ReceiptSeries,
    ReceiptStatus,
)
from billpay.reports import stats
from billpay.thaidate import fiscal_year

COUNTER_SERIES = "receipt"  # the counters row that numbers electronic receipts
DEFAULT_BOOK_SIZE = 100
SMALL_INSERT = 20  # up to this many receipts are inserted with INSERT, more with COPY
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ReceiptConfig:
    book_size: int
    signing_key: bytes
    public_url: str

    @classmethod
    def from_config(cls, config: dict) -> ReceiptConfig:
        key = config.get("RECEIPT_SIGNING_KEY") or hmac.new(
            config["SECRET_KEY"].encode(), b"billpay receipt verification", "sha256").hexdigest()
        book_size = int(config.get("RECEIPT_BOOK_SIZE") or DEFAULT_BOOK_SIZE)
        if not 1 <= book_size <= 10_000:
            raise ValueError("BILLPAY_RECEIPT_BOOK_SIZE must be between 1 and 10000")
        return cls(book_size=book_size, signing_key=str(key).encode(),
                   public_url=(config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"))


def book_of(running: int, book_size: int) -> str:
    """Electronic receipts run 1, 2, 3 … in the fiscal year; book k holds numbers
    (k-1)·size+1 … k·size, as a paper book would."""
    return str((running - 1) // book_size + 1)


def trial_book_of(running: int, book_size: int) -> str:
    """A trial receipt's book: ทดลอง-1, ทดลอง-2 … (never a live book's name)."""
    return TRIAL_BOOK_PREFIX + book_of(running, book_size)


@dataclass(frozen=True)
class PaymentToReceipt:
    """What a new receipt needs to know of a payment (bulk issue from the import)."""

    payment_id: int
    bill_id: int
    office_id: int
    amount: Decimal
    paid_at: datetime
    trial: bool | None = None  # the bill's; None: read from the bill


def issue_receipts(db: Session, payments: Iterable[PaymentToReceipt], *,
                   book_size: int = DEFAULT_BOOK_SIZE, issuer: Actor | None,
                   now: datetime, payer_names: dict[int, str] | None = None) -> list[int]:
    """Issue one receipt per payment, numbered per office and fiscal year of the payment
    date (Bangkok). A paper receipt already entered for the same bill and amount (while
    the system was down) is linked to the payment instead of issuing a second one.
    A trial bill's receipt is trial: numbered from the office's trial series, never a
    live number (see ``Receipt``). Returns the new electronic receipt ids."""
    payments = list(payments)
    if not payments:
        return []
    papers = _paper_receipts_waiting(db, {p.bill_id for p in payments})
    wanted = {p.bill_id for p in payments} - set(payer_names or ())
    bills = dict(payer_names or {})
    trial_of: dict[int, bool] = {p.bill_id: p.trial for p in payments if p.trial is not None}
    unknown = wanted | ({p.bill_id for p in payments} - set(trial_of))
    if unknown:
        for bill_id, payer_name, trial in db.execute(
                select(Bill.id, Bill.payer_name, Bill.trial).where(Bill.id.in_(unknown))):
            bills.setdefault(bill_id, payer_name)
            trial_of.setdefault(bill_id, trial)
    issuer_name, issuer_position = _issuer(db, issuer)
    groups: dict[tuple[int, int, bool], list[PaymentToReceipt]] = defaultdict(list)
    for payment in payments:
        paper = papers.get(payment.bill_id)
        if paper is not None and paper[1] == payment.amount:
            db.execute(update(Receipt).where(Receipt.id == paper[0])
                       .values(payment_id=payment.payment_id))
            del papers[payment.bill_id]
            continue
        groups[(payment.office_id, fiscal_year(payment.paid_at),
                trial_of[payment.bill_id])].append(payment)
    rows = []
    # counters in one order (office, year, trial): two transactions issuing for the same
    # offices queue on the first counter instead of deadlocking on each other's
    for (office_id, year, trial), members in sorted(groups.items()):
        numbers = take_numbers(db, office_id=office_id, fiscal_year=year,
                               series=RECEIPT_TRIAL_SERIES if trial else COUNTER_SERIES,
                               count=len(members))
        for running, payment in zip(numbers, members, strict=True):
            rows.append(dict(
                office_id=office_id, fiscal_year=year, series=ReceiptSeries.ELECTRONIC.value,
                running=-running if trial else running,
                book=(trial_book_of if trial else book_of)(running, book_size), number=running,
                trial=trial,
                payment_id=payment.payment_id, bill_id=payment.bill_id, amount=payment.amount,
                payer_name=bills[payment.bill_id], issued_at=payment.paid_at, recorded_at=now,
                issued_by_id=issuer.user_id if issuer else None, issuer_name=issuer_name,
                issuer_position=issuer_position, status=ReceiptStatus.VALID.value,
                print_count=0))
    if len(rows) <= SMALL_INSERT:
        # one round trip; COPY (two round trips and a protocol switch) pays off for the
        # settlement import's thousands, not for a counter payment's one
        return list(db.execute(insert(Receipt).returning(Receipt.id,
                                                         sort_by_parameter_order=True),
                               rows).scalars()) if rows else []
    return insert_rows(db, Receipt, rows, return_ids=True)


def _issuer(db: Session, actor: Actor | None) -> tuple[str, str]:
    if actor is None or actor.user_id is None:
        return "ระบบรับชำระเงินอัตโนมัติ (ไฟล์ธนาคาร)", ""
    name, position = db.execute(select(User.full_name, User.position)
                                .where(User.id == actor.user_id)).one()
    return name, position or ""


def _paper_receipts_waiting(db: Session, bill_ids: set[int]) -> dict[int, tuple[int, Decimal]]:
    rows = db.execute(select(Receipt.bill_id, Receipt.id, Receipt.amount).where(
        Receipt.series == ReceiptSeries.PAPER, Receipt.payment_id.is_(None),
        Receipt.status == ReceiptStatus.VALID, Receipt.bill_id.in_(bill_ids)))
    return {bill_id: (rid, amount) for bill_id, rid, amount in rows}


def cancel_for_reversal(db: Session, payment_ids: Iterable[int], *, at: datetime,
                        bank_code: str = "") -> int:
    """The bank reversed these payments: their receipts are cancelled, recorded as such."""
    ids = list(payment_ids)
    if not ids:
        return 0
    result = db.execute(
        update(Receipt).where(Receipt.payment_id.in_(ids), Receipt.status == ReceiptStatus.VALID)
        .values(status=ReceiptStatus.CANCELLED.value, cancelled_at=at,
                cancel_kind=CancelKind.BANK_REVERSAL.value,
                cancel_reason=f"ธนาคาร {bank_code} ยกเลิกรายการชำระ".replace("  ", " "))
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


# -- reading -------------------------------------------------------------------------

def _scoped(actor: Actor):
    actor.require(Permission.RECEIPT_READ)
    return select(Receipt).where(scope_clause(actor, Receipt.office_id))


def get_receipt(db: Session, actor: Actor, receipt_id: int, *,
                for_update: bool = False) -> Receipt:
    query = _scoped(actor).where(Receipt.id == receipt_id)
    if for_update:
        query = query.with_for_update(of=Receipt)
    receipt = db.scalar(query)
    if receipt is None:
        raise NotFound("ไม่พบใบเสร็จรับเงิน")
    return receipt


@dataclass(frozen=True)
class ReceiptQuery:
    office_code: str | None = None
    fiscal_year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    page: int = 1
    per_page: int = 50
    sort: str = "number"  # a key of RECEIPT_SORTS, "-" first for descending


# the orders the receipt list offers; "number" is the register's order
RECEIPT_SORTS = {
    "number": (Receipt.office_id, Receipt.fiscal_year, Receipt.series, Receipt.running),
    "issued_at": (Receipt.issued_at,),
    "payer_name": (Receipt.payer_name,),
    "amount": (Receipt.amount,),
    "status": (Receipt.status,),
}


def search_receipts(db: Session, actor: Actor, q: ReceiptQuery) -> tuple[list[Receipt], int]:
    from datetime import timedelta

    from billpay.offices.models import Office
    from billpay.thaidate import day_start

    query = _scoped(actor)
    if q.office_code:
        query = query.where(Receipt.office_id.in_(select(Office.id).where(
            Office.code == q.office_code)))
    if q.fiscal_year:
        query = query.where(Receipt.fiscal_year == q.fiscal_year)
    if q.status:
        query = query.where(Receipt.status == q.status)
    if q.date_from:
        query = query.where(Receipt.issued_at >= day_start(q.date_from))
    if q.date_to:
        query = query.where(Receipt.issued_at < day_start(q.date_to + timedelta(days=1)))
    columns = RECEIPT_SORTS.get(q.sort.lstrip("-"), RECEIPT_SORTS["number"])
    descending = q.sort.startswith("-")
    order = [column.desc() if descending else column.asc() for column in columns]
    return page_of(db, query.order_by(*order, Receipt.id.desc() if descending else Receipt.id),
                   page=q.page, per_page=q.per_page, max_per_page=500)


# -- printing and verifying ----------------------------------------------------------

def record_print(db: Session, actor: Actor, receipt: Receipt, *, clock: Clock = utcnow) -> int:
    """Count a print; returns the copy number (0 = the original, 1 = first copy …)."""
    count = db.execute(
        update(Receipt).where(Receipt.id == receipt.id)
        .values(print_count=Receipt.print_count + 1).returning(Receipt.print_count)
        .execution_options(synchronize_session=False)).scalar_one()
    db.add(ReceiptPrint(receipt_id=receipt.id, copy_no=count - 1, printed_at=clock(),
                        printed_by_id=actor.user_id, printed_by_token_id=actor.token_id))
    db.flush()
    receipt.print_count = count
    return count - 1


def receipt_signature(receipt: Receipt, key: bytes) -> str:
    """A short HMAC-SHA256 over what the verification page shows, so a receipt whose
    QR was forged or altered does not verify."""
    message = "|".join((str(receipt.id), receipt.office.code, str(receipt.fiscal_year),
                        receipt.series, receipt.book, str(receipt.number), f"{receipt.amount:.2f}",
                        receipt.issued_at.date().isoformat()))
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:15]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verification_url(receipt: Receipt, config: ReceiptConfig) -> str:
    return f"{config.public_url}/verify/{receipt.id}/{receipt_signature(receipt, config.signing_key)}"


def verify(db: Session, receipt_id: int, signature: str, config: ReceiptConfig) -> Receipt | None:
    """The receipt if the signature is right, else None (no login: the public page)."""
    receipt = db.get(Receipt, receipt_id)
    if receipt is None:
        return None
    expected = receipt_signature(receipt, config.signing_key)
    return receipt if hmac.compare_digest(expected, signature or "") else None


def mask_name(name: str) -> str:
    """สมชาย ใจดี → สม*** ใ***: enough to recognise, not enough to harvest."""
    return " ".join(part[:2] + "***" if len(part) > 2 else part[:1] + "***"
                    for part in name.split())


# -- cancelling ----------------------------------------------------------------------

def request_cancellation(db: Session, actor: Actor, receipt_id: int, reason: str, *,
                         replace: bool = False, clock: Clock = utcnow) -> ReceiptCancellation:
    actor.require(Permission.RECEIPT_CANCEL_REQUEST)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("กรุณาระบุเหตุผลการยกเลิก", {"reason": ["กรุณาระบุเหตุผลการยกเลิก"]})
    receipt = get_receipt(db, actor, receipt_id, for_update=True)
    if receipt.office_id != actor.office_id:
        raise Forbidden("ขอยกเลิกได้เฉพาะใบเสร็จของหน่วยงานของท่าน")
    if receipt.status != ReceiptStatus.VALID:
        raise Conflict("ใบเสร็จนี้ถูกยกเลิกแล้ว")
    pending = db.scalar(select(ReceiptCancellation.id).where(
        ReceiptCancellation.receipt_id == receipt.id,
        ReceiptCancellation.status == CancellationStatus.PENDING))
    if pending is not None:
        raise Conflict("มีคำขอยกเลิกใบเสร็จนี้รออนุมัติอยู่แล้ว")
    request = ReceiptCancellation(receipt_id=receipt.id, reason=reason[:500], replace=replace,
                                  requested_by_id=actor.user_id, requested_at=clock())
    db.add(request)
    db.flush()
    audit(db, actor, "receipt.cancel_request", office_id=receipt.office_id,
          object_type="receipt", object_id=receipt.id,
          after={"reason": request.reason, "replace": replace}, at=request.requested_at)
    return request


def decide_cancellation(db: Session, actor: Actor, request_id: int, *, approve: bool,
                        note: str = "", book_size: int = DEFAULT_BOOK_SIZE,
                        clock: Clock = utcnow) -> ReceiptCancellation:
    """A second person approves or rejects. Approving cancels the receipt (its number stays
    in the register, marked ยกเลิก) and, if asked, issues a replacement with a new number
    that points to the one it replaces."""
    actor.require(Permission.CANCELLATION_APPROVE)
    request = db.scalar(select(ReceiptCancellation).where(ReceiptCancellation.id == request_id)
                        .with_for_update(of=ReceiptCancellation))
    if request is None:
        raise NotFound("ไม่พบคำขอยกเลิก")
    receipt = db.scalar(select(Receipt).where(Receipt.id == request.receipt_id)
                        .with_for_update(of=Receipt))
    if not in_scope(actor, receipt.office):
        raise NotFound("ไม่พบคำขอยกเลิก")
    if not may_approve_for(actor, receipt.office):
        raise Forbidden("ท่านไม่มีสิทธิ์อนุมัติการยกเลิกใบเสร็จของหน่วยงานนี้")
    if request.requested_by_id == actor.user_id:
        raise Forbidden("ผู้ขอยกเลิกอนุมัติคำขอของตนเองไม่ได้ ต้องเป็นผู้อนุมัติคนอื่น")
    if request.status != CancellationStatus.PENDING:
        raise Conflict("คำขอนี้ได้รับการพิจารณาแล้ว")
    if not approve and not (note or "").strip():
        raise Invalid("กรุณาระบุเหตุผลที่ไม่อนุมัติ", {"note": ["กรุณาระบุเหตุผล"]})
    now = clock()
    request.status = CancellationStatus.APPROVED if approve else CancellationStatus.REJECTED
    request.decided_by_id = actor.user_id
    request.decided_at = now
    request.decision_note = (note or "").strip()[:500] or None
    if approve:
        if receipt.status != ReceiptStatus.VALID:
            raise Conflict("ใบเสร็จนี้ถูกยกเลิกแล้ว")
        receipt.status = ReceiptStatus.CANCELLED
        receipt.cancelled_at = now
        receipt.cancel_kind = CancelKind.APPROVED
        receipt.cancel_reason = request.reason
        receipt.cancel_requested_by_id = request.requested_by_id
        receipt.cancel_approved_by_id = actor.user_id
        db.flush()
        if request.replace:
            request.replacement_id = _replacement(db, actor, receipt, book_size, now)
    db.flush()
    audit(db, actor, "receipt.cancel_approve" if approve else "receipt.cancel_reject",
          office_id=receipt.office_id, object_type="receipt", object_id=receipt.id,
          before={"status": ReceiptStatus.VALID},
          after={"status": receipt.status, "request": request.id,
                 "note": request.decision_note, "replacement": request.replacement_id},
          at=now)
    return request


def _replacement(db: Session, actor: Actor, old: Receipt, book_size: int,
                 now: datetime) -> int:
    if old.payment_id is None:
        raise Conflict("ใบเสร็จกระดาษที่ยังไม่ผูกกับการชำระ ออกใบแทนไม่ได้")
    payment = db.get(Payment, old.payment_id)
    (new_id,) = issue_receipts(db, [PaymentToReceipt(
        payment.id, payment.bill_id, payment.office_id, payment.amount, payment.paid_at)],
        book_size=book_size, issuer=actor, now=now)
    db.execute(update(Receipt).where(Receipt.id == new_id).values(replaces_id=old.id)
               .execution_options(synchronize_session=False))
    return new_id


# -- counter payments ------------------------------------------------------------------

def take_counter_payment(db: Session, actor: Actor, ref1: str, *, method: str,
                         reference: str | None, book_size: int = DEFAULT_BOOK_SIZE,
                         clock: Clock = utcnow) -> Receipt:
    """The payer pays at the office (cash, or a transfer shown on the spot): the bill
    becomes paid and its receipt is issued in the same transaction."""
    from billpay.bills.services import _transition, get_bill

    actor.require(Permission.PAYMENT_COUNTER)
    if method not in (PaymentMethod.CASH, PaymentMethod.TRANSFER):
        raise Invalid("วิธีชำระไม่ถูกต้อง", {"method": ["เลือกเงินสดหรือโอนเงิน"]})
    if method == PaymentMethod.TRANSFER and not (reference or "").strip():
        raise Invalid("กรุณาระบุเลขที่อ้างอิงการโอน", {"reference": ["กรุณาระบุเลขที่อ้างอิง"]})
    bill = get_bill(db, actor, ref1, for_update=True)
    if bill.office_id != actor.office_id:
        raise Forbidden("รับชำระได้เฉพาะใบแจ้งของหน่วยงานของท่าน")
    not_allowed = [item.fee_type.code for item in bill.items
                   if not item.fee_type.counter_payment]
    if not bill.office.counter_payment or not_allowed:
        raise Conflict("ใบแจ้งนี้ต้องชำระผ่านธนาคาร ("
                       + ("หน่วยงานไม่รับชำระที่เคาน์เตอร์" if not bill.office.counter_payment
                          else "ประเภทค่าธรรมเนียม " + ", ".join(not_allowed)) + ")")
    now = clock()
    if bill.status != BillStatus.ISSUED:
        raise Conflict(f"ใบแจ้ง {bill.ref1} อยู่ในสถานะ{bill.status_label} รับชำระไม่ได้")
    bill.paid_at = now  # before the transition: status and paid_at go in one UPDATE
    _transition(bill, BillStatus.PAID, actor, now, "รับชำระที่หน่วยงาน")
    payment = Payment(bill_id=bill.id, office_id=bill.office_id, method=method,
                      amount=bill.total, paid_at=now, channel="CTR",
                      bank_reference=(reference or "").strip()[:40] or None,
                      recorded_at=now, recorded_by_id=actor.user_id, trial=bill.trial)
    db.add(payment)
    db.flush()
    (receipt_id,) = issue_receipts(db, [PaymentToReceipt(payment.id, bill.id, bill.office_id,
                                                         payment.amount, now, bill.trial)],
                                   book_size=book_size, issuer=actor, now=now,
                                   payer_names={bill.id: bill.payer_name})
    receipt = db.get(Receipt, receipt_id)
    stats.record(db, [stats.Event(stats.Activity.PAID, now, stats.lines_of(bill),
                                  payment.amount)])
    # last: the audit log's lock serialises every writer until this transaction commits
    audit(db, actor, "payment.counter", office_id=bill.office_id, object_type="bill",
          object_id=bill.ref1, before={"status": BillStatus.ISSUED},
          after={"status": BillStatus.PAID, "method": method, "amount": payment.amount,
                 "receipt": receipt_id}, at=now)
    return receipt


# -- paper books (outages) -------------------------------------------------------------

@dataclass(frozen=True)
class PaperReceipt:
    book: str
    number: int
    issued_on: date
    payer_name: str
    amount: Decimal
    bill_ref1: str | None = None
    payment_reference: str | None = None
    method: str = PaymentMethod.CASH.value  # cash/transfer at the office, or "bank"


def enter_paper_receipt(db: Session, actor: Actor, data: PaperReceipt, *,
                        clock: Clock = utcnow) -> Receipt:
    """Back-enter a pre-numbered paper receipt issued while billpay was down.

    Cash or a transfer taken at the office: the bill (if named) becomes paid now, with
    this paper receipt as its receipt. ``method="bank"``: the payer paid at the bank;
    the receipt waits, and when the bank file shows that payment it is linked to this
    paper receipt instead of a second receipt being issued."""
    from datetime import time as dtime

    from billpay.bills.services import _transition, get_bill
    from billpay.thaidate import BANGKOK

    actor.require(Permission.RECEIPT_PAPER_ENTRY)
    errors: dict[str, list[str]] = {}
    book = (data.book or "").strip()
    if not book or len(book) > 20:
        errors["book"] = ["กรุณาระบุเล่มที่ (ไม่เกิน 20 ตัวอักษร)"]
    if data.number < 1:
        errors["number"] = ["เลขที่ต้องเป็นจำนวนเต็มบวก"]
    if data.amount <= 0:
        errors["amount"] = ["จำนวนเงินต้องมากกว่าศูนย์"]
    if not (data.payer_name or "").strip():
        errors["payer_name"] = ["กรุณาระบุชื่อผู้ชำระเงิน"]
    if data.issued_on > clock().astimezone(BANGKOK).date():
        errors["issued_on"] = ["วันที่ในใบเสร็จต้องไม่เป็นวันในอนาคต"]
    if data.method not in ("cash", "transfer", "bank"):
        errors["method"] = ["วิธีชำระไม่ถูกต้อง"]
    if errors:
        raise Invalid("ข้อมูลใบเสร็จกระดาษไม่ถูกต้อง", errors)
    year = fiscal_year(data.issued_on)
    duplicate = db.scalar(select(Receipt.id).where(
        Receipt.office_id == actor.office_id, Receipt.fiscal_year == year,
        Receipt.series == ReceiptSeries.PAPER, Receipt.book == book,
        Receipt.number == data.number))
    if duplicate is not None:
        raise Conflict(f"ใบเสร็จกระดาษเล่มที่ {book} เลขที่ {data.number} ปีงบประมาณ {year} "
                       "บันทึกไว้แล้ว")
    bill = get_bill(db, actor, data.bill_ref1, for_update=True) if data.bill_ref1 else None
    if bill is not None and bill.office_id != actor.office_id:
        raise Forbidden("บันทึกได้เฉพาะใบแจ้งของหน่วยงานของท่าน")
    if bill is not None and bill.total != data.amount:
        raise Invalid("จำนวนเงินไม่ตรงกับใบแจ้ง", {"amount": [f"ใบแจ้งยอด {bill.total:,.2f} บาท"]})
    now = clock()
    issued_at = datetime.combine(data.issued_on, dtime(12, 0), tzinfo=BANGKOK)
    payment_id = None
    if bill is not None and data.method != "bank":
        if bill.status != BillStatus.ISSUED:
            raise Conflict(f"ใบแจ้ง {bill.ref1} อยู่ในสถานะ{bill.status_label}")
        _transition(bill, BillStatus.PAID, actor, now,
                    f"รับชำระด้วยใบเสร็จกระดาษ เล่มที่ {book} เลขที่ {data.number}")
        bill.paid_at = issued_at
        payment = Payment(bill_id=bill.id, office_id=bill.office_id, method=data.method,
                          amount=data.amount, paid_at=issued_at, channel="PPR",
                          bank_reference=data.payment_reference, recorded_at=now,
                          recorded_by_id=actor.user_id, trial=bill.trial)
        db.add(payment)
        db.flush()
        payment_id = payment.id
        stats.record(db, [stats.Event(stats.Activity.PAID, issued_at, stats.lines_of(bill),
                                      payment.amount)])
    user = db.get(User, actor.user_id) if actor.user_id else None
    receipt = Receipt(office_id=actor.office_id, fiscal_year=year,
                      series=ReceiptSeries.PAPER, running=None, book=book, number=data.number,
                      payment_id=payment_id, bill_id=bill.id if bill else None,
                      amount=data.amount, payer_name=data.payer_name.strip()[:200],
                      issued_at=issued_at, recorded_at=now, issued_by_id=actor.user_id,
                      issuer_name=user.full_name if user else "",
                      issuer_position=user.position if user else "",
                      payment_reference=(data.payment_reference or "")[:60] or None,
                      trial=bill.trial if bill is not None else False)
    db.add(receipt)
    db.flush()
    audit(db, actor, "receipt.paper_entry", object_type="receipt", object_id=receipt.id,
          after={"book": book, "number": data.number, "amount": data.amount,
                 "bill": data.bill_ref1, "method": data.method}, at=now)
    return receipt


# -- the control register (ทะเบียนคุมใบเสร็จรับเงิน) ---------------------------------------

@dataclass(frozen=True)
class RegisterCheck:
    issued: int
    cancelled: int
    first: int | None
    last: int | None
    gaps: list[int]
    duplicates: list[int]

    @property
    def ok(self) -> bool:
        return not self.gaps and not self.duplicates


def check_register(db: Session, office_id: int, fiscal_year_: int) -> RegisterCheck:
    """Every electronic number from 1 to the counter's last must be there exactly once
    (live receipts: trial ones have their own series and are not in the register)."""
    from billpay.numbering import Counter

    numbers = db.execute(
        select(Receipt.running, func.count()).where(
            Receipt.office_id == office_id, Receipt.fiscal_year == fiscal_year_,
            Receipt.series == ReceiptSeries.ELECTRONIC, Receipt.trial.is_(False))
        .group_by(Receipt.running).order_by(Receipt.running)).all()
    last_given = db.scalar(select(Counter.last_value).where(
        Counter.office_id == office_id, Counter.fiscal_year == fiscal_year_,
        Counter.series == COUNTER_SERIES)) or 0
    seen = {running for running, _ in numbers}
    duplicates = [running for running, count in numbers if count > 1]
    top = max([last_given, *seen]) if seen or last_given else 0
    gaps = [n for n in range(1, top + 1) if n not in seen]
    cancelled = db.scalar(select(func.count()).select_from(Receipt).where(
        Receipt.office_id == office_id, Receipt.fiscal_year == fiscal_year_,
        Receipt.series == ReceiptSeries.ELECTRONIC, Receipt.status == ReceiptStatus.CANCELLED,
        Receipt.trial.is_(False)))
    return RegisterCheck(issued=len(seen), cancelled=cancelled or 0,
                         first=min(seen) if seen else None, last=max(seen) if seen else None,
                         gaps=gaps, duplicates=duplicates)
