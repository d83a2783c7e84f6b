"""``billpay settlement``: import bank settlement files, watch a drop folder, simulate a bank.

All three call the services (``import_settlement_file``, ``simulate_settlement``);
each file is imported in its own transaction. Messages are Thai first, then English.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from billpay.db import get_database, utcnow
from billpay.errors import BillpayError
from billpay.settlement.services import FileRefused, ImportReport, import_settlement_file
from billpay.settlement.simulator import BANKS, simulate_settlement
from billpay.settlement.writer import write_settlement_to

settlement_group = AppGroup("settlement", help="Bank settlement files (ไฟล์สรุปรายการรับชำระจากธนาคาร).")

IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", "~")
REASON_SUFFIX = ".reason.txt"
LOCK_NAME = ".billpay-watch.lock"


@dataclass
class Outcome:
    """What became of one file: a report, a refusal (the file's fault), or an error
    that is not the file's fault (database, permissions): then it is left in place."""

    path: Path
    report: ImportReport | None = None
    refused: FileRefused | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Imported and every line new: exit status 0."""
        return self.report is not None and self.report.fully_new

    def to_dict(self) -> dict[str, Any]:
        if self.report is not None:
            return {**self.report.to_dict(), "message": self.report.message_th}
        if self.refused is not None:
            error = self.refused.error
            return {"filename": self.path.name, "status": "refused",
                    "message": self.refused.message, "message_en": str(error),
                    "line": error.line, "field": error.field, "value": error.value}
        return {"filename": self.path.name, "status": "error", "message": self.error}

    @property
    def text(self) -> str:
        """Thai, then English, for a person reading the terminal or cron's mail."""
        if self.report is not None:
            r = self.report
            if r.status == "duplicate_file":
                en = f"{r.filename}: already imported (same SHA-256), skipped whole"
            else:
                en = (f"{r.filename}: imported {r.lines:,} lines, {r.matched:,} matched, "
                      f"{r.exception_count:,} exceptions, {r.reversals:,} reversals, "
                      f"{r.duplicates:,} already imported")
            return f"{r.message_th}\n  {en}"
        if self.refused is not None:
            return (f"ปฏิเสธไฟล์ทั้งไฟล์ ไม่ได้นำเข้ารายการใด: {self.refused.message}\n"
                    f"  refused, nothing imported: {self.refused.error}")
        return (f"นำเข้าไฟล์ {self.path.name} ไม่สำเร็จ (ไฟล์ยังอยู่ที่เดิม): {self.error}\n"
                f"  could not import {self.path.name} (file left in place): {self.error}")


def import_path(path: Path, *, origin: str) -> Outcome:
    """Import one file in its own transaction (committed when it returns a report)."""
    try:
        with get_database(current_app).transaction() as db:
            report = import_settlement_file(db, None, path, path.name, origin=origin)
        return Outcome(path, report=report)
    except FileRefused as exc:
        return Outcome(path, refused=exc)
    except BillpayError as exc:
        return Outcome(path, error=exc.message)
    except OSError as exc:
        return Outcome(path, error=f"{type(exc).__name__}: {exc.strerror or exc}")
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return Outcome(path, error=f"database error {type(exc).__name__}: "
                                   f"{detail[0] if detail else ''}")


# -- import -------------------------------------------------------------------------------

@settlement_group.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="print a JSON array with one summary per file (ImportReport.to_dict())")
def import_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Import settlement FILES, each in its own transaction.

    Exit status: 0 every file imported with only new lines; 1 a file was refused, was
    (partly) imported before, or could not be imported; 2 usage.
    """
    outcomes = []
    for path in files:
        outcome = import_path(path, origin="cli")
        outcomes.append(outcome)
        if not as_json:
            click.echo(outcome.text, err=outcome.report is None)
        elif outcome.report is None:
            click.echo(outcome.text, err=True)
    if as_json:
        click.echo(json.dumps([o.to_dict() for o in outcomes], ensure_ascii=False, indent=1))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


# -- watch --------------------------------------------------------------------------------

def _is_candidate(entry: os.DirEntry) -> bool:
    name = entry.name
    return (entry.is_file(follow_symlinks=False) and not name.startswith(".")
            and not name.endswith(IN_PROGRESS_SUFFIXES + (REASON_SUFFIX,)))


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def ready_files(directory: Path, settle: float, stop: threading.Event) -> list[Path]:
    """Files in ``directory`` that nobody is writing any more, oldest first.

    Names ending ``.part``/``.tmp`` (and hidden files) are skipped: a sender should
    write under such a name and rename. Any other file must keep its size and time over
    ``settle`` seconds; an empty file is given a minute, as a sender may create it first.
    """
    with os.scandir(directory) as entries:
        first = {Path(e.path): (e.stat().st_size, e.stat().st_mtime_ns)
                 for e in entries if _is_candidate(e)}
    if not first:
        return []
    if settle > 0 and stop.wait(settle):
        return []
    now = time.time_ns()
    ready = []
    for path, signature in first.items():
        if _signature(path) != signature:
            continue  # still growing (or gone): next round
        size, mtime = signature
        if size == 0 and now - mtime < max(60.0, settle) * 1e9:
            continue
        ready.append((mtime, path.name, path))
    return [path for _m, _n, path in sorted(ready)]


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, dot, suffix = name.partition(".")
    n = 1
    while target.exists() or (folder / (target.name + REASON_SUFFIX)).exists():
        n += 1
        target = folder / (f"{stem}-{n}{dot}{suffix}")
    return target


def _reason_text(outcome: Outcome, at: datetime) -> str | None:
    """The note beside a moved file: Thai, then English. None when nothing to say."""
    stamp = at.isoformat(timespec="seconds")
    name = outcome.path.name
    if outcome.refused is not None:
        e = outcome.refused.error
        return (f"ไฟล์ {name} ถูกปฏิเสธทั้งไฟล์ ไม่ได้นำเข้ารายการใด\n"
                f"สาเหตุ: {outcome.refused.message}\n"
                f"บรรทัดที่: {e.line}\nช่อง: {e.field}\nค่า: {e.value!r}\n"
                "แก้ไขหรือขอไฟล์ใหม่จากธนาคาร แล้ววางไฟล์ในโฟลเดอร์เดิมอีกครั้ง\n\n"
                f"File {name} was refused as a whole; nothing from it was imported.\n"
                f"Reason: {e}\n"
                f"Line: {e.line}\nField: {e.field}\nValue: {e.value!r}\n"
                "Get a corrected file from the bank and drop it in the folder again.\n\n"
                f"เวลา / at: {stamp}\n")
    report = outcome.report
    if report is None or report.fully_new:
        return None
    if report.status == "duplicate_file":
        return (f"ไฟล์ {name} เคยนำเข้าแล้ว (SHA-256 {report.sha256}) จึงข้ามทั้งไฟล์ "
                f"ไม่มีรายการใหม่ ({report.duplicates:,} รายการ)\n\n"
                f"File {name} was imported before (same SHA-256 {report.sha256}); skipped "
                f"whole, nothing new recorded ({report.duplicates:,} lines).\n\n"
                f"เวลา / at: {stamp}\n")
    return (f"{report.message_th}\nรายการ {report.duplicates:,} รายการ "
            f"(ยอด {report.duplicate_amount:,.2f} บาท) เคยนำเข้าจากไฟล์อื่นแล้ว จึงไม่บันทึกซ้ำ\n\n"
            f"File {name} was imported (file id {report.file_id}), but {report.duplicates:,} "
            f"lines ({report.duplicate_amount:,.2f} baht) had already been imported from "
            "another file and were not recorded again.\n\n"
            f"เวลา / at: {stamp}\n")


def file_away(directory: Path, outcome: Outcome) -> Path | None:
    """Move an imported or duplicate file to processed/, a refused one to rejected/,
    with ``<name>.reason.txt`` beside it when there is something to say. A file that
    met an error that is not its own fault stays where it is, to be tried again."""
    if outcome.error is not None:
        return None
    folder = directory / ("rejected" if outcome.refused is not None else "processed")
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, outcome.path.name)
    os.replace(outcome.path, target)
    note = _reason_text(outcome, utcnow())
    if note is not None:
        reason = target.with_name(target.name + REASON_SUFFIX)
        reason.write_text(note, encoding="utf-8")
    return target


@contextmanager
def _single_watcher(directory: Path) -> Iterator[bool]:
    """An exclusive lock on the folder, so two watchers never take the same file."""
    with open(directory / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM / SIGINT: finish the file being imported, then stop. A second signal
    interrupts the import at once (its transaction is rolled back)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        click.echo(f"ได้รับสัญญาณ {signal.Signals(signum).name} จะหยุดเมื่อไฟล์ที่กำลังนำเข้าเสร็จ / "
                   "stopping after the current file", err=True)
        stop.set()

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


def watch_round(directory: Path, settle: float, stop: threading.Event) -> list[Outcome]:
    """Import every ready file of ``directory`` once and file it away.

    During a maintenance window nothing is imported: the files stay in the folder, where
    they are safe, and are imported by the first round after the window. That round
    first imports the files queued in the database during the window (API uploads), in
    their arrival order, then the folder's."""
    from billpay.ops import services as ops

    try:
        with get_database(current_app).transaction() as db:
            window = ops.current_window(db, utcnow())
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        click.echo(f"[{utcnow():%Y-%m-%d %H:%M:%S}Z] อ่านฐานข้อมูลไม่ได้ ไฟล์ยังอยู่ในโฟลเดอร์ / "
                   f"database error, files left in place: {detail[0] if detail else exc}",
                   err=True)
        return []
    if window is not None:
        click.echo(f"[{utcnow():%Y-%m-%d %H:%M:%S}Z] ระบบปิดปรับปรุงถึง {window.ends_at:%Y-%m-%d %H:%M}Z "
                   "ไฟล์ยังอยู่ในโฟลเดอร์ จะนำเข้าหลังสิ้นสุดช่วงปิดปรับปรุง / maintenance window on, "
                   "files left in the folder", err=True)
        return []
    outcomes = []
    for result in ops.import_queue(get_database(current_app)):
        click.echo(f"[{utcnow():%Y-%m-%d %H:%M:%S}Z] {result.text}",
                   err=result.state != "imported")
    for path in ready_files(directory, settle, stop):
        if stop.is_set():
            break
        outcome = import_path(path, origin="watch")
        try:
            target = file_away(directory, outcome)
        except OSError as exc:
            outcome.error = f"imported, but could not be moved: {exc}"
            target = None
        where = f" → {target.parent.name}/{target.name}" if target else ""
        click.echo(f"[{utcnow():%Y-%m-%d %H:%M:%S}Z] {path.name}{where}\n{outcome.text}",
                   err=outcome.report is None)
        outcomes.append(outcome)
    return outcomes


@settlement_group.command("watch")
@click.argument("directory",
                type=click.Path(exists=True, file_okay=False, writable=True, path_type=Path))
@click.option("--once", is_flag=True, help="one round, then exit (for cron)")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="seconds between rounds")
@click.option("--settle", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="a file whose size or time changes within this many seconds is still "
                   "being written and is left for the next round")
def watch_command(directory: Path, once: bool, interval: float, settle: float) -> None:
    """Import every file dropped into DIRECTORY, oldest first, into processed/ or rejected/.

    Files named *.part or *.tmp are being written and are skipped. A refused file goes
    to rejected/ with <name>.reason.txt (line, field, value); a duplicate to processed/
    with a note. Without --once it runs until SIGTERM or SIGINT. Exit status with
    --once: 0 every file imported with only new lines (or none), 1 otherwise.
    """
    stop = threading.Event()
    with _single_watcher(directory) as mine:
        if not mine:
            click.echo(f"มีโปรแกรมอื่นกำลังเฝ้าโฟลเดอร์ {directory} อยู่ / another watcher "
                       f"holds {directory / LOCK_NAME}", err=True)
            sys.exit(0 if once else 1)
        with _stop_on_signals(stop):
            if once:
                outcomes = watch_round(directory, settle, stop)
                sys.exit(0 if all(o.ok for o in outcomes) else 1)
            click.echo(f"เฝ้าโฟลเดอร์ {directory} ทุก {interval:g} วินาที / watching "
                       f"{directory} every {interval:g} s", err=True)
            while not stop.is_set():
                watch_round(directory, settle, stop)
                stop.wait(interval)
    click.echo("หยุดแล้ว / stopped", err=True)


# -- simulate -----------------------------------------------------------------------------

@settlement_group.command("simulate")
@click.option("--bank", type=click.Choice(sorted(BANKS)), required=True,
              help="006 Krungthai, 014 SCB, 002 BBL, 024 UOB")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="the bank's business day, YYYY-MM-DD (Christian era)")
@click.option("--unknown", type=click.IntRange(min=0), default=0, show_default=True,
              help="payments whose Ref1 has a valid check digit but names no bill")
@click.option("--wrong-amount", type=click.IntRange(min=0), default=0, show_default=True,
              help="bills paid with a wrong amount")
@click.option("--reversals", type=click.IntRange(min=0), default=0, show_default=True,
              help="payments in the file that the bank reverses later the same day")
@click.option("--duplicates", type=click.IntRange(min=0), default=0, show_default=True,
              help="payment lines the bank sends twice")
@click.option("--office", "office_code", help="only bills of this office (4 digits) or "
                                              "province (2 digits)")
@click.option("--limit", type=click.IntRange(min=0), help="at most this many bills paid")
@click.option("--seed", type=int, help="the same seed and data give the same file")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def simulate_command(bank, day, unknown, wrong_amount, reversals, duplicates, office_code,
                     limit, seed, out: Path) -> None:
    """Write the settlement file a bank would send for the open bills (training, tests).

    The file is written as OUT.part and renamed, so a watcher never sees half of it.
    """
    try:
        with get_database(current_app).transaction() as db:
            sim = simulate_settlement(db, bank_code=bank, day=day.date(), unknown=unknown,
                                      wrong_amount=wrong_amount, reversals=reversals,
                                      duplicates=duplicates, office_code=office_code,
                                      limit=limit, seed=seed)
    except BillpayError as exc:
        click.echo(f"ผิดพลาด: {exc.message}", err=True)
        sys.exit(1)
    partial = out.with_name(out.name + ".part")
    with open(partial, "wb") as fp:
        write_settlement_to(fp, sim.batches)
    os.replace(partial, out)
    click.echo(f"{sim.summary_th}\n  wrote {out}: {sim.lines:,} lines, {sim.paid:,} paid, "
               f"{sim.short + sim.over:,} wrong amount, {sim.unknown:,} unknown Ref1, "
               f"{sim.reversals:,} reversals, {sim.duplicates:,} duplicates")
