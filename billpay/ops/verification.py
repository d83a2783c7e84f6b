"""Checking migrated data (ตรวจสอบข้อมูลที่นำเข้าจากระบบเดิม): the verification report of a
province and its offices, the provinces' verdict per office, and the finance division's
status board of which provinces have signed off.

- ``province_report``: per office of the province, what the migration brought in (bills,
  payments, receipts valid and cancelled), sums per fee type, the first and last receipt
  numbers per fiscal year and series, the gaps in electronic numbering
  (``billpay.receipts.services.check_register``), and the rows refused by failed import
  attempts that named the office, with why. One ``Report`` (billpay.reports.tables), so
  the page, CSV, XLSX and PDF agree.
- ``verify_office``: a provincial officer marks one office of their province verified, or
  lists corrections; the latest verdict per office is kept with who and when, every
  verdict goes to the audit log.
- ``status_board``: each province in the actor's scope, offices verified / total,
  corrections outstanding, signed off (every office verified).

Scope as everywhere: a province outside the actor's scope is not found (404).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor, Permission, in_scope, scope_clause
from billpay.audit.services import record as audit
from billpay.bills.models import Bill, BillItem, FeeType
from billpay.db import utcnow
from billpay.errors import Invalid, NotFound
from billpay.offices.models import Office, OfficeKind
from billpay.ops.models import (
    VERIFICATION_LABELS_TH,
    MigrationBatch,
    MigrationStatus,
    MigrationVerification,
    VerificationStatus,
)
from billpay.payments.models import Payment, PaymentStatus
from billpay.receipts.models import Receipt, ReceiptSeries, ReceiptStatus
from billpay.receipts.services import check_register
from billpay.reports.tables import Column, Kind, Report, Table

ZERO = Decimal("0.00")
NOT_VERIFIED = "ยังไม่ตรวจสอบ"


def _province(db: Session, actor: Actor, code: str) -> Office:
    actor.require(Permission.MIGRATION_READ)
    office = db.scalar(select(Office).where(Office.code == (code or "").strip(),
                                            Office.kind == OfficeKind.PROVINCE))
    if office is None or not in_scope(actor, office):
        raise NotFound("ไม่พบจังหวัด")
    return office


def _offices_of(db: Session, province_code: str) -> list[Office]:
    return list(db.scalars(select(Office).where(Office.province_code == province_code,
                                                Office.kind != OfficeKind.CENTRAL)
                           .order_by(Office.code)))


@dataclass
class OfficeFigures:
    office: Office
    bills: int = 0
    billed: Decimal = ZERO
    payments: int = 0
    paid: Decimal = ZERO
    receipts_valid: int = 0
    receipts_cancelled: int = 0
    ranges: list[tuple[int, str, int, int, int, list[int]]] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    verification: MigrationVerification | None = None

    @property
    def gaps(self) -> int:
        return sum(len(r[5]) for r in self.ranges)

    @property
    def status_label(self) -> str:
        return self.verification.status_label if self.verification else NOT_VERIFIED


@dataclass
class ProvinceReport:
    province: Office
    offices: list[OfficeFigures]
    report: Report


def _numbers(values: list[int], limit: int = 30) -> str:
    text = ", ".join(str(v) for v in values[:limit])
    return text + (f" … (รวม {len(values):,})" if len(values) > limit else "")


def province_report(db: Session, actor: Actor, province_code: str) -> ProvinceReport:
    """The verification report of one province (see the module's docstring)."""
    province = _province(db, actor, province_code)
    offices = _offices_of(db, province.code)
    figures = {o.id: OfficeFigures(o) for o in offices}
    in_province = Office.province_code == province.code
    for office_id, count, total in db.execute(
            select(Bill.office_id, func.count(), func.coalesce(func.sum(Bill.total), 0))
            .join(Office, Office.id == Bill.office_id)
            .where(Bill.migration_batch_id.is_not(None), in_province).group_by(Bill.office_id)):
        figures[office_id].bills, figures[office_id].billed = count, Decimal(total)
    for office_id, count, total in db.execute(
            select(Payment.office_id, func.count(), func.coalesce(func.sum(Payment.amount), 0))
            .join(Office, Office.id == Payment.office_id)
            .where(Payment.migration_batch_id.is_not(None), in_province,
                   Payment.status == PaymentStatus.ACTIVE).group_by(Payment.office_id)):
        figures[office_id].payments, figures[office_id].paid = count, Decimal(total)
    for office_id, status, count in db.execute(
            select(Receipt.office_id, Receipt.status, func.count())
            .join(Office, Office.id == Receipt.office_id)
            .where(Receipt.migration_batch_id.is_not(None), in_province)
            .group_by(Receipt.office_id, Receipt.status)):
        if status == ReceiptStatus.VALID:
            figures[office_id].receipts_valid += count
        else:
            figures[office_id].receipts_cancelled += count
    for office_id, year, series, count, first, last in db.execute(
            select(Receipt.office_id, Receipt.fiscal_year, Receipt.series, func.count(),
                   func.min(Receipt.number), func.max(Receipt.number))
            .join(Office, Office.id == Receipt.office_id)
            .where(Receipt.migration_batch_id.is_not(None), in_province)
            .group_by(Receipt.office_id, Receipt.fiscal_year, Receipt.series)
            .order_by(Receipt.office_id, Receipt.fiscal_year, Receipt.series)):
        gaps = (check_register(db, office_id, year).gaps
                if series == ReceiptSeries.ELECTRONIC else [])
        figures[office_id].ranges.append((year, series, first, last, count, gaps))
    for v in db.scalars(select(MigrationVerification).join(Office).where(in_province)):
        figures[v.office_id].verification = v
    codes = {o.code: o.id for o in offices}
    for batch in db.scalars(select(MigrationBatch).where(
            MigrationBatch.status == MigrationStatus.REFUSED).order_by(MigrationBatch.id)):
        for error in batch.errors:
            office_id = codes.get(error.get("office") or "")
            if office_id is not None:
                figures[office_id].refused.append({**error, "batch": batch.id, "at": batch.at})
    fee_rows = _fee_rows(db, province.code)
    ordered = [figures[o.id] for o in offices]
    return ProvinceReport(province, ordered, _as_report(province, ordered, fee_rows))


def _fee_rows(db: Session, province_code: str) -> list[tuple]:
    rows = db.execute(
        select(Office.code, FeeType.code, FeeType.name_th, Bill.status, func.count(),
               func.sum(BillItem.amount))
        .select_from(BillItem).join(Bill, Bill.id == BillItem.bill_id)
        .join(Office, Office.id == Bill.office_id)
        .join(FeeType, FeeType.id == BillItem.fee_type_id)
        .where(Bill.migration_batch_id.is_not(None), Office.province_code == province_code)
        .group_by(Office.code, FeeType.code, FeeType.name_th, Bill.status)).all()
    out: dict[tuple, list] = defaultdict(lambda: [0, ZERO, ZERO])
    for office, code, name, status, count, amount in rows:
        entry = out[(office, code, name)]
        entry[0] += count
        entry[1] += Decimal(amount)
        if status == "paid":
            entry[2] += Decimal(amount)
    return [(*key, *values) for key, values in sorted(out.items())]


def _as_report(province: Office, offices: list[OfficeFigures], fee_rows: list[tuple]) -> Report:
    summary = Table(
        "สรุปรายหน่วยงาน",
        (Column("code", "รหัส"), Column("office", "หน่วยงาน", width=3),
         Column("bills", "ใบแจ้ง", Kind.INT), Column("billed", "ยอดใบแจ้ง", Kind.MONEY),
         Column("payments", "รายการชำระ", Kind.INT), Column("paid", "ยอดชำระ", Kind.MONEY),
         Column("valid", "ใบเสร็จใช้ได้", Kind.INT), Column("cancelled", "ใบเสร็จยกเลิก", Kind.INT),
         Column("numbers", "เลขที่ใบเสร็จ (แรก–สุดท้าย)", width=2),
         Column("gaps", "เลขขาด", Kind.INT), Column("refused", "แถวที่ไม่นำเข้า", Kind.INT),
         Column("status", "ผลการตรวจสอบ", width=1.5)),
        [(f.office.code, f.office.display_name, f.bills, f.billed, f.payments, f.paid,
          f.receipts_valid, f.receipts_cancelled,
          "; ".join(f"{y} {s} {a}–{b}" for y, s, a, b, _c, _g in f.ranges),
          f.gaps, len(f.refused), f.status_label) for f in offices],
        totals=("", "รวม", sum(f.bills for f in offices), sum((f.billed for f in offices), ZERO),
                sum(f.payments for f in offices), sum((f.paid for f in offices), ZERO),
                sum(f.receipts_valid for f in offices),
                sum(f.receipts_cancelled for f in offices), "", sum(f.gaps for f in offices),
                sum(len(f.refused) for f in offices), ""),
        empty="ไม่มีหน่วยงาน")
    fees = Table(
        "ยอดตามประเภทค่าธรรมเนียม",
        (Column("office", "หน่วยงาน"), Column("fee_type", "รหัส"),
         Column("name", "ประเภทค่าธรรมเนียม", width=3), Column("items", "รายการ", Kind.INT),
         Column("billed", "ยอดในใบแจ้ง", Kind.MONEY), Column("paid", "ยอดที่ชำระแล้ว", Kind.MONEY)),
        fee_rows, totals=("", "", "รวม", sum(r[3] for r in fee_rows),
                          sum((r[4] for r in fee_rows), ZERO), sum((r[5] for r in fee_rows), ZERO)),
        empty="ยังไม่มีข้อมูลที่นำเข้า")
    numbers = Table(
        "เลขที่ใบเสร็จที่นำเข้า",
        (Column("office", "หน่วยงาน"), Column("year", "ปีงบประมาณ", Kind.INT),
         Column("series", "ชุด"), Column("first", "เลขที่แรก", Kind.INT),
         Column("last", "เลขที่สุดท้าย", Kind.INT), Column("count", "จำนวน", Kind.INT),
         Column("gaps", "เลขขาด", width=3)),
        [(f.office.code, y, "อิเล็กทรอนิกส์" if s == ReceiptSeries.ELECTRONIC else "กระดาษ",
          a, b, c, _numbers(g) if g else "-") for f in offices for y, s, a, b, c, g in f.ranges],
        empty="ยังไม่มีใบเสร็จที่นำเข้า")
    refused = Table(
        "แถวที่ไม่นำเข้า (จากการนำเข้าที่ถูกปฏิเสธ)",
        (Column("batch", "ครั้งที่", Kind.INT), Column("office", "หน่วยงาน"),
         Column("file", "ไฟล์"), Column("line", "บรรทัด", Kind.INT), Column("column", "คอลัมน์"),
         Column("value", "ค่า"), Column("reason", "เหตุผล", width=4)),
        [(e["batch"], f.office.code, e["file"], e["line"], e["column"], e["value"], e["message"])
         for f in offices for e in f.refused],
        empty="ไม่มีแถวที่ถูกปฏิเสธ")
    return Report("migration", f"รายงานตรวจสอบข้อมูลที่นำเข้าจากระบบเดิม จังหวัด{province.name_th}",
                  [("จังหวัด", f"{province.code} {province.name_th}")],
                  [summary, fees, numbers, refused],
                  notes=["นับเฉพาะข้อมูลที่นำเข้าจากระบบเดิม (ไม่รวมข้อมูลที่ออกในระบบนี้และข้อมูลทดลอง)",
                         "เลขขาด: เลขที่ใบเสร็จอิเล็กทรอนิกส์ที่ไม่มีในทะเบียนคุม ตั้งแต่ 1 ถึงเลขล่าสุดของปีงบประมาณ"])


def verify_office(db: Session, actor: Actor, province_code: str, office_code: str,
                  status: str, note: str, *, clock=utcnow) -> MigrationVerification:
    """Record the province's verdict on one of its offices (verified, or corrections with a
    note). A province or office outside the actor's scope is not found."""
    province = _province(db, actor, province_code)
    actor.require(Permission.MIGRATION_VERIFY)
    if not (office_code or "").strip():
        raise Invalid("กรุณาเลือกหน่วยงาน", {"office": ["กรุณาเลือกหน่วยงาน"]})
    office = db.scalar(select(Office).where(Office.code == (office_code or "").strip(),
                                            Office.province_code == province.code,
                                            Office.kind != OfficeKind.CENTRAL))
    if office is None:
        raise NotFound("ไม่พบหน่วยงานในจังหวัดนี้")
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if status not in {s.value for s in VerificationStatus}:
        errors["status"] = ["เลือก ตรวจสอบแล้วถูกต้อง หรือ ต้องแก้ไข"]
    elif status == VerificationStatus.CORRECTIONS and not note:
        errors["note"] = ["ระบุรายการที่ต้องแก้ไข"]
    if len(note) > 2000:
        errors["note"] = ["ไม่เกิน 2,000 ตัวอักษร"]
    if errors:
        raise Invalid("ผลการตรวจสอบไม่ถูกต้อง", errors)
    now = clock()
    verdict = db.scalar(select(MigrationVerification).where(
        MigrationVerification.office_id == office.id).with_for_update(of=MigrationVerification))
    before = ({"status": verdict.status, "note": verdict.note} if verdict else None)
    if verdict is None:
        verdict = MigrationVerification(office_id=office.id, office=office)
        db.add(verdict)
    verdict.status, verdict.note = status, note
    verdict.by_id, verdict.by_name, verdict.at = actor.user_id, actor.name[:200], now
    db.flush()
    audit(db, actor, "migration.verify", office_id=office.id, object_type="office",
          object_id=office.code, before=before, after={"status": status, "note": note}, at=now)
    return verdict


@dataclass(frozen=True)
class ProvinceStatus:
    code: str
    name: str
    offices: int
    verified: int
    corrections: int
    migrated_bills: int
    last_at: datetime | None

    @property
    def signed_off(self) -> bool:
        return self.offices > 0 and self.verified == self.offices


def status_board(db: Session, actor: Actor) -> list[ProvinceStatus]:
    """Every province in the actor's scope: offices verified of all, corrections
    outstanding, migrated bills, the latest verdict; signed off when all are verified."""
    actor.require(Permission.MIGRATION_READ)
    provinces = list(db.scalars(select(Office).where(
        Office.kind == OfficeKind.PROVINCE, scope_clause(actor, Office.id)).order_by(Office.code)))
    totals = dict(db.execute(select(Office.province_code, func.count()).where(
        Office.kind != OfficeKind.CENTRAL).group_by(Office.province_code)).all())
    verdicts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    latest: dict[str, datetime] = {}
    for province_code, status, count, at in db.execute(
            select(Office.province_code, MigrationVerification.status, func.count(),
                   func.max(MigrationVerification.at))
            .select_from(MigrationVerification)
            .join(Office, Office.id == MigrationVerification.office_id)
            .group_by(Office.province_code, MigrationVerification.status)):
        verdicts[province_code][status] = count
        latest[province_code] = max(filter(None, [latest.get(province_code), at]))
    bills = dict(db.execute(select(Office.province_code, func.count()).select_from(Bill)
                            .join(Office, Office.id == Bill.office_id)
                            .where(Bill.migration_batch_id.is_not(None))
                            .group_by(Office.province_code)).all())
    return [ProvinceStatus(p.code, p.name_th, totals.get(p.code, 0),
                           verdicts[p.code][VerificationStatus.VERIFIED],
                           verdicts[p.code][VerificationStatus.CORRECTIONS],
                           bills.get(p.code, 0), latest.get(p.code)) for p in provinces]


def batches(db: Session, actor: Actor, limit: int = 50) -> list[MigrationBatch]:
    actor.require(Permission.MIGRATION_READ)
    return list(db.scalars(select(MigrationBatch).order_by(MigrationBatch.id.desc()).limit(limit)))


def batch_errors(db: Session, actor: Actor, batch_id: int) -> tuple[MigrationBatch, list[dict]]:
    """One import attempt and its errors the actor may see (a province: its offices')."""
    actor.require(Permission.MIGRATION_READ)
    batch = db.get(MigrationBatch, batch_id)
    if batch is None:
        raise NotFound("ไม่พบการนำเข้าครั้งนี้")
    errors = batch.errors
    if actor.scope.value != "national":
        errors = [e for e in errors if (e.get("office") or "")[:2] == actor.province_code]
    return batch, errors


__all__ = ["VERIFICATION_LABELS_TH", "batch_errors", "batches", "province_report",
           "status_board", "verify_office"]
