"""Nomination lists (แบบแจ้งรายชื่อบุคคลที่ได้รับมอบหมายให้ปฏิบัติหน้าที่เป็นผู้ใช้งานในระบบ):
each province tells the finance division who at its provincial and district offices
will use billpay. A list comes as the form's table in CSV or XLSX, or line by line
from a page; the finance division approves registrations against it.

The columns, by their Thai headings (English names are accepted too):

====================  =====================  =========================================
heading               name                   content
====================  =====================  =========================================
ลำดับ                  seq                    number on the form (optional)
ชื่อ-สกุล              full_name              Thai name with title, required
ตำแหน่ง               position               required
รหัสหน่วยงาน           office_code            2-digit province or 4-digit district code
หน่วยงาน              office_name            or the office's name (อำเภอเมืองเชียงใหม่),
                                             looked up within the province
เลขประจำตัวประชาชน      citizen_id             13 digits, checksum, required
โทรศัพท์               phone                  optional
อีเมล                  email                  optional
บทบาท                 role                   optional: clerk, office_head … or Thai label
====================  =====================  =========================================

The heading row may sit under a title; it is found in the first 20 rows. A file is
taken whole or not at all: every bad row is reported by its row number in the file.
A person already listed for the same office (same ID number) is updated.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billpay.accounts.models import ROLE_LABELS_TH, Nomination, Role
from billpay.accounts.permissions import Actor, Permission, in_scope, scope_clause
from billpay.accounts.services import ASSIGNABLE_ROLES, paged
from billpay.audit.services import record
from billpay.codes import is_valid_thai_id
from billpay.db import utcnow
from billpay.errors import Conflict, Forbidden, Invalid, NotFound
from billpay.offices.models import Office, OfficeKind

MAX_ROWS = 5000
TITLE_TH = "แบบแจ้งรายชื่อบุคคลที่ได้รับมอบหมายให้ปฏิบัติหน้าที่เป็นผู้ใช้งานในระบบ (User)"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    aliases: tuple[str, ...]
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("seq", "ลำดับ", ("ลำดับที่", "no", "no.", "seq"), False),
    Column("full_name", "ชื่อ-สกุล", ("ชื่อ-นามสกุล", "ชื่อนามสกุล", "ชื่อสกุล", "full_name", "name"),
           True),
    Column("position", "ตำแหน่ง", ("position",), True),
    Column("office_code", "รหัสหน่วยงาน", ("office_code", "code"), False),
    Column("office_name", "หน่วยงาน", ("ชื่อหน่วยงาน", "สังกัด", "office_name", "office"), False),
    Column("citizen_id", "เลขประจำตัวประชาชน", ("เลขประจำตัวประชาชน13หลัก", "เลขบัตรประชาชน",
                                               "citizen_id", "id"), True),
    Column("phone", "โทรศัพท์", ("เบอร์โทรศัพท์", "หมายเลขโทรศัพท์", "โทร", "phone"), False),
    Column("email", "อีเมล", ("อีเมล์", "e-mail", "email"), False),
    Column("role", "บทบาท", ("หน้าที่", "role"), False),
)
HEADINGS = tuple(c.heading for c in COLUMNS)
_LABEL = {c.key: c.heading for c in COLUMNS}
_ROLE_WORDS = {**{r.value: r for r in ASSIGNABLE_ROLES},
               **{ROLE_LABELS_TH[r]: r for r in ASSIGNABLE_ROLES}}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_DIGITS = re.compile(r"^0\d{8,9}$")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _norm(heading: Any) -> str:
    return re.sub(r"[\s\-_./]+", "", str(heading or "")).lower()


_BY_HEADING = {}
for _column in COLUMNS:
    for _name in (_column.heading, *_column.aliases):
        _BY_HEADING[_norm(_name)] = _column.key


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: 3100600123450.0 → "3100600123450", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().translate(THAI_DIGITS)


@dataclass(frozen=True)
class NominationRow:
    seq: int | None
    full_name: str
    position: str
    office: Office
    citizen_id: str
    phone: str | None
    email: str | None
    proposed_role: str | None


def _office_lookup(db: Session, actor: Actor, province_code: str | None):
    """Offices by code and by Thai name (with or without อำเภอ/จังหวัด) for the upload."""
    offices = list(db.scalars(select(Office).where(Office.kind != OfficeKind.CENTRAL)))
    by_code = {o.code: o for o in offices}
    by_name: dict[str, list[Office]] = {}
    for office in offices:
        if province_code and office.province_code != province_code:
            continue
        names = {office.name_th, office.display_name}
        names.add(("อำเภอ" if office.kind == OfficeKind.DISTRICT else "จังหวัด") + office.name_th)
        for name in names:
            by_name.setdefault(_norm(name), []).append(office)
    return by_code, by_name


def clean_row(raw: dict[str, str], *, actor: Actor, by_code, by_name,
              province_code: str | None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check one row; returns (values, errors by Thai column heading)."""
    errors: dict[str, list[str]] = {}

    def bad(key: str, message: str) -> None:
        errors.setdefault(_LABEL[key], []).append(message)

    values: dict[str, Any] = {}
    seq_text = raw.get("seq", "")
    values["seq"] = None
    if seq_text:
        try:
            values["seq"] = int(float(seq_text))
        except ValueError:
            bad("seq", "ลำดับต้องเป็นตัวเลข")
    name = re.sub(r"\s+", " ", raw.get("full_name", "")).strip()
    if not name:
        bad("full_name", "กรุณากรอกชื่อ-สกุล")
    elif len(name) > 200:
        bad("full_name", "ชื่อ-สกุลยาวเกิน 200 ตัวอักษร")
    values["full_name"] = name
    position = re.sub(r"\s+", " ", raw.get("position", "")).strip()
    if not position:
        bad("position", "กรุณากรอกตำแหน่ง")
    values["position"] = position[:200]
    code = raw.get("office_code", "").replace(" ", "")
    office_name = raw.get("office_name", "")
    office = None
    if code:
        office = by_code.get(code)
        if office is None:
            bad("office_code", f"ไม่พบหน่วยงานรหัส {code}")
    elif office_name:
        found = by_name.get(_norm(office_name), [])
        if len(found) == 1:
            office = found[0]
        elif not found:
            bad("office_name", f"ไม่พบหน่วยงานชื่อ \"{office_name}\" ในจังหวัดนี้ กรุณาใส่รหัสหน่วยงาน")
        else:
            bad("office_name", f"ชื่อหน่วยงาน \"{office_name}\" ตรงกับหลายแห่ง กรุณาใส่รหัสหน่วยงาน")
    else:
        bad("office_code", "กรุณากรอกรหัสหน่วยงานหรือชื่อหน่วยงาน")
    if office is not None:
        if not in_scope(actor, office):
            bad("office_code", f"หน่วยงาน {office.code} อยู่นอกจังหวัดของท่าน")
        elif province_code and office.province_code != province_code:
            bad("office_code", f"หน่วยงาน {office.code} ไม่อยู่ในจังหวัดที่เลือก")
    values["office"] = office
    citizen = re.sub(r"[\s\-]", "", raw.get("citizen_id", ""))
    if not citizen:
        bad("citizen_id", "กรุณากรอกเลขประจำตัวประชาชน")
    elif not re.fullmatch(r"\d{13}", citizen):
        bad("citizen_id", "เลขประจำตัวประชาชนต้องเป็นตัวเลข 13 หลัก")
    elif not is_valid_thai_id(citizen):
        bad("citizen_id", "เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)")
    values["citizen_id"] = citizen
    phone = re.sub(r"[\s\-()]", "", raw.get("phone", ""))
    if phone and phone.isdigit() and len(phone) in (8, 9) and not phone.startswith("0"):
        phone = "0" + phone  # a spreadsheet drops the leading zero of a number
    if phone and not PHONE_DIGITS.match(phone):
        bad("phone", "หมายเลขโทรศัพท์ต้องเป็นตัวเลข 9–10 หลัก ขึ้นต้นด้วย 0")
    values["phone"] = phone or None
    email = raw.get("email", "").strip()
    if email and (len(email) > 200 or not EMAIL.match(email)):
        bad("email", "อีเมลไม่ถูกต้อง")
    values["email"] = email or None
    role_text = raw.get("role", "").strip()
    role = None
    if role_text:
        role = _ROLE_WORDS.get(role_text) or _ROLE_WORDS.get(role_text.lower())
        if role is None:
            bad("role", "บทบาทต้องเป็นหนึ่งใน " + ", ".join(ROLE_LABELS_TH[r]
                                                            for r in ASSIGNABLE_ROLES))
    values["proposed_role"] = role.value if role else None
    return values, errors


def _rows_from_table(table: list[list[Any]]) -> tuple[int, dict[int, str], list[tuple[int, list]]]:
    """Find the heading row (first 20 rows); return its row number, the column map and
    the data rows with their 1-based row numbers."""
    for index, row in enumerate(table[:20]):
        mapping = {i: _BY_HEADING[_norm(v)] for i, v in enumerate(row)
                   if _norm(v) in _BY_HEADING}
        keys = set(mapping.values())
        if {"full_name", "citizen_id"} <= keys:
            data = [(index + 1 + offset + 1, r) for offset, r in enumerate(table[index + 1:])]
            return index + 1, mapping, data
    raise Invalid("ไม่พบแถวหัวตาราง", {"ไฟล์": [
        "ไม่พบแถวหัวตารางที่มีคอลัมน์ " + ", ".join(HEADINGS) + " (ต้องมีอย่างน้อย ชื่อ-สกุล "
        "และ เลขประจำตัวประชาชน ภายใน 20 แถวแรก)"]})


def read_table(data: bytes, filename: str) -> list[list[Any]]:
    """The first sheet of an XLSX, or a CSV (UTF-8, or Windows Thai cp874 from Excel)."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook gets one Thai answer
            raise Invalid("อ่านไฟล์ Excel ไม่ได้", {"ไฟล์": [
                "ไฟล์ไม่ใช่ .xlsx ที่ถูกต้อง (ไฟล์ .xls รุ่นเก่า กรุณาบันทึกเป็น .xlsx หรือ CSV)"]}) from None
        sheet = book.worksheets[0]
        rows = [list(r) for r, _ in zip(sheet.iter_rows(values_only=True),
                                        range(MAX_ROWS + 21), strict=False)]
        book.close()
        return rows
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("อ่านไฟล์ไม่ได้", {"ไฟล์": ["ไฟล์ต้องเป็น CSV (UTF-8) หรือ Excel (.xlsx)"]})
    return [list(r) for r in csv.reader(io.StringIO(text))]


@dataclass(frozen=True)
class NominationImport:
    added: int
    updated: int
    offices: int


def _require_nominate(actor: Actor) -> None:
    actor.require(Permission.USER_NOMINATE)


def import_nominations(db: Session, actor: Actor, data: bytes, filename: str, *,
                       province_code: str | None = None) -> NominationImport:
    """Add or update a province's nominations from its CSV/XLSX, all or nothing."""
    _require_nominate(actor)
    if actor.role == Role.PROVINCIAL:
        province_code = actor.province_code
    if not data:
        raise Invalid("ไฟล์ว่างเปล่า", {"ไฟล์": ["ไม่มีข้อมูลในไฟล์"]})
    table = read_table(data, filename)
    _heading_row, mapping, rows = _rows_from_table(table)
    by_code, by_name = _office_lookup(db, actor, province_code)
    errors: dict[str, Any] = {}
    cleaned: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[int, str], int] = {}
    for row_no, row in rows:
        raw = {key: cell_text(row[i]) if i < len(row) else "" for i, key in mapping.items()}
        if not any(v for k, v in raw.items() if k != "seq"):
            continue  # blank line (a numbered but empty line of the form included)
        if len(cleaned) >= MAX_ROWS:
            raise Invalid(f"ไฟล์มีรายชื่อเกิน {MAX_ROWS:,} แถว", {"ไฟล์": ["แบ่งเป็นหลายไฟล์"]})
        values, row_errors = clean_row(raw, actor=actor, by_code=by_code, by_name=by_name,
                                       province_code=province_code)
        office = values["office"]
        if office is not None and values["citizen_id"]:
            key = (office.id, values["citizen_id"])
            if key in seen:
                row_errors.setdefault(_LABEL["citizen_id"], []).append(
                    f"ซ้ำกับแถวที่ {seen[key]} (หน่วยงานเดียวกัน)")
            seen[key] = row_no
        if row_errors:
            errors[f"แถวที่ {row_no}"] = row_errors
        cleaned.append((row_no, values))
    if errors:
        raise Invalid(f"ไฟล์มีข้อผิดพลาด {len(errors)} แถว ยังไม่ได้นำเข้ารายชื่อใด ๆ "
                      "กรุณาแก้ไขแล้วส่งใหม่ทั้งไฟล์", errors)
    if not cleaned:
        raise Invalid("ไม่พบรายชื่อในไฟล์", {"ไฟล์": ["มีแต่หัวตาราง ไม่มีรายชื่อ"]})
    existing = {(n.office_id, n.citizen_id): n for n in db.scalars(select(Nomination).where(
        Nomination.office_id.in_({v["office"].id for _, v in cleaned})))}
    added = updated = 0
    now = utcnow()
    source = f"ไฟล์ {filename}"[:200]
    for _row_no, values in cleaned:
        office = values.pop("office")
        nomination = existing.get((office.id, values["citizen_id"]))
        if nomination is None:
            db.add(Nomination(office=office, submitted_by_id=actor.user_id, submitted_at=now,
                              source=source, **values))
            added += 1
        elif any(getattr(nomination, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(nomination, key, value)
            nomination.submitted_by_id = actor.user_id
            nomination.submitted_at = now
            nomination.source = source
            updated += 1
    db.flush()
    offices = len({k[0] for k in seen})
    record(db, actor, "nomination.import", object_type="nomination_file",
           object_id=hashlib.sha256(data).hexdigest()[:16],
           after={"file": filename, "sha256": hashlib.sha256(data).hexdigest(),
                  "province": province_code, "rows": len(cleaned), "added": added,
                  "updated": updated, "offices": offices})
    return NominationImport(added=added, updated=updated, offices=offices)


def save_nomination(db: Session, actor: Actor, form: dict[str, str], *,
                    nomination_id: int | None = None) -> Nomination:
    """Add one nomination from the page, or correct one."""
    _require_nominate(actor)
    existing = get_nomination(db, actor, nomination_id) if nomination_id else None
    if existing is not None and existing.user_id is not None:
        raise Conflict("รายชื่อนี้ได้รับอนุมัติเป็นผู้ใช้แล้ว แก้ไขไม่ได้")
    province = actor.province_code if actor.role == Role.PROVINCIAL else None
    by_code, by_name = _office_lookup(db, actor, province)
    raw = {c.key: cell_text(form.get(c.key)) for c in COLUMNS}
    values, errors = clean_row(raw, actor=actor, by_code=by_code, by_name=by_name,
                               province_code=province)
    # field names for the page rather than the file's headings
    keyed = {c.key: errors[c.heading] for c in COLUMNS if c.heading in errors}
    office = values.get("office")
    if office is not None and values["citizen_id"] and not keyed:
        clash = db.scalar(select(Nomination).where(Nomination.office_id == office.id,
                                                   Nomination.citizen_id == values["citizen_id"]))
        if clash is not None and clash is not existing:
            keyed["citizen_id"] = [f"บุคคลนี้อยู่ในรายชื่อของหน่วยงานนี้แล้ว (ลำดับ {clash.seq or '-'})"]
    if keyed:
        raise Invalid("ข้อมูลไม่ถูกต้อง กรุณาแก้ไขช่องที่มีเครื่องหมาย", keyed)
    before = nomination_snapshot(existing) if existing else None
    nomination = existing or Nomination(submitted_at=utcnow(), source="หน้าเว็บ")
    for key, value in values.items():
        setattr(nomination, key, value)
    nomination.submitted_by_id = actor.user_id
    db.add(nomination)
    db.flush()
    record(db, actor, "nomination.save", office_id=nomination.office_id,
           object_type="nomination", object_id=nomination.id, before=before,
           after=nomination_snapshot(nomination))
    return nomination


def delete_nomination(db: Session, actor: Actor, nomination_id: int) -> None:
    _require_nominate(actor)
    nomination = get_nomination(db, actor, nomination_id)
    if nomination.user_id is not None:
        raise Conflict("รายชื่อนี้ได้รับอนุมัติเป็นผู้ใช้แล้ว ลบไม่ได้")
    before = nomination_snapshot(nomination)
    office_id = nomination.office_id
    db.delete(nomination)
    db.flush()
    record(db, actor, "nomination.delete", office_id=office_id, object_type="nomination",
           object_id=nomination_id, before=before)


def nomination_snapshot(n: Nomination) -> dict[str, Any]:
    return {"office": n.office.code if n.office else None, "seq": n.seq,
            "full_name": n.full_name, "position": n.position, "citizen_id": n.citizen_id,
            "phone": n.phone, "email": n.email, "proposed_role": n.proposed_role}


def _readable(actor: Actor) -> None:
    if not (actor.can(Permission.USER_NOMINATE) or actor.can(Permission.USER_APPROVE)):
        raise Forbidden("สิทธิ์ของท่านไม่อนุญาตให้ดูรายชื่อผู้ได้รับมอบหมาย")


def get_nomination(db: Session, actor: Actor, nomination_id: int) -> Nomination:
    _readable(actor)
    nomination = db.scalar(select(Nomination).where(
        Nomination.id == nomination_id, scope_clause(actor, Nomination.office_id)))
    if nomination is None:
        raise NotFound("ไม่พบรายชื่อนี้")
    return nomination


@dataclass(frozen=True)
class NominationQuery:
    text: str | None = None
    province_code: str | None = None
    office_code: str | None = None
    status: str | None = None   # open (no user yet) | approved
    page: int = 1
    per_page: int = 50
    sort: str = "office"


_SORTS = {"office": Office.code, "seq": Nomination.seq, "full_name": Nomination.full_name,
          "submitted_at": Nomination.submitted_at}


def search_nominations(db: Session, actor: Actor, q: NominationQuery
                       ) -> tuple[list[Nomination], int]:
    _readable(actor)
    query = (select(Nomination).join(Nomination.office)
             .where(scope_clause(actor, Nomination.office_id)))
    if q.text:
        like = f"%{q.text.strip()}%"
        query = query.where(or_(Nomination.full_name.ilike(like), Nomination.position.ilike(like),
                                Nomination.citizen_id == q.text.strip().replace("-", "")))
    if q.province_code:
        query = query.where(Office.province_code == q.province_code)
    if q.office_code:
        query = query.where(Office.code == q.office_code)
    if q.status == "open":
        query = query.where(Nomination.user_id.is_(None))
    elif q.status == "approved":
        query = query.where(Nomination.user_id.is_not(None))
    return paged(db, query, sort=q.sort, sorts=_SORTS, default=Office.code,
                 tiebreak=Nomination.seq.asc().nulls_last(), page=q.page, per_page=q.per_page)


def template_xlsx() -> bytes:
    """An empty form to fill in: title, headings, one example row in grey."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "รายชื่อผู้ใช้งาน"
    sheet.append([TITLE_TH])
    sheet.append(["จังหวัด ............................................ (กรอกรหัสหน่วยงานหรือชื่อหน่วยงานอย่างใดอย่างหนึ่ง)"])
    sheet.append(list(HEADINGS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE5F0")
    sheet["A1"].font = Font(bold=True, size=14)
    for column, width in zip("ABCDEFGHI", (7, 30, 34, 13, 30, 19, 14, 28, 20), strict=True):
        sheet.column_dimensions[column].width = width
    for column in ("D", "F", "G"):
        for row in range(4, 504):
            sheet[f"{column}{row}"].number_format = "@"  # keep leading zeros as typed
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> str:
    out = io.StringIO()
    csv.writer(out).writerow(HEADINGS)
    return "\ufeff" + out.getvalue()
