"""Windows and tokens for the operations tests."""

from __future__ import annotations

from datetime import timedelta

from billpay.accounts.models import Role
from billpay.accounts.services import create_token
from billpay.db import utcnow
from billpay.ops import services

REASON = "ย้ายฐานข้อมูลไปเครื่องใหม่"


def window(db, *, starts_in: timedelta = -timedelta(minutes=10),
           lasts: timedelta = timedelta(hours=1), reason: str = REASON):
    """A maintenance window starting ``starts_in`` from now (negative: already on)."""
    now = utcnow()
    return services.schedule_window(db, None, starts_at=now + starts_in,
                                    ends_at=now + starts_in + lasts, reason=reason,
                                    now=now + min(starts_in, timedelta(0)))


def end_it(db, w) -> None:
    """Move a window into the past, as if its scheduled end had come."""
    w.starts_at = utcnow() - timedelta(hours=2)
    w.ends_at = utcnow() - timedelta(seconds=1)
    db.flush()


def token(db, role=Role.IMPORT_JOB, office=None, name="ops-job") -> str:
    return create_token(db, name=name, role=role, office_code=office).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
