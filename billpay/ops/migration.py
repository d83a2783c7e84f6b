"""Data migration from an old system (นำเข้าข้อมูลจากระบบเดิม): ``billpay migrate import DIR``
and its mirror ``billpay export DIR``.

The layout (README, "Data migration") is a directory of four tables, each ``NAME.csv``
(UTF-8, a BOM tolerated) or ``NAME.xlsx`` (the first sheet), with a heading row of the
column names below, plus optionally ``manifest.json`` (source system, export time, and
per file its row count and SHA-256, so a truncated or altered file is refused). Rows
refer to each other by natural keys: the office code, the bill's Ref1 (or the old
system's bill number when it had no billpay Ref1), a bill's payment number, a receipt's
office, fiscal year, series, book and number.

``import_directory`` reads and checks **everything** first: every row, every cell, every
reference between files and against the database, collecting every error (up to
``MAX_ERRORS``) with its file, line, column, value and a Thai reason. With any error it
stores nothing but a ``MigrationBatch`` row of status ``refused`` carrying the errors
(and an audit event), so the verification report can show what was refused and why.
Otherwise it stores every row in the caller's transaction (``insert_rows``: COPY on
PostgreSQL), marks them with the batch, advances the counters past the highest imported
number (bills: series ``bill``, receipts: series ``receipt``, per office and fiscal
year), adds the rows to the report summaries (``stats.record``) and records
``migration.import`` in the audit log. It flushes; the caller commits. ``bank`` payments
point at stand-in settlement lines, one per payment, in one stand-in settlement file per
batch (source ``migration``; ``_stand_in_lines``): a bank payment always has its line.

``export_directory`` writes the same layout from the database (no trial data), in a fixed
order and with fixed formats, so export → import into an empty database → export gives
byte-identical tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor
from billpay.audit.services import record as audit
from billpay.bills.models import Bill, BillEvent, BillItem, BillStatus, FeeType
from billpay.codes import MODE_LIVE, MODE_TRIAL, is_valid_thai_id, make_ref1, make_ref2
from billpay.codes.payment import CodeError, validate_biller_id
from billpay.codes.refs import Ref1Error, parse_ref1
from billpay.db import insert_rows, update_rows, utcnow
from billpay.numbering import Counter, take_numbers
from billpay.offices.models import Office, OfficeKind
from billpay.ops.models import MigrationBatch, MigrationStatus
from billpay.payments.models import Payment, PaymentMethod, PaymentStatus
from billpay.receipts.models import CancelKind, Receipt, ReceiptSeries, ReceiptStatus
from billpay.reports import stats
from billpay.settlement.models import BankLine, LineOutcome, SettlementBatch, SettlementFile
from billpay.thaidate import BANGKOK, bangkok_date, day_start

FORMAT = "billpay-migration/1"
MAX_ERRORS = 1000
BILL_SERIES = "bill"  # as billpay.bills.services.BILL_SERIES
RECEIPT_SERIES = "receipt"  # as billpay.receipts.services.COUNTER_SERIES
#: settlement_files.source of the stand-in file holding a batch's bank payments' lines
SETTLEMENT_SOURCE = "migration"

#: the tables of the layout and their columns, in the order the export writes them
COLUMNS: dict[str, tuple[str, ...]] = {
    "bills": ("office_code", "ref1", "legacy_ref", "fiscal_year", "status", "payer_name",
              "payer_id", "payer_address", "payer_phone", "biller_id", "total", "due_date",
              "created_at", "paid_at", "cancelled_at", "cancel_reason"),
    "bill_items": ("bill_ref", "line_no", "fee_type_code", "description", "quantity",
                   "unit_amount", "amount"),
    "payments": ("bill_ref", "payment_no", "method", "amount", "paid_at", "recorded_at",
                 "channel", "bank_code", "branch", "bank_reference", "status", "reversed_at"),
    "receipts": ("office_code", "fiscal_year", "series", "book", "number", "bill_ref",
                 "payment_no", "amount", "payer_name", "issued_at", "recorded_at",
                 "issuer_name", "issuer_position", "status", "cancelled_at", "cancel_kind",
                 "cancel_reason", "replaces", "payment_reference"),
}
#: columns that may be left empty
OPTIONAL = {
    "bills": {"ref1", "legacy_ref", "payer_id", "payer_address", "payer_phone", "paid_at",
              "cancelled_at", "cancel_reason"},
    "bill_items": set(),
    "payments": {"recorded_at", "channel", "bank_code", "branch", "bank_reference",
                 "reversed_at"},
    "receipts": {"bill_ref", "payment_no", "recorded_at", "issuer_name", "issuer_position",
                 "cancelled_at", "cancel_kind", "cancel_reason", "replaces",
                 "payment_reference"},
}
TABLES = tuple(COLUMNS)
MANIFEST = "manifest.json"


# -- errors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with the export: where (file, line — the heading is line 1 —,
    column), the value found and why it is refused, in Thai. ``office``: the office code
    of the row, when it has one (the verification report lists refusals per office)."""

    file: str
    line: int
    column: str
    value: str
    message: str
    office: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f" บรรทัด {self.line}"
        if self.column:
            where += f" คอลัมน์ {self.column}"
        if self.value:
            where += f" ค่า \"{self.value}\""
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "value": self.value, "message": self.message, "office": self.office}


class Problems:
    """Every error found, up to ``limit``; ``total`` counts them all."""

    def __init__(self, limit: int = MAX_ERRORS):
        self.items: list[Problem] = []
        self.total = 0
        self.limit = limit

    def add(self, file: str, line: int, column: str, value: Any, message: str,
            office: str = "") -> None:
        self.total += 1
        if len(self.items) < self.limit:
            text = "" if value is None else str(value)
            self.items.append(Problem(file, line, column, text[:200], message, office or ""))

    def __bool__(self) -> bool:
        return self.total > 0


# -- reading the files ----------------------------------------------------------------------

@dataclass
class Row:
    """One data row of a table: its cells by column name, where it was read."""

    file: str
    line: int
    cells: dict[str, str]
    problems: Problems
    office: str = ""

    def raw(self, column: str) -> str:
        return self.cells.get(column, "")

    def fail(self, column: str, message: str, value: Any = None) -> None:
        self.problems.add(self.file, self.line, column,
                          self.raw(column) if value is None else value, message, self.office)

    def text(self, column: str, max_len: int) -> str | None:
        value = self.raw(column)
        if not value:
            return None
        if len(value) > max_len:
            self.fail(column, f"ยาวเกิน {max_len} ตัวอักษร")
            return None
        return value

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.raw(column)
        if not value:
            return None
        if not value.isascii() or not value.isdigit():
            self.fail(column, "ต้องเป็นจำนวนเต็ม (ตัวเลขอารบิก)")
            return None
        number = int(value)
        if not low <= number <= high:
            self.fail(column, f"ต้องอยู่ระหว่าง {low:,} ถึง {high:,}")
            return None
        return number

    def money(self, column: str, *, positive: bool = True) -> Decimal | None:
        value = self.raw(column)
        if not value:
            return None
        try:
            if not value.isascii() or value.strip() != value or "e" in value.lower():
                raise InvalidOperation
            amount = Decimal(value)
        except InvalidOperation:
            self.fail(column, "จำนวนเงินต้องเป็นตัวเลขทศนิยม เช่น 1234.50 (ไม่มีจุลภาค)")
            return None
        if not amount.is_finite():
            self.fail(column, "จำนวนเงินไม่ถูกต้อง")
            return None
        if amount.as_tuple().exponent < -2:
            self.fail(column, "จำนวนเงินมีทศนิยมเกิน 2 ตำแหน่ง")
            return None
        if amount < 0 or (positive and amount == 0):
            self.fail(column, "จำนวนเงินต้องมากกว่าศูนย์" if positive else "จำนวนเงินติดลบไม่ได้")
            return None
        if amount >= Decimal("10000000000"):
            self.fail(column, "จำนวนเงินเกิน 9,999,999,999.99 บาท")
            return None
        return amount.quantize(Decimal("0.01"))

    def day(self, column: str) -> date | None:
        value = self.raw(column)
        if not value:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            result = date.fromisoformat(value)
        except ValueError:
            self.fail(column, "วันที่ต้องเป็นแบบ ISO ปี ค.ศ. เช่น 2026-11-22")
            return None
        if result.year > 2400:
            self.fail(column, "วันที่ต้องเป็นปี ค.ศ. (ไม่ใช่ พ.ศ.) เช่น 2026-11-22")
            return None
        return result

    def moment(self, column: str) -> datetime | None:
        value = self.raw(column)
        if not value:
            return None
        try:
            if "T" not in value:
                raise ValueError
            result = datetime.fromisoformat(value)
        except ValueError:
            self.fail(column, "วันเวลาต้องเป็นแบบ ISO 8601 พร้อมเขตเวลา เช่น "
                              "2026-11-22T10:15:00+07:00")
            return None
        if result.tzinfo is None or result.utcoffset() is None:
            self.fail(column, "วันเวลาต้องระบุเขตเวลา เช่น +07:00")
            return None
        if result.year > 2400:
            self.fail(column, "วันเวลาต้องเป็นปี ค.ศ. (ไม่ใช่ พ.ศ.)")
            return None
        return result

    def choice(self, column: str, options: Iterable[str]) -> str | None:
        value = self.raw(column)
        if not value:
            return None
        options = list(options)
        if value not in options:
            self.fail(column, f"ต้องเป็นค่าใดค่าหนึ่งใน {', '.join(options)}")
            return None
        return value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv_rows(data: bytes, name: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(name, text_line(data, exc.start), "", "",
                     "ไฟล์ไม่ได้เข้ารหัส UTF-8 (บันทึกจาก Excel เป็น CSV UTF-8)")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.add(name, reader.line_num, "", "", f"รูปแบบ CSV ผิด ({exc})")


def text_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _xlsx_rows(data: bytes, name: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open is one error on the file
        problems.add(name, 0, "", "", "เปิดไฟล์ Excel ไม่ได้")
        return
    sheet = book.worksheets[0]
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_xlsx_text(v) for v in values]
    book.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel keeps numbers as floats: give back the shortest text (12.5, not 12.500001)
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == datetime.min.time():
        return value.date().isoformat()  # an Excel date cell
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class SourceFile:
    name: str  # as found: bills.csv or bills.xlsx
    sha256: str
    rows: list[Row]
    size: int = 0  # bytes


def read_table(directory: Path, table: str, problems: Problems) -> SourceFile | None:
    """The data rows of one table (CSV, else XLSX); a missing file, a bad heading or a
    row of the wrong width is an error. None if the file is missing."""
    csv_path, xlsx_path = directory / f"{table}.csv", directory / f"{table}.xlsx"
    if csv_path.is_file():
        path, reader = csv_path, _csv_rows
    elif xlsx_path.is_file():
        path, reader = xlsx_path, _xlsx_rows
    else:
        problems.add(f"{table}.csv", 0, "", "",
                     f"ไม่พบไฟล์ {table}.csv หรือ {table}.xlsx ในโฟลเดอร์ที่ส่งออก")
        return None
    data = path.read_bytes()
    rows: list[Row] = []
    heading: list[str] | None = None
    wanted = COLUMNS[table]
    for line, cells in reader(data, path.name, problems):
        cells = [c.strip() for c in cells]
        if heading is None:
            heading = cells
            while heading and not heading[-1]:
                heading.pop()
            missing = [c for c in wanted if c not in heading]
            extra = [c for c in heading if c not in wanted]
            if missing:
                problems.add(path.name, line, ", ".join(missing), "",
                             "แถวหัวตารางขาดคอลัมน์ที่ต้องมี")
            if extra:
                problems.add(path.name, line, ", ".join(extra), "",
                             "แถวหัวตารางมีคอลัมน์ที่ไม่รู้จัก")
            if len(set(heading)) != len(heading):
                problems.add(path.name, line, "", "", "แถวหัวตารางมีชื่อคอลัมน์ซ้ำ")
            if missing or extra or len(set(heading)) != len(heading):
                return SourceFile(path.name, _sha256(data), [], len(data))
            continue
        if not any(cells):
            continue
        if len(cells) > len(heading) and any(cells[len(heading):]):
            problems.add(path.name, line, "", "",
                         f"มี {len(cells)} ช่อง มากกว่าหัวตาราง ({len(heading)} คอลัมน์)")
            continue
        cells += [""] * (len(heading) - len(cells))
        rows.append(Row(path.name, line, dict(zip(heading, cells, strict=False)), problems))
    if heading is None:
        problems.add(path.name, 1, "", "", "ไฟล์ว่าง ไม่มีแถวหัวตาราง")
    return SourceFile(path.name, _sha256(data), rows, len(data))


def _check_manifest(directory: Path, files: dict[str, SourceFile],
                    problems: Problems) -> dict[str, Any]:
    """manifest.json, when there is one: every listed file present with its SHA-256 and row
    count (a truncated or edited file is refused), every file present listed."""
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text("utf-8-sig"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        problems.add(MANIFEST, 0, "", "", "อ่าน manifest.json ไม่ได้ (ต้องเป็น JSON ที่มี files)")
        return {}
    listed = manifest.get("files", {})
    present = {f.name: f for f in files.values()}
    for name, entry in sorted(listed.items()):
        source = present.get(name)
        if source is None:
            problems.add(MANIFEST, 0, "files", name, f"manifest ระบุไฟล์ {name} แต่ไม่พบไฟล์นี้")
            continue
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("sha256") != source.sha256:
            problems.add(name, 0, "", entry.get("sha256", ""),
                         f"ค่า SHA-256 ของไฟล์ไม่ตรงกับ manifest.json (ได้ {source.sha256}) "
                         "ไฟล์ถูกแก้ไขหรือส่งมาไม่ครบ")
        if "rows" in entry and entry.get("rows") != len(source.rows):
            problems.add(name, 0, "", str(entry.get("rows")),
                         f"จำนวนแถวไม่ตรงกับ manifest.json (พบ {len(source.rows):,} แถว)")
    for name in sorted(set(present) - set(listed)):
        problems.add(MANIFEST, 0, "files", name, f"ไฟล์ {name} ไม่อยู่ใน manifest.json")
    return manifest


# -- the checked rows -----------------------------------------------------------------------

@dataclass
class NewBillRow:
    row: Row
    office: Office
    key: str  # the bill_ref other files use: Ref1, else the old number
    ref1: str | None
    legacy_ref: str | None
    fiscal_year: int
    running: int | None
    values: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    item_lines: set[int] = field(default_factory=set)
    active_payments: int = 0


@dataclass
class BillRef:
    """A bill a payment or receipt refers to: one of the file or one already stored."""

    office_id: int
    office_code: str
    new: NewBillRow | None = None
    bill_id: int | None = None


@dataclass
class Plan:
    """Everything checked and ready to store."""

    bills: list[NewBillRow]
    payments: list[dict[str, Any]]  # with "_bill" (BillRef) and "_key"
    receipts: list[dict[str, Any]]  # with "_payment_key", "_replaces"
    files: dict[str, dict[str, Any]]
    source_system: str
    payments_file: SourceFile | None = None  # for the stand-in settlement file


def _offices(db: Session) -> dict[str, Office]:
    return {o.code: o for o in db.scalars(select(Office))}


def _chunks(values: list, size: int = 5000) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def check_directory(db: Session, directory: Path,
                    problems: Problems) -> tuple[Plan | None, dict[str, SourceFile]]:
    """Read and check every file; a Plan when nothing is wrong."""
    files: dict[str, SourceFile] = {}
    for table in TABLES:
        source = read_table(directory, table, problems)
        if source is not None:
            files[table] = source
    manifest = _check_manifest(directory, files, problems)
    offices = _offices(db)
    fee_types = {f.code: f for f in db.scalars(select(FeeType))}

    bills = _check_bills(db, files.get("bills"), offices, problems)
    _check_items(files.get("bill_items"), bills, fee_types, problems)
    payments = _check_payments(db, files.get("payments"), bills, offices, problems)
    receipts = _check_receipts(db, files.get("receipts"), bills, payments, offices, problems)
    for bill in bills.values():
        _check_bill_totals(bill, problems)
    summary = {f.name: {"sha256": f.sha256, "rows": len(f.rows)} for f in files.values()}
    if problems:
        return None, files
    return Plan(bills=list(bills.values()), payments=list(payments.values()),
                receipts=receipts, files=summary,
                source_system=str(manifest.get("source_system", ""))[:200],
                payments_file=files.get("payments")), files


def _office_of(row: Row, column: str, offices: dict[str, Office]) -> Office | None:
    code = row.raw(column)
    row.office = code
    if not code:
        row.fail(column, "กรุณาระบุรหัสหน่วยงาน")
        return None
    office = offices.get(code)
    if office is None or office.kind == OfficeKind.CENTRAL:
        row.fail(column, "ไม่พบหน่วยงานรหัสนี้ (ต้องเป็นรหัสจังหวัด 2 หลักหรืออำเภอ 4 หลัก)")
        return None
    return office


def _required(row: Row, table: str) -> bool:
    ok = True
    for column in COLUMNS[table]:
        if column not in OPTIONAL[table] and not row.raw(column):
            row.fail(column, "ต้องระบุค่า (ช่องว่าง)")
            ok = False
    return ok


def _check_bills(db: Session, source: SourceFile | None, offices: dict[str, Office],
                 problems: Problems) -> dict[str, NewBillRow]:
    bills: dict[str, NewBillRow] = {}
    if source is None:
        return bills
    seen_ref1: dict[str, int] = {}
    for row in source.rows:
        office = _office_of(row, "office_code", offices)
        _required(row, "bills")
        year = row.integer("fiscal_year", 2400, 2700)
        status = row.choice("status", [s.value for s in BillStatus])
        ref1_text = row.raw("ref1")
        legacy = row.text("legacy_ref", 40)
        ref1, running = None, None
        if ref1_text:
            try:
                parsed = parse_ref1(ref1_text)
            except Ref1Error as exc:
                row.fail("ref1", exc.thai)
            else:
                if parsed.mode == MODE_TRIAL:
                    row.fail("ref1", "ใบแจ้งทดลอง (Ref1 ขึ้นต้นด้วย 9) ไม่นำเข้า")
                elif parsed.mode != MODE_LIVE:
                    row.fail("ref1", "Ref1 ต้องขึ้นต้นด้วย 1")
                elif office is not None and parsed.office_code != office.ref_code:
                    row.fail("ref1", f"รหัสหน่วยงานใน Ref1 ({parsed.office_code}) ไม่ตรงกับ "
                                     f"office_code ({office.code})")
                elif year is not None and parsed.fiscal_year_yy != year % 100:
                    row.fail("ref1", f"ปีงบประมาณใน Ref1 ({parsed.fiscal_year_yy:02d}) ไม่ตรงกับ "
                                     f"fiscal_year ({year})")
                elif parsed.running < 1:
                    row.fail("ref1", "เลขลำดับใน Ref1 ต้องไม่เป็นศูนย์")
                else:
                    ref1, running = parsed.value, parsed.running
        elif not legacy:
            row.fail("ref1", "ต้องมี ref1 หรือ legacy_ref (เลขที่ใบแจ้งของระบบเดิม) อย่างน้อยหนึ่งอย่าง")
        key = ref1 or legacy or ref1_text
        if key:
            if key in seen_ref1:
                row.fail("ref1" if ref1_text else "legacy_ref",
                         f"ใบแจ้งซ้ำกับบรรทัด {seen_ref1[key]}", key)
            else:
                seen_ref1[key] = row.line
        payer_id = row.raw("payer_id")
        if payer_id and not is_valid_thai_id(payer_id):
            row.fail("payer_id", "เลขประจำตัวประชาชนไม่ถูกต้อง (13 หลัก ผลรวมตรวจสอบต้องตรง)")
        biller_id = row.raw("biller_id")
        if biller_id:
            try:
                validate_biller_id(biller_id)
            except (CodeError, ValueError, TypeError):
                row.fail("biller_id", "รหัสผู้เรียกเก็บ (biller ID) ต้องเป็นตัวเลข 15 หลักที่ถูกต้อง")
        total = row.money("total")
        due = row.day("due_date")
        created = row.moment("created_at")
        paid_at = row.moment("paid_at")
        cancelled_at = row.moment("cancelled_at")
        reason = row.text("cancel_reason", 500)
        if status == BillStatus.PAID and not row.raw("paid_at"):
            row.fail("paid_at", "ใบแจ้งสถานะ paid ต้องมีวันเวลาชำระ")
        if status == BillStatus.CANCELLED:
            if not row.raw("cancelled_at"):
                row.fail("cancelled_at", "ใบแจ้งที่ยกเลิกต้องมีวันเวลายกเลิก")
            if not row.raw("cancel_reason"):
                row.fail("cancel_reason", "ใบแจ้งที่ยกเลิกต้องมีเหตุผล")
        elif row.raw("cancelled_at") or row.raw("cancel_reason"):
            row.fail("cancelled_at", "มีวันยกเลิกหรือเหตุผลแต่สถานะไม่ใช่ cancelled")
        values = dict(
            payer_name=row.text("payer_name", 200), payer_id=payer_id or None,
            payer_address=row.text("payer_address", 500),
            payer_phone=row.text("payer_phone", 20), biller_id=biller_id, total=total,
            due_date=due, created_at=created, paid_at=paid_at, cancelled_at=cancelled_at,
            cancel_reason=reason, status=status)
        if office is not None and year is not None and key and key not in bills:
            bills[key] = NewBillRow(row=row, office=office, key=key, ref1=ref1,
                                    legacy_ref=legacy, fiscal_year=year, running=running,
                                    values=values)
    # against the database: Ref1s and old numbers already stored
    ref1s = [b.ref1 for b in bills.values() if b.ref1]
    legacies = [b.legacy_ref for b in bills.values() if b.legacy_ref]
    taken_ref1: set[str] = set()
    for chunk in _chunks(ref1s):
        taken_ref1 |= set(db.scalars(select(Bill.ref1).where(Bill.ref1.in_(chunk))))
    taken_legacy: set[str] = set()
    for chunk in _chunks(legacies):
        taken_legacy |= set(db.scalars(select(Bill.legacy_ref).where(Bill.legacy_ref.in_(chunk))))
    for bill in bills.values():
        if bill.ref1 in taken_ref1:
            bill.row.fail("ref1", "มีใบแจ้ง Ref1 นี้ในระบบแล้ว (นำเข้าซ้ำหรือเลขชนกัน)")
        if bill.legacy_ref in taken_legacy:
            bill.row.fail("legacy_ref", "มีใบแจ้งเลขที่เดิมนี้ในระบบแล้ว (นำเข้าซ้ำ)")
    return bills


def _check_items(source: SourceFile | None, bills: dict[str, NewBillRow],
                 fee_types: dict[str, FeeType], problems: Problems) -> None:
    if source is None:
        return
    for row in source.rows:
        bill = bills.get(row.raw("bill_ref"))
        if bill is not None:
            row.office = bill.office.code
        _required(row, "bill_items")
        if bill is None and row.raw("bill_ref"):
            row.fail("bill_ref", "ไม่พบใบแจ้งนี้ใน bills")
        line_no = row.integer("line_no", 1, 999)
        fee_type = fee_types.get(row.raw("fee_type_code"))
        if fee_type is None and row.raw("fee_type_code"):
            row.fail("fee_type_code", "ไม่พบประเภทค่าธรรมเนียมรหัสนี้ในระบบ")
        quantity = row.integer("quantity", 1, 100_000)
        unit = row.money("unit_amount", positive=False)
        amount = row.money("amount", positive=False)
        if None not in (quantity, unit, amount) and unit * quantity != amount:
            row.fail("amount", f"จำนวนเงินต้องเท่ากับ quantity × unit_amount "
                               f"({unit * quantity:.2f})")
            amount = None
        if bill is None or line_no is None:
            continue
        if line_no in bill.item_lines:
            row.fail("line_no", "ลำดับรายการซ้ำในใบแจ้งเดียวกัน")
            continue
        bill.item_lines.add(line_no)
        bill.items.append(dict(line_no=line_no, fee_type=fee_type,
                               description=row.text("description", 200),
                               quantity=quantity, unit_amount=unit, amount=amount, _row=row))


def _check_bill_totals(bill: NewBillRow, problems: Problems) -> None:
    if not bill.items:
        bill.row.fail("ref1", "ใบแจ้งไม่มีรายการใน bill_items", bill.key)
        return
    amounts = [i["amount"] for i in bill.items]
    total = bill.values["total"]
    if None not in amounts and total is not None and sum(amounts) != total:
        bill.row.fail("total", f"ยอดรวมไม่เท่ากับผลรวมรายการใน bill_items ({sum(amounts):.2f})")
    status = bill.values["status"]
    if status == BillStatus.PAID and bill.active_payments == 0:
        bill.row.fail("status", "ใบแจ้งสถานะ paid ต้องมีรายการชำระ (active) ใน payments")
    if status in (BillStatus.ISSUED, BillStatus.CANCELLED, BillStatus.EXPIRED) \
            and bill.active_payments:
        bill.row.fail("status", f"ใบแจ้งสถานะ {status} แต่มีรายการชำระ (active) ใน payments")


def _stored_bills(db: Session, keys: list[str]) -> dict[str, tuple[int, int, str, bool]]:
    """Bills already in the database by Ref1 or old number: id, office id, code, trial."""
    found: dict[str, tuple[int, int, str, bool]] = {}
    for chunk in _chunks(keys):
        for column in (Bill.ref1, Bill.legacy_ref):
            for key, bill_id, office_id, code, trial in db.execute(
                    select(column, Bill.id, Bill.office_id, Office.code, Bill.trial)
                    .join(Office, Office.id == Bill.office_id).where(column.in_(chunk))):
                found.setdefault(key, (bill_id, office_id, code, trial))
    return found


def _bill_ref(row: Row, bills: dict[str, NewBillRow],
              stored: dict[str, tuple[int, int, str, bool]]) -> BillRef | None:
    key = row.raw("bill_ref")
    if not key:
        return None
    new = bills.get(key)
    if new is not None:
        row.office = new.office.code
        return BillRef(new.office.id, new.office.code, new=new)
    hit = stored.get(key)
    if hit is None:
        row.fail("bill_ref", "ไม่พบใบแจ้งนี้ทั้งใน bills และในระบบ")
        return None
    if hit[3]:
        row.fail("bill_ref", "ใบแจ้งในระบบเป็นใบแจ้งทดลอง")
        return None
    row.office = hit[2]
    return BillRef(hit[1], hit[2], bill_id=hit[0])


def _check_payments(db: Session, source: SourceFile | None, bills: dict[str, NewBillRow],
                    offices: dict[str, Office], problems: Problems) -> dict[tuple, dict]:
    payments: dict[tuple, dict] = {}
    if source is None:
        return payments
    unknown = sorted({r.raw("bill_ref") for r in source.rows} - set(bills) - {""})
    stored = _stored_bills(db, unknown)
    active_per_bill: dict[str, int] = defaultdict(int)
    for row in source.rows:
        _required(row, "payments")
        bill = _bill_ref(row, bills, stored)
        number = row.integer("payment_no", 1, 999)
        method = row.choice("method", [PaymentMethod.CASH, PaymentMethod.TRANSFER,
                                       PaymentMethod.BANK])
        amount = row.money("amount")
        paid_at = row.moment("paid_at")
        recorded_at = row.moment("recorded_at")
        status = row.choice("status", [s.value for s in PaymentStatus])
        reversed_at = row.moment("reversed_at")
        if status == PaymentStatus.REVERSED and not row.raw("reversed_at"):
            row.fail("reversed_at", "รายการที่ถูกยกเลิก (reversed) ต้องมีวันเวลายกเลิก")
        if status == PaymentStatus.ACTIVE and row.raw("reversed_at"):
            row.fail("reversed_at", "มีวันเวลายกเลิกแต่สถานะเป็น active")
        bank_code = row.raw("bank_code")
        if bank_code and not (len(bank_code) == 3 and bank_code.isascii() and bank_code.isdigit()):
            row.fail("bank_code", "รหัสธนาคารต้องเป็นตัวเลข 3 หลัก")
            bank_code = ""
        elif not bank_code and method == PaymentMethod.BANK:
            row.fail("bank_code", "รายการชำระผ่านธนาคาร (bank) ต้องระบุรหัสธนาคาร")
        values = dict(method=method, amount=amount, paid_at=paid_at,
                      recorded_at=recorded_at or paid_at, channel=row.text("channel", 10) or "",
                      bank_code=bank_code or None, branch=row.text("branch", 4),
                      bank_reference=row.text("bank_reference", 40), status=status,
                      reversed_at=reversed_at)
        if bill is None or number is None:
            continue
        key = (row.raw("bill_ref"), number)
        if key in payments:
            row.fail("payment_no", "เลขที่รายการชำระซ้ำในใบแจ้งเดียวกัน")
            continue
        if status == PaymentStatus.ACTIVE:
            active_per_bill[key[0]] += 1
            if active_per_bill[key[0]] > 1:
                row.fail("status", "ใบแจ้งหนึ่งใบมีรายการชำระ active ได้รายการเดียว")
            if bill.new is not None:
                bill.new.active_payments += 1
            elif bill.bill_id is not None:
                row.fail("bill_ref", "ใบแจ้งนี้อยู่ในระบบแล้ว: นำเข้าได้เฉพาะรายการชำระที่ถูกยกเลิก "
                                     "(reversed) เพื่อไม่ให้ชำระซ้ำ")
        payments[key] = dict(values, _bill=bill, _row=row, _key=key)
    return payments


def _receipt_key(office: str, year: int | None, series: str | None, book: str | None,
                 number: int | None) -> tuple:
    return (office, year, series, book, number)


def _check_receipts(db: Session, source: SourceFile | None, bills: dict[str, NewBillRow],
                    payments: dict[tuple, dict], offices: dict[str, Office],
                    problems: Problems) -> list[dict]:
    receipts: list[dict] = []
    if source is None:
        return receipts
    unknown = sorted({r.raw("bill_ref") for r in source.rows} - set(bills) - {""})
    stored = _stored_bills(db, unknown)
    seen: dict[tuple, int] = {}
    seen_running: dict[tuple, int] = {}
    valid_per_payment: dict[tuple, int] = {}
    for row in source.rows:
        office = _office_of(row, "office_code", offices)
        _required(row, "receipts")
        year = row.integer("fiscal_year", 2400, 2700)
        series = row.choice("series", [s.value for s in ReceiptSeries])
        book = row.text("book", 20)
        number = row.integer("number", 1, 99_999_999)
        bill = _bill_ref(row, bills, stored)
        if office is not None:
            row.office = office.code
        if bill is not None and office is not None and bill.office_id != office.id:
            row.fail("bill_ref", f"ใบแจ้งนี้เป็นของหน่วยงาน {bill.office_code} ไม่ใช่ {office.code}")
        payment_key = None
        payment_no = row.integer("payment_no", 1, 999)
        if row.raw("payment_no"):
            if not row.raw("bill_ref"):
                row.fail("payment_no", "ระบุ payment_no ต้องระบุ bill_ref ด้วย")
            elif payment_no is not None:
                payment_key = (row.raw("bill_ref"), payment_no)
                if payment_key not in payments:
                    row.fail("payment_no", "ไม่พบรายการชำระนี้ใน payments")
                    payment_key = None
        elif series == ReceiptSeries.ELECTRONIC:
            row.fail("payment_no", "ใบเสร็จอิเล็กทรอนิกส์ (e) ต้องอ้างถึงรายการชำระ")
        amount = row.money("amount")
        issued_at = row.moment("issued_at")
        if payment_key and amount is not None and payments[payment_key]["amount"] is not None \
                and amount != payments[payment_key]["amount"]:
            row.fail("amount", f"จำนวนเงินไม่ตรงกับรายการชำระ "
                               f"({payments[payment_key]['amount']:.2f})")
        status = row.choice("status", [s.value for s in ReceiptStatus])
        kind = row.choice("cancel_kind", [k.value for k in CancelKind])
        reason = row.text("cancel_reason", 500)
        if status == ReceiptStatus.CANCELLED and not (kind and reason):
            row.fail("cancel_reason", "ใบเสร็จที่ยกเลิกต้องมี cancel_kind และ cancel_reason")
        if status == ReceiptStatus.VALID and (kind or reason or row.raw("cancelled_at")):
            row.fail("status", "มีข้อมูลการยกเลิกแต่สถานะเป็น valid")
        key = _receipt_key(row.raw("office_code"), year, series, book, number)
        if None not in key:
            duplicate = key in seen
            if duplicate:
                row.fail("number", f"เลขที่ใบเสร็จซ้ำกับบรรทัด {seen[key]} "
                                   "(หน่วยงาน ปีงบประมาณ ชุด เล่ม เลขที่เดียวกัน)", number)
            else:
                seen[key] = row.line
            if series == ReceiptSeries.ELECTRONIC:
                running_key = (row.raw("office_code"), year, number)
                if running_key in seen_running and not duplicate:
                    row.fail("number", f"เลขที่ใบเสร็จซ้ำกับบรรทัด {seen_running[running_key]} "
                                       "(ใบเสร็จอิเล็กทรอนิกส์ เลขที่ต้องไม่ซ้ำในปีงบประมาณ)", number)
                seen_running.setdefault(running_key, row.line)
        if payment_key and status == ReceiptStatus.VALID:
            if payment_key in valid_per_payment:
                row.fail("payment_no", f"รายการชำระนี้มีใบเสร็จที่ใช้ได้แล้วที่บรรทัด "
                                       f"{valid_per_payment[payment_key]}")
            else:
                valid_per_payment[payment_key] = row.line
        replaces = row.raw("replaces")
        replaces_key = None
        if replaces:
            parts = replaces.split(":")
            if len(parts) != 4 or not parts[0].isdigit() or not parts[3].isdigit():
                row.fail("replaces", "ต้องเป็น ปีงบประมาณ:ชุด:เล่ม:เลขที่ เช่น 2569:e:1:17")
            else:
                replaces_key = _receipt_key(row.raw("office_code"), int(parts[0]), parts[1],
                                            parts[2], int(parts[3]))
        receipts.append(dict(
            _row=row, _key=key, _payment_key=payment_key, _replaces=replaces_key, _bill=bill,
            office_id=office.id if office else None, fiscal_year=year, series=series,
            running=number if series == ReceiptSeries.ELECTRONIC else None, book=book,
            number=number, amount=amount, payer_name=row.text("payer_name", 200),
            issued_at=issued_at, recorded_at=row.moment("recorded_at") or issued_at,
            issuer_name=row.text("issuer_name", 200) or "",
            issuer_position=row.text("issuer_position", 200) or "", status=status,
            cancelled_at=row.moment("cancelled_at"), cancel_kind=kind, cancel_reason=reason,
            payment_reference=row.text("payment_reference", 60)))
    replaced: dict[tuple, int] = {}
    for receipt in receipts:
        target = receipt["_replaces"]
        if target is None:
            continue
        row = receipt["_row"]
        if target not in seen:
            row.fail("replaces", "ไม่พบใบเสร็จที่ถูกแทนใน receipts ของหน่วยงานเดียวกัน")
        elif target == receipt["_key"]:
            row.fail("replaces", "ใบเสร็จแทนตัวเองไม่ได้")
        elif target in replaced:
            row.fail("replaces", f"ใบเสร็จนี้ถูกแทนแล้วที่บรรทัด {replaced[target]}")
        else:
            replaced[target] = row.line
    _check_stored_receipts(db, receipts)
    return receipts


def _check_stored_receipts(db: Session, receipts: list[dict]) -> None:
    """Receipt numbers already taken in the database (same office, year, series and book
    and number; or, electronic, the same running number)."""
    by_scope: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for r in receipts:
        if r["office_id"] is not None and r["fiscal_year"] is not None:
            by_scope[(r["office_id"], r["fiscal_year"])].append(r)
    for (office_id, year), members in by_scope.items():
        taken = {(series, book, number): running for series, book, number, running in db.execute(
            select(Receipt.series, Receipt.book, Receipt.number, Receipt.running).where(
                Receipt.office_id == office_id, Receipt.fiscal_year == year))}
        runnings = {running for (series, _b, _n), running in taken.items()
                    if series == ReceiptSeries.ELECTRONIC}
        for r in members:
            if (r["series"], r["book"], r["number"]) in taken or (
                    r["series"] == ReceiptSeries.ELECTRONIC and r["running"] in runnings):
                r["_row"].fail("number", "เลขที่ใบเสร็จนี้มีอยู่ในระบบแล้ว (นำเข้าซ้ำหรือเลขชนกัน)",
                               r["number"])


# -- importing ------------------------------------------------------------------------------

@dataclass
class ImportResult:
    batch_id: int
    status: str
    counts: dict[str, int]
    problems: list[Problem]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.status == MigrationStatus.IMPORTED

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "status": self.status, "counts": self.counts,
                "error_count": self.error_count,
                "errors": [p.to_dict() for p in self.problems]}


def import_directory(db: Session, actor: Actor | None, directory: str | Path, *,
                     performed_by: str, clock=utcnow) -> ImportResult:
    """Check every file of ``directory``, then import all of it or nothing (see the
    module's docstring). A refused attempt stores only its ``MigrationBatch`` (status
    ``refused``, with the errors) and an audit event; the caller commits either way."""
    directory = Path(directory)
    now = clock()
    problems = Problems()
    if not directory.is_dir():
        problems.add(str(directory), 0, "", "", "ไม่พบโฟลเดอร์นี้")
        plan, files = None, {}
    else:
        plan, files = check_directory(db, directory, problems)
    summary = {f.name: {"sha256": f.sha256, "rows": len(f.rows)} for f in files.values()}
    batch = MigrationBatch(at=now, performed_by=performed_by[:200],
                           user_id=actor.user_id if actor else None,
                           source=str(directory)[:500],
                           source_system=plan.source_system if plan else "",
                           status=MigrationStatus.REFUSED if plan is None else
                           MigrationStatus.IMPORTED,
                           counts={name: info["rows"] for name, info in summary.items()},
                           files=summary, errors=[p.to_dict() for p in problems.items],
                           error_count=problems.total)
    db.add(batch)
    db.flush()
    if plan is None:
        audit(db, actor, "migration.refused", object_type="migration_batch", object_id=batch.id,
              after={"source": batch.source, "errors": problems.total,
                     "first": str(problems.items[0]) if problems.items else None}, at=now)
        return ImportResult(batch.id, batch.status, batch.counts, problems.items, problems.total)
    counts = _store(db, plan, batch.id, now, user_id=batch.user_id)
    batch.counts = counts
    db.flush()
    audit(db, actor, "migration.import", object_type="migration_batch", object_id=batch.id,
          after={"source": batch.source, "source_system": batch.source_system,
                 "counts": counts, "files": summary}, at=now)
    return ImportResult(batch.id, batch.status, counts, [], 0)


def _raise_counter(db: Session, office_id: int, year: int, series: str, value: int) -> None:
    """The counter of (office, year, series) to at least ``value`` (locked until commit,
    as ``take_number``): the next number given out follows the highest imported one."""
    advance = (
        update(Counter)
        .where(Counter.office_id == office_id, Counter.fiscal_year == year,
               Counter.series == series)
        .values(last_value=case((Counter.last_value < value, value),
                                else_=Counter.last_value))
        .returning(Counter.last_value)
        .execution_options(synchronize_session=False))
    if db.execute(advance).scalar_one_or_none() is not None:
        return
    try:
        with db.begin_nested():
            db.add(Counter(office_id=office_id, fiscal_year=year, series=series,
                           last_value=value))
    except IntegrityError:
        db.execute(advance).scalar_one()


def _expired_at(due: date) -> datetime:
    """When an imported expired bill is recorded as expired: the start of the day after its
    due date in Bangkok (billpay's daily job expires bills past their due date)."""
    return day_start(due + timedelta(days=1))


def _store(db: Session, plan: Plan, batch_id: int, now: datetime, *,
           user_id: int | None = None) -> dict[str, int]:
    # bills: counters first, so bills without a billpay Ref1 get numbers after the imported ones
    highest: dict[tuple[int, int], int] = defaultdict(int)
    for bill in plan.bills:
        if bill.running is not None:
            scope = (bill.office.id, bill.fiscal_year)
            highest[scope] = max(highest[scope], bill.running)
    for (office_id, year), value in sorted(highest.items()):
        _raise_counter(db, office_id, year, BILL_SERIES, value)
    needing: dict[tuple[int, int], list[NewBillRow]] = defaultdict(list)
    for bill in plan.bills:
        if bill.ref1 is None:
            needing[(bill.office.id, bill.fiscal_year)].append(bill)
    for (_office_id, year), members in sorted(needing.items()):
        office = members[0].office
        numbers = take_numbers(db, office_id=office.id, fiscal_year=year, series=BILL_SERIES,
                               count=len(members))
        for running, bill in zip(numbers, members, strict=True):
            bill.running = running
            bill.ref1 = make_ref1(MODE_LIVE, office.code, year, running)
    bill_rows = []
    for bill in plan.bills:
        v = bill.values
        items = sorted(bill.items, key=lambda i: i["line_no"])
        bill_rows.append(dict(
            office_id=bill.office.id, ref1=bill.ref1, ref2=make_ref2(v["due_date"]),
            biller_id=v["biller_id"], revenue_type=items[0]["fee_type"].revenue_type,
            fiscal_year=bill.fiscal_year, running=bill.running, payer_name=v["payer_name"],
            payer_id=v["payer_id"], payer_address=v["payer_address"],
            payer_phone=v["payer_phone"], total=v["total"], due_date=v["due_date"],
            status=v["status"], created_at=v["created_at"], created_by_id=None,
            cancelled_at=v["cancelled_at"], cancelled_by_id=None,
            cancel_reason=v["cancel_reason"], paid_at=v["paid_at"], trial=False,
            migration_batch_id=batch_id, legacy_ref=bill.legacy_ref))
    bill_ids = insert_rows(db, Bill, bill_rows, return_ids=True)
    id_of: dict[str, int] = {}
    item_rows, event_rows = [], []
    events: list[stats.Event] = []
    lines_of: dict[int, stats.BillLines] = {}
    for bill, bill_id in zip(plan.bills, bill_ids, strict=True):
        id_of[bill.key] = bill_id
        v = bill.values
        items = sorted(bill.items, key=lambda i: i["line_no"])
        for item in items:
            item_rows.append(dict(bill_id=bill_id, line_no=item["line_no"],
                                  fee_type_id=item["fee_type"].id,
                                  description=item["description"], quantity=item["quantity"],
                                  unit_amount=item["unit_amount"], amount=item["amount"]))
        lines = stats.BillLines(bill.office.id, v["total"], tuple(
            stats.ItemLine(i["fee_type"].id, i["fee_type"].revenue_type, i["amount"])
            for i in items))
        lines_of[bill_id] = lines
        history = [(None, BillStatus.ISSUED, v["created_at"], None)]
        events.append(stats.Event(stats.Activity.ISSUED, v["created_at"], lines))
        if v["status"] == BillStatus.PAID:
            history.append((BillStatus.ISSUED, BillStatus.PAID, v["paid_at"], None))
        elif v["status"] == BillStatus.CANCELLED:
            history.append((BillStatus.ISSUED, BillStatus.CANCELLED, v["cancelled_at"],
                            v["cancel_reason"]))
            events.append(stats.Event(stats.Activity.CANCELLED, v["cancelled_at"], lines))
        elif v["status"] == BillStatus.EXPIRED:
            at = _expired_at(v["due_date"])
            history.append((BillStatus.ISSUED, BillStatus.EXPIRED, at, "เกินกำหนดชำระ"))
            events.append(stats.Event(stats.Activity.EXPIRED, at, lines))
        for from_status, to_status, at, reason in history:
            event_rows.append(dict(bill_id=bill_id, from_status=from_status, to_status=to_status,
                                   at=at, user_id=None, token_id=None,
                                   reason=reason or "นำเข้าจากระบบเดิม"))
    insert_rows(db, BillItem, item_rows)
    insert_rows(db, BillEvent, event_rows)

    # payments
    stored_bills = {p["_bill"].bill_id for p in plan.payments if p["_bill"].bill_id}
    if stored_bills:
        lines_of.update(stats.lines_for(db, stored_bills))
    for p in plan.payments:
        bill_ref: BillRef = p["_bill"]
        p["bill_id"] = bill_ref.bill_id or id_of[bill_ref.new.key]
    line_of = _stand_in_lines(db, plan, batch_id, now, user_id)
    payment_rows = []
    for p in plan.payments:
        bill_id = p["bill_id"]
        payment_rows.append(dict(
            bill_id=bill_id, office_id=p["_bill"].office_id, method=p["method"],
            amount=p["amount"], paid_at=p["paid_at"], channel=p["channel"],
            bank_code=p["bank_code"], branch=p["branch"], bank_reference=p["bank_reference"],
            bank_line_id=line_of.get(p["_key"]), status=p["status"],
            recorded_at=p["recorded_at"],
            recorded_by_id=None, reversed_at=p["reversed_at"], reversal_line_id=None,
            trial=False, migration_batch_id=batch_id))
        lines = lines_of.get(bill_id)
        if lines is not None:
            events.append(stats.Event(stats.Activity.PAID, p["paid_at"], lines, p["amount"]))
            if p["status"] == PaymentStatus.REVERSED:
                events.append(stats.Event(stats.Activity.REVERSED, p["reversed_at"], lines,
                                          p["amount"]))
    payment_ids = insert_rows(db, Payment, payment_rows, return_ids=True)
    payment_id_of = {p["_key"]: pid for p, pid in zip(plan.payments, payment_ids, strict=True)}

    # receipts (a replacement points at the receipt it replaces once both are stored)
    receipt_rows = []
    highest_receipt: dict[tuple[int, int], int] = defaultdict(int)
    for r in plan.receipts:
        bill_ref = r["_bill"]
        bill_id = None
        if bill_ref is not None:
            bill_id = bill_ref.bill_id or id_of[bill_ref.new.key]
        receipt_rows.append(dict(
            office_id=r["office_id"], fiscal_year=r["fiscal_year"], series=r["series"],
            running=r["running"], book=r["book"], number=r["number"],
            payment_id=payment_id_of.get(r["_payment_key"]), bill_id=bill_id,
            amount=r["amount"], payer_name=r["payer_name"], issued_at=r["issued_at"],
            recorded_at=r["recorded_at"], issued_by_id=None, issuer_name=r["issuer_name"],
            issuer_position=r["issuer_position"], status=r["status"],
            cancelled_at=r["cancelled_at"], cancel_kind=r["cancel_kind"],
            cancel_reason=r["cancel_reason"], cancel_requested_by_id=None,
            cancel_approved_by_id=None, replaces_id=None, print_count=0,
            payment_reference=r["payment_reference"], trial=False,
            migration_batch_id=batch_id))
        if r["series"] == ReceiptSeries.ELECTRONIC:
            scope = (r["office_id"], r["fiscal_year"])
            highest_receipt[scope] = max(highest_receipt[scope], r["number"])
    receipt_ids = insert_rows(db, Receipt, receipt_rows, return_ids=True)
    receipt_id_of = {r["_key"]: rid for r, rid in zip(plan.receipts, receipt_ids, strict=True)}
    update_rows(db, Receipt, [{"id": rid, "replaces_id": receipt_id_of[r["_replaces"]]}
                              for r, rid in zip(plan.receipts, receipt_ids, strict=True)
                              if r["_replaces"] is not None])
    for (office_id, year), value in sorted(highest_receipt.items()):
        _raise_counter(db, office_id, year, RECEIPT_SERIES, value)

    stats.record(db, events)
    return {"bills": len(bill_rows), "bill_items": len(item_rows), "payments": len(payment_rows),
            "receipts": len(receipt_rows)}


def _row_bytes(table: str, row: Row) -> bytes:
    """A row as read, written back as one CSV line in the layout's column order."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow([row.raw(c) for c in COLUMNS[table]])
    return out.getvalue().encode("utf-8")


def _stand_in_lines(db: Session, plan: Plan, batch_id: int, now: datetime,
                    user_id: int | None) -> dict[tuple, int]:
    """The settlement lines the batch's ``bank`` payments point at (``bank_line_id`` is
    required of a bank payment): one stand-in ``SettlementFile`` (source ``migration``,
    SHA-256 derived from the batch and its payments file, so unique) with one batch, and
    one matched credit line per bank payment carrying the payment's bank, branch, channel,
    time and amount and its bill's Ref1, Ref2 and office, so the daily report ties and the
    file reconciles. ``raw`` is the payments row as read. Returns line ids by payment key."""
    bank = [p for p in plan.payments if p["method"] == PaymentMethod.BANK]
    if not bank:
        return {}
    source = plan.payments_file
    assert source is not None
    bill_facts: dict[int, tuple[str, str, str, str]] = {}  # Ref1, Ref2, biller, payer
    for p in bank:
        new = p["_bill"].new
        if new is not None:
            v = new.values
            bill_facts[p["bill_id"]] = (new.ref1, make_ref2(v["due_date"]), v["biller_id"],
                                        v["payer_name"] or "")
    for chunk in _chunks(sorted({p["bill_id"] for p in bank} - set(bill_facts))):
        for bill_id, *facts in db.execute(
                select(Bill.id, Bill.ref1, Bill.ref2, Bill.biller_id, Bill.payer_name)
                .where(Bill.id.in_(chunk))):
            bill_facts[bill_id] = tuple(facts)
    codes = {p["bank_code"] for p in bank}
    bank_code = codes.pop() if len(codes) == 1 else "000"  # several banks
    total = sum((p["amount"] for p in bank), Decimal("0.00"))
    effective = bangkok_date(max(p["paid_at"] for p in bank))
    record = SettlementFile(
        filename=f"migration-{batch_id}/{source.name}", sha256=_sha256(
            f"{SETTLEMENT_SOURCE}:{batch_id}:{source.sha256}".encode()),
        size=source.size, source=SETTLEMENT_SOURCE, bank_code=bank_code,
        effective_date=effective, imported_at=now, imported_by_id=user_id,
        line_count=len(source.rows) + 1, detail_count=len(bank), matched_count=len(bank),
        matched_amount=total)
    db.add(record)
    db.flush()
    batch = SettlementBatch(
        file_id=record.id, header_line=1, trailer_line=max(p["_row"].line for p in bank) + 1,
        bank_code=bank_code, account="", company_name="นำเข้าจากระบบเดิม",
        effective_date=effective, service_code="", variant=SETTLEMENT_SOURCE,
        detail_count=len(bank), credit_count=len(bank), credit_amount=total, debit_count=0,
        debit_amount=Decimal("0.00"), commission_count=None, commission_amount=None)
    db.add(batch)
    db.flush()
    rows = []
    for seq, p in enumerate(bank, start=1):
        ref1, ref2, biller_id, payer = bill_facts[p["bill_id"]]
        row: Row = p["_row"]
        rows.append(dict(
            file_id=record.id, batch_id=batch.id, line_no=row.line, seq=seq,
            fingerprint=_sha256(f"{SETTLEMENT_SOURCE}:{batch_id}:{row.line}".encode()),
            bank_code=p["bank_code"], account="", paid_at=p["paid_at"],
            customer_name=payer[:50], ref1_raw=ref1, ref1=ref1, ref2=ref2, ref3="",
            branch=p["branch"] or "", teller="", kind="C", txn_code=p["channel"][:3],
            cheque_no="", amount=p["amount"], cheque_bank="", payer_bank=None,
            biller_id=biller_id, raw=_row_bytes("payments", row),
            outcome=LineOutcome.MATCHED.value, bill_id=p["bill_id"],
            office_id=p["_bill"].office_id, trial=False))
    ids = insert_rows(db, BankLine, rows, return_ids=True)
    return {p["_key"]: line_id for p, line_id in zip(bank, ids, strict=True)}


# -- exporting ------------------------------------------------------------------------------

def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _moment(value: datetime | None) -> str:
    """ISO 8601 on Bangkok's clock with its offset: 2026-11-22T10:15:00+07:00."""
    return "" if value is None else value.astimezone(BANGKOK).isoformat()


def _day_text(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _csv_bytes(table: str, rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS[table])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


@dataclass
class ExportResult:
    directory: Path
    counts: dict[str, int]
    files: dict[str, dict[str, Any]]


def export_rows(db: Session, *, office_code: str | None = None) -> dict[str, list[tuple]]:
    """The rows of each table of the layout, in the export's order (no trial data)."""
    office_filter = []
    if office_code:
        office = db.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            from billpay.errors import NotFound

            raise NotFound(f"ไม่พบหน่วยงานรหัส {office_code}")
        office_filter = [Bill.office_id == office.id]
    bills = db.execute(
        select(Bill, Office.code).join(Office, Office.id == Bill.office_id)
        .where(Bill.trial.is_(False), *office_filter).order_by(Bill.ref1)).all()
    out: dict[str, list[tuple]] = {t: [] for t in TABLES}
    ref1_of: dict[int, str] = {}
    for bill, code in bills:
        ref1_of[bill.id] = bill.ref1
        out["bills"].append((
            code, bill.ref1, bill.legacy_ref, bill.fiscal_year, bill.status, bill.payer_name,
            bill.payer_id, bill.payer_address, bill.payer_phone, bill.biller_id,
            _money(bill.total), _day_text(bill.due_date), _moment(bill.created_at),
            _moment(bill.paid_at), _moment(bill.cancelled_at), bill.cancel_reason))
    bill_scope = [Bill.trial.is_(False), *office_filter]
    for item, ref1, fee_code in db.execute(
            select(BillItem, Bill.ref1, FeeType.code).join(Bill, Bill.id == BillItem.bill_id)
            .join(FeeType, FeeType.id == BillItem.fee_type_id).where(*bill_scope)
            .order_by(Bill.ref1, BillItem.line_no)):
        out["bill_items"].append((ref1, item.line_no, fee_code, item.description, item.quantity,
                                  _money(item.unit_amount), _money(item.amount)))
    payment_no: dict[int, tuple[str, int]] = {}
    numbers: dict[int, int] = defaultdict(int)
    for payment, ref1 in db.execute(
            select(Payment, Bill.ref1).join(Bill, Bill.id == Payment.bill_id)
            .where(Payment.trial.is_(False), *bill_scope)
            .order_by(Bill.ref1, Payment.paid_at, Payment.id)):
        numbers[payment.bill_id] += 1
        payment_no[payment.id] = (ref1, numbers[payment.bill_id])
        out["payments"].append((
            ref1, numbers[payment.bill_id], payment.method, _money(payment.amount),
            _moment(payment.paid_at), _moment(payment.recorded_at), payment.channel,
            payment.bank_code, payment.branch, payment.bank_reference, payment.status,
            _moment(payment.reversed_at)))
    receipt_filter = [Receipt.office_id == office.id] if office_code else []
    receipts = db.execute(
        select(Receipt, Office.code).join(Office, Office.id == Receipt.office_id)
        .where(Receipt.trial.is_(False), *receipt_filter)
        .order_by(Office.code, Receipt.fiscal_year, Receipt.series, Receipt.book,
                  Receipt.number, Receipt.id)).all()
    cite = {r.id: f"{r.fiscal_year}:{r.series}:{r.book}:{r.number}" for r, _code in receipts}
    for receipt, code in receipts:
        ref1, number = payment_no.get(receipt.payment_id, (None, None))
        bill_ref = ref1 or (ref1_of.get(receipt.bill_id) if receipt.bill_id else None)
        if bill_ref is None and receipt.bill_id is not None:
            bill_ref = db.scalar(select(Bill.ref1).where(Bill.id == receipt.bill_id))
        out["receipts"].append((
            code, receipt.fiscal_year, receipt.series, receipt.book, receipt.number, bill_ref,
            number, _money(receipt.amount), receipt.payer_name, _moment(receipt.issued_at),
            _moment(receipt.recorded_at), receipt.issuer_name, receipt.issuer_position,
            receipt.status, _moment(receipt.cancelled_at), receipt.cancel_kind,
            receipt.cancel_reason, cite.get(receipt.replaces_id) if receipt.replaces_id else None,
            receipt.payment_reference))
    return out


def export_directory(db: Session, directory: str | Path, *, office_code: str | None = None,
                     source_system: str = "billpay", clock=utcnow) -> ExportResult:
    """Write the layout to ``directory`` (created if need be): four CSV files and
    ``manifest.json``. Only reads the database."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tables = export_rows(db, office_code=office_code)
    files: dict[str, dict[str, Any]] = {}
    for table, rows in tables.items():
        data = _csv_bytes(table, rows)
        (directory / f"{table}.csv").write_bytes(data)
        files[f"{table}.csv"] = {"rows": len(rows), "sha256": _sha256(data)}
    manifest = {"format": FORMAT, "source_system": source_system,
                "exported_at": _moment(clock()), "office": office_code, "files": files}
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    return ExportResult(directory, {t: len(r) for t, r in tables.items()}, files)

