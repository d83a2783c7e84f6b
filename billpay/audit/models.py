"""The audit log's two tables.

``audit_log`` holds one row per event; each row carries the SHA-256 of the row
before it (``prev_hash``) and its own (``hash``), so editing or deleting a row
breaks the chain (``billpay audit verify``). ``audit_head`` is a single row that
holds the last position and hash: appending locks it (``UPDATE … RETURNING``), so
two transactions can never chain onto the same predecessor, and deleting the
newest rows is caught because the head no longer matches.

Neither table has foreign keys: an audit row records what was true when it was
written (names, office codes) and must outlive anything it mentions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from billpay.db import Base

GENESIS_HASH = "0" * 64


class AuditHead(Base):
    """The end of the chain: one row, ``id = 1``."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditEntry(Base):
    """One event: who, when, from where, which office, what, on which object, before/after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # 1, 2, 3 … without gaps
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_token_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    actor_role: Mapped[str | None] = mapped_column(String(20))
    office_id: Mapped[int | None] = mapped_column(index=True)
    office_code: Mapped[str | None] = mapped_column(String(4))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)  # canonical JSON, exactly as hashed
    after: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.seq} {self.action} {self.object_type}:{self.object_id}>"
