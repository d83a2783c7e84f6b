"""Creating users and tokens, checking passwords and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from billpay.accounts.models import ApiToken, Role, User, UserStatus
from billpay.db import utcnow
from billpay.errors import Invalid
from billpay.offices.models import Office

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that both answers take as long.
_DUMMY_HASH = _hasher.hash("not-a-password")

TOKEN_PREFIX = "bp_"
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


def _office_by_code(db: Session, code: str | None) -> Office | None:
    if code is None:
        return None
    office = db.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise Invalid("ไม่พบหน่วยงาน", {"office": [f"ไม่พบหน่วยงานรหัส {code}"]})
    return office


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    full_name: str,
    role: Role | str,
    office_code: str | None,
    position: str = "",
    email: str | None = None,
) -> User:
    errors: dict[str, list[str]] = {}
    username = username.strip().lower()
    if not username or len(username) > 64:
        errors["username"] = ["ชื่อผู้ใช้ต้องมี 1–64 ตัวอักษร"]
    elif db.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [f"มีชื่อผู้ใช้ {username} อยู่แล้ว"]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD_LENGTH} ตัวอักษร"]
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = [f"ไม่รู้จักบทบาท {role}"]
    if role == Role.IMPORT_JOB:
        errors["role"] = ["บทบาทงานนำเข้าไฟล์ใช้ได้กับ API token เท่านั้น"]
    if errors:
        raise Invalid("ข้อมูลผู้ใช้ไม่ถูกต้อง", errors)
    user = User(
        username=username,
        password_hash=hash_password(password),
        full_name=full_name.strip() or username,
        position=position,
        office=_office_by_code(db, office_code),
        role=role,
        status=UserStatus.ACTIVE,
        email=email,
    )
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _hasher.verify(_DUMMY_HASH, "not-a-password")
        return None
    if not check_password(user, password) or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def load_user(db: Session, session_id: str) -> User | None:
    """Flask-Login's loader: the id is ``user_id:session_version``."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.get(User, user_id)
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(db: Session, *, name: str, role: Role | str, office_code: str | None) -> NewToken:
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("ไม่รู้จักบทบาท", {"role": [f"ไม่รู้จักบทบาท {role}"]}) from None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, office=_office_by_code(db, office_code),
                     token_hash=_token_hash(secret), prefix=secret[:10])
    db.add(token)
    db.flush()
    return NewToken(token=token, secret=secret)


def find_token(db: Session, secret: str) -> ApiToken | None:
    """The live token with this secret, or None. Records when it was last used."""
    digest = _token_hash(secret)
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    token.last_used_at = utcnow()
    return token
