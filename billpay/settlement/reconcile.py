"""Reconciliation (กระทบยอด) of settlement files: what the bank's trailers state against
what billpay stored and matched, per batch, per file and per Bangkok day of payment.

Every figure comes from the database (COUNT / SUM … GROUP BY); nothing here loops over
a file's lines in Python, so a file of half a million lines costs a few grouped
queries. Amounts are ``Decimal`` and compared to the satang.

A line the import skipped as already known (a duplicate) is not stored, so per batch
the duplicates are what the trailer states less what was stored; the file records how
many it skipped, and the two must agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from billpay.accounts.models import User
from billpay.accounts.permissions import Actor, Permission
from billpay.bills.models import Bill
from billpay.db import page_of, utcnow
from billpay.errors import NotFound
from billpay.offices.models import Office
from billpay.settlement.models import (
    BankLine,
    LineOutcome,
    SettlementBatch,
    SettlementException,
    SettlementFile,
)
from billpay.settlement.records import KIND_PAYMENT, KIND_REVERSAL
from billpay.settlement.services import ExceptionQuery, get_exception, search_exceptions
from billpay.thaidate import bangkok_date, day_start

ZERO = Decimal("0.00")

#: Thai names of the banks (Bank of Thailand bank codes) that send settlement files.
BANK_NAMES_TH = {
    "002": "ธนาคารกรุงเทพ",
    "004": "ธนาคารกสิกรไทย",
    "006": "ธนาคารกรุงไทย",
    "011": "ธนาคารทหารไทยธนชาต",
    "014": "ธนาคารไทยพาณิชย์",
    "022": "ธนาคารซีไอเอ็มบี ไทย",
    "024": "ธนาคารยูโอบี",
    "025": "ธนาคารกรุงศรีอยุธยา",
    "030": "ธนาคารออมสิน",
    "033": "ธนาคารอาคารสงเคราะห์",
    "034": "ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตร",
    "066": "ธนาคารอิสลามแห่งประเทศไทย",
    "067": "ธนาคารทิสโก้",
    "069": "ธนาคารเกียรตินาคินภัทร",
    "073": "ธนาคารแลนด์ แอนด์ เฮ้าส์",
}


def bank_name(code: str | None) -> str:
    if not code:
        return ""
    return BANK_NAMES_TH.get(code, f"ธนาคารรหัส {code}")


@dataclass(frozen=True)
class Figures:
    """A number of lines and their amount."""

    count: int = 0
    amount: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.count + other.count, self.amount + other.amount)

    def __sub__(self, other: Figures) -> Figures:
        return Figures(self.count - other.count, self.amount - other.amount)

    @property
    def is_zero(self) -> bool:
        return self.count == 0 and self.amount == ZERO

    @property
    def negative(self) -> bool:
        return self.count < 0 or self.amount < ZERO


def _total(items: Iterable[Figures]) -> Figures:
    result = Figures()
    for item in items:
        result = result + item
    return result


def _figures(count, amount) -> Figures:
    return Figures(int(count or 0), amount if amount is not None else ZERO)


@dataclass(frozen=True)
class Check:
    """One tie-out: ``expected`` should equal ``found``."""

    label: str
    expected: Figures
    found: Figures

    @property
    def ok(self) -> bool:
        return self.expected == self.found

    @property
    def difference(self) -> Figures:
        return self.found - self.expected


# -- one file ---------------------------------------------------------------------------

@dataclass
class BatchReconciliation:
    """One H…T batch: the trailer against the lines stored and their outcomes."""

    batch: SettlementBatch
    stored: dict[tuple[str, str], Figures] = field(default_factory=dict)  # (kind, outcome)
    open_exceptions: Figures = Figures()

    def _stored(self, kind: str, outcome: str | None = None) -> Figures:
        return _total(f for (k, o), f in self.stored.items()
                      if k == kind and (outcome is None or o == outcome))

    @property
    def trailer_credit(self) -> Figures:
        return Figures(self.batch.credit_count, self.batch.credit_amount)

    @property
    def trailer_debit(self) -> Figures:
        return Figures(self.batch.debit_count, self.batch.debit_amount)

    @property
    def commission(self) -> Figures | None:
        if self.batch.commission_count is None and self.batch.commission_amount is None:
            return None
        return _figures(self.batch.commission_count, self.batch.commission_amount)

    @property
    def stored_credit(self) -> Figures:
        return self._stored(KIND_PAYMENT)

    @property
    def stored_debit(self) -> Figures:
        return self._stored(KIND_REVERSAL)

    @property
    def skipped_credit(self) -> Figures:
        """Payments in the trailer that were not stored: duplicates of known lines."""
        return self.trailer_credit - self.stored_credit

    @property
    def skipped_debit(self) -> Figures:
        return self.trailer_debit - self.stored_debit

    @property
    def matched(self) -> Figures:
        return self._stored(KIND_PAYMENT, LineOutcome.MATCHED)

    @property
    def exceptions_credit(self) -> Figures:
        return self._stored(KIND_PAYMENT, LineOutcome.EXCEPTION)

    @property
    def exceptions_debit(self) -> Figures:
        return self._stored(KIND_REVERSAL, LineOutcome.EXCEPTION)

    @property
    def reversals(self) -> Figures:
        return self._stored(KIND_REVERSAL, LineOutcome.REVERSAL)

    @property
    def outcomes_credit(self) -> Figures:
        return self.matched + self.exceptions_credit

    @property
    def outcomes_debit(self) -> Figures:
        return self.reversals + self.exceptions_debit

    @property
    def net_amount(self) -> Decimal:
        """What the bank transfers for the batch: payments less reversals (less its
        commission where it states one)."""
        commission = self.commission.amount if self.commission else ZERO
        return self.batch.credit_amount - self.batch.debit_amount - commission

    @property
    def checks(self) -> list[Check]:
        """Stored lines = their outcomes. (Trailer = stored + duplicates holds per batch by
        construction; it is checked per file against the duplicates the import counted.)"""
        return [
            Check("ชำระที่บันทึก = ตรงกับใบแจ้ง + รอตรวจสอบ", self.stored_credit,
                  self.outcomes_credit),
            Check("ยกเลิกที่บันทึก = ยกเลิกรายการเดิม + รอตรวจสอบ", self.stored_debit,
                  self.outcomes_debit),
        ]

    @property
    def over_trailer(self) -> bool:
        """More stored than the trailer states: lines that cannot be the bank's."""
        return self.skipped_credit.negative or self.skipped_debit.negative

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and not self.over_trailer


@dataclass
class FileReconciliation:
    """A whole file: its batches, its own counters from the import, and the checks."""

    file: SettlementFile
    imported_by: str | None
    batches: list[BatchReconciliation]
    first_paid_at: datetime | None = None
    last_paid_at: datetime | None = None

    @property
    def trailer(self) -> Figures:
        return _total(b.trailer_credit + b.trailer_debit for b in self.batches)

    @property
    def stored(self) -> Figures:
        return _total(b.stored_credit + b.stored_debit for b in self.batches)

    @property
    def recorded_duplicates(self) -> Figures:
        return Figures(self.file.duplicate_count, self.file.duplicate_amount)

    @property
    def matched(self) -> Figures:
        return _total(b.matched for b in self.batches)

    @property
    def exceptions(self) -> Figures:
        return _total(b.exceptions_credit + b.exceptions_debit for b in self.batches)

    @property
    def reversals(self) -> Figures:
        return _total(b.reversals for b in self.batches)

    @property
    def open_exceptions(self) -> Figures:
        return _total(b.open_exceptions for b in self.batches)

    @property
    def net_amount(self) -> Decimal:
        return sum((b.net_amount for b in self.batches), ZERO)

    @property
    def checks(self) -> list[Check]:
        f = self.file
        return [
            Check("ยอดตามท้ายไฟล์ = รายการที่บันทึก + รายการซ้ำที่ข้าม", self.trailer,
                  self.stored + self.recorded_duplicates),
            Check("รายการที่บันทึก = ตรงกับใบแจ้ง + รอตรวจสอบ + ยกเลิกรายการเดิม", self.stored,
                  self.matched + self.exceptions + self.reversals),
            Check("ตรงกับใบแจ้ง: สรุปตอนนำเข้า = รายการที่บันทึก",
                  Figures(f.matched_count, f.matched_amount), self.matched),
            Check("รอตรวจสอบ: สรุปตอนนำเข้า = รายการที่บันทึก",
                  Figures(f.exception_count, f.exception_amount), self.exceptions),
            Check("ยกเลิกโดยธนาคาร: สรุปตอนนำเข้า = รายการที่บันทึก",
                  Figures(f.reversal_count, f.reversal_amount), self.reversals),
        ]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and all(b.ok for b in self.batches)

    @property
    def payment_days(self) -> list[date]:
        """The Bangkok days its lines were paid on (at most 31, for links)."""
        if self.first_paid_at is None or self.last_paid_at is None:
            return []
        first, last = bangkok_date(self.first_paid_at), bangkok_date(self.last_paid_at)
        days = []
        while first <= last and len(days) < 31:
            days.append(first)
            first += timedelta(days=1)
        return days


def _user_name(db: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return db.scalar(select(User.full_name).where(User.id == user_id))


def file_reconciliation(db: Session, actor: Actor, file_id: int) -> FileReconciliation:
    actor.require(Permission.SETTLEMENT_READ)
    record = db.get(SettlementFile, file_id)
    if record is None:
        raise NotFound("ไม่พบไฟล์ที่นำเข้า")
    batches = {b.id: BatchReconciliation(b) for b in db.scalars(
        select(SettlementBatch).where(SettlementBatch.file_id == file_id)
        .order_by(SettlementBatch.header_line))}
    for batch_id, kind, outcome, count, amount in db.execute(
            select(BankLine.batch_id, BankLine.kind, BankLine.outcome, func.count(),
                   func.sum(BankLine.amount))
            .where(BankLine.file_id == file_id)
            .group_by(BankLine.batch_id, BankLine.kind, BankLine.outcome)):
        batches[batch_id].stored[(kind, outcome)] = _figures(count, amount)
    for batch_id, count, amount in db.execute(
            select(BankLine.batch_id, func.count(), func.sum(SettlementException.amount))
            .join(SettlementException, SettlementException.bank_line_id == BankLine.id)
            .where(BankLine.file_id == file_id, SettlementException.status == "open")
            .group_by(BankLine.batch_id)):
        batches[batch_id].open_exceptions = _figures(count, amount)
    first, last = db.execute(select(func.min(BankLine.paid_at), func.max(BankLine.paid_at))
                             .where(BankLine.file_id == file_id)).one()
    return FileReconciliation(file=record, imported_by=_user_name(db, record.imported_by_id),
                              batches=list(batches.values()), first_paid_at=first,
                              last_paid_at=last)


@dataclass(frozen=True)
class LineRow:
    line: BankLine
    bill_ref1: str | None
    bill_status: str | None
    exception_id: int | None
    exception_reason: str | None
    exception_status: str | None


def file_lines(db: Session, actor: Actor, file_id: int, *, outcome: str | None = None,
               page: int = 1, per_page: int = 50) -> tuple[list[LineRow], int]:
    """A page of the file's lines in file order, with their bill and exception."""
    actor.require(Permission.SETTLEMENT_READ)
    where = [BankLine.file_id == file_id]
    if outcome:
        where.append(BankLine.outcome == outcome)
    total = db.scalar(select(func.count()).select_from(BankLine).where(*where)) or 0
    per_page = min(max(per_page, 1), 200)
    rows = db.execute(
        select(BankLine, Bill.ref1, Bill.status, SettlementException.id,
               SettlementException.reason, SettlementException.status)
        .outerjoin(Bill, Bill.id == BankLine.bill_id)
        .outerjoin(SettlementException, SettlementException.bank_line_id == BankLine.id)
        .where(*where).order_by(BankLine.line_no)
        .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return [LineRow(*row) for row in rows], total


def file_id_by_sha256(db: Session, sha256: str) -> int | None:
    return db.scalar(select(SettlementFile.id).where(SettlementFile.sha256 == sha256))


# -- the files list ---------------------------------------------------------------------

FILE_SORTS = {
    "imported_at": SettlementFile.imported_at,
    "effective_date": SettlementFile.effective_date,
    "filename": SettlementFile.filename,
    "bank_code": SettlementFile.bank_code,
    "detail_count": SettlementFile.detail_count,
    "exception_count": SettlementFile.exception_count,
}


@dataclass(frozen=True)
class FileQuery:
    bank_code: str | None = None
    date_from: date | None = None  # the files' effective date (the bank's business day)
    date_to: date | None = None
    sort: str = "-imported_at"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class FileRow:
    file: SettlementFile
    imported_by: str | None
    ties: bool


def list_files(db: Session, actor: Actor, q: FileQuery) -> tuple[list[FileRow], int]:
    """A page of imported files, each with whether it ties out (trailers = stored lines +
    skipped duplicates, and the import's counters = the stored lines)."""
    actor.require(Permission.SETTLEMENT_READ)
    query: Select = select(SettlementFile, User.full_name).outerjoin(
        User, User.id == SettlementFile.imported_by_id)
    if q.bank_code:
        query = query.where(SettlementFile.bank_code == q.bank_code)
    if q.date_from:
        query = query.where(SettlementFile.effective_date >= q.date_from)
    if q.date_to:
        query = query.where(SettlementFile.effective_date <= q.date_to)
    key = q.sort.lstrip("-")
    column = FILE_SORTS.get(key, SettlementFile.imported_at)
    order = column.desc() if q.sort.startswith("-") or key not in FILE_SORTS else column.asc()
    rows, total = page_of(db, query.order_by(order, SettlementFile.id.desc()), page=q.page,
                          per_page=q.per_page, scalars=False)
    ids = [row[0].id for row in rows]
    trailer: dict[int, Figures] = {}
    for file_id, credit_n, credit_amt, debit_n, debit_amt in db.execute(
            select(SettlementBatch.file_id, func.sum(SettlementBatch.credit_count),
                   func.sum(SettlementBatch.credit_amount), func.sum(SettlementBatch.debit_count),
                   func.sum(SettlementBatch.debit_amount))
            .where(SettlementBatch.file_id.in_(ids)).group_by(SettlementBatch.file_id)):
        trailer[file_id] = _figures(credit_n, credit_amt) + _figures(debit_n, debit_amt)
    stored: dict[int, dict[str, Figures]] = {}
    for file_id, outcome, count, amount in db.execute(
            select(BankLine.file_id, BankLine.outcome, func.count(), func.sum(BankLine.amount))
            .where(BankLine.file_id.in_(ids)).group_by(BankLine.file_id, BankLine.outcome)):
        stored.setdefault(file_id, {})[outcome] = _figures(count, amount)
    result = []
    for record, name in rows:
        outcomes = stored.get(record.id, {})
        ties = (
            trailer.get(record.id, Figures())
            == _total(outcomes.values()) + Figures(record.duplicate_count, record.duplicate_amount)
            and outcomes.get(LineOutcome.MATCHED, Figures())
            == Figures(record.matched_count, record.matched_amount)
            and outcomes.get(LineOutcome.EXCEPTION, Figures())
            == Figures(record.exception_count, record.exception_amount)
            and outcomes.get(LineOutcome.REVERSAL, Figures())
            == Figures(record.reversal_count, record.reversal_amount))
        result.append(FileRow(record, name, ties))
    return result, total


# -- one day of payments ----------------------------------------------------------------

@dataclass
class DayBank:
    """One bank's lines paid on the day, over all files."""

    bank_code: str
    stored: dict[tuple[str, str], Figures] = field(default_factory=dict)
    open_exceptions: Figures = Figures()
    files: int = 0

    def _stored(self, kind: str | None = None, outcome: str | None = None) -> Figures:
        return _total(f for (k, o), f in self.stored.items()
                      if (kind is None or k == kind) and (outcome is None or o == outcome))

    @property
    def lines(self) -> Figures:
        return self._stored()

    @property
    def payments(self) -> Figures:
        return self._stored(KIND_PAYMENT)

    @property
    def matched(self) -> Figures:
        return self._stored(KIND_PAYMENT, LineOutcome.MATCHED)

    @property
    def exceptions(self) -> Figures:
        return self._stored(outcome=LineOutcome.EXCEPTION)

    @property
    def reversals(self) -> Figures:
        return self._stored(KIND_REVERSAL, LineOutcome.REVERSAL)

    @property
    def net_amount(self) -> Decimal:
        return self.payments.amount - self._stored(KIND_REVERSAL).amount


@dataclass
class DaySummary:
    day: date
    banks: list[DayBank]
    files: list[tuple[SettlementFile, int]]  # each file with lines paid that day

    @property
    def total(self) -> DayBank:
        combined = DayBank("")
        for bank in self.banks:
            for key, figures in bank.stored.items():
                combined.stored[key] = combined.stored.get(key, Figures()) + figures
            combined.open_exceptions = combined.open_exceptions + bank.open_exceptions
        combined.files = len(self.files)
        return combined


def day_summary(db: Session, actor: Actor, day: date) -> DaySummary:
    """Lines paid on ``day`` (Bangkok), over every file, by bank."""
    actor.require(Permission.SETTLEMENT_READ)
    in_day = (BankLine.paid_at >= day_start(day),
              BankLine.paid_at < day_start(day + timedelta(days=1)))
    banks: dict[str, DayBank] = {}
    for bank_code, kind, outcome, count, amount in db.execute(
            select(BankLine.bank_code, BankLine.kind, BankLine.outcome, func.count(),
                   func.sum(BankLine.amount))
            .where(*in_day).group_by(BankLine.bank_code, BankLine.kind, BankLine.outcome)):
        banks.setdefault(bank_code, DayBank(bank_code)).stored[(kind, outcome)] = _figures(
            count, amount)
    for bank_code, count, amount in db.execute(
            select(BankLine.bank_code, func.count(), func.sum(SettlementException.amount))
            .join(SettlementException, SettlementException.bank_line_id == BankLine.id)
            .where(*in_day, SettlementException.status == "open")
            .group_by(BankLine.bank_code)):
        banks.setdefault(bank_code, DayBank(bank_code)).open_exceptions = _figures(count, amount)
    for bank_code, files in db.execute(
            select(BankLine.bank_code, func.count(func.distinct(BankLine.file_id)))
            .where(*in_day).group_by(BankLine.bank_code)):
        banks[bank_code].files = files
    files = db.execute(
        select(SettlementFile, func.count(BankLine.id))
        .join(BankLine, BankLine.file_id == SettlementFile.id)
        .where(*in_day).group_by(SettlementFile.id)
        .order_by(SettlementFile.imported_at, SettlementFile.id)).all()
    return DaySummary(day=day, banks=[banks[code] for code in sorted(banks)],
                      files=[(f, n) for f, n in files])


def latest_payment_day(db: Session, actor: Actor) -> date | None:
    actor.require(Permission.SETTLEMENT_READ)
    last = db.scalar(select(func.max(BankLine.paid_at)))
    return bangkok_date(last) if last is not None else None


# -- the exceptions queue ---------------------------------------------------------------

def age_in_days(item: SettlementException, now: datetime | None = None) -> int:
    """Whole Bangkok days the exception has waited (until it was resolved, if it was)."""
    end = item.resolved_at or now or utcnow()
    return max((bangkok_date(end) - bangkok_date(item.created_at)).days, 0)


def offices_by_id(db: Session, ids: Iterable[int | None]) -> dict[int, Office]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {o.id: o for o in db.scalars(select(Office).where(Office.id.in_(wanted)))}


@dataclass(frozen=True)
class ExceptionFacts:
    """One exception with everything its page shows."""

    item: SettlementException
    line: BankLine
    file: SettlementFile
    bill: Bill | None  # the bill the line's Ref1 named, if any
    resolved_bill: Bill | None
    resolved_by: str | None
    office: Office | None
    next_open_id: int | None  # the next one in the open queue, to keep working


def exception_facts(db: Session, actor: Actor, exception_id: int) -> ExceptionFacts:
    item = get_exception(db, actor, exception_id)
    line = item.bank_line
    queue, _ = search_exceptions(db, actor, ExceptionQuery(status="open", per_page=2))
    next_open = next((e.id for e in queue if e.id != item.id), None)
    return ExceptionFacts(
        item=item, line=line, file=db.get(SettlementFile, line.file_id),
        bill=db.get(Bill, item.bill_id) if item.bill_id else None,
        resolved_bill=db.get(Bill, item.resolved_bill_id) if item.resolved_bill_id else None,
        resolved_by=_user_name(db, item.resolved_by_id),
        office=db.get(Office, item.office_id) if item.office_id else None,
        next_open_id=next_open)
