"""``billpay maintenance``, the watch folder during a window, ``billpay config-reference``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from billpay.bills.models import Bill
from billpay.config import SETTINGS, reference_table
from billpay.db import utcnow
from billpay.ops import services
from billpay.ops.models import MaintenanceWindow
from tests.ops.helpers import window
from tests.settlement.factory import pay, settlement_file
from tests.settlement.test_simulator import seed_bills

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def run(app, db):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=[*map(str, args)])
        db.expire_all()
        return result

    return invoke


def test_start_status_end(run, db):
    result = run("maintenance", "start", "--minutes", "45", "--reason", "ติดตั้งรุ่นใหม่")
    assert result.exit_code == 0, result.output
    assert "เริ่มช่วงปิดปรับปรุงระบบแล้ว" in result.output
    w = services.current_window(db, utcnow())
    assert w.reason == "ติดตั้งรุ่นใหม่" and "(คอนโซล)" in w.created_by_name
    assert timedelta(minutes=44) < w.ends_at - utcnow() <= timedelta(minutes=45)
    again = run("maintenance", "start")
    assert again.exit_code == 1 and "อยู่แล้ว" in again.output
    status = run("maintenance", "status")
    assert "กำลังปิดปรับปรุง" in status.output and "ติดตั้งรุ่นใหม่" in status.output
    assert "รอนำเข้า 0" in status.output
    end = run("maintenance", "end")
    assert end.exit_code == 0, end.output
    assert "สิ้นสุดช่วงปิดปรับปรุงระบบ" in end.output and "ไม่มีไฟล์ธนาคารในคิว" in end.output
    assert services.current_window(db, utcnow()) is None
    db.refresh(w)
    assert w.ended_early_at is not None
    assert "ไม่ได้ปิดปรับปรุง" in run("maintenance", "status").output


def test_status_shows_the_next_window_and_queue(run, db):
    window(db, starts_in=timedelta(days=3), reason="ย้ายศูนย์ข้อมูล")
    services.queue_settlement_file(db, None, "q.txt", b"x", origin="api", now=utcnow())
    output = run("maintenance", "status").output
    assert "ครั้งถัดไป" in output and "ย้ายศูนย์ข้อมูล" in output and "รอนำเข้า 1" in output


def test_end_exits_1_when_a_queued_file_fails(run, db):
    services.queue_settlement_file(db, None, "bad.txt", b"not a bank file", origin="api",
                                   now=utcnow())
    result = run("maintenance", "end")
    assert result.exit_code == 1
    assert "bad.txt: ไม่สำเร็จ" in result.output


def test_watch_leaves_files_during_a_window_and_imports_them_after(run, db, tmp_path):
    bills = seed_bills(db, 2)
    path = tmp_path / "ktb.txt"
    path.write_bytes(settlement_file(*(pay(r, a, minute=i) for i, (r, a) in enumerate(bills))))
    w = window(db)
    result = run("settlement", "watch", tmp_path, "--once", "--settle", "0")
    assert result.exit_code == 0, result.output
    assert "ระบบปิดปรับปรุง" in result.output and path.exists()
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "issued"
    w.ends_at = utcnow() - timedelta(seconds=1)
    w.starts_at = utcnow() - timedelta(hours=1)
    db.flush()
    result = run("settlement", "watch", tmp_path, "--once", "--settle", "0")
    assert result.exit_code == 0, result.output
    assert not path.exists() and (tmp_path / "processed" / "ktb.txt").exists()
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "paid"


def test_watch_imports_the_database_queue_before_the_folder(run, db, tmp_path):
    bills = seed_bills(db, 1)
    row, _ = services.queue_settlement_file(db, None, "from-api.txt",
                                            settlement_file(pay(*bills[0])), origin="api",
                                            now=utcnow())
    result = run("settlement", "watch", tmp_path, "--once", "--settle", "0")
    assert result.exit_code == 0, result.output
    assert f"[คิว {row.id}] from-api.txt: นำเข้าแล้ว" in result.output
    assert db.scalar(select(Bill.status).where(Bill.ref1 == bills[0][0])) == "paid"


def test_windows_are_audited(run, db):
    from billpay.audit.models import AuditEntry

    run("maintenance", "start", "--minutes", "5")
    run("maintenance", "end")
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "maintenance_window")).all()
    assert actions[-2:] == ["maintenance.schedule", "maintenance.end"]
    assert db.scalar(select(MaintenanceWindow).order_by(MaintenanceWindow.id.desc()))


# -- the README's configuration reference ---------------------------------------------------

def test_config_reference_command_prints_every_setting(run):
    result = run("config-reference")
    assert result.exit_code == 0
    assert result.output == reference_table()
    for setting in SETTINGS:
        assert f"`BILLPAY_{setting.name}`" in result.output


def test_readme_configuration_table_matches_settings():
    """README.md's table is `billpay config-reference`'s output between the markers; after
    adding a setting, paste the command's output there."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- config-reference:start -->\n") + len(
        "<!-- config-reference:start -->\n")
    end = text.index("<!-- config-reference:end -->")
    assert text[start:end] == reference_table(), (
        "README.md's configuration table differs from billpay.config.SETTINGS: replace it "
        "with the output of `billpay config-reference`")
