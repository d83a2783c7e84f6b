"""Writing, checking and searching the audit log.

``record`` appends one row inside the caller's transaction and flushes; it never
commits. Appends are serialised by locking the single ``audit_head`` row with
``UPDATE … RETURNING``: the lock is held until the caller's transaction ends, so a
second writer waits and then chains onto the first one's row. Because the lock is
held to the end, take it last: call ``record`` after the operation's other locks
(counters, bills, settlement lines), as ``issue_bill`` does; PostgreSQL would end
a lock cycle with a deadlock error rather than hang, but it is better not to make one.

Each row's hash is SHA-256 over the previous row's hash followed by a canonical
JSON of the row (sorted keys, no spaces, UTF-8). ``verify_chain`` recomputes every
hash in order; an edited row, a deleted row (a gap in ``seq``) or deleted newest
rows (the head no longer matches) are found even if someone dropped the triggers
that make the table append-only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor, Permission, scope_clause
from billpay.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from billpay.db import page_of, utcnow
from billpay.offices.models import Office
from billpay.thaidate import BANGKOK

# Thai labels for the actions billpay records; unknown actions show as they are.
ACTION_LABELS_TH: dict[str, str] = {
    "login.success": "เข้าสู่ระบบ",
    "login.failure": "เข้าสู่ระบบไม่สำเร็จ",
    "login.locked": "บัญชีถูกระงับชั่วคราว (ผิดหลายครั้ง)",
    "logout": "ออกจากระบบ",
    "user.register": "ลงทะเบียนผู้ใช้",
    "user.approve": "อนุมัติผู้ใช้",
    "user.reject": "ไม่อนุมัติผู้ใช้",
    "user.create": "สร้างผู้ใช้ (คำสั่งระบบ)",
    "user.change_role": "เปลี่ยนบทบาท/หน่วยงาน",
    "user.deactivate": "ระงับผู้ใช้",
    "user.reactivate": "เปิดใช้ผู้ใช้อีกครั้ง",
    "user.reset_password": "ตั้งรหัสผ่านใหม่ให้ผู้ใช้",
    "user.unlock": "ปลดล็อกบัญชี",
    "user.change_password": "เปลี่ยนรหัสผ่าน",
    "user.totp_enable": "เปิดการยืนยันตัวตนสองขั้นตอน",
    "nomination.import": "นำเข้ารายชื่อผู้ได้รับมอบหมาย",
    "nomination.save": "บันทึกรายชื่อผู้ได้รับมอบหมาย",
    "nomination.delete": "ลบรายชื่อผู้ได้รับมอบหมาย",
    "token.create": "สร้าง API token",
    "bill.issue": "ออกใบแจ้งการชำระเงิน",
    "bill.cancel": "ยกเลิกใบแจ้งการชำระเงิน",
    "fee_type.save": "แก้ไขประเภทค่าธรรมเนียม",
    "fee_type.import": "นำเข้าประเภทค่าธรรมเนียม",
    "access.denied": "เข้าถึงข้อมูลนอกขอบเขต/ไม่พบ",
    "audit.export": "ส่งออกบันทึกการใช้งาน",
    "office.go_live": "ตั้งวันเริ่มใช้งานจริงของหน่วยงาน",
    "office.trial": "ตั้งค่าทดลองใช้งานของหน่วยงาน",
    "trial.purge": "ลบข้อมูลทดลองใช้งาน",
}

EXPORT_LIMIT = 200_000


def _jsonable(value: Any) -> Any:
    """Plain JSON values, the same on every engine: Decimal and dates as strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    return str(value)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime in the audit log")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


HASHED_FIELDS = ("seq", "at", "actor_user_id", "actor_token_id", "actor_name", "actor_role",
                 "office_id", "office_code", "action", "object_type", "object_id", "before",
                 "after", "ip", "request_id")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 of the previous hash followed by this row's canonical JSON."""
    body = canonical_json({name: fields.get(name) for name in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _row_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def _request_details() -> tuple[str | None, str | None]:
    from flask import g, has_request_context, request

    if not has_request_context():
        return None, None
    return (request.remote_addr or None), (g.get("request_id") or None)


def _lock_head(db: Session) -> tuple[int, str]:
    """Advance the head (locking it until the transaction ends): (new seq, previous hash)."""
    advance = (update(AuditHead).where(AuditHead.id == 1)
               .values(last_seq=AuditHead.last_seq + 1)
               .returning(AuditHead.last_seq, AuditHead.last_hash)
               .execution_options(synchronize_session=False))
    row = db.execute(advance).one_or_none()
    if row is None:  # a database made without the migration's head row
        try:
            with db.begin_nested():
                db.add(AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH))
        except IntegrityError:
            pass
        row = db.execute(advance).one()
    return int(row[0]), str(row[1])


def record(
    db: Session,
    actor: Actor | None,
    action: str,
    *,
    office_id: int | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one event to the audit log (flushes, never commits).

    ``actor`` None means nobody signed in (a failed login, a registration: shown as
    ผู้ไม่ได้เข้าสู่ระบบ) or, outside a request, the system itself (a command-line job). ``office_id`` is the office the event concerns; by default the
    actor's own. ``before`` and ``after`` are any JSON-able values (dicts of the
    fields that changed); Decimal, dates and enums are written as strings.
    """
    at = at or utcnow()
    if office_id is None and actor is not None:
        office_id = actor.office_id
    office_code = None
    if office_id is not None:
        if actor is not None and actor.office_id == office_id:
            office_code = actor.office_code
        else:
            office_code = db.scalar(select(Office.code).where(Office.id == office_id))
    ip, request_id = _request_details()
    fields: dict[str, Any] = {
        "at": at,
        "actor_user_id": actor.user_id if actor else None,
        "actor_token_id": actor.token_id if actor else None,
        "actor_name": (actor.name if actor else ("ผู้ไม่ได้เข้าสู่ระบบ" if ip else "ระบบ"))[:200],
        "actor_role": str(actor.role) if actor else None,
        "office_id": office_id,
        "office_code": office_code,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:64],
        "before": None if before is None else canonical_json(before),
        "after": None if after is None else canonical_json(after),
        "ip": (ip or None) and ip[:45],
        "request_id": (request_id or None) and request_id[:64],
    }
    seq, prev_hash = _lock_head(db)
    fields["seq"] = seq
    digest = entry_hash(prev_hash, fields)
    entry = AuditEntry(prev_hash=prev_hash, hash=digest, **fields)
    db.add(entry)
    db.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest)
               .execution_options(synchronize_session=False))
    db.flush()
    return entry


# -- verify -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found. ``bad_seq`` is the first row that does not hold."""

    checked: int
    head_seq: int
    head_hash: str
    kind: str | None = None   # edited | deleted | relinked | head
    bad_seq: int | None = None
    bad_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind is None

    @property
    def message(self) -> str:
        if self.ok:
            return (f"audit log intact: {self.checked} rows, head {self.head_seq} "
                    f"{self.head_hash}")
        return {
            "edited": f"row seq {self.bad_seq} (id {self.bad_id}) was edited: its contents "
                      "no longer match its hash",
            "relinked": f"row seq {self.bad_seq} (id {self.bad_id}) was edited or replaced: "
                        "the next row recorded a different hash for it",
            "deleted": f"row seq {self.bad_seq} is missing (deleted)",
            "head": f"rows after seq {self.bad_seq} are missing (deleted), or the head was "
                    "edited",
        }[self.kind]

    @property
    def message_th(self) -> str:
        if self.ok:
            return f"บันทึกการใช้งานครบถ้วน ไม่ถูกแก้ไข ({self.checked:,} แถว)"
        return {
            "edited": f"แถวลำดับที่ {self.bad_seq} ถูกแก้ไข: ข้อมูลไม่ตรงกับค่า hash ของแถว",
            "relinked": f"แถวลำดับที่ {self.bad_seq} ถูกแก้ไขหรือแทนที่: "
                        "แถวถัดไปบันทึกค่า hash ของแถวนี้ไว้ไม่ตรงกัน",
            "deleted": f"แถวลำดับที่ {self.bad_seq} หายไป (ถูกลบ)",
            "head": f"แถวหลังลำดับที่ {self.bad_seq} หายไป (ถูกลบ) หรือหัวห่วงโซ่ถูกแก้ไข",
        }[self.kind]


def verify_chain(db: Session) -> ChainReport:
    """Walk the whole chain in order; stop at the first row that does not hold."""
    head = db.get(AuditHead, 1, populate_existing=True)
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    expected_seq = 1
    prev_hash = GENESIS_HASH
    prev: AuditEntry | None = None
    checked = 0
    rows = db.execute(select(AuditEntry).order_by(AuditEntry.seq)
                      .execution_options(yield_per=1000, populate_existing=True)).scalars()
    for entry in rows:
        if entry.seq != expected_seq:
            return ChainReport(checked, head_seq, head_hash, "deleted", expected_seq, None)
        if entry_hash(entry.prev_hash, _row_fields(entry)) != entry.hash:
            return ChainReport(checked, head_seq, head_hash, "edited", entry.seq, entry.id)
        if entry.prev_hash != prev_hash:
            if prev is None:  # the first row, re-hashed onto something else
                return ChainReport(checked, head_seq, head_hash, "edited", entry.seq, entry.id)
            return ChainReport(checked, head_seq, head_hash, "relinked", prev.seq, prev.id)
        prev_hash, prev = entry.hash, entry
        expected_seq += 1
        checked += 1
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(checked, head_seq, head_hash, "head", checked, None)
    return ChainReport(checked, head_seq, head_hash)


# -- search -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditQuery:
    text: str | None = None       # action, object, actor, before/after contents
    action: str | None = None     # exact, or a prefix ending in "." ("user.")
    actor: str | None = None      # part of the actor's name
    office_code: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 50
    sort: str = "-seq"


def _filtered(actor: Actor, q: AuditQuery):
    actor.require(Permission.AUDIT_READ)
    query = select(AuditEntry).where(scope_clause(actor, AuditEntry.office_id))
    if q.text:
        like = f"%{q.text.strip()}%"
        query = query.where(or_(AuditEntry.action.ilike(like), AuditEntry.object_id.ilike(like),
                                AuditEntry.actor_name.ilike(like), AuditEntry.before.ilike(like),
                                AuditEntry.after.ilike(like)))
    if q.action:
        if q.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(q.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == q.action)
    if q.actor:
        query = query.where(AuditEntry.actor_name.ilike(f"%{q.actor.strip()}%"))
    if q.office_code:
        query = query.where(AuditEntry.office_code == q.office_code.strip())
    if q.object_type:
        query = query.where(AuditEntry.object_type == q.object_type)
    if q.object_id:
        query = query.where(AuditEntry.object_id == q.object_id.strip())
    if q.date_from:
        query = query.where(AuditEntry.at >= datetime.combine(q.date_from, datetime.min.time(),
                                                              tzinfo=BANGKOK))
    if q.date_to:
        query = query.where(AuditEntry.at < datetime.combine(
            q.date_to + timedelta(days=1), datetime.min.time(), tzinfo=BANGKOK))
    order = AuditEntry.seq.asc() if q.sort == "seq" else AuditEntry.seq.desc()
    return query.order_by(order)


def search_audit(db: Session, actor: Actor, q: AuditQuery) -> tuple[list[AuditEntry], int]:
    """A page of the audit rows the actor may read, and how many match in all."""
    query = _filtered(actor, q)
    return page_of(db, query, page=q.page, per_page=q.per_page, max_per_page=500)


def iter_audit(db: Session, actor: Actor, q: AuditQuery) -> Iterator[AuditEntry]:
    """Every matching row (up to EXPORT_LIMIT), streamed for CSV/XLSX export."""
    query = _filtered(actor, q).limit(EXPORT_LIMIT).execution_options(yield_per=1000)
    yield from db.execute(query).scalars()


EXPORT_COLUMNS = (
    ("seq", "ลำดับ"), ("at", "เวลา (UTC)"), ("actor_name", "ผู้กระทำ"), ("actor_role", "บทบาท"),
    ("actor_user_id", "รหัสผู้ใช้"), ("actor_token_id", "รหัส token"),
    ("office_code", "รหัสหน่วยงาน"), ("action", "การกระทำ"), ("object_type", "ประเภทข้อมูล"),
    ("object_id", "รหัสข้อมูล"), ("before", "ก่อน"), ("after", "หลัง"), ("ip", "IP"),
    ("request_id", "request id"), ("prev_hash", "prev_hash"), ("hash", "hash"),
)


def export_row(entry: AuditEntry) -> list[Any]:
    values = []
    for name, _label in EXPORT_COLUMNS:
        value = getattr(entry, name)
        values.append(_iso(value) if isinstance(value, datetime) else value)
    return values
