"""Data migration (``billpay migrate import``, ``billpay export``): all or nothing with every
error named by file, line, column and value; counters continue after the imported
numbers; reports include the migrated money; bank payments get stand-in settlement lines;
export → fresh database → import → export gives the same files, byte for byte."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.audit.models import AuditEntry
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillItem
from billpay.codes import parse_ref1
from billpay.db import get_database, utcnow
from billpay.numbering import Counter
from billpay.offices.models import Office
from billpay.ops.migration import export_directory, import_directory
from billpay.ops.models import MigrationBatch
from billpay.payments.models import Payment
from billpay.receipts import services as receipts
from billpay.receipts.models import Receipt
from billpay.reports import services as reports
from billpay.reports import stats
from billpay.reports.models import DailyStat
from billpay.settlement import reconcile
from billpay.settlement.models import BankLine, SettlementFile
from billpay.settlement.services import import_settlement_file
from billpay.thaidate import bangkok_date
from tests.ops import migration_data
from tests.settlement.factory import pay, reverse, settlement_file
from tests.support import drop_postgres_database, fresh_database_url, make_app, prepare_database

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
TABLES = ("bills", "bill_items", "payments", "receipts")


def stored(db) -> dict[str, int]:
    return {model.__tablename__: db.scalar(select(func.count()).select_from(model))
            for model in (Bill, BillItem, Payment, Receipt)}


def run_import(db, directory):
    return import_directory(db, None, directory, performed_by="tester")


def office_id(db, code):
    return db.scalar(select(Office.id).where(Office.code == code))


# -- a good import ---------------------------------------------------------------------------

def test_import_stores_everything_marked_with_its_batch(db, tmp_path):
    before = stored(db)
    result = run_import(db, migration_data.write(tmp_path / "old", migration_data.layout()))
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts == {"bills": 9, "bill_items": 10, "payments": 7, "receipts": 8}
    after = stored(db)
    assert {k: after[k] - before[k] for k in after} == {
        "bills": 9, "bill_items": 10, "payments": 7, "receipts": 8}
    batch = db.get(MigrationBatch, result.batch_id)
    assert batch.status == "imported" and batch.source_system == "ระบบรับชำระเดิม v2"
    assert batch.files["receipts.csv"]["rows"] == 8 and len(batch.files["bills.csv"]["sha256"]) == 64
    for model in (Bill, Payment, Receipt):
        assert db.scalar(select(func.count()).select_from(model).where(
            model.migration_batch_id == batch.id)) == result.counts[model.__tablename__]
    # the old number kept, a new live Ref1 after the imported ones
    legacy = db.scalar(select(Bill).where(Bill.legacy_ref == "OLD-2569-0077"))
    ref = parse_ref1(legacy.ref1)
    assert ref.mode == 1 and ref.office_code == "5001"
    assert ref.running == migration_data.RUN_START + 6 == legacy.running
    # a replacement points at the receipt it replaces
    year = migration_data.year()
    old = db.scalar(select(Receipt).where(Receipt.office_id == office_id(db, "5001"),
                                          Receipt.fiscal_year == year, Receipt.number == 2,
                                          Receipt.series == "e"))
    new = db.scalar(select(Receipt).where(Receipt.replaces_id == old.id))
    assert old.status == "cancelled" and new.number == 3
    audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "migration.import")
                      .order_by(AuditEntry.id.desc()))
    assert audit.object_id == str(batch.id)


def test_counters_continue_after_the_imported_numbers(db, tmp_path, make_user):
    assert run_import(db, migration_data.write(tmp_path / "old", migration_data.layout())).ok
    clerk = Actor.for_user(make_user(Role.CLERK, "5001", username="mig-clerk"))
    bill = bills.issue_bill(db, clerk, bills.NewBill(
        payer_name="ผู้ชำระ หลังย้ายระบบ", items=[bills.NewBillItem("HT01", 1, Decimal("10"))]),
        CONFIG)
    # 901…905 imported, 906 given to the bill without a Ref1: the next is 907
    assert bill.running == migration_data.RUN_START + 7
    assert db.scalar(select(func.count()).select_from(Bill).where(Bill.ref1 == bill.ref1)) == 1
    receipt = receipts.take_counter_payment(db, clerk, bill.ref1, method="cash", reference=None)
    assert receipt.number == 8  # the highest imported electronic number of 5001 was 7
    assert receipt.fiscal_year == migration_data.year()


def test_reports_include_the_migrated_money(db, tmp_path):
    result = run_import(db, migration_data.write(tmp_path / "old", migration_data.layout()))
    assert result.ok
    finance = Actor(role=Role.FINANCE, name="การเงิน")
    today = bangkok_date(utcnow())
    report = reports.remittance(db, finance, date_from=today - timedelta(days=7),
                                date_to=today, group_by="nation")
    table = report.tables[0]
    assert table.totals[-1] == migration_data.expected_paid() == Decimal("2745.50")
    assert table.totals[-4] == 7  # item lines paid (8) less the reversed one
    by_office = reports.remittance(db, finance, date_from=today - timedelta(days=7),
                                   date_to=today, group_by="office", province_code="52")
    assert by_office.tables[0].totals[-1] == Decimal("1000.00")
    # the kept summaries equal a rebuild from the rows
    kept = sorted(tuple(r) for r in db.execute(select(DailyStat.__table__)).all())
    stats.rebuild(db)
    rebuilt = sorted(tuple(r) for r in db.execute(select(DailyStat.__table__)).all())
    assert [r[1:] for r in kept] == [r[1:] for r in rebuilt]


def _with_bank_payments(tables):
    """Two of the layout's cash payments of 5001 made bank payments (one bank, two
    branches), as the old system received them through a bank."""
    for index, branch in ((0, "0101"), (3, "0202")):
        tables["payments"][index].update(method="bank", bank_code="006", branch=branch,
                                         channel="CSH", bank_reference=f"{branch}/0001/{index}")
    return tables


def test_bank_payments_are_imported_with_their_bank_lines(db, tmp_path):
    tables = _with_bank_payments(migration_data.layout())
    result = run_import(db, migration_data.write(tmp_path / "old", tables))
    assert result.ok, [str(p) for p in result.problems]
    banked = db.scalars(select(Payment).where(Payment.migration_batch_id == result.batch_id,
                                              Payment.method == "bank")
                        .order_by(Payment.amount)).all()
    assert [p.amount for p in banked] == [Decimal("150.00"), Decimal("300.00")]
    files = db.scalars(select(SettlementFile).where(SettlementFile.source == "migration")).all()
    assert len(files) == 1
    stand_in = files[0]
    assert (stand_in.detail_count, stand_in.matched_count, stand_in.matched_amount,
            stand_in.bank_code) == (2, 2, Decimal("450.00"), "006")
    for payment in banked:
        line = db.get(BankLine, payment.bank_line_id)
        bill = db.get(Bill, payment.bill_id)
        assert (line.file_id, line.kind, line.outcome, line.trial) == (
            stand_in.id, "C", "matched", False)
        assert (line.bill_id, line.office_id, line.ref1, line.ref2) == (
            bill.id, bill.office_id, bill.ref1, bill.ref2)
        assert (line.amount, line.paid_at, line.bank_code, line.branch) == (
            payment.amount, payment.paid_at, "006", payment.branch)
        assert bill.ref1.encode() in line.raw and len(line.fingerprint) == 64
    # the office's day ties: every bank line is a bank payment; the stand-in file reconciles
    finance = Actor(role=Role.FINANCE, name="การเงิน")
    day = bangkok_date(banked[0].paid_at)
    report = reports.daily_collection(db, finance, day=day, office_code="5001")
    assert report.checks and all(ok for _label, ok in report.checks), report.checks
    tie = report.tables[-1]
    assert tie.rows[0][1:] == tie.rows[1][1:] == (2, Decimal("450.00"))
    assert reconcile.file_reconciliation(db, finance, stand_in.id).ok


def test_a_bank_payment_needs_its_bank_code(db, tmp_path):
    tables = migration_data.layout()
    tables["payments"][0]["method"] = "bank"
    before = stored(db)
    result = run_import(db, migration_data.write(tmp_path / "old", tables))
    assert not result.ok and stored(db) == before
    assert [(p.file, p.line, p.column) for p in result.problems] == [
        ("payments.csv", 2, "bank_code")]
    assert "รหัสธนาคาร" in result.problems[0].message


# -- refused whole ---------------------------------------------------------------------------

def _corrupt_amount(tables, directory):
    tables["bill_items"][2]["amount"] = "1200.005"


def _unknown_office(tables, directory):
    tables["bills"][6]["office_code"] = "9999"


def _duplicate_receipt(tables, directory):
    tables["receipts"][3]["number"] = "1"


def _missing_file(tables, directory):
    return "payments"


def _checksum(tables, directory):
    return "tamper"


CORRUPTIONS = {
    # name: (change, file, line, column, value, words in the message)
    "bad amount": (_corrupt_amount, "bill_items.csv", 4, "amount", "1200.005", "ทศนิยมเกิน 2"),
    "unknown office": (_unknown_office, "bills.csv", 8, "office_code", "9999", "ไม่พบหน่วยงาน"),
    "duplicate receipt": (_duplicate_receipt, "receipts.csv", 5, "number", "1", "ซ้ำกับบรรทัด 2"),
    "missing file": (_missing_file, "payments.csv", 0, "", "", "ไม่พบไฟล์"),
    "manifest checksum": (_checksum, "receipts.csv", 0, "", None, "SHA-256"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_a_corrupted_export_is_refused_whole(db, tmp_path, kind):
    change, file, line, column, value, words = CORRUPTIONS[kind]
    tables = migration_data.layout()
    directory = tmp_path / "old"
    action = change(tables, directory)
    migration_data.write(directory, tables)
    if action == "payments":
        (directory / "payments.csv").unlink()
        manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
        del manifest["files"]["payments.csv"]
        (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    elif action == "tamper":  # one receipt line dropped after the manifest was written
        text = (directory / "receipts.csv").read_text("utf-8-sig").splitlines(keepends=True)
        (directory / "receipts.csv").write_text("".join(text[:-1]), "utf-8-sig")
    counters_before = db.scalar(select(func.count()).select_from(Counter))
    before = stored(db)
    result = run_import(db, directory)
    assert not result.ok
    assert stored(db) == before
    assert db.scalar(select(func.count()).select_from(Counter)) == counters_before
    hits = [p for p in result.problems if p.file == file and p.line == line
            and p.column == column and value in (None, p.value)]
    assert hits, [str(p) for p in result.problems]
    assert words in hits[0].message and words in str(hits[0])
    if line:
        assert f"{file} บรรทัด {line} คอลัมน์ {column} ค่า \"{value}\"" in str(hits[0])
    batch = db.get(MigrationBatch, result.batch_id)
    assert batch.status == "refused" and batch.error_count == result.error_count >= 1
    assert any(e["file"] == file and e["line"] == line for e in batch.errors)
    assert db.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == \
        "migration.refused"


def test_every_error_is_listed_not_just_the_first(db, tmp_path):
    tables = migration_data.layout()
    tables["bills"][0]["total"] = "abc"
    tables["bills"][1]["created_at"] = "2026-11-22 10:00"  # no time zone
    tables["payments"][0]["bill_ref"] = "100000000000000"
    tables["receipts"][0]["status"] = "lost"
    result = run_import(db, migration_data.write(tmp_path / "old", tables))
    assert not result.ok
    found = {(p.file, p.line, p.column) for p in result.problems}
    assert {("bills.csv", 2, "total"), ("bills.csv", 3, "created_at"),
            ("payments.csv", 2, "bill_ref"), ("receipts.csv", 2, "status")} <= found


def test_importing_the_same_export_twice_is_refused(db, tmp_path):
    directory = migration_data.write(tmp_path / "old", migration_data.layout())
    assert run_import(db, directory).ok
    again = run_import(db, directory)
    assert not again.ok
    messages = {(p.file, p.column) for p in again.problems}
    assert ("bills.csv", "ref1") in messages and ("receipts.csv", "number") in messages


def test_xlsx_files_are_read_like_csv(db, tmp_path):
    from openpyxl import Workbook

    directory = migration_data.write(tmp_path / "old", migration_data.layout(), manifest=False)
    for table in TABLES:
        book = Workbook()
        sheet = book.active
        with (directory / f"{table}.csv").open(encoding="utf-8-sig") as source:
            for row in csv.reader(source):
                sheet.append(row)
        book.save(directory / f"{table}.xlsx")
        (directory / f"{table}.csv").unlink()
    result = run_import(db, directory)
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts["receipts"] == 8


# -- the round trip --------------------------------------------------------------------------

@pytest.fixture
def fresh_app(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "roundtrip")
    prepare_database(url)
    app = make_app(url)
    yield app
    get_database(app).engine.dispose()
    if backend == "postgresql":
        drop_postgres_database(url.rsplit("/", 1)[1])


def _billpay_activity(db, make_user):
    """Bills issued, paid at the counter, cancelled, a receipt cancelled and replaced, paid
    through the bank (a settlement file, with a reversal), on two offices; and a trial bill
    (left out of the export)."""
    clerk = Actor.for_user(make_user(Role.CLERK, "5001", username="rt-clerk"))
    head = Actor.for_user(make_user(Role.OFFICE_HEAD, "5001", username="rt-head"))
    clerk2 = Actor.for_user(make_user(Role.CLERK, "5002", username="rt-clerk2"))

    def issue(actor, *items):
        return bills.issue_bill(db, actor, bills.NewBill(
            payer_name="นางสาวทดสอบ ย้ายระบบ", payer_id="1101700207366",
            items=[bills.NewBillItem(code, qty, Decimal(amount) if amount else None)
                   for code, qty, amount in items]), CONFIG)

    paid = [issue(clerk, ("HT01", 1, "120.50")), issue(clerk, ("FA01", 2, None), ("HT01", 1, "9")),
            issue(clerk2, ("HT01", 3, "33.33"))]
    first = receipts.take_counter_payment(db, clerk, paid[0].ref1, method="cash", reference=None)
    receipts.take_counter_payment(db, clerk, paid[1].ref1, method="transfer", reference="K-99")
    receipts.take_counter_payment(db, clerk2, paid[2].ref1, method="cash", reference=None)
    request = receipts.request_cancellation(db, clerk, first.id, "ชื่อผู้ชำระผิด", replace=True)
    receipts.decide_cancellation(db, head, request.id, approve=True)
    cancelled = issue(clerk, ("HT01", 1, "10"))
    bills.cancel_bill(db, clerk, cancelled.ref1, "ออกซ้ำ")
    issue(clerk2, ("HT01", 1, "75"))
    banked = [issue(clerk, ("HT01", 1, "250")), issue(clerk2, ("FA01", 1, None)),
              issue(clerk, ("HT01", 2, "20"))]
    paid_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    import_settlement_file(db, None, settlement_file(*(
        replace(spec, paid_at=paid_at + timedelta(seconds=n)) for n, spec in enumerate([
            pay(banked[0].ref1, banked[0].total, branch="0101"),
            pay(banked[1].ref1, banked[1].total, branch="0202", teller="0007"),
            pay(banked[2].ref1, banked[2].total),
            reverse(banked[2].ref1, banked[2].total)])), day=bangkok_date(paid_at)),
        "ktb-roundtrip.txt")
    db.expire_all()  # the import updates bills in bulk, past the session's objects
    db.scalar(select(Office).where(Office.code == "5002")).trial = True
    issue(clerk2, ("HT01", 1, "1"))  # trial: not exported
    db.flush()


def test_round_trip_export_import_export_is_byte_identical(db, app, tmp_path, make_user,
                                                           fresh_app):
    with app.app_context():
        _billpay_activity(db, make_user)
    first = tmp_path / "first"
    result = export_directory(db, first)
    assert result.counts["bills"] == 8 and result.counts["payments"] == 6
    assert (first / "payments.csv").read_text("utf-8").count(",bank,") == 3
    with get_database(fresh_app).transaction() as fresh:
        imported = run_import(fresh, first)
        assert imported.ok, [str(p) for p in imported.problems]
        # the bank payments point at stand-in lines; the days tie in the new database
        lines = fresh.execute(select(Payment, BankLine).join(
            BankLine, BankLine.id == Payment.bank_line_id)).all()
        assert len(lines) == 3
        assert all((line.amount, line.paid_at, line.office_id) ==
                   (payment.amount, payment.paid_at, payment.office_id)
                   for payment, line in lines)
        finance = Actor(role=Role.FINANCE, name="การเงิน")
        for office in fresh.scalars(select(Office).where(Office.code.in_(("5001", "5002")))):
            report = reports.daily_collection(fresh, finance, day=bangkok_date(lines[0][0].paid_at),
                                              office_code=office.code)
            assert all(ok for _label, ok in report.checks), (office.code, report.checks)
    second = tmp_path / "second"
    with get_database(fresh_app).transaction() as fresh:
        export_directory(fresh, second)
    for table in TABLES:
        a = (first / f"{table}.csv").read_bytes()
        assert a == (second / f"{table}.csv").read_bytes(), table
    manifest = [json.loads((d / "manifest.json").read_text("utf-8")) for d in (first, second)]
    assert manifest[0]["files"] == manifest[1]["files"]
    # not an empty comparison: the files hold the activity
    text = (first / "receipts.csv").read_text("utf-8")
    assert "cancelled" in text and "ชื่อผู้ชำระผิด" in text and ":e:1:1" in text
    assert "ทดสอบ ย้ายระบบ" in (first / "bills.csv").read_text("utf-8")


def test_export_of_one_office(db, tmp_path):
    assert run_import(db, migration_data.write(tmp_path / "old", migration_data.layout())).ok
    out = tmp_path / "5002"
    result = export_directory(db, out, office_code="5002")
    assert result.counts == {"bills": 2, "bill_items": 2, "payments": 1, "receipts": 1}
    assert all(row.startswith("5002,") for row in
               (out / "bills.csv").read_text("utf-8").splitlines()[1:])


def test_cli_import_refused_exits_1_and_names_the_line(app, db, tmp_path):
    tables = migration_data.layout()
    tables["bill_items"][2]["amount"] = "12,00.00"
    directory = migration_data.write(tmp_path / "old", tables)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["migrate", "import", str(directory)])
    assert result.exit_code == 1
    assert "bill_items.csv บรรทัด 4 คอลัมน์ amount" in result.output
    good = migration_data.write(tmp_path / "good", migration_data.layout())
    shutil.rmtree(tmp_path / "old")
    result = runner.invoke(args=["migrate", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "นำเข้าแล้ว" in result.output
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--office", "5201"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "manifest.json").is_file()
