"""Removing the trial period's data (ลบข้อมูลทดลองใช้งาน): ``billpay trial purge``.

``purge_trial`` removes, for one office or for all, every trial row: bills with their
items and events, payments, receipts with their prints and cancellation requests,
settlement exceptions and bank lines, the settlement files (and batches) that held only
such lines, and resets the trial counter series so the next trial bill and receipt are
number 1 again. It never deletes a live row:

- every row it deletes is selected by ``trial = true`` (or, for items, events, prints,
  cancellations and batches, by belonging to such a row);
- before deleting anything it checks that no live row points at a trial row (a live
  payment or receipt of a trial bill, a live bank line naming one …). billpay never
  makes such a row; if one exists the purge refuses and changes nothing;
- a settlement file that mixes trial and live lines (or trial lines of another office,
  when purging one office) is kept whole, with its batches and every line, so that the
  bank's file and its reconciliation stay complete: its trial lines in scope only lose
  their link to the purged bill, and their payments, receipts and exceptions go. Such
  files are listed in the report.

It runs in the caller's transaction (all or nothing; the CLI commits once), records a
``TrialPurge`` row (who, when, office, counts per kind) and an audit event
``trial.purge``. The audit log itself is append-only and is never touched: the events of
the trial period stay, as history. With ``dry_run`` it counts the same rows and removes
nothing.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor
from billpay.audit.services import record as audit
from billpay.bills.models import Bill, BillEvent, BillItem
from billpay.db import utcnow
from billpay.errors import Conflict
from billpay.numbering import Counter
from billpay.offices.models import Office
from billpay.ops.models import TrialPurge
from billpay.ops.trial import TRIAL_SERIES, _office
from billpay.payments.models import Payment
from billpay.receipts.models import Receipt, ReceiptCancellation, ReceiptPrint
from billpay.settlement.models import (
    BankLine,
    SettlementBatch,
    SettlementException,
    SettlementFile,
)

#: the kinds of row a purge removes, in the order the report lists them
KINDS = ("bills", "bill_items", "bill_events", "payments", "receipts", "receipt_prints",
         "receipt_cancellations", "settlement_exceptions", "bank_lines", "settlement_batches",
         "settlement_files", "counters")
KIND_LABELS_TH = {
    "bills": "ใบแจ้งการชำระเงิน", "bill_items": "รายการในใบแจ้ง", "bill_events": "ประวัติสถานะใบแจ้ง",
    "payments": "รายการรับชำระ", "receipts": "ใบเสร็จรับเงิน", "receipt_prints": "ประวัติการพิมพ์ใบเสร็จ",
    "receipt_cancellations": "คำขอยกเลิกใบเสร็จ", "settlement_exceptions": "รายการรอตรวจสอบ",
    "bank_lines": "รายการในไฟล์ธนาคาร", "settlement_batches": "ชุดรายการในไฟล์ธนาคาร",
    "settlement_files": "ไฟล์ธนาคาร", "counters": "ตัวนับเลขที่ทดลอง (ตั้งใหม่)",
}
CHUNK = 5000  # ids per IN (…) list: SQLite allows 32,766 parameters a statement


@dataclass
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove)."""

    office_code: str | None  # None: every office
    dry_run: bool
    counts: dict[str, int]
    mixed_files: list[dict[str, Any]] = field(default_factory=list)  # kept whole
    purge_id: int | None = None
    at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"office": self.office_code, "dry_run": self.dry_run, "counts": self.counts,
                "mixed_files": self.mixed_files, "purge_id": self.purge_id,
                "at": self.at.isoformat() if self.at else None}


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _ids(db: Session, query: Select) -> set[int]:
    return set(db.scalars(query))


def _ids_where(db: Session, column, ids: set[int], query: Select) -> set[int]:
    """``query`` (selecting ids) restricted to ``column IN ids``, in chunks."""
    found: set[int] = set()
    for part in _chunks(ids):
        found |= set(db.scalars(query.where(column.in_(part))))
    return found


def _delete(db: Session, model, column, ids: set[int]) -> int:
    removed = 0
    for part in _chunks(ids):
        result = db.execute(delete(model).where(column.in_(part))
                            .execution_options(synchronize_session=False))
        removed += result.rowcount or 0
    return removed


def _count(db: Session, model, column, ids: set[int]) -> int:
    return sum(db.scalar(select(func.count()).select_from(model).where(column.in_(part))) or 0
               for part in _chunks(ids))


def _lock_out_imports(db: Session) -> None:
    """No settlement import may pay a trial bill while it is being purged (PostgreSQL:
    the import's advisory lock; SQLite already has one writer at a time)."""
    from billpay.settlement.services import _one_import_at_a_time

    _one_import_at_a_time(db)


def purge_trial(db: Session, actor: Actor | None, *, office_code: str | None = None,
                dry_run: bool = True, performed_by: str = "",
                clock=utcnow) -> PurgeReport:
    """Remove the trial data of ``office_code`` (None: every office); see the module.
    Raises ``Conflict`` (nothing changed) when a live row points at trial data.
    Flushes, never commits."""
    office = _office(db, office_code) if office_code else None
    _lock_out_imports(db)

    # -- what is trial, in scope ----------------------------------------------------------
    bill_query = select(Bill.id).where(Bill.trial.is_(True)).with_for_update(of=Bill)
    payment_query = select(Payment.id).where(Payment.trial.is_(True))
    receipt_query = select(Receipt.id).where(Receipt.trial.is_(True))
    if office is not None:
        bill_query = bill_query.where(Bill.office_id == office.id)
        payment_query = payment_query.where(Payment.office_id == office.id)
        receipt_query = receipt_query.where(Receipt.office_id == office.id)
    bills = _ids(db, bill_query)
    payments = _ids(db, payment_query)
    receipts = _ids(db, receipt_query)
    # trial bank lines: those of the bills above, and those naming no bill whose Ref1 is
    # this office's (digits 2–5 of a Ref1 are the office's code)
    lines = _ids_where(db, BankLine.bill_id, bills,
                       select(BankLine.id).where(BankLine.trial.is_(True)))
    unlinked = select(BankLine.id).where(BankLine.trial.is_(True), BankLine.bill_id.is_(None))
    if office is not None:
        unlinked = unlinked.where(func.substr(BankLine.ref1, 2, 4) == office.ref_code)
    lines |= _ids(db, unlinked)
    exceptions = _ids_where(db, SettlementException.bank_line_id, lines,
                            select(SettlementException.id))

    _refuse_if_live_rows_point_at(db, bills, payments, receipts, lines)

    # -- settlement files: deleted only when every line of the file is purged ----------
    file_lines: Tally[int] = Tally()  # file id → its lines being purged
    for part in _chunks(lines):
        file_lines.update(db.scalars(select(BankLine.file_id).where(BankLine.id.in_(part))))
    whole = {file_id: total for file_id, total in db.execute(
        select(BankLine.file_id, func.count()).where(BankLine.file_id.in_(list(file_lines)))
        .group_by(BankLine.file_id))} if file_lines else {}
    files = {file_id for file_id, count in file_lines.items() if whole.get(file_id) == count}
    mixed = sorted(set(file_lines) - files)
    kept_lines = _ids_where(db, BankLine.file_id, set(mixed),
                            select(BankLine.id).where(BankLine.trial.is_(True))) & lines
    mixed_files = [
        {"file_id": file_id, "filename": filename, "lines": whole[file_id],
         "trial_lines_kept": file_lines[file_id]}
        for file_id, filename in db.execute(
            select(SettlementFile.id, SettlementFile.filename)
            .where(SettlementFile.id.in_(mixed)).order_by(SettlementFile.id))
    ] if mixed else []
    removed_lines = lines - kept_lines

    counter_query = select(Counter.id).where(Counter.series.in_(TRIAL_SERIES))
    if office is not None:
        counter_query = counter_query.where(Counter.office_id == office.id)
    counters = _ids(db, counter_query)
    cancellations = (
        _ids_where(db, ReceiptCancellation.receipt_id, receipts, select(ReceiptCancellation.id))
        | _ids_where(db, ReceiptCancellation.replacement_id, receipts,
                     select(ReceiptCancellation.id)))

    counts = {
        "bills": len(bills),
        "bill_items": _count(db, BillItem, BillItem.bill_id, bills),
        "bill_events": _count(db, BillEvent, BillEvent.bill_id, bills),
        "payments": len(payments),
        "receipts": len(receipts),
        "receipt_prints": _count(db, ReceiptPrint, ReceiptPrint.receipt_id, receipts),
        "receipt_cancellations": len(cancellations),
        "settlement_exceptions": len(exceptions),
        "bank_lines": len(removed_lines),
        "settlement_batches": _count(db, SettlementBatch, SettlementBatch.file_id, files),
        "settlement_files": len(files),
        "counters": len(counters),
    }
    now = clock()
    report = PurgeReport(office_code=office.code if office else None, dry_run=dry_run,
                         counts=counts, mixed_files=mixed_files, at=now)
    if dry_run:
        return report

    # -- delete, children first ---------------------------------------------------------
    _delete(db, ReceiptCancellation, ReceiptCancellation.id, cancellations)
    _delete(db, ReceiptPrint, ReceiptPrint.receipt_id, receipts)
    for part in _chunks(receipts):
        db.execute(update(Receipt).where(Receipt.id.in_(part)).values(replaces_id=None)
                   .execution_options(synchronize_session=False))
    _delete(db, Receipt, Receipt.id, receipts)
    _delete(db, SettlementException, SettlementException.id, exceptions)
    _delete(db, Payment, Payment.id, payments)
    for part in _chunks(kept_lines):
        db.execute(update(BankLine).where(BankLine.id.in_(part)).values(bill_id=None)
                   .execution_options(synchronize_session=False))
    _delete(db, BankLine, BankLine.id, removed_lines)
    _delete(db, SettlementBatch, SettlementBatch.file_id, files)
    _delete(db, SettlementFile, SettlementFile.id, files)
    _delete(db, BillEvent, BillEvent.bill_id, bills)
    _delete(db, BillItem, BillItem.bill_id, bills)
    _delete(db, Bill, Bill.id, bills)
    _delete(db, Counter, Counter.id, counters)
    db.expire_all()

    purge = TrialPurge(at=now, performed_by=(performed_by or (actor.name if actor else "ระบบ"))[:200],
                       user_id=actor.user_id if actor else None,
                       office_id=office.id if office else None, counts=counts,
                       details={"mixed_files": mixed_files})
    db.add(purge)
    db.flush()
    report.purge_id = purge.id
    audit(db, actor, "trial.purge", office_id=office.id if office else None,
          object_type="trial_purge", object_id=purge.id,
          after={"office": report.office_code or "all", "counts": counts,
                 "mixed_files": [f["file_id"] for f in mixed_files],
                 "performed_by": purge.performed_by}, at=now)
    return report


def _refuse_if_live_rows_point_at(db: Session, bills: set[int], payments: set[int],
                                  receipts: set[int], lines: set[int]) -> None:
    """billpay never lets a live row refer to trial data (nor a trial payment or receipt
    belong to a live bill); if one does, something is wrong: refuse, change nothing."""
    problems: list[str] = []

    def check(label: str, column, ids: set[int], query: Select) -> None:
        found = _ids_where(db, column, ids, query)
        if found:
            shown = ", ".join(str(i) for i in sorted(found)[:10])
            problems.append(f"{label} {len(found):,} รายการ (id {shown})")

    live = lambda model: select(model.id).where(model.trial.is_(False))  # noqa: E731
    check("รายการรับชำระจริงของใบแจ้งทดลอง", Payment.bill_id, bills, live(Payment))
    check("ใบเสร็จจริงของใบแจ้งทดลอง", Receipt.bill_id, bills, live(Receipt))
    check("ใบเสร็จจริงของการชำระทดลอง", Receipt.payment_id, payments, live(Receipt))
    check("รายการธนาคารจริงที่ผูกกับใบแจ้งทดลอง", BankLine.bill_id, bills, live(BankLine))
    check("รายการรับชำระจริงจากรายการธนาคารทดลอง", Payment.bank_line_id, lines, live(Payment))
    check("รายการรับชำระจริงที่ถูกยกเลิกด้วยรายการธนาคารทดลอง", Payment.reversal_line_id, lines,
          live(Payment))
    check("รายการรอตรวจสอบของรายการธนาคารจริงที่อ้างถึงใบแจ้งทดลอง",
          SettlementException.resolved_bill_id, bills,
          select(SettlementException.id).join(BankLine, BankLine.id
                                              == SettlementException.bank_line_id)
          .where(BankLine.trial.is_(False)))
    check("ใบเสร็จจริงที่ออกแทนใบเสร็จทดลอง", Receipt.replaces_id, receipts, live(Receipt))
    # payments outside the purge (e.g. another office's, linked by hand) on lines it removes
    outside = (_ids_where(db, Payment.bank_line_id, lines, select(Payment.id))
               | _ids_where(db, Payment.reversal_line_id, lines, select(Payment.id))) - payments
    if outside:
        problems.append(f"รายการรับชำระนอกขอบเขตที่อ้างถึงรายการธนาคารทดลอง {len(outside):,} รายการ "
                        f"(id {', '.join(map(str, sorted(outside)[:10]))})")
    # and the other way: trial payments and receipts must belong to trial bills in scope
    stray = (_ids_where(db, Payment.id, payments, select(Payment.bill_id)) - bills
             | {b for b in _ids_where(db, Receipt.id, receipts, select(Receipt.bill_id))
                if b is not None} - bills)
    if stray:
        problems.append(f"การชำระหรือใบเสร็จทดลองของใบแจ้งที่ไม่ใช่ใบแจ้งทดลองในขอบเขต "
                        f"{len(stray):,} ใบ (bill id {', '.join(map(str, sorted(stray)[:10]))})")
    if problems:
        raise Conflict("ไม่ลบข้อมูลทดลอง เพราะพบข้อมูลจริงเชื่อมโยงกับข้อมูลทดลอง "
                       "ซึ่งไม่ควรเกิดขึ้น กรุณาตรวจสอบ (ยังไม่ได้ลบข้อมูลใด): " + "; ".join(problems),
                       {"live_rows": problems})


def purge_history(db: Session, *, limit: int = 20) -> list[TrialPurge]:
    return list(db.scalars(select(TrialPurge).order_by(TrialPurge.id.desc()).limit(limit)))


def remaining_trial_rows(db: Session, office: Office | None = None) -> dict[str, int]:
    """How many trial bills, payments, receipts and bank lines are left (status, tests)."""
    out = {}
    for name, model in (("bills", Bill), ("payments", Payment), ("receipts", Receipt),
                        ("bank_lines", BankLine)):
        query = select(func.count()).select_from(model).where(model.trial.is_(True))
        if office is not None and name != "bank_lines":
            query = query.where(model.office_id == office.id)
        out[name] = db.scalar(query) or 0
    return out
