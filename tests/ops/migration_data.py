"""A small old-system export in the data-migration layout, written by hand (not by billpay's
own export): two offices of Chiang Mai (5001, 5002) and one of Lampang (5201), in the
current fiscal year, with paid, issued, cancelled and expired bills, cash and transfer
payments, a reversed payment, a cancelled receipt and its replacement, a paper receipt,
and one bill that only has the old system's number (no Ref1)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from billpay.codes import make_ref1
from billpay.db import utcnow
from billpay.ops.migration import COLUMNS
from billpay.thaidate import BANGKOK, fiscal_year

BILLER = "099999999999100"
RUN_START = 900  # imported Ref1 running numbers: 901, 902 …


def year() -> int:
    return fiscal_year(utcnow())


def moment(days_ago: int, hour: int = 10) -> str:
    now = utcnow().astimezone(BANGKOK)
    day = (now - timedelta(days=days_ago)).replace(hour=hour, minute=15, second=0,
                                                   microsecond=0)
    # keep within the current fiscal year (imports must land in this year's counters)
    return day.isoformat()


def layout() -> dict[str, list[dict[str, str]]]:
    """Rows per table. Ref1s 901… of 5001, 5002 and 5201 in this fiscal year; receipts
    numbered 1–4 (5001), 1–2 (5002), 1 (5201) plus a paper receipt."""
    fy = year()
    yesterday, earlier = moment(1), moment(2, 9)
    ref = {}
    for code, n in (("5001", 1), ("5001", 2), ("5001", 3), ("5001", 4), ("5001", 5),
                    ("5002", 1), ("5002", 2), ("5201", 1)):
        ref[(code, n)] = make_ref1(1, code, fy, RUN_START + n)

    def bill(code, n, status, total, **kw):
        row = {c: "" for c in COLUMNS["bills"]}
        row.update(office_code=code, ref1=ref[(code, n)], fiscal_year=str(fy), status=status,
                   payer_name=f"นายผู้ชำระ {code}-{n}", biller_id=BILLER, total=total,
                   due_date=(utcnow() + timedelta(days=20)).date().isoformat(),
                   created_at=earlier)
        row.update(kw)
        return row

    def item(bill_ref, line, code, quantity, unit):
        amount = Decimal(unit) * quantity
        return {"bill_ref": bill_ref, "line_no": str(line), "fee_type_code": code,
                "description": f"ค่าธรรมเนียม {code}", "quantity": str(quantity),
                "unit_amount": unit, "amount": f"{amount:.2f}"}

    def payment(bill_ref, no, method, amount, status="active", **kw):
        row = {c: "" for c in COLUMNS["payments"]}
        row.update(bill_ref=bill_ref, payment_no=str(no), method=method, amount=amount,
                   paid_at=yesterday, status=status)
        row.update(kw)
        return row

    def receipt(code, number, bill_ref, payment_no, amount, series="e", book="1", **kw):
        row = {c: "" for c in COLUMNS["receipts"]}
        row.update(office_code=code, fiscal_year=str(fy), series=series, book=book,
                   number=str(number), bill_ref=bill_ref, payment_no=str(payment_no or ""),
                   amount=amount, payer_name="นายผู้ชำระ", issued_at=yesterday,
                   issuer_name="นางสาวรับเงิน ระบบเดิม", status="valid")
        row.update(kw)
        return row

    r = ref
    bills = [
        bill("5001", 1, "paid", "150.00", paid_at=yesterday),
        bill("5001", 2, "paid", "1200.00", paid_at=yesterday),
        bill("5001", 3, "issued", "20.00"),
        bill("5001", 4, "cancelled", "100.00", cancelled_at=yesterday,
             cancel_reason="ผู้ชำระขอยกเลิก"),
        bill("5001", 5, "paid", "300.00", paid_at=yesterday),
        bill("5002", 1, "paid", "55.50", paid_at=yesterday),
        bill("5002", 2, "issued", "80.00"),
        bill("5201", 1, "paid", "1000.00", paid_at=yesterday),
    ]
    legacy = {c: "" for c in COLUMNS["bills"]}
    legacy.update(office_code="5001", legacy_ref="OLD-2569-0077", fiscal_year=str(fy),
                  status="paid", payer_name="นางเดิม ไม่มีเลขอ้างอิง", biller_id=BILLER,
                  total="40.00", due_date=(utcnow() + timedelta(days=5)).date().isoformat(),
                  created_at=earlier, paid_at=yesterday)
    bills.append(legacy)
    items = [
        item(r[("5001", 1)], 1, "FA01", 1, "50.00"), item(r[("5001", 1)], 2, "HT01", 2, "50.00"),
        item(r[("5001", 2)], 1, "HT01", 1, "1200.00"),
        item(r[("5001", 3)], 1, "HT01", 1, "20.00"),
        item(r[("5001", 4)], 1, "HT01", 1, "100.00"),
        item(r[("5001", 5)], 1, "HT01", 3, "100.00"),
        item(r[("5002", 1)], 1, "HT01", 1, "55.50"),
        item(r[("5002", 2)], 1, "HT01", 1, "80.00"),
        item(r[("5201", 1)], 1, "HT01", 1, "1000.00"),
        item("OLD-2569-0077", 1, "HT01", 1, "40.00"),
    ]
    payments = [
        payment(r[("5001", 1)], 1, "cash", "150.00"),
        payment(r[("5001", 2)], 1, "transfer", "1200.00", bank_code="006",
                bank_reference="TRF-1"),
        payment(r[("5001", 3)], 1, "cash", "20.00", status="reversed", reversed_at=yesterday),
        payment(r[("5001", 5)], 1, "cash", "300.00"),
        payment(r[("5002", 1)], 1, "cash", "55.50"),
        payment(r[("5201", 1)], 1, "cash", "1000.00"),
        payment("OLD-2569-0077", 1, "cash", "40.00"),
    ]
    receipts = [
        receipt("5001", 1, r[("5001", 1)], 1, "150.00"),
        receipt("5001", 2, r[("5001", 2)], 1, "1200.00", status="cancelled",
                cancel_kind="approved", cancel_reason="พิมพ์ชื่อผิด", cancelled_at=yesterday),
        receipt("5001", 3, r[("5001", 2)], 1, "1200.00", replaces=f"{fy}:e:1:2"),
        receipt("5001", 4, r[("5001", 5)], 1, "300.00"),
        receipt("5001", 7, "OLD-2569-0077", 1, "40.00"),  # numbers 5, 6 missing: a gap
        receipt("5001", 12, r[("5001", 3)], "", "20.00", series="paper", book="P3",
                status="cancelled", cancel_kind="bank_reversal", cancel_reason="ยกเลิกการชำระ",
                cancelled_at=yesterday),
        receipt("5002", 1, r[("5002", 1)], 1, "55.50"),
        receipt("5201", 1, r[("5201", 1)], 1, "1000.00"),
    ]
    return {"bills": bills, "bill_items": items, "payments": payments, "receipts": receipts}


def write(directory: Path, tables: dict[str, list[dict[str, str]]], *,
          manifest: bool = True, bom: bool = True) -> Path:
    """Write ``tables`` as CSV files (with a BOM, as Excel saves them) and a manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for table, rows in tables.items():
        path = directory / f"{table}.csv"
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(COLUMNS[table]))
            writer.writeheader()
            writer.writerows(rows)
        files[path.name] = {"rows": len(rows),
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    if manifest:
        (directory / "manifest.json").write_text(json.dumps(
            {"format": "billpay-migration/1", "source_system": "ระบบรับชำระเดิม v2",
             "exported_at": moment(0), "files": files}, ensure_ascii=False), "utf-8")
    return directory


def expected_paid() -> Decimal:
    """Net money of the layout: active payments (the reversed one is paid and reversed)."""
    return sum((Decimal(p["amount"]) for p in layout()["payments"] if p["status"] == "active"),
               Decimal("0.00"))
