"""Importing a settlement file: every payment matched to its bill or kept as an
exception, each file once, each line once, all of it in one transaction.

The import reads the file twice, streaming both times: first to check all of it
(``validate_settlement``: a bad file is refused before anything is written), then to
import it in chunks of lines. Per chunk it looks up, in a few queries, which lines
are already known (by fingerprint), the bills their Ref1s name (locked ``FOR
UPDATE``) and, for reversals, the payments they undo; it decides each line's
outcome in file order, then writes the chunk with bulk inserts. Memory stays the
size of a chunk whatever the file size. The caller commits once at the end, so an
import killed half-way leaves nothing behind.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor, Permission, ScopeLevel, scope_clause
from billpay.audit.services import record as audit
from billpay.bills.models import Bill, BillEvent, BillStatus
from billpay.bills.services import TRANSITIONS
from billpay.codes import MODE_TRIAL, Ref1Error, normalise_ref, parse_ref1
from billpay.db import in_values, insert_rows, page_of, update_rows, utcnow
from billpay.errors import Conflict, Invalid, NotFound
from billpay.offices.models import Office
from billpay.payments.models import Payment, PaymentMethod, PaymentStatus
from billpay.receipts.services import (
    DEFAULT_BOOK_SIZE,
    PaymentToReceipt,
    cancel_for_reversal,
    issue_receipts,
)
from billpay.reports import stats
from billpay.settlement.models import (
    BankLine,
    ExceptionReason,
    LineOutcome,
    Resolution,
    SettlementBatch,
    SettlementException,
    SettlementFile,
)
from billpay.settlement.parser import SettlementFileError, parse_settlement, validate_settlement
from billpay.settlement.records import KIND_PAYMENT, BankVariant, Detail
from billpay.thaidate import day_start

CHUNK_LINES = 2000
ZERO = Decimal("0.00")

Source = bytes | str | Path | BinaryIO


class FileRefused(Invalid):
    """The file breaks the format; nothing from it was stored."""

    def __init__(self, error: SettlementFileError):
        super().__init__(
            getattr(error, "message_th", None) or str(error),
            {"file": [str(error)], "line": error.line, "field": error.field,
             "value": error.value},
        )
        self.error = error


@dataclass
class ImportReport:
    """What one import did; ``status`` is ``imported`` or ``duplicate_file``."""

    filename: str
    sha256: str
    status: str
    file_id: int | None = None
    batches: int = 0
    lines: int = 0
    matched: int = 0
    matched_amount: Decimal = ZERO
    reversals: int = 0
    reversal_amount: Decimal = ZERO
    exceptions: Counter = field(default_factory=Counter)
    exception_amount: Decimal = ZERO
    duplicates: int = 0
    duplicate_amount: Decimal = ZERO
    credit_amount: Decimal = ZERO
    debit_amount: Decimal = ZERO
    imported_at: datetime | None = None

    @property
    def exception_count(self) -> int:
        return sum(self.exceptions.values())

    @property
    def fully_new(self) -> bool:
        return self.status == "imported" and self.duplicates == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exceptions"] = dict(self.exceptions)
        data["exception_count"] = self.exception_count
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = f"{value:.2f}"
            elif isinstance(value, datetime):
                data[key] = value.isoformat()
        return data

    @property
    def message_th(self) -> str:
        if self.status == "duplicate_file":
            return (f"ไฟล์ {self.filename} เคยนำเข้าแล้ว ข้ามทั้งไฟล์ "
                    f"({self.duplicates:,} รายการ)")
        text = (f"นำเข้า {self.filename}: {self.lines:,} รายการ ตรงกับใบแจ้ง {self.matched:,} "
                f"รายการ รอตรวจสอบ {self.exception_count:,} รายการ")
        if self.reversals:
            text += f" ยกเลิกโดยธนาคาร {self.reversals:,} รายการ"
        if self.duplicates:
            text += f" ข้ามรายการที่เคยนำเข้าแล้ว {self.duplicates:,} รายการ"
        return text


def _opener(source: Source) -> Callable[[], BinaryIO]:
    if isinstance(source, bytes):
        return lambda: io.BytesIO(source)
    if isinstance(source, str | Path):
        return lambda: open(source, "rb")  # noqa: SIM115 - closed by the caller
    if not source.seekable():
        raise ValueError("the settlement stream must be seekable (it is read twice)")

    def rewind() -> BinaryIO:
        source.seek(0)
        return source

    return rewind


@dataclass
class _BillState:
    id: int
    office_id: int
    status: str
    total: Decimal
    trial: bool


@dataclass
class _Open:
    """A payment (or an open exception) a reversal line in this chunk could undo."""

    kind: str  # "payment" or "exception"
    id: int | None  # None until the chunk is written
    bill_id: int | None
    amount: Decimal
    bank_code: str
    account: str
    line_index: int | None = None  # the chunk line that created it, if new


class _Chunk:
    """The decisions for one chunk of lines, written in bulk at the end."""

    def __init__(self) -> None:
        self.lines: list[dict] = []
        self.payments: list[tuple[int, dict]] = []  # (line index, row)
        self.exceptions: list[tuple[int, dict]] = []
        self.events: list[dict] = []
        self.bills: dict[int, tuple[str, datetime | None]] = {}  # bill id → (status, paid at)
        self.reversed_payments: list[tuple[_Open, int]] = []  # (payment, reversal line index)
        self.reversed_exceptions: list[tuple[_Open, int]] = []


def import_settlement_file(
    db: Session,
    actor: Actor | None,
    source: Source,
    filename: str,
    *,
    origin: str = "cli",
    variants: Mapping[str, BankVariant] | None = None,
    clock: Callable[[], datetime] = utcnow,
    chunk_lines: int = CHUNK_LINES,
    book_size: int | None = None,
) -> ImportReport:
    """Import one settlement file. Raises ``FileRefused`` for a malformed file (nothing
    stored); returns a report with ``status="duplicate_file"`` for a file already
    imported (by SHA-256, also when another import of it commits first)."""
    if actor is not None:
        actor.require(Permission.SETTLEMENT_IMPORT)
    if book_size is None:
        book_size = _configured_book_size()
    opener = _opener(source)
    stream = opener()
    try:
        summary = validate_settlement(stream, filename, variants=variants)
    except SettlementFileError as exc:
        raise FileRefused(exc) from None
    finally:
        if not isinstance(source, io.IOBase):
            stream.close()

    report = ImportReport(filename=filename, sha256=summary.sha256, status="imported",
                          batches=len(summary.batches), lines=summary.detail_count,
                          credit_amount=summary.credit_amount, debit_amount=summary.debit_amount)
    _one_import_at_a_time(db)
    if db.scalar(select(SettlementFile.id).where(SettlementFile.sha256 == summary.sha256)):
        return _duplicate_file(report, summary)
    now = clock()
    first = summary.batches[0]
    record = SettlementFile(
        filename=filename[:255], sha256=summary.sha256, size=summary.size, source=origin,
        bank_code=first.bank_code, effective_date=first.effective_date, imported_at=now,
        imported_by_id=actor.user_id if actor else None,
        imported_by_token_id=actor.token_id if actor else None,
        line_count=summary.line_count, detail_count=summary.detail_count)
    try:
        with db.begin_nested():
            db.add(record)
            db.flush()
    except IntegrityError:
        # Another import of the same file committed first: it wins, this one reports.
        return _duplicate_file(report, summary)
    report.file_id = record.id
    report.imported_at = now
    batch_ids = []
    for batch in summary.batches:
        row = SettlementBatch(file_id=record.id, **{
            k: getattr(batch, k) for k in (
                "header_line", "trailer_line", "bank_code", "account", "company_name",
                "effective_date", "service_code", "variant", "detail_count", "credit_count",
                "credit_amount", "debit_count", "debit_amount", "commission_count",
                "commission_amount")})
        db.add(row)
        db.flush()
        batch_ids.append((batch.trailer_line, row.id))

    stream = opener()
    try:
        details = (r for r in parse_settlement(stream, filename=filename, variants=variants)
                   if isinstance(r, Detail))
        for chunk in _chunks(details, chunk_lines):
            _import_chunk(db, actor, record.id, batch_ids, chunk, now, report, book_size)
    finally:
        if not isinstance(source, io.IOBase):
            stream.close()

    record.duplicate_count = report.duplicates
    record.duplicate_amount = report.duplicate_amount
    record.matched_count = report.matched
    record.matched_amount = report.matched_amount
    record.reversal_count = report.reversals
    record.reversal_amount = report.reversal_amount
    record.exception_count = report.exception_count
    record.exception_amount = report.exception_amount
    db.flush()
    audit(db, actor, "settlement.import", object_type="settlement_file", object_id=record.id,
          after={"filename": filename, "sha256": summary.sha256, "lines": report.lines,
                 "matched": report.matched, "matched_amount": report.matched_amount,
                 "exceptions": dict(report.exceptions), "reversals": report.reversals,
                 "duplicates": report.duplicates}, at=now)
    return report


IMPORT_LOCK = 0x62696C6C  # pg_advisory_xact_lock key of the settlement import ("bill")


def _one_import_at_a_time(db: Session) -> None:
    """Imports run one after the other: the lock is held until the caller's transaction
    ends, so every check below (file hash, line fingerprints) sees all that an import
    before it committed. Without it, two overlapping files imported at once both find
    a shared line new and the second fails on the unique fingerprint. SQLite already
    takes one writer at a time (BEGIN IMMEDIATE)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK)))


def _duplicate_file(report: ImportReport, summary) -> ImportReport:
    report.status = "duplicate_file"
    report.duplicates = summary.detail_count
    report.duplicate_amount = summary.credit_amount + summary.debit_amount
    return report


def _chunks(details: Iterator[Detail], size: int) -> Iterator[list[Detail]]:
    chunk: list[Detail] = []
    for detail in details:
        chunk.append(detail)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _batch_for(batch_ids: list[tuple[int, int]], line_no: int) -> int:
    for trailer_line, batch_id in batch_ids:
        if line_no < trailer_line:
            return batch_id
    raise AssertionError(f"line {line_no} is after the last trailer")


def _normalised(ref: str) -> tuple[str, ExceptionReason | None]:
    """The Ref1 as billpay writes it, and why it cannot be a bill (None if it can)."""
    try:
        ref = normalise_ref(ref)
    except ValueError:
        return ref.strip().upper(), ExceptionReason.UNKNOWN_REF1
    try:
        parse_ref1(ref)
    except Ref1Error as exc:
        if exc.reason == "bad_check_digit":
            return ref, ExceptionReason.BAD_CHECK_DIGIT
        return ref, ExceptionReason.UNKNOWN_REF1
    return ref, None


def _import_chunk(db: Session, actor: Actor | None, file_id: int,
                  batch_ids: list[tuple[int, int]], details: list[Detail], now: datetime,
                  report: ImportReport, book_size: int) -> None:
    fingerprints = [d.fingerprint for d in details]  # a SHA-256 each: computed once
    known = set(db.scalars(select(BankLine.fingerprint)
                           .where(in_values(db, BankLine.fingerprint, fingerprints))))
    refs = [_normalised(d.ref1) for d in details]
    wanted = {ref for ref, problem in refs if problem is None}
    bills = {
        row.ref1: _BillState(row.id, row.office_id, row.status, row.total, row.trial)
        for row in db.execute(
            select(Bill.id, Bill.ref1, Bill.office_id, Bill.status, Bill.total, Bill.trial)
            .where(in_values(db, Bill.ref1, wanted)).with_for_update(of=Bill))
    } if wanted else {}
    reversal_refs = {ref for (ref, _), d in zip(refs, details, strict=True)
                     if d.kind != KIND_PAYMENT}
    open_items = _open_items(db, reversal_refs) if reversal_refs else {}

    chunk = _Chunk()
    user_id = actor.user_id if actor else None
    token_id = actor.token_id if actor else None
    for detail, fingerprint, (ref1, problem) in zip(details, fingerprints, refs, strict=True):
        if fingerprint in known:
            report.duplicates += 1
            report.duplicate_amount += detail.amount
            continue
        known.add(fingerprint)
        line = _line_row(file_id, _batch_for(batch_ids, detail.line_no), detail, ref1,
                         fingerprint, _is_trial_ref(ref1, problem))
        line_index = len(chunk.lines)
        chunk.lines.append(line)
        bill = bills.get(ref1)
        if detail.kind == KIND_PAYMENT:
            reason = problem or _payment_problem(bill, detail.amount)
            if reason is None:
                assert bill is not None
                assert BillStatus.PAID in TRANSITIONS[BillStatus(bill.status)]
                line["outcome"] = LineOutcome.MATCHED.value
                line["bill_id"] = bill.id
                line["office_id"] = bill.office_id
                chunk.events.append(dict(bill_id=bill.id, from_status=bill.status,
                                         to_status=BillStatus.PAID.value, at=now,
                                         user_id=user_id, token_id=token_id,
                                         reason=f"ชำระผ่านธนาคาร {detail.bank_code}"))
                bill.status = BillStatus.PAID.value
                chunk.bills[bill.id] = (bill.status, detail.paid_at)
                chunk.payments.append((line_index, dict(
                    bill_id=bill.id, office_id=bill.office_id, method=PaymentMethod.BANK.value,
                    amount=detail.amount, paid_at=detail.paid_at, channel=detail.txn_code,
                    bank_code=detail.bank_code, branch=detail.branch,
                    bank_reference=f"{detail.branch}/{detail.teller}/{detail.seq}",
                    status=PaymentStatus.ACTIVE.value, recorded_at=now,
                    recorded_by_id=user_id, reversed_at=None, reversal_line_id=None,
                    trial=bill.trial)))
                open_items.setdefault(ref1, []).append(_Open(
                    "payment", None, bill.id, detail.amount, detail.bank_code, detail.account,
                    line_index))
                report.matched += 1
                report.matched_amount += detail.amount
            else:
                _exception(chunk, line, line_index, reason, bill, detail, now, report)
                open_items.setdefault(ref1, []).append(_Open(
                    "exception", None, bill.id if bill else None, detail.amount,
                    detail.bank_code, detail.account, line_index))
        else:
            target = _take_reversed(open_items.get(ref1, []), detail)
            if target is None:
                _exception(chunk, line, line_index, ExceptionReason.REVERSAL_UNMATCHED, bill,
                           detail, now, report)
                continue
            line["outcome"] = LineOutcome.REVERSAL.value
            line["bill_id"] = target.bill_id
            if bill is not None and bill.id == target.bill_id:
                line["office_id"] = bill.office_id
            report.reversals += 1
            report.reversal_amount += detail.amount
            if target.kind == "exception":
                chunk.reversed_exceptions.append((target, line_index))
                continue
            chunk.reversed_payments.append((target, line_index))
            # An active payment means its bill is paid; the reversal returns it to issued.
            chunk.events.append(dict(bill_id=target.bill_id, from_status=BillStatus.PAID.value,
                                     to_status=BillStatus.ISSUED.value, at=now,
                                     user_id=user_id, token_id=token_id,
                                     reason=f"ธนาคาร {detail.bank_code} ยกเลิกรายการชำระ"))
            chunk.bills[target.bill_id] = (BillStatus.ISSUED.value, None)
            if bill is not None and bill.id == target.bill_id:
                bill.status = BillStatus.ISSUED.value
    _write_chunk(db, chunk, now, book_size)


def _payment_problem(bill: _BillState | None, amount: Decimal) -> ExceptionReason | None:
    if bill is None:
        return ExceptionReason.UNKNOWN_REF1
    if bill.status == BillStatus.PAID:
        return ExceptionReason.ALREADY_PAID
    if bill.status == BillStatus.CANCELLED:
        return ExceptionReason.BILL_CANCELLED
    if bill.status == BillStatus.EXPIRED:
        return ExceptionReason.BILL_EXPIRED
    if amount < bill.total:
        return ExceptionReason.AMOUNT_SHORT
    if amount > bill.total:
        return ExceptionReason.AMOUNT_OVER
    return None


def _exception(chunk: _Chunk, line: dict, line_index: int, reason: ExceptionReason,
               bill: _BillState | None, detail: Detail, now: datetime,
               report: ImportReport) -> None:
    line["outcome"] = LineOutcome.EXCEPTION.value
    line["bill_id"] = bill.id if bill else None
    line["office_id"] = bill.office_id if bill else None
    chunk.exceptions.append((line_index, dict(
        reason=reason.value, bill_id=bill.id if bill else None,
        office_id=bill.office_id if bill else None, amount=detail.amount,
        expected_amount=bill.total if bill else None, status="open", created_at=now,
        resolution=None, resolution_note=None, resolved_at=None, resolved_by_id=None,
        resolved_bill_id=None)))
    report.exceptions[reason.value] += 1
    report.exception_amount += detail.amount


def _open_items(db: Session, refs: set[str]) -> dict[str, list[_Open]]:
    """Earlier active bank payments and open payment exceptions with these Ref1s, locked."""
    found: dict[str, list[_Open]] = {}
    payments = db.execute(
        select(Payment.id, Payment.bill_id, Payment.amount, BankLine.ref1, BankLine.bank_code,
               BankLine.account)
        .join(BankLine, BankLine.id == Payment.bank_line_id)
        .where(in_values(db, BankLine.ref1, refs), Payment.status == PaymentStatus.ACTIVE)
        .order_by(Payment.id).with_for_update(of=Payment))
    for row in payments:
        found.setdefault(row.ref1, []).append(
            _Open("payment", row.id, row.bill_id, row.amount, row.bank_code, row.account))
    exceptions = db.execute(
        select(SettlementException.id, SettlementException.bill_id, BankLine.amount,
               BankLine.ref1, BankLine.bank_code, BankLine.account)
        .join(BankLine, BankLine.id == SettlementException.bank_line_id)
        .where(in_values(db, BankLine.ref1, refs), BankLine.kind == KIND_PAYMENT,
               SettlementException.status == "open")
        .order_by(SettlementException.id).with_for_update(of=SettlementException))
    for row in exceptions:
        found.setdefault(row.ref1, []).append(
            _Open("exception", row.id, row.bill_id, row.amount, row.bank_code, row.account))
    return found


def _take_reversed(candidates: list[_Open], detail: Detail) -> _Open | None:
    """The most recent payment (else open exception) this reversal undoes: same bank,
    account and amount. Taken out of the list so it is reversed only once."""
    for kind in ("payment", "exception"):
        for index in range(len(candidates) - 1, -1, -1):
            item = candidates[index]
            if (item.kind == kind and item.amount == detail.amount
                    and item.bank_code == detail.bank_code and item.account == detail.account):
                return candidates.pop(index)
    return None


def _is_trial_ref(ref1: str, problem: ExceptionReason | None) -> bool:
    """A well-formed Ref1 with mode digit 9: it can only name a trial bill."""
    return problem is None and ref1[:1] == str(MODE_TRIAL)


def _line_row(file_id: int, batch_id: int, d: Detail, ref1: str, fingerprint: str,
              trial: bool) -> dict:
    return dict(
        file_id=file_id, batch_id=batch_id, line_no=d.line_no, seq=d.seq,
        fingerprint=fingerprint, bank_code=d.bank_code, account=d.account, paid_at=d.paid_at,
        customer_name=d.customer_name, ref1_raw=d.ref1, ref1=ref1[:20], ref2=d.ref2, ref3=d.ref3,
        branch=d.branch, teller=d.teller, kind=d.kind, txn_code=d.txn_code,
        cheque_no=d.cheque_no, amount=d.amount, cheque_bank=d.cheque_bank,
        payer_bank=d.payer_bank, biller_id=d.biller_id, raw=d.raw, outcome=None, bill_id=None,
        office_id=None, trial=trial)


def _write_chunk(db: Session, chunk: _Chunk, now: datetime, book_size: int) -> None:
    line_ids = insert_rows(db, BankLine, chunk.lines, return_ids=True)
    payment_rows = []
    for line_index, row in chunk.payments:
        row["bank_line_id"] = line_ids[line_index]
        payment_rows.append(row)
    payment_ids = insert_rows(db, Payment, payment_rows, return_ids=True)
    new_payment = {line_index: pid for (line_index, _), pid in
                   zip(chunk.payments, payment_ids, strict=True)}
    exception_rows = []
    for line_index, row in chunk.exceptions:
        row["bank_line_id"] = line_ids[line_index]
        exception_rows.append(row)
    exception_ids = insert_rows(db, SettlementException, exception_rows, return_ids=True)
    new_exception = {line_index: eid for (line_index, _), eid in
                     zip(chunk.exceptions, exception_ids, strict=True)}
    insert_rows(db, BillEvent, chunk.events)

    # Every new matched payment gets its receipt in this same transaction (bank-payment
    # receipts are issued by the system, dated when the payer paid).
    issue_receipts(db, [PaymentToReceipt(pid, row["bill_id"], row["office_id"], row["amount"],
                                         row["paid_at"], row["trial"])
                        for pid, row in zip(payment_ids, payment_rows, strict=True)],
                   book_size=book_size, issuer=None, now=now)
    reversed_ids = []
    for target, reversal_index in chunk.reversed_payments:
        payment_id = target.id if target.id is not None else new_payment[target.line_index]
        db.execute(update(Payment).where(Payment.id == payment_id).values(
            status=PaymentStatus.REVERSED.value, reversed_at=now,
            reversal_line_id=line_ids[reversal_index]))
        reversed_ids.append((payment_id, target.bank_code))
    for payment_id, bank_code in reversed_ids:
        cancel_for_reversal(db, [payment_id], at=now, bank_code=bank_code)
    for target, _reversal_index in chunk.reversed_exceptions:
        exception_id = target.id if target.id is not None else new_exception[target.line_index]
        db.execute(update(SettlementException).where(SettlementException.id == exception_id)
                   .values(status="resolved", resolution=Resolution.REVERSED.value,
                           resolution_note="ธนาคารยกเลิกรายการเอง", resolved_at=now))
    update_rows(db, Bill, [{"id": bill_id, "status": status, "paid_at": paid_at}
                           for bill_id, (status, paid_at) in chunk.bills.items()])
    _record_stats(db, chunk, payment_rows)
    db.flush()


def _record_stats(db: Session, chunk: _Chunk, payment_rows: list[dict]) -> None:
    """The chunk's payments and reversals in the report summaries (after the receipts,
    whose counters are always locked before the summary rows)."""
    reversals = [(target, chunk.lines[index]) for target, index in chunk.reversed_payments]
    lines = stats.lines_for(db, [row["bill_id"] for row in payment_rows]
                            + [target.bill_id for target, _ in reversals])
    stats.record(db, [
        *(stats.Event(stats.Activity.PAID, row["paid_at"], lines[row["bill_id"]], row["amount"])
          for row in payment_rows if row["bill_id"] in lines),
        *(stats.Event(stats.Activity.REVERSED, line["paid_at"], lines[target.bill_id],
                      target.amount) for target, line in reversals if target.bill_id in lines)])


# -- working the exceptions ------------------------------------------------------------

RESOLUTIONS_NEEDING_BILL = frozenset({Resolution.LINKED, Resolution.ACCEPTED})


def get_exception(db: Session, actor: Actor, exception_id: int, *,
                  for_update: bool = False) -> SettlementException:
    """An exception the actor may see: national roles see all, others their offices'
    (an exception whose bill is unknown belongs to no office: national roles only)."""
    actor.require(Permission.SETTLEMENT_READ)
    query = select(SettlementException).where(SettlementException.id == exception_id)
    if actor.scope is not ScopeLevel.NATIONAL:
        query = query.where(scope_clause(actor, SettlementException.office_id))
    if for_update:
        query = query.with_for_update(of=SettlementException)
    found = db.scalar(query)
    if found is None:
        raise NotFound("ไม่พบรายการรอตรวจสอบ")
    return found


def resolve_exception(
    db: Session,
    actor: Actor,
    exception_id: int,
    resolution: Resolution | str,
    note: str,
    *,
    bill_ref1: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> SettlementException:
    """Close an exception, with a reason, recording who and when.

    ``linked``: the payment belongs to the bill ``bill_ref1`` (same amount); that bill
    becomes paid. ``accepted``: the bill (``bill_ref1`` or the one the line named) is
    settled by this line although the amount differs. ``refund`` / ``written_off``:
    the money is handled outside billpay; the note says how.
    """
    actor.require(Permission.SETTLEMENT_RESOLVE)
    try:
        resolution = Resolution(resolution)
    except ValueError:
        raise Invalid("วิธีจัดการไม่ถูกต้อง", {"resolution": ["เลือกวิธีจัดการ"]}) from None
    if resolution == Resolution.REVERSED:
        raise Invalid("รายการยกเลิกโดยธนาคารปิดเองโดยอัตโนมัติ",
                      {"resolution": ["เลือกได้เฉพาะผูกใบแจ้ง รับยอด คืนเงิน หรือปิดรายการ"]})
    note = (note or "").strip()
    if not note:
        raise Invalid("กรุณาระบุเหตุผล", {"note": ["กรุณาระบุเหตุผลการจัดการรายการนี้"]})
    if len(note) > 500:
        raise Invalid("เหตุผลยาวเกิน 500 ตัวอักษร", {"note": ["ไม่เกิน 500 ตัวอักษร"]})
    item = get_exception(db, actor, exception_id, for_update=True)
    if item.status != "open":
        raise Conflict("รายการนี้จัดการไปแล้ว")
    line = item.bank_line
    now = clock()
    if resolution in RESOLUTIONS_NEEDING_BILL:
        if line.kind != KIND_PAYMENT:
            raise Invalid("รายการยกเลิกของธนาคารผูกกับใบแจ้งไม่ได้",
                          {"resolution": ["เลือกปิดรายการหรือคืนเงิน"]})
        bill = _bill_to_settle(db, actor, item, bill_ref1)
        if bill.trial != line.trial:
            raise Invalid(
                "รายการทดลองผูกได้เฉพาะกับใบแจ้งทดลอง และรายการจริงผูกได้เฉพาะกับใบแจ้งจริง"
                if line.trial else
                f"ใบแจ้ง {bill.ref1} เป็นใบแจ้งทดลอง (ทดลอง) ผูกกับเงินที่ได้รับจริงไม่ได้",
                {"bill_ref1": ["โหมดทดลอง/ใช้งานจริงของรายการธนาคารและใบแจ้งไม่ตรงกัน"]})
        if resolution == Resolution.LINKED and bill.total != line.amount:
            raise Invalid(
                f"ยอดเงิน {line.amount:,.2f} ไม่เท่ากับยอดใบแจ้ง {bill.total:,.2f} "
                "หากต้องการรับยอดนี้ให้เลือก 'รับยอดเงินที่ต่างจากใบแจ้ง'",
                {"bill_ref1": ["ยอดเงินไม่ตรงกับใบแจ้ง"]})
        _settle(db, actor, bill, line, now, note)
        item.resolved_bill_id = bill.id
    item.status = "resolved"
    item.resolution = resolution.value
    item.resolution_note = note
    item.resolved_at = now
    item.resolved_by_id = actor.user_id
    db.flush()
    audit(db, actor, "settlement.resolve", office_id=item.office_id,
          object_type="settlement_exception", object_id=item.id,
          before={"status": "open", "reason": item.reason},
          after={"status": "resolved", "resolution": resolution.value, "note": note,
                 "bill_id": item.resolved_bill_id}, at=now)
    return item


def _bill_to_settle(db: Session, actor: Actor, item: SettlementException,
                    bill_ref1: str | None) -> Bill:
    if bill_ref1:
        try:
            ref1 = normalise_ref(bill_ref1)
        except ValueError:
            ref1 = bill_ref1
        bill = db.scalar(select(Bill).where(Bill.ref1 == ref1).with_for_update(of=Bill))
    elif item.bill_id is not None:
        bill = db.scalar(select(Bill).where(Bill.id == item.bill_id).with_for_update(of=Bill))
    else:
        bill = None
    if bill is None:
        raise Invalid("ไม่พบใบแจ้งที่จะผูก", {"bill_ref1": ["กรุณาระบุ Ref1 ของใบแจ้งที่ถูกต้อง"]})
    if bill.status not in (BillStatus.ISSUED, BillStatus.EXPIRED):
        raise Invalid(f"ใบแจ้ง {bill.ref1} อยู่ในสถานะ{bill.status_label} ผูกการชำระไม่ได้",
                      {"bill_ref1": [f"ใบแจ้งอยู่ในสถานะ{bill.status_label}"]})
    return bill


def _settle(db: Session, actor: Actor, bill: Bill, line: BankLine, now: datetime,
            note: str) -> Payment:
    """The bank line pays ``bill``: the one place outside the bulk import where a bank
    payment is recorded."""
    from billpay.bills.services import _transition

    _transition(bill, BillStatus.PAID, actor, now, f"ผูกรายการธนาคารโดยเจ้าหน้าที่: {note}")
    bill.paid_at = line.paid_at
    payment = Payment(bill_id=bill.id, office_id=bill.office_id, method=PaymentMethod.BANK,
                      amount=line.amount, paid_at=line.paid_at, channel=line.txn_code,
                      bank_code=line.bank_code, branch=line.branch,
                      bank_reference=f"{line.branch}/{line.teller}/{line.seq}",
                      bank_line_id=line.id, recorded_at=now, recorded_by_id=actor.user_id,
                      trial=bill.trial)
    db.add(payment)
    line.bill_id = bill.id
    line.office_id = bill.office_id
    db.flush()
    issue_receipts(db, [PaymentToReceipt(payment.id, bill.id, bill.office_id, payment.amount,
                                         payment.paid_at, bill.trial)],
                   book_size=_configured_book_size(), issuer=actor, now=now)
    stats.record(db, [stats.Event(stats.Activity.PAID, payment.paid_at, stats.lines_of(bill),
                                  payment.amount)])
    return payment


def _configured_book_size() -> int:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.extensions["billpay.receipts"].book_size
    return DEFAULT_BOOK_SIZE


@dataclass(frozen=True)
class ExceptionQuery:
    status: str | None = "open"
    reason: str | None = None
    office_code: str | None = None
    bank_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 50
    sort: str = "paid_at"  # a key of EXCEPTION_SORTS, "-" first for descending


# the orders the exceptions queue offers; oldest payment first by default
EXCEPTION_SORTS = {"paid_at": BankLine.paid_at, "bank_code": BankLine.bank_code,
                   "amount": BankLine.amount, "reason": SettlementException.reason}


def search_exceptions(db: Session, actor: Actor,
                      q: ExceptionQuery) -> tuple[list[SettlementException], int]:
    actor.require(Permission.SETTLEMENT_READ)
    query = select(SettlementException).join(SettlementException.bank_line)
    if actor.scope is not ScopeLevel.NATIONAL:
        query = query.where(scope_clause(actor, SettlementException.office_id))
    if q.status:
        query = query.where(SettlementException.status == q.status)
    if q.reason:
        query = query.where(SettlementException.reason == q.reason)
    if q.office_code:
        query = query.where(SettlementException.office_id.in_(
            select(Office.id).where(Office.code == q.office_code)))
    if q.bank_code:
        query = query.where(BankLine.bank_code == q.bank_code)
    if q.date_from:
        query = query.where(BankLine.paid_at >= day_start(q.date_from))
    if q.date_to:
        query = query.where(BankLine.paid_at < day_start(q.date_to + timedelta(days=1)))
    column = EXCEPTION_SORTS.get(q.sort.lstrip("-"), BankLine.paid_at)
    if q.sort.startswith("-"):
        order = (column.desc(), SettlementException.id.desc())
    else:
        order = (column.asc(), SettlementException.id.asc())
    return page_of(db, query.order_by(*order), page=q.page, per_page=q.per_page)
