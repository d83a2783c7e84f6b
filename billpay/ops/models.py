"""What operations leave in the database: the record of every trial purge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.db import Base, utcnow
from billpay.offices.models import Office


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
