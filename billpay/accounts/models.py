from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.db import Base, utcnow
from billpay.offices.models import Office


class Role(StrEnum):
    """What a person or a job may do; the matrix is in ``permissions.py``."""

    CLERK = "clerk"  # เจ้าหน้าที่การเงินประจำเคาน์เตอร์
    OFFICE_HEAD = "office_head"  # หัวหน้าหน่วยงาน
    PROVINCIAL = "provincial"  # เจ้าหน้าที่ระดับจังหวัด
    FINANCE = "finance"  # กองคลัง
    EXECUTIVE = "executive"  # ผู้บริหาร
    AUDITOR = "auditor"  # ผู้ตรวจสอบ
    ADMIN = "admin"  # ผู้ดูแลระบบ
    IMPORT_JOB = "import_job"  # งานนำเข้าไฟล์ธนาคาร (API token only)


ROLE_LABELS_TH = {
    Role.CLERK: "เจ้าหน้าที่รับชำระเงิน",
    Role.OFFICE_HEAD: "หัวหน้าหน่วยงาน",
    Role.PROVINCIAL: "เจ้าหน้าที่ระดับจังหวัด",
    Role.FINANCE: "กองคลัง",
    Role.EXECUTIVE: "ผู้บริหาร",
    Role.AUDITOR: "ผู้ตรวจสอบ",
    Role.ADMIN: "ผู้ดูแลระบบ",
    Role.IMPORT_JOB: "งานนำเข้าไฟล์ธนาคาร",
}

_ROLE_SQL = ", ".join(f"'{r.value}'" for r in Role)


class UserStatus(StrEnum):
    PENDING = "pending"  # registered, waiting for the finance division
    ACTIVE = "active"
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"


USER_STATUS_LABELS_TH = {
    UserStatus.PENDING: "รออนุมัติ",
    UserStatus.ACTIVE: "ใช้งานได้",
    UserStatus.REJECTED: "ไม่อนุมัติ",
    UserStatus.DEACTIVATED: "ระงับการใช้งาน",
}


class User(Base):
    """A person who signs in. ``session_version`` is part of the login cookie's id,
    so bumping it (role or office change, deactivation) ends every session at once."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IS NULL OR role IN ({_ROLE_SQL})", name="role"),
        CheckConstraint(
            "status IN ('pending', 'active', 'rejected', 'deactivated')", name="status"
        ),
        CheckConstraint("status <> 'active' OR role IS NOT NULL", name="active_has_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=UserStatus.ACTIVE)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    session_version: Mapped[int] = mapped_column(default=1)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # registration (เลขประจำตัวประชาชน) and the finance division's decision on it;
    # decided_by_id has no foreign key so that SQLite can add and drop the column in place
    citizen_id: Mapped[str | None] = mapped_column(String(13), index=True)
    decided_by_id: Mapped[int | None]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    # sign-in protection: consecutive failures, the lock they caused, how many locks in a row
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    lockout_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    password_changed_at: Mapped[datetime | None]
    # second factor (TOTP, RFC 6238): the secret, when it was confirmed, the last step used
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_counter: Mapped[int | None]

    office: Mapped[Office | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship(
        primaryjoin="foreign(User.decided_by_id) == remote(User.id)", viewonly=True,
        lazy="select")

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS_TH.get(Role(self.role), self.role) if self.role else "-"

    @property
    def status_label(self) -> str:
        return USER_STATUS_LABELS_TH.get(UserStatus(self.status), self.status)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(Base):
    """A bearer token for a job or another system. Only the SHA-256 of the secret
    is stored; the token itself is shown once, when created."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_SQL})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    office: Mapped[Office | None] = relationship(lazy="joined")


class Nomination(Base):
    """One person a province nominated to use billpay (แบบแจ้งรายชื่อบุคคลที่ได้รับมอบหมาย
    ให้ปฏิบัติหน้าที่เป็นผู้ใช้งานในระบบ), for one office. The finance division sees these
    beside the registrations of the same office; ``user_id`` is set when the person's
    registration is approved against this line."""

    __tablename__ = "user_nominations"
    __table_args__ = (
        UniqueConstraint("office_id", "citizen_id", name="uq_user_nominations_office_citizen"),
        CheckConstraint(f"proposed_role IS NULL OR proposed_role IN ({_ROLE_SQL})",
                        name="proposed_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    seq: Mapped[int | None]  # ลำดับ on the province's form
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    citizen_id: Mapped[str] = mapped_column(String(13), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    proposed_role: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(200), default="")

    office: Mapped[Office] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    @property
    def proposed_role_label(self) -> str:
        return ROLE_LABELS_TH.get(Role(self.proposed_role), "") if self.proposed_role else ""
