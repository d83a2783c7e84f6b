"""The fee-type catalogue (ประเภทค่าธรรมเนียม): reading, editing, importing from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor, Permission
from billpay.audit.services import record
from billpay.bills.models import AmountKind, FeeType, RevenueType
from billpay.errors import Invalid, NotFound
from billpay.money import AmountError, parse_amount

CSV_COLUMNS = ("code", "name_th", "name_en", "revenue_type", "amount_kind", "default_amount",
               "active")

_REVENUE_ALIASES = {
    "state": RevenueType.STATE, "รายได้แผ่นดิน": RevenueType.STATE,
    "off_budget": RevenueType.OFF_BUDGET, "เงินนอกงบประมาณ": RevenueType.OFF_BUDGET,
}
_KIND_ALIASES = {
    "fixed": AmountKind.FIXED, "คงที่": AmountKind.FIXED,
    "variable": AmountKind.VARIABLE, "ระบุเอง": AmountKind.VARIABLE,
}
_TRUE = {"1", "true", "yes", "y", "ใช่", "ใช้งาน"}
_FALSE = {"0", "false", "no", "n", "ไม่", "ไม่ใช้งาน"}

DEMO_FEE_TYPES = [
    ("FA01", "ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืน (ป.4)", "Firearm possession licence",
     "state", "fixed", "100.00"),
    ("FA02", "ค่าธรรมเนียมใบอนุญาตพาอาวุธปืนติดตัว (ป.12)", "Firearm carry licence",
     "state", "fixed", "1000.00"),
    ("HT01", "ค่าธรรมเนียมใบอนุญาตประกอบธุรกิจโรงแรม", "Hotel business licence",
     "state", "variable", None),
    ("SV01", "ค่าธรรมเนียมใบอนุญาตตั้งสถานบริการ", "Entertainment venue licence",
     "state", "fixed", "5000.00"),
    ("GB01", "ค่าธรรมเนียมใบอนุญาตการพนัน (ชนไก่ กัดปลา)", "Gaming licence (cockfight, fish)",
     "state", "variable", None),
    ("PW01", "ค่าธรรมเนียมใบอนุญาตตั้งโรงรับจำนำ", "Pawnshop licence",
     "state", "fixed", "1000.00"),
    ("AN01", "ค่าธรรมเนียมใบอนุญาตค้าของเก่า", "Second-hand dealer licence",
     "state", "fixed", "500.00"),
    ("FN01", "ค่าปรับเปรียบเทียบคดี", "Settlement fine",
     "state", "variable", None),
    ("RT01", "ค่าเช่าอาคารสถานที่ราชการ", "Rent of government premises",
     "off_budget", "variable", None),
    ("CP01", "ค่าถ่ายเอกสารและรับรองสำเนา (หน้าละ)", "Photocopy and certification (per page)",
     "off_budget", "fixed", "5.00"),
    ("DP01", "เงินประกันสัญญา", "Contract guarantee deposit",
     "off_budget", "variable", None),
]


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int


def list_fee_types(db: Session, *, active_only: bool = True) -> list[FeeType]:
    query = select(FeeType).order_by(FeeType.code)
    if active_only:
        query = query.where(FeeType.active.is_(True))
    return list(db.scalars(query))


def get_fee_type(db: Session, code: str) -> FeeType:
    fee_type = db.scalar(select(FeeType).where(FeeType.code == code))
    if fee_type is None:
        raise NotFound(f"ไม่พบประเภทค่าธรรมเนียมรหัส {code}")
    return fee_type


def _clean(row: dict[str, object]) -> tuple[dict[str, object], dict[str, list[str]]]:
    """Validate one fee type's fields; returns (values, errors)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    code = str(row.get("code") or "").strip().upper()
    if not code or len(code) > 20 or not code.replace("-", "").replace("_", "").isalnum():
        errors["code"] = ["รหัสต้องเป็นตัวอักษรหรือตัวเลข 1–20 ตัว"]
    values["code"] = code
    name_th = str(row.get("name_th") or "").strip()
    if not name_th or len(name_th) > 200:
        errors["name_th"] = ["กรุณาระบุชื่อภาษาไทย (ไม่เกิน 200 ตัวอักษร)"]
    values["name_th"] = name_th
    values["name_en"] = str(row.get("name_en") or "").strip()[:200]
    revenue = _REVENUE_ALIASES.get(str(row.get("revenue_type") or "").strip())
    if revenue is None:
        errors["revenue_type"] = ["ประเภทรายได้ต้องเป็น รายได้แผ่นดิน (state) หรือ เงินนอกงบประมาณ (off_budget)"]
    values["revenue_type"] = revenue
    kind = _KIND_ALIASES.get(str(row.get("amount_kind") or "").strip())
    if kind is None:
        errors["amount_kind"] = ["ลักษณะจำนวนเงินต้องเป็น fixed (คงที่) หรือ variable (ระบุเอง)"]
    values["amount_kind"] = kind
    raw_amount = row.get("default_amount")
    amount: Decimal | None = None
    if raw_amount not in (None, ""):
        try:
            amount = parse_amount(raw_amount, allow_zero=True)
        except AmountError as exc:
            errors["default_amount"] = [str(exc)]
    if kind == AmountKind.FIXED and amount is None and "default_amount" not in errors:
        errors["default_amount"] = ["ค่าธรรมเนียมแบบคงที่ต้องระบุจำนวนเงิน"]
    values["default_amount"] = amount
    active = row.get("active", True)
    if isinstance(active, str):
        text = active.strip().lower()
        if text in _TRUE or text == "":
            active = True
        elif text in _FALSE:
            active = False
        else:
            errors["active"] = ["สถานะต้องเป็น true หรือ false"]
    values["active"] = bool(active)
    return values, errors


def save_fee_type(db: Session, actor: Actor, data: dict[str, object],
                  *, code: str | None = None) -> FeeType:
    """Create a fee type, or update the one with ``code``."""
    actor.require(Permission.FEE_TYPE_MANAGE)
    values, errors = _clean(data)
    existing = get_fee_type(db, code) if code else None
    clash = db.scalar(select(FeeType).where(FeeType.code == values["code"]))
    if clash is not None and clash is not existing:
        errors.setdefault("code", []).append(f"มีรหัส {values['code']} อยู่แล้ว")
    if errors:
        raise Invalid("ข้อมูลประเภทค่าธรรมเนียมไม่ถูกต้อง", errors)
    before = {k: getattr(existing, k) for k in values} if existing else None
    fee_type = existing or FeeType()
    for key, value in values.items():
        setattr(fee_type, key, value)
    db.add(fee_type)
    db.flush()
    record(db, actor, "fee_type.save", object_type="fee_type", object_id=fee_type.code,
           before=before, after=values)
    return fee_type


def import_fee_types_csv(db: Session, actor: Actor | None, data: bytes | str) -> ImportReport:
    """Add or update fee types from CSV (UTF-8, with or without BOM), all or nothing.

    Columns: code, name_th, name_en, revenue_type, amount_kind, default_amount, active.
    Every bad row is reported with its line number; if any is bad, nothing changes.
    ``actor`` None means the command line (``billpay seed``), which may always import.
    """
    if actor is not None:
        actor.require(Permission.FEE_TYPE_MANAGE)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("ไฟล์ต้องเป็น CSV แบบ UTF-8", {"file": ["อ่านไฟล์ไม่ได้: ไม่ใช่ UTF-8"]}) from None
    reader = csv.DictReader(io.StringIO(data))
    missing = [c for c in ("code", "name_th", "revenue_type", "amount_kind")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid("หัวตาราง CSV ไม่ครบ", {"file": [f"ไม่มีคอลัมน์ {', '.join(missing)}"]})
    rows: list[dict[str, object]] = []
    errors: dict[str, object] = {}
    seen: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        values, row_errors = _clean(row)
        if values["code"] in seen:
            row_errors.setdefault("code", []).append(
                f"รหัส {values['code']} ซ้ำกับบรรทัดที่ {seen[values['code']]}")
        seen[str(values["code"])] = line_no
        if row_errors:
            errors[f"line {line_no}"] = row_errors
        rows.append(values)
    if errors:
        raise Invalid("ไฟล์ CSV มีข้อผิดพลาด ไม่ได้นำเข้าข้อมูลใด ๆ", errors)
    if not rows:
        raise Invalid("ไฟล์ CSV ไม่มีข้อมูล", {"file": ["ไม่มีแถวข้อมูล"]})
    existing = {f.code: f for f in db.scalars(select(FeeType))}
    added = updated = 0
    for values in rows:
        fee_type = existing.get(str(values["code"]))
        if fee_type is None:
            db.add(FeeType(**values))
            added += 1
        elif any(getattr(fee_type, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(fee_type, key, value)
            updated += 1
    db.flush()
    if added or updated:
        record(db, actor, "fee_type.import", object_type="fee_type",
               after={"added": added, "updated": updated})
    return ImportReport(added=added, updated=updated)


def demo_fee_types_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for code, name_th, name_en, revenue, kind, amount in DEMO_FEE_TYPES:
        writer.writerow([code, name_th, name_en, revenue, kind, amount or "", "true"])
    return out.getvalue()


def export_fee_types_csv(db: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for f in list_fee_types(db, active_only=False):
        writer.writerow([f.code, f.name_th, f.name_en, f.revenue_type, f.amount_kind,
                         f.default_amount if f.default_amount is not None else "",
                         "true" if f.active else "false"])
    return out.getvalue()
