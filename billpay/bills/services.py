"""Issuing, finding and cancelling bills.

Every function takes the session and the acting ``Actor``; it flushes and never
commits. State changes go through ``_transition`` and its table, and each one is
recorded as a ``BillEvent``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from billpay.accounts.permissions import Actor, Permission, scope_clause
from billpay.audit.services import record
from billpay.bills.models import (
    AmountKind,
    Bill,
    BillEvent,
    BillItem,
    BillStatus,
    FeeType,
    RevenueType,
)
from billpay.codes import (
    MODE_LIVE,
    MODE_TRIAL,
    barcode_data,
    is_valid_thai_id,
    make_ref1,
    make_ref2,
    normalise_ref,
    qr_payload,
    validate_biller_id,
)
from billpay.config import ConfigError
from billpay.db import page_of, utcnow
from billpay.errors import Conflict, Forbidden, Invalid, NotFound
from billpay.numbering import take_number
from billpay.offices.models import Office
from billpay.ops.trial import BILL_TRIAL_SERIES, in_trial_mode
from billpay.reports import stats
from billpay.thaidate import bangkok_date, day_start, fiscal_year

LIVE_MODE = MODE_LIVE
BILL_SERIES = "bill"

# from → allowed destinations. PAID → ISSUED is a bank reversal.
TRANSITIONS: dict[BillStatus, frozenset[BillStatus]] = {
    BillStatus.ISSUED: frozenset({BillStatus.PAID, BillStatus.CANCELLED, BillStatus.EXPIRED}),
    BillStatus.PAID: frozenset({BillStatus.ISSUED}),
    BillStatus.EXPIRED: frozenset({BillStatus.PAID}),
    BillStatus.CANCELLED: frozenset(),
}

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class BillingConfig:
    """The biller ID each revenue type settles to, the default time to pay, and whether
    the deployment is in its trial period (``BILLPAY_TRIAL``, see ``billpay.ops.trial``)."""

    biller_ids: dict[str, str]
    due_days: int = 30
    trial: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BillingConfig:
        default = config.get("BILLER_ID")
        ids = {
            RevenueType.STATE.value: config.get("BILLER_ID_STATE") or default,
            RevenueType.OFF_BUDGET.value: config.get("BILLER_ID_OFF_BUDGET") or default,
        }
        for revenue_type, biller_id in ids.items():
            if not biller_id:
                raise ConfigError(f"no biller ID for revenue type {revenue_type}: "
                                  "set BILLPAY_BILLER_ID")
            try:
                validate_biller_id(biller_id)
            except ValueError as exc:
                raise ConfigError(f"biller ID for {revenue_type} is invalid: {exc}") from None
        due_days = int(config.get("BILL_DUE_DAYS", 30))
        if not 1 <= due_days <= 365:
            raise ConfigError("BILLPAY_BILL_DUE_DAYS must be between 1 and 365")
        return cls(biller_ids=ids, due_days=due_days, trial=bool(config.get("TRIAL", False)))


@dataclass(frozen=True)
class NewBillItem:
    fee_type: str  # catalogue code
    quantity: int = 1
    amount: Decimal | None = None  # unit amount; required for variable fee types


@dataclass(frozen=True)
class NewBill:
    payer_name: str
    items: list[NewBillItem]
    payer_id: str | None = None
    payer_address: str | None = None
    payer_phone: str | None = None
    due_date: date | None = None
    office_code: str | None = None


@dataclass(frozen=True)
class BillQuery:
    text: str | None = None  # Ref1, payer name or payer ID
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    office_code: str | None = None
    page: int = 1
    per_page: int = 25
    sort: str = "-created_at"
    extra: dict[str, Any] = field(default_factory=dict)


def _issuing_office(db: Session, actor: Actor, office_code: str | None) -> Office:
    if office_code and office_code != actor.office_code:
        raise Invalid("ออกใบแจ้งได้เฉพาะหน่วยงานของท่าน",
                      {"office_code": [f"ท่านไม่มีสิทธิ์ออกใบแจ้งในนามหน่วยงานรหัส {office_code}"]})
    if actor.office_id is None:
        raise Invalid("ผู้ใช้นี้ไม่ได้สังกัดหน่วยงานที่ออกใบแจ้งได้",
                      {"office_code": ["ไม่มีหน่วยงานสังกัด"]})
    office = db.get(Office, actor.office_id)
    if office is None or not office.active:
        raise Invalid("หน่วยงานของท่านไม่เปิดใช้งาน", {"office_code": ["หน่วยงานไม่เปิดใช้งาน"]})
    return office


# built once (with an expanding IN): constructing it per bill cost more than running it
_FEE_TYPES_BY_CODE = select(FeeType).where(FeeType.code.in_(bindparam("codes", expanding=True)))


def _priced_items(db: Session, items: list[NewBillItem]) -> tuple[list[BillItem], list[FeeType]]:
    errors: dict[str, Any] = {}
    codes = sorted({item.fee_type for item in items})
    catalogue = {f.code: f for f in db.scalars(_FEE_TYPES_BY_CODE, {"codes": codes})}
    lines: list[BillItem] = []
    fee_types: list[FeeType] = []
    for index, item in enumerate(items):
        fee_type = catalogue.get(item.fee_type)
        problem: dict[str, list[str]] = {}
        if fee_type is None:
            problem["fee_type"] = [f"ไม่พบประเภทค่าธรรมเนียมรหัส {item.fee_type}"]
        elif not fee_type.active:
            problem["fee_type"] = [f"ประเภทค่าธรรมเนียม {item.fee_type} ปิดการใช้งานแล้ว"]
        else:
            unit = item.amount
            if fee_type.amount_kind == AmountKind.FIXED:
                if unit is not None and unit != fee_type.default_amount:
                    problem["amount"] = [
                        f"ค่าธรรมเนียมประเภทนี้กำหนดไว้ {fee_type.default_amount:,.2f} บาท"]
                unit = fee_type.default_amount
            elif unit is None:
                problem["amount"] = ["กรุณาระบุจำนวนเงิน"]
            elif unit <= 0:
                problem["amount"] = ["จำนวนเงินต้องมากกว่าศูนย์"]
            if not problem:
                lines.append(BillItem(line_no=index + 1, fee_type=fee_type,
                                      description=fee_type.name_th, quantity=item.quantity,
                                      unit_amount=unit, amount=unit * item.quantity))
                fee_types.append(fee_type)
        if problem:
            errors[str(index)] = problem
    if errors:
        raise Invalid("รายการค่าธรรมเนียมไม่ถูกต้อง", {"items": errors})
    return lines, fee_types


def issue_bill(
    db: Session,
    actor: Actor,
    data: NewBill,
    config: BillingConfig,
    *,
    clock: Clock = utcnow,
) -> Bill:
    """Issue a bill at the actor's office: price the items from the catalogue, give it
    a Ref1 (office, fiscal year, running number, check digit) and a Ref2 (due date).

    An office in trial mode today (``billpay.ops.trial.in_trial_mode``) issues a trial
    bill: Ref1 mode digit 9 and a running number from the office's trial series (stored
    negated in ``running``, see ``Bill``); after its go-live date, only live bills."""
    actor.require(Permission.BILL_ISSUE)
    office = _issuing_office(db, actor, data.office_code)
    if not data.items:
        raise Invalid("ใบแจ้งต้องมีอย่างน้อยหนึ่งรายการ", {"items": ["ต้องมีอย่างน้อยหนึ่งรายการ"]})
    if data.payer_id is not None and not is_valid_thai_id(data.payer_id):
        raise Invalid("เลขประจำตัวผู้ชำระเงินไม่ถูกต้อง",
                      {"payer_id": ["เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)"]})
    lines, fee_types = _priced_items(db, data.items)
    biller_ids = {config.biller_ids[f.revenue_type] for f in fee_types}
    if len(biller_ids) > 1:
        raise Invalid(
            "รายการรายได้แผ่นดินและเงินนอกงบประมาณเข้าบัญชีต่างกัน กรุณาออกแยกเป็นคนละใบ",
            {"items": ["ประเภทรายได้ของรายการต้องเข้าบัญชีเดียวกัน"]},
        )
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if total <= 0:
        raise Invalid("ยอดรวมต้องมากกว่าศูนย์", {"items": ["ยอดรวมต้องมากกว่าศูนย์"]})
    now = clock()
    today = bangkok_date(now)
    due = data.due_date or today + timedelta(days=config.due_days)
    if due < today:
        raise Invalid("วันครบกำหนดต้องไม่ก่อนวันนี้", {"due_date": ["วันครบกำหนดต้องไม่ก่อนวันนี้"]})
    if due > today + timedelta(days=365):
        raise Invalid("วันครบกำหนดต้องไม่เกิน 1 ปี", {"due_date": ["วันครบกำหนดต้องไม่เกิน 1 ปี"]})
    year = fiscal_year(today)
    trial = in_trial_mode(office, deployment_trial=config.trial, today=today)
    running = take_number(db, office_id=office.id, fiscal_year=year,
                          series=BILL_TRIAL_SERIES if trial else BILL_SERIES)
    bill = Bill(
        office=office,
        ref1=make_ref1(MODE_TRIAL if trial else MODE_LIVE, office.ref_code, year, running),
        trial=trial,
        ref2=make_ref2(due),
        biller_id=biller_ids.pop(),
        revenue_type=fee_types[0].revenue_type,
        fiscal_year=year,
        running=-running if trial else running,
        payer_name=data.payer_name,
        payer_id=data.payer_id,
        payer_address=data.payer_address,
        payer_phone=data.payer_phone,
        total=total,
        due_date=due,
        status=BillStatus.ISSUED,
        created_at=now,
        created_by_id=actor.user_id,
        items=lines,
    )
    db.add(bill)
    _record(bill, None, BillStatus.ISSUED, actor, now, None)
    db.flush()
    stats.record(db, [stats.Event(stats.Activity.ISSUED, now, stats.lines_of(bill))])
    after = {"ref1": bill.ref1, "total": bill.total, "payer_name": bill.payer_name,
             "due_date": bill.due_date}
    if trial:
        after["trial"] = True
    record(db, actor, "bill.issue", office_id=office.id, object_type="bill", object_id=bill.ref1,
           after=after, at=now)
    return bill


def _record(bill: Bill, from_status, to_status, actor: Actor | None, at: datetime,
            reason: str | None) -> None:
    bill.events.append(BillEvent(
        from_status=from_status, to_status=to_status, at=at, reason=reason,
        user_id=actor.user_id if actor else None, token_id=actor.token_id if actor else None))


def _transition(bill: Bill, to: BillStatus, actor: Actor | None, at: datetime,
                reason: str | None = None) -> None:
    current = BillStatus(bill.status)
    if to not in TRANSITIONS[current]:
        raise Conflict(f"ใบแจ้ง {bill.ref1} อยู่ในสถานะ{bill.status_label} "
                       f"จึงเปลี่ยนเป็นสถานะนี้ไม่ได้")
    bill.status = to
    _record(bill, current, to, actor, at, reason)


def _scoped(actor: Actor) -> Select:
    actor.require(Permission.BILL_READ)
    return select(Bill).where(scope_clause(actor, Bill.office_id))


def get_bill(db: Session, actor: Actor, ref1: str, *, for_update: bool = False) -> Bill:
    """The bill with this Ref1 if the actor may see it; otherwise NotFound (never
    Forbidden, so that another office's Ref1s cannot be probed)."""
    try:
        ref1 = normalise_ref(ref1)
    except ValueError:
        raise NotFound("ไม่พบใบแจ้งการชำระเงิน") from None
    query = _scoped(actor).where(Bill.ref1 == ref1).options(selectinload(Bill.items))
    if for_update:
        query = query.with_for_update(of=Bill)
    bill = db.scalar(query)
    if bill is None:
        raise NotFound("ไม่พบใบแจ้งการชำระเงิน")
    return bill


def cancel_bill(db: Session, actor: Actor, ref1: str, reason: str, *,
                clock: Clock = utcnow) -> Bill:
    """Cancel an unpaid bill; a reason is required and kept with who and when."""
    actor.require(Permission.BILL_CANCEL)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("กรุณาระบุเหตุผลการยกเลิก", {"reason": ["กรุณาระบุเหตุผลการยกเลิก"]})
    if len(reason) > 500:
        raise Invalid("เหตุผลยาวเกิน 500 ตัวอักษร", {"reason": ["ไม่เกิน 500 ตัวอักษร"]})
    bill = get_bill(db, actor, ref1, for_update=True)
    if bill.office_id != actor.office_id:
        raise Forbidden("ยกเลิกได้เฉพาะใบแจ้งของหน่วยงานของท่าน")
    now = clock()
    bill.cancelled_at = now
    bill.cancelled_by_id = actor.user_id
    bill.cancel_reason = reason
    _transition(bill, BillStatus.CANCELLED, actor, now, reason)
    db.flush()
    stats.record(db, [stats.Event(stats.Activity.CANCELLED, now, stats.lines_of(bill))])
    record(db, actor, "bill.cancel", office_id=bill.office_id, object_type="bill",
           object_id=bill.ref1, before={"status": BillStatus.ISSUED},
           after={"status": BillStatus.CANCELLED, "reason": reason}, at=now)
    return bill


def expire_overdue(db: Session, *, today: date, actor: Actor | None = None) -> int:
    """Mark issued bills whose due date has passed as expired (a daily job)."""
    bills = db.scalars(
        select(Bill).where(Bill.status == BillStatus.ISSUED, Bill.due_date < today)
        .with_for_update(of=Bill)
    ).all()
    now = utcnow()
    for bill in bills:
        _transition(bill, BillStatus.EXPIRED, actor, now, "เกินกำหนดชำระ")
    db.flush()
    lines = stats.lines_for(db, [bill.id for bill in bills])
    stats.record(db, [stats.Event(stats.Activity.EXPIRED, now, lines[bill.id])
                      for bill in bills if bill.id in lines])
    return len(bills)


_SORTS = {
    "created_at": Bill.created_at, "ref1": Bill.ref1, "payer_name": Bill.payer_name,
    "total": Bill.total, "due_date": Bill.due_date, "status": Bill.status,
}


def search_bills(db: Session, actor: Actor, q: BillQuery) -> tuple[list[Bill], int]:
    """A page of the bills the actor may see, and how many match in all."""
    query = _scoped(actor)
    if q.text:
        text = q.text.strip()
        digits = text.replace(" ", "")
        conditions = [Bill.payer_name.ilike(f"%{text}%")]
        if digits.isdigit():
            conditions += [Bill.ref1 == digits, Bill.payer_id == digits,
                           Bill.ref1.like(f"%{digits}%")]
        query = query.where(or_(*conditions))
    if q.status:
        query = query.where(Bill.status == q.status)
    if q.office_code:
        query = query.where(Bill.office.has(Office.code == q.office_code))
    if q.date_from:
        query = query.where(Bill.created_at >= day_start(q.date_from))
    if q.date_to:
        query = query.where(Bill.created_at < day_start(q.date_to + timedelta(days=1)))
    key = q.sort.lstrip("-")
    column = _SORTS.get(key, Bill.created_at)
    order = column.desc() if q.sort.startswith("-") else column.asc()
    return page_of(db, query.order_by(order, Bill.id.desc()), page=q.page, per_page=q.per_page)


@dataclass(frozen=True)
class KnownPayer:
    """A returning payer's details, from the newest bill with their 13-digit ID."""

    payer_id: str
    name: str
    address: str | None
    phone: str | None
    last_ref1: str
    last_issued_at: datetime


def find_payer(db: Session, actor: Actor, payer_id: str) -> KnownPayer | None:
    """The name, address and phone on the newest bill with this payer ID that the actor
    may see (a clerk: their own office's bills), so the counter can fill them in for a
    returning payer; None if there is none. The ID is checked first (13 digits, the
    checksum); dashes and spaces are ignored."""
    actor.require(Permission.BILL_ISSUE)
    payer_id = (payer_id or "").replace("-", "").replace(" ", "").strip()
    if not is_valid_thai_id(payer_id):
        raise Invalid("เลขประจำตัวประชาชนไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและผลรวมตรวจสอบถูกต้อง)",
                      {"payer_id": ["เลขประจำตัวประชาชนไม่ถูกต้อง"]})
    bill = db.scalar(_scoped(actor).where(Bill.payer_id == payer_id)
                     .order_by(Bill.created_at.desc(), Bill.id.desc()).limit(1))
    if bill is None:
        return None
    return KnownPayer(payer_id=payer_id, name=bill.payer_name, address=bill.payer_address,
                      phone=bill.payer_phone, last_ref1=bill.ref1,
                      last_issued_at=bill.created_at)


@dataclass(frozen=True)
class BillCodes:
    barcode_data: str
    qr_payload: str


def bill_codes(bill: Bill) -> BillCodes:
    """The barcode text and Thai QR payload printed on the bill (derived, not stored)."""
    return BillCodes(
        barcode_data=barcode_data(bill.biller_id, bill.ref1, bill.ref2, bill.total),
        qr_payload=qr_payload(bill.biller_id, bill.ref1, bill.ref2, bill.total, dynamic=True),
    )
