"""The verification of migrated data: the province's report figures, the sign-off page's
permissions and scope (a province cannot sign another's office: 404), the status board."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.audit.models import AuditEntry
from billpay.errors import Forbidden, NotFound
from billpay.ops import verification
from billpay.ops.migration import import_directory
from billpay.ops.models import MigrationVerification
from tests.ops import migration_data
from tests.support import csrf_token


@pytest.fixture
def imported(db, tmp_path):
    """The hand-made export imported, after one refused attempt naming office 5002."""
    bad = migration_data.layout()
    bad["bill_items"][6]["amount"] = "55.555"  # 5002's first bill
    assert not import_directory(db, None, migration_data.write(tmp_path / "bad", bad),
                                performed_by="t").ok
    result = import_directory(db, None, migration_data.write(tmp_path / "old",
                                                             migration_data.layout()),
                              performed_by="t")
    assert result.ok
    return result


def test_report_figures_per_office(db, imported):
    finance = Actor(role=Role.FINANCE, name="กองคลัง")
    result = verification.province_report(db, finance, "50")
    by_code = {f.office.code: f for f in result.offices}
    o = by_code["5001"]
    assert (o.bills, o.payments, o.receipts_valid, o.receipts_cancelled) == (6, 4, 4, 2)
    assert o.billed == Decimal("1810.00") and o.paid == Decimal("1690.00")
    year = migration_data.year()
    assert [(y, s, a, b, c) for y, s, a, b, c, _g in o.ranges] == [
        (year, "e", 1, 7, 5), (year, "paper", 12, 12, 1)]
    assert o.ranges[0][5] == [5, 6] and o.gaps == 2
    assert o.refused == [] and o.status_label == "ยังไม่ตรวจสอบ"
    p = by_code["5002"]
    assert (p.bills, p.paid, p.receipts_valid) == (2, Decimal("55.50"), 1)
    assert [(e["file"], e["line"], e["column"]) for e in p.refused] == [
        ("bill_items.csv", 8, "amount")]
    assert by_code["5003"].bills == 0  # another district: nothing migrated
    fees = {(r[0], r[1]): r[3:] for r in result.report.tables[1].materialise()}
    assert fees[("5001", "HT01")] == (6, Decimal("1760.00"), Decimal("1640.00"))
    assert fees[("5001", "FA01")] == (1, Decimal("50.00"), Decimal("50.00"))
    # Lampang's bill is not in Chiang Mai's report
    assert result.report.tables[0].totals[2] == 8


def test_a_province_signs_only_its_own_offices(db, imported, make_user):
    chiang_mai = Actor.for_user(make_user(Role.PROVINCIAL, "50", username="prov50"))
    verdict = verification.verify_office(db, chiang_mai, "50", "5001", "verified", "")
    assert verdict.by_name == chiang_mai.name and verdict.at is not None
    verification.verify_office(db, chiang_mai, "50", "5002", "corrections", "ขาดใบเสร็จเลขที่ 2")
    with pytest.raises(NotFound):
        verification.verify_office(db, chiang_mai, "52", "5201", "verified", "")
    with pytest.raises(NotFound):  # an office of another province through one's own
        verification.verify_office(db, chiang_mai, "50", "5201", "verified", "")
    with pytest.raises(Forbidden):
        verification.verify_office(db, Actor(role=Role.FINANCE, name="f"), "50", "5001",
                                   "verified", "")
    audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "migration.verify")
                      .order_by(AuditEntry.id.desc()))
    assert audit.object_id == "5002" and "ขาดใบเสร็จเลขที่ 2" in audit.after
    # verified again later: one row per office, the latest verdict
    verification.verify_office(db, chiang_mai, "50", "5002", "verified", "")
    rows = db.scalars(select(MigrationVerification)).all()
    assert sorted((r.office.code, r.status) for r in rows) == [
        ("5001", "verified"), ("5002", "verified")]


def test_status_board(db, imported, make_user):
    chiang_mai = Actor.for_user(make_user(Role.PROVINCIAL, "50", username="prov50"))
    lampang = Actor.for_user(make_user(Role.PROVINCIAL, "52", username="prov52"))
    for office in verification._offices_of(db, "52"):
        verification.verify_office(db, lampang, "52", office.code, "verified", "")
    verification.verify_office(db, chiang_mai, "50", "5001", "corrections", "ยอดไม่ตรง")
    finance = Actor(role=Role.FINANCE, name="กองคลัง")
    board = {p.code: p for p in verification.status_board(db, finance)}
    assert len(board) == 76
    assert board["52"].signed_off and board["52"].verified == board["52"].offices > 1
    assert board["52"].migrated_bills == 1
    assert not board["50"].signed_off and board["50"].corrections == 1
    assert board["50"].migrated_bills == 8
    assert [p.code for p in verification.status_board(db, chiang_mai)] == ["50"]


def test_sign_off_pages(db, imported, make_user, signed_in):
    province = make_user(Role.PROVINCIAL, "50", username="prov-page")
    client = signed_in(province)
    page = client.get("/migration/provinces/50")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ยังไม่ตรวจสอบ" in html and "bill_items.csv" in html
    token = csrf_token(client, "/migration/provinces/50")
    done = client.post("/migration/provinces/50/verify", data={
        "office": "5001", "status": "verified", "note": "", "csrf_token": token})
    assert done.status_code == 303
    assert 'data-status="verified"' in client.get("/migration/provinces/50").get_data(as_text=True)
    missing = client.post("/migration/provinces/50/verify", data={
        "office": "5002", "status": "corrections", "note": "", "csrf_token": token})
    assert missing.status_code == 422 and "ระบุรายการที่ต้องแก้ไข" in missing.get_data(as_text=True)
    other = client.post("/migration/provinces/52/verify", data={
        "office": "5201", "status": "verified", "note": "", "csrf_token": token})
    assert other.status_code == 404
    assert client.get("/migration/provinces/52").status_code == 404
    xlsx = client.get("/migration/provinces/50/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    csv_text = client.get("/migration/provinces/50/report.csv").get_data(as_text=True)
    assert "5001" in csv_text and ("1,810.00" in csv_text or "1810.00" in csv_text)
    finance = signed_in(make_user(Role.FINANCE, "00", username="fin-page"))
    board = finance.get("/migration/").get_data(as_text=True)
    assert 'id="province-50"' in board and 'id="province-52" data-signed-off="false"' in board
