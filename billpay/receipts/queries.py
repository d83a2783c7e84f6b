"""Read-only queries behind the receipt pages: the control register (ทะเบียนคุมใบเสร็จ
รับเงิน) of one office and fiscal year, the approvers' queue of cancellation
requests, and the receipts of one bill. Scope is applied in the queries, as in
``billpay.receipts.services``: an office outside the actor's scope is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session, aliased, joinedload

from billpay.accounts.models import Role, User
from billpay.accounts.permissions import Actor, Permission, in_scope, scope_clause
from billpay.bills.models import Bill
from billpay.errors import NotFound
from billpay.offices.models import Office, OfficeKind
from billpay.receipts.models import (
    CancelKind,
    CancellationStatus,
    Receipt,
    ReceiptCancellation,
    ReceiptSeries,
    ReceiptStatus,
)
from billpay.receipts.services import DEFAULT_BOOK_SIZE, RegisterCheck, book_of, check_register


def office_in_scope(db: Session, actor: Actor, code: str | None) -> Office:
    """The office with ``code`` (default: the actor's own) if the actor may read its
    receipts; otherwise NotFound."""
    actor.require(Permission.RECEIPT_READ)
    code = (code or actor.office_code or "").strip()
    office = db.scalar(select(Office).where(Office.code == code)) if code else None
    if office is None or not in_scope(actor, office):
        raise NotFound("ไม่พบหน่วยงาน")
    return office


def offices_in_scope(db: Session, actor: Actor) -> list[Office]:
    """The offices whose receipts the actor may read (for the filters' pick list)."""
    actor.require(Permission.RECEIPT_READ)
    return list(db.scalars(select(Office).where(scope_clause(actor, Office.id),
                                                Office.kind != OfficeKind.CENTRAL)
                           .order_by(Office.code)))


def receipts_of_bill(db: Session, actor: Actor, bill_id: int) -> list[Receipt]:
    """Every receipt of one bill the actor may see, oldest first (a replacement follows
    the receipt it replaces)."""
    if not actor.can(Permission.RECEIPT_READ):
        return []
    return list(db.scalars(select(Receipt).where(
        Receipt.bill_id == bill_id, scope_clause(actor, Receipt.office_id))
        .order_by(Receipt.recorded_at, Receipt.id)))


def replacement_of(db: Session, receipt: Receipt) -> Receipt | None:
    return db.scalar(select(Receipt).where(Receipt.replaces_id == receipt.id))


def cancellations_of(db: Session, receipt: Receipt) -> list[ReceiptCancellation]:
    return list(db.scalars(select(ReceiptCancellation)
                           .where(ReceiptCancellation.receipt_id == receipt.id)
                           .order_by(ReceiptCancellation.requested_at)))


def user_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


# -- the control register ----------------------------------------------------------------

@dataclass(frozen=True)
class RegisterEntry:
    """One line of the register: a receipt, or a missing electronic number (a gap)."""

    series: str                       # "e" / "paper"
    book: str
    number: int
    running: int | None
    receipt_id: int | None            # None for a gap
    issued_at: datetime | None
    payer_name: str
    ref1: str
    amount: Decimal | None
    status: str                       # valid / cancelled / gap
    cancel_kind: str | None = None
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None
    requested_by: str | None = None
    approved_by: str | None = None
    replacement: str | None = None    # "เล่มที่ 1 เลขที่ 9" of the receipt that replaces it
    replaces: str | None = None       # … of the receipt it replaces
    duplicate: bool = False

    @property
    def flag(self) -> str:
        if self.status == "gap":
            return "gap"
        if self.duplicate:
            return "duplicate"
        return "cancelled" if self.status == ReceiptStatus.CANCELLED else ""

    @property
    def note(self) -> str:
        """What a reader of the register needs beside the status, in Thai."""
        parts: list[str] = []
        if self.status == "gap":
            return "ไม่พบใบเสร็จเลขนี้ในระบบ (เลขขาด) ต้องตรวจสอบ"
        if self.duplicate:
            parts.append("เลขซ้ำ ต้องตรวจสอบ")
        if self.status == ReceiptStatus.CANCELLED:
            if self.cancel_kind == CancelKind.BANK_REVERSAL:
                parts.append(f"ยกเลิก: {self.cancel_reason or 'ธนาคารยกเลิกรายการชำระ'}")
            else:
                parts.append(f"ยกเลิก: {self.cancel_reason or '-'}")
                if self.requested_by:
                    parts.append(f"ผู้ขอ {self.requested_by}")
                if self.approved_by:
                    parts.append(f"ผู้อนุมัติ {self.approved_by}")
            if self.replacement:
                parts.append(f"ออกใบแทน {self.replacement}")
        if self.replaces:
            parts.append(f"ออกแทน {self.replaces}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Register:
    office: Office
    fiscal_year: int
    check: RegisterCheck
    entries: list[RegisterEntry]
    valid_count: int
    valid_amount: Decimal
    cancelled_count: int
    paper_count: int

    @property
    def check_text(self) -> str:
        if self.check.ok:
            if self.check.issued == 0:
                return "ยังไม่มีใบเสร็จอิเล็กทรอนิกส์ในปีงบประมาณนี้"
            return (f"ครบถ้วน เลขที่ {self.check.first:,}–{self.check.last:,} ต่อเนื่อง "
                    "ไม่มีเลขขาดและไม่มีเลขซ้ำ")
        parts = []
        if self.check.gaps:
            parts.append("พบเลขขาด " + _numbers(self.check.gaps))
        if self.check.duplicates:
            parts.append("พบเลขซ้ำ " + _numbers(self.check.duplicates))
        return " · ".join(parts)


def _numbers(values: list[int], limit: int = 20) -> str:
    shown = ", ".join(f"{v:,}" for v in values[:limit])
    return shown + (f" และอีก {len(values) - limit:,} เลข" if len(values) > limit else "") + (
        f" (รวม {len(values):,} เลข)")


def _cite(book: str | None, number: int | None) -> str | None:
    return None if book is None else f"เล่มที่ {book} เลขที่ {number}"


def control_register(db: Session, actor: Actor, office: Office, fiscal_year: int, *,
                     book_size: int = DEFAULT_BOOK_SIZE) -> Register:
    """Every number of ``office`` in ``fiscal_year``: the electronic series in running
    order with its gaps and duplicates marked, then the paper books by book and number."""
    actor.require(Permission.RECEIPT_READ)
    if not in_scope(actor, office):
        raise NotFound("ไม่พบหน่วยงาน")
    requester = aliased(User)
    approver = aliased(User)
    replacement = aliased(Receipt)
    replaced = aliased(Receipt)
    series_order = case((Receipt.series == ReceiptSeries.ELECTRONIC, 0), else_=1)
    rows = db.execute(
        select(Receipt.id, Receipt.series, Receipt.book, Receipt.number, Receipt.running,
               Receipt.issued_at, Receipt.payer_name, Bill.ref1, Receipt.amount, Receipt.status,
               Receipt.cancel_kind, Receipt.cancel_reason, Receipt.cancelled_at,
               requester.full_name, approver.full_name, replacement.book, replacement.number,
               replaced.book, replaced.number)
        .outerjoin(Bill, Bill.id == Receipt.bill_id)
        .outerjoin(requester, requester.id == Receipt.cancel_requested_by_id)
        .outerjoin(approver, approver.id == Receipt.cancel_approved_by_id)
        .outerjoin(replacement, replacement.replaces_id == Receipt.id)
        .outerjoin(replaced, replaced.id == Receipt.replaces_id)
        .where(Receipt.office_id == office.id, Receipt.fiscal_year == fiscal_year,
               Receipt.trial.is_(False))
        .order_by(series_order, Receipt.running, Receipt.book, Receipt.number, Receipt.id)
    ).all()
    check = check_register(db, office.id, fiscal_year)
    duplicates = set(check.duplicates)
    gaps = sorted(check.gaps)
    entries: list[RegisterEntry] = []
    valid_count = cancelled_count = paper_count = 0
    valid_amount = Decimal("0.00")
    gap_index = 0
    for row in rows:
        (rid, series, book, number, running, issued_at, payer, ref1, amount, status,
         cancel_kind, reason, cancelled_at, req_name, appr_name, new_book, new_number,
         old_book, old_number) = row
        if series == ReceiptSeries.ELECTRONIC:
            while gap_index < len(gaps) and gaps[gap_index] < running:
                entries.append(_gap(gaps[gap_index], book_size))
                gap_index += 1
        else:
            paper_count += 1
        if status == ReceiptStatus.VALID:
            valid_count += 1
            valid_amount += amount
        else:
            cancelled_count += 1
        entries.append(RegisterEntry(
            series=series, book=book, number=number, running=running, receipt_id=rid,
            issued_at=issued_at, payer_name=payer, ref1=ref1 or "", amount=amount,
            status=status, cancel_kind=cancel_kind, cancel_reason=reason,
            cancelled_at=cancelled_at, requested_by=req_name, approved_by=appr_name,
            replacement=_cite(new_book, new_number), replaces=_cite(old_book, old_number),
            duplicate=series == ReceiptSeries.ELECTRONIC and running in duplicates))
    # gaps after the last electronic receipt (numbers given out but never written)
    tail = [_gap(n, book_size) for n in gaps[gap_index:]]
    first_paper = next((i for i, e in enumerate(entries) if e.series == ReceiptSeries.PAPER),
                       len(entries))
    entries[first_paper:first_paper] = tail
    return Register(office=office, fiscal_year=fiscal_year, check=check, entries=entries,
                    valid_count=valid_count, valid_amount=valid_amount,
                    cancelled_count=cancelled_count, paper_count=paper_count)


def _gap(running: int, book_size: int) -> RegisterEntry:
    return RegisterEntry(series=ReceiptSeries.ELECTRONIC.value, book=book_of(running, book_size),
                         number=running, running=running, receipt_id=None, issued_at=None,
                         payer_name="", ref1="", amount=None, status="gap")


def fiscal_years_of(db: Session, office: Office) -> list[int]:
    return list(db.scalars(select(Receipt.fiscal_year).where(Receipt.office_id == office.id)
                           .distinct().order_by(Receipt.fiscal_year.desc())))


# -- the approvers' queue ------------------------------------------------------------------

def _approvable(actor: Actor):
    """Offices whose cancellations the actor may decide, as in ``may_approve_for``."""
    if actor.role == Role.PROVINCIAL:
        return and_(Office.province_code == actor.province_code,
                    Office.kind == OfficeKind.DISTRICT)
    return Office.id == actor.office_id


def pending_cancellations(db: Session, actor: Actor) -> list[ReceiptCancellation]:
    """Requests waiting for this approver: an office head's own office, a provincial
    officer's districts; oldest first."""
    if not actor.can(Permission.CANCELLATION_APPROVE):
        return []
    return list(db.scalars(
        select(ReceiptCancellation)
        .join(Receipt, Receipt.id == ReceiptCancellation.receipt_id)
        .join(Office, Office.id == Receipt.office_id)
        .where(ReceiptCancellation.status == CancellationStatus.PENDING, _approvable(actor))
        .options(joinedload(ReceiptCancellation.receipt))
        .order_by(ReceiptCancellation.requested_at, ReceiptCancellation.id)))


def recent_requests(db: Session, actor: Actor, limit: int = 50) -> list[ReceiptCancellation]:
    """The cancellation requests of the actor's scope, newest first (for the queue page:
    what was decided lately, and what the clerk's own requests are waiting for)."""
    actor.require(Permission.RECEIPT_READ)
    return list(db.scalars(
        select(ReceiptCancellation)
        .join(Receipt, Receipt.id == ReceiptCancellation.receipt_id)
        .join(Office, Office.id == Receipt.office_id)
        .where(scope_clause(actor, Receipt.office_id))
        .options(joinedload(ReceiptCancellation.receipt))
        .order_by(ReceiptCancellation.requested_at.desc(), ReceiptCancellation.id.desc())
        .limit(limit)))
