"""What operations keep in the database: maintenance windows (ช่วงปิดปรับปรุงระบบ) and
the settlement files queued during them, and the record of every trial purge.

Windows and the queue live in the database, so every app server behind it sees the
same window and none of them keeps state of its own that matters.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.db import Base, utcnow
from billpay.offices.models import Office


class MaintenanceWindow(Base):
    """A time when staff pages are read-only and the API answers 503.

    Cancelled windows keep their row (``cancelled_at``); ending one early moves its
    ``ends_at`` to the moment it was ended (``ended_early_at`` records that)."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_maintenance_windows_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]
    cancelled_by_name: Mapped[str | None] = mapped_column(String(200))
    ended_early_at: Mapped[datetime | None]

    def is_current(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at


class QueueState(StrEnum):
    QUEUED = "queued"  # รอนำเข้า
    IMPORTED = "imported"  # นำเข้าแล้ว
    FAILED = "failed"  # นำเข้าไม่สำเร็จ


QUEUE_STATE_LABELS_TH = {
    QueueState.QUEUED: "รอนำเข้าเมื่อสิ้นสุดช่วงปิดปรับปรุง",
    QueueState.IMPORTED: "นำเข้าแล้ว",
    QueueState.FAILED: "นำเข้าไม่สำเร็จ",
}


class QueuedSettlementFile(Base):
    """A settlement file that arrived during a maintenance window, kept whole (its bytes)
    until the window ends and the queue is imported in arrival order (``id``)."""

    __tablename__ = "settlement_queue"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'imported', 'failed')", name="state"),
        Index("ix_settlement_queue_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(10))  # api, upload, watch
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    received_by_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default=QueueState.QUEUED)
    processed_at: Mapped[datetime | None]
    settlement_file_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_files.id"))
    result_message: Mapped[str | None] = mapped_column(String(2000))


class TrialPurge(Base):
    """One run of ``billpay trial purge --confirm`` (ลบข้อมูลทดลอง): who, when, for which
    office (None: every office) and how many rows of each kind it removed."""

    __tablename__ = "trial_purges"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    performed_by: Mapped[str] = mapped_column(String(200))  # --by, else the OS login
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # kind → rows removed
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # files kept because mixed, …

    office: Mapped[Office | None] = relationship(lazy="joined")
