"""Maintenance windows (ช่วงปิดปรับปรุงระบบ) and the queue of settlement files that
arrive during one.

A window is a row of ``maintenance_windows``: every app server reads it from the
database (no process keeps its own idea of whether the system is in maintenance).
During a window staff pages are read-only and the API answers 503, except the
settlement-file upload, which is *queued*: the file's bytes go to
``settlement_queue`` and are imported by ``import_queue`` once the window has
ended, in arrival order, each in its own transaction, with the same import service
as every other path. A file that fails is marked ``failed`` with the reason, never
dropped; ``requeue`` puts it back.

Services flush, never commit, except ``import_queue``, which owns its transactions
(one per file) like the CLI import does.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor, Permission
from billpay.audit.services import record as audit
from billpay.db import Database, utcnow
from billpay.errors import BillpayError, Conflict, Invalid, NotFound
from billpay.ops.models import MaintenanceWindow, QueuedSettlementFile, QueueState
from billpay.thaidate import thai_datetime

log = logging.getLogger("billpay.ops")

REASON_MAX = 500
SYSTEM_NAME = "ระบบ (คอนโซล)"


# -- windows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MaintenanceState:
    """What a request needs to know: the window now (if any), the next one within the
    notice period (for the banner), and whether queued files wait for import."""

    now: datetime
    current: MaintenanceWindow | None = None
    upcoming: MaintenanceWindow | None = None
    queued: bool = False

    @property
    def banner(self) -> MaintenanceWindow | None:
        return self.current or self.upcoming

    def retry_after(self) -> int:
        """Seconds until the current window ends (Retry-After), at least 1."""
        if self.current is None:
            return 0
        return max(1, math.ceil((self.current.ends_at - self.now).total_seconds()))

    @property
    def message_th(self) -> str:
        if self.current is None:
            return ""
        return (f"ระบบปิดปรับปรุงชั่วคราว ({self.current.reason}) ดูข้อมูลได้แต่ยังบันทึกหรือแก้ไข"
                f"ไม่ได้ จนถึง {thai_datetime(self.current.ends_at)} กรุณาลองใหม่หลังเวลานั้น")


def _active():
    return MaintenanceWindow.cancelled_at.is_(None)


def maintenance_state(db: Session, now: datetime, notice_hours: int) -> MaintenanceState:
    """The window now and the next one starting within ``notice_hours``; two small
    indexed queries."""
    rows = db.scalars(
        select(MaintenanceWindow)
        .where(_active(), MaintenanceWindow.ends_at > now,
               MaintenanceWindow.starts_at <= now + timedelta(hours=notice_hours))
        .order_by(MaintenanceWindow.starts_at).limit(2)).all()
    current = next((w for w in rows if w.starts_at <= now), None)
    upcoming = next((w for w in rows if w.starts_at > now), None)
    queued = False if current else has_queued(db)
    return MaintenanceState(now=now, current=current, upcoming=upcoming, queued=queued)


def current_window(db: Session, now: datetime) -> MaintenanceWindow | None:
    return db.scalar(select(MaintenanceWindow).where(
        _active(), MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now)
        .order_by(MaintenanceWindow.starts_at).limit(1))


def next_window(db: Session, now: datetime) -> MaintenanceWindow | None:
    return db.scalar(select(MaintenanceWindow).where(
        _active(), MaintenanceWindow.starts_at > now)
        .order_by(MaintenanceWindow.starts_at).limit(1))


def list_windows(db: Session, now: datetime, *, past_days: int = 30) -> list[MaintenanceWindow]:
    """Windows that end in the future or ended within ``past_days``, cancelled ones
    included, newest start first."""
    return list(db.scalars(select(MaintenanceWindow).where(
        MaintenanceWindow.ends_at > now - timedelta(days=past_days))
        .order_by(MaintenanceWindow.starts_at.desc())))


def _by(actor: Actor | None, by_name: str | None) -> str:
    return (actor.name if actor else by_name or SYSTEM_NAME)[:200]


def schedule_window(db: Session, actor: Actor | None, *, starts_at: datetime,
                    ends_at: datetime, reason: str, now: datetime,
                    by_name: str | None = None) -> MaintenanceWindow:
    """A new window. Refused (Invalid, Thai messages by field) when the reason is
    empty, it ends before it starts or in the past, or it overlaps another window."""
    if actor is not None:
        actor.require(Permission.CONFIG_MANAGE)
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["กรุณาระบุเหตุผลของการปิดปรับปรุงระบบ"]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"เหตุผลยาวเกิน {REASON_MAX} ตัวอักษร"]
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("maintenance windows need aware datetimes")
    if ends_at <= starts_at:
        errors["ends_at"] = ["เวลาสิ้นสุดต้องอยู่หลังเวลาเริ่ม"]
    elif ends_at <= now:
        errors["ends_at"] = ["เวลาสิ้นสุดผ่านไปแล้ว"]
    if not errors:
        clash = db.scalar(select(MaintenanceWindow).where(
            _active(), MaintenanceWindow.starts_at < ends_at,
            MaintenanceWindow.ends_at > starts_at).limit(1))
        if clash is not None:
            errors["starts_at"] = [
                f"ซ้อนกับช่วงปิดปรับปรุงที่กำหนดไว้แล้ว ({thai_datetime(clash.starts_at)} ถึง "
                f"{thai_datetime(clash.ends_at)})"]
    if errors:
        raise Invalid("ข้อมูลช่วงปิดปรับปรุงระบบไม่ถูกต้อง", errors)
    window = MaintenanceWindow(starts_at=starts_at, ends_at=ends_at, reason=reason,
                               created_at=now, created_by_id=actor.user_id if actor else None,
                               created_by_name=_by(actor, by_name))
    db.add(window)
    db.flush()
    audit(db, actor, "maintenance.schedule", object_type="maintenance_window",
          object_id=window.id, after={"starts_at": starts_at.isoformat(),
                                      "ends_at": ends_at.isoformat(), "reason": reason,
                                      "by": window.created_by_name}, at=now)
    return window


def start_window(db: Session, actor: Actor | None, *, minutes: int, reason: str,
                 now: datetime, by_name: str | None = None) -> MaintenanceWindow:
    """A window starting now (``billpay maintenance start``)."""
    if minutes < 1:
        raise Invalid("ระยะเวลาต้องอย่างน้อย 1 นาที", {"minutes": ["อย่างน้อย 1 นาที"]})
    if current_window(db, now) is not None:
        raise Conflict("ขณะนี้อยู่ในช่วงปิดปรับปรุงระบบอยู่แล้ว")
    return schedule_window(db, actor, starts_at=now, ends_at=now + timedelta(minutes=minutes),
                           reason=reason, now=now, by_name=by_name)


def end_window(db: Session, actor: Actor | None, window: MaintenanceWindow, *,
               now: datetime, by_name: str | None = None) -> MaintenanceWindow:
    """Close a current window now (its end moves to now) or cancel a future one."""
    if actor is not None:
        actor.require(Permission.CONFIG_MANAGE)
    before = {"starts_at": window.starts_at.isoformat(), "ends_at": window.ends_at.isoformat()}
    if window.cancelled_at is not None or window.ends_at <= now:
        raise Conflict("ช่วงปิดปรับปรุงนี้สิ้นสุดหรือถูกยกเลิกไปแล้ว")
    if window.starts_at <= now:
        window.ends_at = now
        window.ended_early_at = now
        action = "maintenance.end"
    else:
        window.cancelled_at = now
        window.cancelled_by_name = _by(actor, by_name)
        action = "maintenance.cancel"
    db.flush()
    audit(db, actor, action, object_type="maintenance_window", object_id=window.id,
          before=before, after={"ends_at": window.ends_at.isoformat(),
                                "by": _by(actor, by_name)}, at=now)
    return window


def end_current_window(db: Session, actor: Actor | None, *, now: datetime,
                       by_name: str | None = None) -> MaintenanceWindow | None:
    window = current_window(db, now)
    if window is None:
        return None
    return end_window(db, actor, window, now=now, by_name=by_name)


def cancel_window(db: Session, actor: Actor, window_id: int, *,
                  now: datetime) -> MaintenanceWindow:
    """The admin page's button: cancel a future window, end a current one."""
    actor.require(Permission.CONFIG_MANAGE)
    window = db.get(MaintenanceWindow, window_id, with_for_update=True)
    if window is None:
        raise NotFound("ไม่พบช่วงปิดปรับปรุงระบบนี้")
    return end_window(db, actor, window, now=now)


# -- the queue ----------------------------------------------------------------------------

def has_queued(db: Session) -> bool:
    return bool(db.scalar(select(exists().where(
        QueuedSettlementFile.state == QueueState.QUEUED))))


def queue_counts(db: Session) -> dict[str, int]:
    rows = db.execute(select(QueuedSettlementFile.state, func.count())
                      .group_by(QueuedSettlementFile.state)).all()
    counts = {state.value: 0 for state in QueueState}
    counts.update({state: n for state, n in rows})
    return counts


def list_queue(db: Session, *, limit: int = 50) -> list[QueuedSettlementFile]:
    return list(db.scalars(select(QueuedSettlementFile)
                           .order_by(QueuedSettlementFile.id.desc()).limit(limit)))


def queue_settlement_file(db: Session, actor: Actor | None, filename: str, data: bytes, *,
                          origin: str, now: datetime) -> tuple[QueuedSettlementFile, bool]:
    """Keep a settlement file for import after the window; ``(row, new)``. The same
    bytes sent again while still queued give back the same row (a job's retry)."""
    if actor is not None:
        actor.require(Permission.SETTLEMENT_IMPORT)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = db.scalar(select(QueuedSettlementFile).where(
        QueuedSettlementFile.sha256 == sha256,
        QueuedSettlementFile.state == QueueState.QUEUED).limit(1))
    if existing is not None:
        return existing, False
    row = QueuedSettlementFile(
        filename=filename[:255], content=data, size=len(data), sha256=sha256, origin=origin,
        received_at=now, received_by_id=actor.user_id if actor else None,
        received_by_token_id=actor.token_id if actor else None,
        received_by_name=_by(actor, None), state=QueueState.QUEUED)
    db.add(row)
    db.flush()
    audit(db, actor, "settlement.queue", object_type="settlement_queue", object_id=row.id,
          after={"filename": row.filename, "sha256": sha256, "size": row.size,
                 "origin": origin}, at=now)
    return row, True


def requeue(db: Session, queue_id: int) -> QueuedSettlementFile:
    """Put a failed file back in the queue (after fixing what made it fail)."""
    row = db.get(QueuedSettlementFile, queue_id, with_for_update=True)
    if row is None:
        raise NotFound(f"ไม่พบไฟล์ลำดับที่ {queue_id} ในคิว")
    if row.state != QueueState.FAILED:
        raise Conflict(f"ไฟล์ลำดับที่ {queue_id} ไม่ได้อยู่ในสถานะนำเข้าไม่สำเร็จ")
    row.state = QueueState.QUEUED
    row.processed_at = None
    db.flush()
    return row


@dataclass
class QueueResult:
    queue_id: int
    filename: str
    state: str
    message: str
    settlement_file_id: int | None = None

    @property
    def text(self) -> str:
        mark = "นำเข้าแล้ว" if self.state == QueueState.IMPORTED else "ไม่สำเร็จ"
        return f"[คิว {self.queue_id}] {self.filename}: {mark} — {self.message}"


DRAIN_LOCK = 0x62696C71  # pg_advisory_xact_lock key of the queue import ("billq")


def import_queue(database: Database, *, clock: Callable[[], datetime] = utcnow,
                 limit: int | None = None) -> list[QueueResult]:
    """Import the queued files in arrival order, each in its own transaction, as long
    as no window is current. Safe to call from several processes at once: on
    PostgreSQL one of them holds an advisory lock per file and the others stop; on
    SQLite each transaction is the database's only writer (``BEGIN IMMEDIATE``)."""
    from billpay.settlement.models import SettlementFile
    from billpay.settlement.services import import_settlement_file

    results: list[QueueResult] = []
    while limit is None or len(results) < limit:
        try:
            with database.transaction() as db:
                now = clock()
                if current_window(db, now) is not None:
                    break
                if db.get_bind().dialect.name == "postgresql" and not db.scalar(
                        select(func.pg_try_advisory_xact_lock(DRAIN_LOCK))):
                    break  # another process is importing the queue
                query = (select(QueuedSettlementFile)
                         .where(QueuedSettlementFile.state == QueueState.QUEUED)
                         .order_by(QueuedSettlementFile.id).limit(1).with_for_update())
                row = db.scalar(query)
                if row is None:
                    break
                result = QueueResult(row.id, row.filename, QueueState.IMPORTED, "")
                try:
                    with db.begin_nested():
                        report = import_settlement_file(db, None, row.content, row.filename,
                                                        origin=row.origin, clock=clock)
                        if report.file_id is not None:
                            record = db.get(SettlementFile, report.file_id)
                            record.imported_by_id = row.received_by_id
                            record.imported_by_token_id = row.received_by_token_id
                    result.message = report.message_th
                    result.settlement_file_id = report.file_id
                except BillpayError as exc:
                    result.state, result.message = QueueState.FAILED, exc.message
                except SQLAlchemyError as exc:
                    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
                    result.state = QueueState.FAILED
                    result.message = (f"ฐานข้อมูลขัดข้อง ({type(exc).__name__}: "
                                      f"{detail[0] if detail else ''})")
                except Exception as exc:  # noqa: BLE001 - recorded on the row, never dropped
                    log.exception("queued settlement file %s failed", row.id)
                    result.state = QueueState.FAILED
                    result.message = f"ผิดพลาด ({type(exc).__name__}: {exc})"
                row.state = result.state
                row.result_message = result.message[:2000]
                row.settlement_file_id = result.settlement_file_id
                row.processed_at = clock()
        except SQLAlchemyError:
            log.exception("could not import the settlement queue; it stays queued")
            break
        log.info("settlement queue %s: %s %s", result.queue_id, result.state, result.message)
        results.append(result)
    return results
