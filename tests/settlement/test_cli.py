"""``billpay settlement import | watch | simulate``: exit codes, JSON, the drop folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.bills.models import Bill
from billpay.payments.models import Payment
from billpay.settlement.models import BankLine, SettlementException, SettlementFile
from tests.settlement.factory import pay, reverse, settlement_file
from tests.settlement.test_simulator import DAY, seed_bills


def counts(db) -> tuple[int, ...]:
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (SettlementFile, BankLine, Payment, SettlementException))


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=["settlement", *map(str, args)])
        db.expire_all()
        return result

    return invoke


@pytest.fixture
def bills(db):
    return seed_bills(db, 6)


def good_file(bills, *, start=0, count=3) -> bytes:
    return settlement_file(*(pay(ref, total, minute=i) for i, (ref, total)
                             in enumerate(bills[start:start + count], start=start)))


def broken_file(bills) -> bytes:
    data = bytearray(good_file(bills))
    data[2 * 257 + 170] = ord("X")  # line 3, the second payment's amount
    return bytes(data)


def broken_value(bills) -> str:
    return broken_file(bills)[2 * 257 + 163:2 * 257 + 176].decode()


# -- import ----------------------------------------------------------------------------------

def test_import_exit_0_and_the_report_in_thai_and_english(cli, db, bills, tmp_path):
    path = tmp_path / "ktb-20261120.txt"
    path.write_bytes(good_file(bills))
    result = cli("import", path)
    assert result.exit_code == 0, result.output
    assert "นำเข้า ktb-20261120.txt: 3 รายการ ตรงกับใบแจ้ง 3 รายการ" in result.stdout
    assert "imported 3 lines, 3 matched" in result.stdout
    assert counts(db) == (1, 3, 3, 0)
    assert db.scalar(select(SettlementFile.source)) == "cli"


def test_import_json_summary_per_file(cli, db, bills, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_bytes(settlement_file(pay(bills[0][0], bills[0][1]),
                                    pay(bills[1][0], "1.00", minute=1),
                                    pay("150019999999999", "5.00", minute=2),
                                    reverse(bills[0][0], bills[0][1], minute=3)))
    two.write_bytes(good_file(bills, start=2, count=2))
    result = cli("import", "--json", one, two)
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert first["filename"] == "one.txt" and first["status"] == "imported"
    assert (first["batches"], first["lines"], first["matched"], first["reversals"],
            first["duplicates"]) == (1, 4, 1, 1, 0)
    assert first["exceptions"] == {"amount_short": 1, "bad_check_digit": 1} or \
        first["exceptions"] == {"amount_short": 1, "unknown_ref1": 1}
    assert first["exception_count"] == 2
    assert first["credit_amount"] == f"{bills[0][1] + Decimal('6.00'):.2f}"
    assert first["debit_amount"] == f"{bills[0][1]:.2f}" == first["reversal_amount"]
    assert len(first["sha256"]) == 64 and first["file_id"] and first["message"].startswith("นำเข้า")
    assert (second["lines"], second["matched"]) == (2, 2)


def test_duplicate_and_partly_duplicate_files_exit_1(cli, db, bills, tmp_path):
    path = tmp_path / "ktb.txt"
    path.write_bytes(good_file(bills))
    assert cli("import", path).exit_code == 0
    again = cli("import", "--json", path)
    assert again.exit_code == 1
    (report,) = json.loads(again.stdout)
    assert (report["status"], report["duplicates"]) == ("duplicate_file", 3)
    assert "เคยนำเข้าแล้ว" in again.stderr or "เคยนำเข้าแล้ว" in report["message"]
    overlap = tmp_path / "overlap.txt"
    overlap.write_bytes(good_file(bills, start=2, count=3))  # bills[2] was in ktb.txt
    result = cli("import", overlap)
    assert result.exit_code == 1
    assert "ข้ามรายการที่เคยนำเข้าแล้ว 1 รายการ" in result.stdout
    assert counts(db) == (2, 5, 5, 0)


def test_one_refused_file_does_not_stop_the_others_but_exit_1(cli, db, bills, tmp_path):
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_bytes(broken_file(bills))
    good.write_bytes(good_file(bills, start=3))
    result = cli("import", "--json", bad, good)
    assert result.exit_code == 1
    refused, imported = json.loads(result.stdout)
    assert refused == {"filename": "bad.txt", "status": "refused", "line": 3, "field": "amount",
                       "value": broken_value(bills), "message": refused["message"],
                       "message_en": refused["message_en"]}
    assert "บรรทัดที่ 3" in refused["message"] and "line 3, field amount" in refused["message_en"]
    assert "ปฏิเสธ" in result.stderr and "refused" in result.stderr
    assert (imported["status"], imported["matched"]) == ("imported", 3)
    assert counts(db) == (1, 3, 3, 0)  # only good.txt


@pytest.mark.parametrize("args", [
    [],  # no file
    ["/nonexistent/ktb.txt"],
    ["--jsn", "x"],
])
def test_usage_errors_exit_2(cli, args, db):
    before = counts(db)
    assert cli("import", *args).exit_code == 2
    assert counts(db) == before


# -- watch ---------------------------------------------------------------------------------

def test_watch_once_files_everything_away_with_reasons(cli, db, bills, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-good.txt").write_bytes(good_file(bills))
    (inbox / "b-bad.txt").write_bytes(broken_file(bills))
    (inbox / "c-again.txt").write_bytes(good_file(bills))  # the same bytes as a-good.txt
    (inbox / "d-overlap.txt").write_bytes(good_file(bills, start=2, count=2))
    (inbox / "e-coming.txt.part").write_bytes(good_file(bills, start=4))
    (inbox / "f-coming.tmp").write_bytes(b"H000001")
    times = {"a-good.txt": 1, "b-bad.txt": 2, "c-again.txt": 3, "d-overlap.txt": 4}
    for name, t in times.items():  # oldest first, whatever the names say
        os.utime(inbox / name, (1_700_000_000 + t, 1_700_000_000 + t))

    result = cli("watch", inbox, "--once", "--settle", "0")
    assert result.exit_code == 1, result.output  # a refused and duplicate files
    processed, rejected = inbox / "processed", inbox / "rejected"
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [
        ".billpay-watch.lock", "e-coming.txt.part", "f-coming.tmp"]
    assert sorted(p.name for p in processed.iterdir()) == [
        "a-good.txt", "c-again.txt", "c-again.txt.reason.txt", "d-overlap.txt",
        "d-overlap.txt.reason.txt"]
    assert sorted(p.name for p in rejected.iterdir()) == ["b-bad.txt", "b-bad.txt.reason.txt"]

    reason = (rejected / "b-bad.txt.reason.txt").read_text("utf-8")
    value = broken_value(bills)
    for text in ("ถูกปฏิเสธทั้งไฟล์", "บรรทัดที่: 3", "ช่อง: amount", f"ค่า: '{value}'",
                 "was refused as a whole", "Line: 3", "Field: amount", f"Value: '{value}'",
                 "line 3, field amount"):
        assert text in reason, text
    again = (processed / "c-again.txt.reason.txt").read_text("utf-8")
    assert "เคยนำเข้าแล้ว" in again and "imported before" in again
    overlap = (processed / "d-overlap.txt.reason.txt").read_text("utf-8")
    assert "1 รายการ" in overlap and "1 lines" in overlap and "already been imported" in overlap
    assert counts(db) == (2, 4, 4, 0)
    assert [f.source for f in db.scalars(select(SettlementFile).order_by(SettlementFile.id))] \
        == ["watch", "watch"]
    assert result.output.index("a-good.txt") < result.output.index("b-bad.txt")


def test_watch_once_exit_0_when_all_new_and_same_name_twice(cli, db, bills, tmp_path):
    (tmp_path / "ktb.txt").write_bytes(good_file(bills, count=2))
    assert cli("watch", tmp_path, "--once", "--settle", "0").exit_code == 0
    (tmp_path / "ktb.txt").write_bytes(good_file(bills, start=2, count=2))  # same name, new day
    assert cli("watch", tmp_path, "--once", "--settle", "0").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["ktb-2.txt", "ktb.txt"]
    assert cli("watch", tmp_path, "--once", "--settle", "0").exit_code == 0  # nothing to do


def test_a_file_still_growing_waits_for_the_next_round(cli, db, bills, tmp_path):
    import threading

    from billpay.settlement.cli import ready_files

    path = tmp_path / "ktb.txt"
    data = good_file(bills)
    path.write_bytes(data[:300])
    (tmp_path / "done.txt").write_bytes(b"x")

    def keep_writing():
        time.sleep(0.4)
        with path.open("ab") as fp:
            fp.write(data[300:])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    ready = ready_files(tmp_path, 1.2, threading.Event())
    writer.join()
    assert ready == [tmp_path / "done.txt"]  # ktb.txt grew while we watched it
    (tmp_path / "done.txt").unlink()
    assert cli("watch", tmp_path, "--once", "--settle", "0.2").exit_code == 0
    assert (tmp_path / "processed" / "ktb.txt").exists() and counts(db)[1] == 3


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_watch_loop_stops_cleanly_on_a_signal(tmp_path, signum):
    env = {**os.environ, "BILLPAY_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    proc = subprocess.Popen([sys.executable, "-m", "billpay", "settlement", "watch",
                             str(tmp_path), "--interval", "30"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = ""
        while "watching" not in seen:  # "… / watching DIR every 30 s": the loop runs
            line = proc.stderr.readline()
            assert line, seen + proc.stderr.read()
            seen += line
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err


# -- simulate → import -------------------------------------------------------------------------

def test_simulate_then_import_gives_exactly_the_expected_counts(cli, db, tmp_path):
    refs = seed_bills(db, 30)
    out = tmp_path / "sim.txt"
    result = cli("simulate", "--bank", "006", "--date", DAY.isoformat(), "--unknown", 3,
                 "--wrong-amount", 4, "--reversals", 2, "--duplicates", 5, "--seed", 9,
                 "--out", out)
    assert result.exit_code == 0, result.output
    assert "40 lines, 26 paid, 4 wrong amount, 3 unknown Ref1, 2 reversals, 5 duplicates" \
        in result.stdout
    assert "ธนาคารกรุงไทย" in result.stdout and not (tmp_path / "sim.txt.part").exists()
    imported = cli("import", "--json", out)
    assert imported.exit_code == 1  # the bank's repeated lines count as duplicates
    (report,) = json.loads(imported.stdout)
    assert (report["lines"], report["matched"], report["reversals"], report["duplicates"]) == (
        40, 26, 2, 5)
    exceptions = report["exceptions"]
    assert exceptions.pop("unknown_ref1") == 3
    assert sum(exceptions.values()) == 4 and set(exceptions) <= {"amount_short", "amount_over"}
    paid = db.scalar(select(func.count()).select_from(Bill).where(
        Bill.ref1.in_([r for r, _ in refs]), Bill.status == "paid"))
    assert paid == 26 - 2


def test_simulate_refuses_what_it_cannot_do(cli, db, tmp_path):
    seed_bills(db, 2)
    out = tmp_path / "sim.txt"
    result = cli("simulate", "--bank", "006", "--date", DAY.isoformat(), "--wrong-amount", 5,
                 "--out", out)
    assert result.exit_code == 1 and "ไม่พอ" in result.stderr and not out.exists()
    assert cli("simulate", "--bank", "999", "--date", DAY.isoformat(), "--out", out
               ).exit_code == 2
    assert cli("simulate", "--bank", "006", "--date", "20/11/2569", "--out", out).exit_code == 2
