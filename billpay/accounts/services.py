"""People and tokens: creating, registering and approving users, signing in (with
lockout and an optional second factor), administering accounts, bearer tokens.

Every function that changes something takes the session (and, for the people's
own actions, the acting ``Actor``), records the change in the audit log, flushes
and never commits: the page or command that called it commits once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from billpay.accounts.models import (
    ROLE_LABELS_TH,
    ApiToken,
    Nomination,
    Role,
    User,
    UserStatus,
)
from billpay.accounts.permissions import Actor, Permission, in_scope, scope_clause
from billpay.audit.services import record
from billpay.codes import is_valid_thai_id
from billpay.db import page_of, utcnow
from billpay.errors import Conflict, Forbidden, Invalid, NotFound
from billpay.offices.models import Office, OfficeKind

Clock = Callable[[], datetime]
log = logging.getLogger("billpay.accounts")

_hasher = PasswordHasher()

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


# -- password policy --------------------------------------------------------------------

# The most used passwords seen in breaches, and the obvious local ones.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty",
    "qwerty123", "qwertyuiop", "1q2w3e4r", "1q2w3e4r5t", "zaq12wsx", "abc123", "abcd1234",
    "letmein", "welcome", "welcome1", "admin", "admin123", "administrator", "iloveyou",
    "monkey", "dragon", "football", "baseball", "sunshine", "princess", "master", "superman",
    "trustno1", "123456", "1234567", "12345678", "123456789", "1234567890", "0123456789",
    "111111", "000000", "123123", "654321", "11111111", "88888888", "987654321",
    "dopa", "dopa1234", "billpay", "billpay123", "thailand", "thailand1", "bangkok",
    "changeme", "changeme123",
})


def password_problems(password: str, *, username: str | None = None,
                      citizen_id: str | None = None) -> list[str]:
    """What is wrong with ``password`` (Thai messages), or an empty list.

    At least 10 characters; at least two kinds of character (small and capital
    letters, digits, other — Thai letters count as other), three kinds if shorter
    than 12; not a well-known password, not the username or ID number inside it,
    not one character repeated.
    """
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD_LENGTH} ตัวอักษร")
        return problems
    if len(password) > 200:
        problems.append("รหัสผ่านยาวเกิน 200 ตัวอักษร")
        return problems
    kinds = sum((
        any(c.islower() and c.isascii() for c in password),
        any(c.isupper() and c.isascii() for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    ))
    lowered = password.lower()
    if len(set(password)) <= 2:
        problems.append("รหัสผ่านใช้ตัวอักษรซ้ำกันเกือบทั้งหมด")
    elif kinds < 2 or (kinds < 3 and len(password) < 12):
        problems.append("รหัสผ่านต้องผสมตัวอักษรอย่างน้อย 3 แบบ (ตัวพิมพ์เล็ก ตัวพิมพ์ใหญ่ ตัวเลข "
                        "สัญลักษณ์) หรือยาวอย่างน้อย 12 ตัวอักษรและผสม 2 แบบ")
    stripped = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in COMMON_PASSWORDS or stripped in COMMON_PASSWORDS:
        problems.append("รหัสผ่านนี้เป็นรหัสที่ใช้กันทั่วไป เดาได้ง่าย")
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append("รหัสผ่านต้องไม่มีชื่อผู้ใช้อยู่ในนั้น")
    if citizen_id and citizen_id in password:
        problems.append("รหัสผ่านต้องไม่มีเลขประจำตัวประชาชนอยู่ในนั้น")
    return problems


def generate_password() -> str:
    """A temporary password that passes the policy (for an administrator's reset)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if not password_problems(candidate):
            return candidate


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
    citizen_id: str | None = None,
    actor: Actor | None = None,
) -> User:
    """An active user, made at the console (``billpay users create``) or in tests;
    people normally register and are approved. Recorded in the audit log."""
    errors: dict[str, list[str]] = {}
    username = username.strip().lower()
    if not username or len(username) > 64:
        errors["username"] = ["ชื่อผู้ใช้ต้องมี 1–64 ตัวอักษร"]
    elif db.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [f"มีชื่อผู้ใช้ {username} อยู่แล้ว"]
    problems = password_problems(password, username=username)
    if problems:
        errors["password"] = problems
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
        citizen_id=citizen_id,
        password_changed_at=utcnow(),
    )
    db.add(user)
    db.flush()
    record(db, actor, "user.create", office_id=user.office_id, object_type="user",
           object_id=user.id, after=user_snapshot(user))
    return user


def user_snapshot(user: User) -> dict[str, Any]:
    """The fields of a user the audit log keeps before and after a change."""
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "office": user.office.code if user.office else None, "status": user.status,
            "position": user.position}


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (no lockout and no
    audit: for scripts; the sign-in page uses ``attempt_login``)."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _dummy_verify()
        return None
    if not check_password(user, password) or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


_dummy: dict[int, str] = {}


def _dummy_verify() -> None:
    """Spend the time a real check takes, so that an unknown name answers as slowly: a
    hash made with the same hasher (and so the same cost) as the users' own."""
    dummy = _dummy.get(id(_hasher))
    if dummy is None:
        dummy = _dummy[id(_hasher)] = _hasher.hash("not-a-password")
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(dummy, "not-a-password")


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


def create_token(db: Session, *, name: str, role: Role | str, office_code: str | None,
                 actor: Actor | None = None) -> NewToken:
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("ไม่รู้จักบทบาท", {"role": [f"ไม่รู้จักบทบาท {role}"]}) from None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, office=_office_by_code(db, office_code),
                     token_hash=_token_hash(secret), prefix=secret[:10])
    db.add(token)
    db.flush()
    record(db, actor, "token.create", office_id=token.office_id, object_type="api_token",
           object_id=token.id, after={"name": name, "role": role, "prefix": token.prefix})
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


# -- registration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Registration:
    """What a person types on the registration page (already shape-checked by the schema)."""

    full_name: str
    position: str
    office_code: str
    citizen_id: str
    email: str
    phone: str
    username: str
    password: str


def register_user(db: Session, data: Registration, *, clock: Clock = utcnow) -> User:
    """A pending account for the finance division to approve; nobody is signed in."""
    errors: dict[str, list[str]] = {}
    username = data.username.strip().lower()
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = ["มีผู้ใช้ชื่อนี้แล้ว กรุณาเลือกชื่อผู้ใช้อื่น"]
    if not is_valid_thai_id(data.citizen_id):
        errors["citizen_id"] = ["เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)"]
    elif db.scalar(select(User.id).where(
            User.citizen_id == data.citizen_id,
            User.status.in_([UserStatus.PENDING, UserStatus.ACTIVE]))) is not None:
        errors["citizen_id"] = ["เลขประจำตัวประชาชนนี้ลงทะเบียนไว้แล้ว หากลืมรหัสผ่าน "
                                "กรุณาติดต่อผู้ดูแลระบบ"]
    office = db.scalar(select(Office).where(Office.code == data.office_code))
    if office is None or not office.active:
        errors["office_code"] = ["กรุณาเลือกหน่วยงานที่สังกัด"]
    problems = password_problems(data.password, username=username, citizen_id=data.citizen_id)
    if problems:
        errors["password"] = problems
    if errors:
        raise Invalid("ข้อมูลการลงทะเบียนไม่ถูกต้อง กรุณาแก้ไขช่องที่มีเครื่องหมาย", errors)
    now = clock()
    user = User(username=username, password_hash=hash_password(data.password),
                full_name=data.full_name, position=data.position, office=office, role=None,
                status=UserStatus.PENDING, email=data.email, phone=data.phone,
                citizen_id=data.citizen_id, created_at=now, password_changed_at=now)
    db.add(user)
    db.flush()
    record(db, None, "user.register", office_id=office.id, object_type="user",
           object_id=user.id, after={**user_snapshot(user), "email": user.email,
                                     "phone": user.phone}, at=now)
    return user


# -- sign-in: lockout with back-off, second factor ------------------------------------------

class LoginOutcome(StrEnum):
    OK = "ok"
    BAD = "bad"            # unknown username, wrong password or wrong code
    LOCKED = "locked"      # too many failures: try again after ``locked_until``
    PENDING = "pending"    # right password, not approved yet
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class LockoutPolicy:
    """``threshold`` consecutive failures lock the account for 1 minute; each further
    failure after a lock locks it again for twice as long, up to ``max_minutes``."""

    threshold: int = 10
    max_minutes: int = 60

    def minutes(self, lock_number: int) -> int:
        return min(2 ** max(lock_number - 1, 0), self.max_minutes)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LockoutPolicy:
        return cls(threshold=int(config.get("LOCKOUT_THRESHOLD", 10)),
                   max_minutes=int(config.get("LOCKOUT_MAX_MINUTES", 60)))


class UnknownNameGuard:
    """The same lockout for usernames that do not exist, kept in the rate limiter's
    storage (memory or Redis), so that "locked" does not tell anyone a name is real."""

    DAY = 24 * 3600

    def __init__(self, storage, policy: LockoutPolicy):
        self.storage = storage
        self.policy = policy

    @staticmethod
    def _key(kind: str, username: str) -> str:
        return f"billpay/login-{kind}/{hashlib.sha256(username.encode()).hexdigest()[:32]}"

    def locked_until(self, username: str) -> datetime | None:
        key = self._key("lock", username)
        try:
            if self.storage.get(key) > 0:
                return datetime.fromtimestamp(self.storage.get_expiry(key), UTC)
        except Exception:  # noqa: BLE001 - storage down (Redis): no lock rather than no sign-in
            log.warning("rate-limit storage unreachable; unknown-name lockout skipped")
        return None

    def fail(self, username: str) -> datetime | None:
        try:
            failures = self.storage.incr(self._key("fail", username), self.DAY)
            if failures < self.policy.threshold:
                return None
            locks = self.storage.incr(self._key("locks", username), self.DAY)
            seconds = self.policy.minutes(locks) * 60
            self.storage.incr(self._key("lock", username), seconds)
        except Exception:  # noqa: BLE001 - as above
            log.warning("rate-limit storage unreachable; unknown-name lockout skipped")
            return None
        return self.locked_until(username)


def _login_failed(db: Session, user: User, policy: LockoutPolicy, now: datetime,
                  reason: str) -> LoginResult:
    user.failed_logins += 1
    details = {"username": user.username, "reason": reason, "failures": user.failed_logins}
    if user.failed_logins >= policy.threshold:
        user.lockout_count += 1
        user.locked_until = now + timedelta(minutes=policy.minutes(user.lockout_count))
        record(db, None, "login.locked", office_id=user.office_id, object_type="user",
               object_id=user.id, after={**details, "locked_until": user.locked_until}, at=now)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    record(db, None, "login.failure", office_id=user.office_id, object_type="user",
           object_id=user.id, after=details, at=now)
    return LoginResult(LoginOutcome.BAD)


def attempt_login(db: Session, username: str, password: str, *,
                  policy: LockoutPolicy = LockoutPolicy(),
                  guard: UnknownNameGuard | None = None, clock: Clock = utcnow) -> LoginResult:
    """Check a username and password, counting failures on the user row.

    A locked account is refused without looking at the password. The answers for an
    unknown username and a wrong password are the same, and so is the lock (see
    ``UnknownNameGuard``). Only the right password learns that an account is pending,
    rejected or deactivated. Every outcome is recorded in the audit log; the caller
    commits whatever the outcome. ``OK`` is not yet a sign-in: see ``complete_login``.
    """
    name = username.strip().lower()[:64]
    now = clock()
    user = db.scalar(select(User).where(User.username == name).with_for_update(of=User))
    if user is None:
        _dummy_verify()
        until = guard.locked_until(name) if guard else None
        if until is None and guard is not None:
            until = guard.fail(name)
        record(db, None, "login.failure", object_type="user",
               after={"username": name, "reason": "locked" if until else "unknown_user"}, at=now)
        if until is not None:
            return LoginResult(LoginOutcome.LOCKED, locked_until=until)
        return LoginResult(LoginOutcome.BAD)
    if user.locked_until is not None and user.locked_until > now:
        record(db, None, "login.failure", office_id=user.office_id, object_type="user",
               object_id=user.id, after={"username": name, "reason": "locked"}, at=now)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    if not check_password(user, password):
        return _login_failed(db, user, policy, now, "bad_password")
    user.failed_logins = 0
    user.lockout_count = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.status != UserStatus.ACTIVE:
        record(db, None, "login.failure", office_id=user.office_id, object_type="user",
               object_id=user.id, after={"username": name, "reason": user.status}, at=now)
        return LoginResult(LoginOutcome(user.status), user=user)
    return LoginResult(LoginOutcome.OK, user=user)


def totp_for(user_or_secret: User | str) -> pyotp.TOTP:
    secret = user_or_secret if isinstance(user_or_secret, str) else user_or_secret.totp_secret
    return pyotp.TOTP(secret or "", digits=6, interval=30)


def _matching_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The time step (one either side allowed for clock drift) whose code is ``code``."""
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def check_totp_login(db: Session, user: User, code: str, *,
                     policy: LockoutPolicy = LockoutPolicy(), clock: Clock = utcnow
                     ) -> LoginResult:
    """The second step of signing in. A wrong code counts as a failed sign-in; a code
    already used (replayed) is refused."""
    now = clock()
    db.refresh(user, with_for_update={"of": User})
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    step = _matching_step(totp_for(user), code, now)
    if step is None or (user.totp_last_counter is not None and step <= user.totp_last_counter):
        return _login_failed(db, user, policy, now, "bad_totp")
    user.totp_last_counter = step
    user.failed_logins = 0
    user.lockout_count = 0
    return LoginResult(LoginOutcome.OK, user=user)


def complete_login(db: Session, user: User, *, clock: Clock = utcnow) -> None:
    """Every factor passed: the person is signed in."""
    now = clock()
    user.last_login_at = now
    record(db, Actor.for_user(user), "login.success", object_type="user", object_id=user.id,
           after={"username": user.username, "totp": user.totp_enabled}, at=now)


def record_logout(db: Session, user: User) -> None:
    record(db, Actor.for_user(user), "logout", object_type="user", object_id=user.id)


def totp_required(user: User, required_roles: frozenset[str]) -> bool:
    return bool(user.role) and user.role in required_roles


def parse_role_list(text: str | None) -> frozenset[str]:
    roles = {part.strip() for part in (text or "").split(",") if part.strip()}
    unknown = roles - {r.value for r in Role}
    if unknown:
        from billpay.config import ConfigError

        raise ConfigError(f"BILLPAY_TOTP_REQUIRED_ROLES: unknown roles {sorted(unknown)}")
    return frozenset(roles)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str = "billpay กรมการปกครอง") -> str:
    return totp_for(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def enable_totp(db: Session, user: User, secret: str, code: str, *,
                clock: Clock = utcnow) -> None:
    """Turn the second factor on once the person proves their app shows the right code."""
    now = clock()
    step = _matching_step(totp_for(secret), code, now)
    if step is None:
        raise Invalid("รหัส 6 หลักไม่ถูกต้อง กรุณาดูรหัสล่าสุดจากแอปแล้วลองอีกครั้ง",
                      {"code": ["รหัสไม่ถูกต้อง"]})
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_counter = step
    db.flush()
    record(db, Actor.for_user(user) if user.role else None, "user.totp_enable",
           office_id=user.office_id, object_type="user", object_id=user.id, at=now)


def change_own_password(db: Session, user: User, *, current: str | None, new: str,
                        confirm: str, clock: Clock = utcnow) -> None:
    """The person changes their own password. ``current`` None: the sign-in that forced
    the change has just checked it."""
    errors: dict[str, list[str]] = {}
    if current is not None and not check_password(user, current):
        errors["current"] = ["รหัสผ่านปัจจุบันไม่ถูกต้อง"]
    problems = password_problems(new, username=user.username, citizen_id=user.citizen_id)
    if problems:
        errors["password"] = problems
    elif check_password(user, new):
        errors["password"] = ["รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านเดิม"]
    if new != confirm:
        errors["confirm"] = ["รหัสผ่านทั้งสองช่องไม่ตรงกัน"]
    if errors:
        raise Invalid("เปลี่ยนรหัสผ่านไม่สำเร็จ กรุณาแก้ไขช่องที่มีเครื่องหมาย", errors)
    now = clock()
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    db.flush()
    record(db, Actor.for_user(user) if user.role else None, "user.change_password",
           office_id=user.office_id, object_type="user", object_id=user.id,
           after={"forced": current is None}, at=now)


# -- roles and offices that go together -----------------------------------------------------

ASSIGNABLE_ROLES = tuple(r for r in Role if r != Role.IMPORT_JOB)

# Which kinds of office each role may belong to. Scope follows the role (permissions.py):
# national roles see everything whatever their office.
ROLE_OFFICE_KINDS: dict[Role, frozenset[str]] = {
    Role.CLERK: frozenset({OfficeKind.PROVINCE, OfficeKind.DISTRICT}),
    Role.OFFICE_HEAD: frozenset({OfficeKind.PROVINCE, OfficeKind.DISTRICT}),
    Role.PROVINCIAL: frozenset({OfficeKind.PROVINCE}),
    Role.FINANCE: frozenset({OfficeKind.CENTRAL}),
    Role.ADMIN: frozenset({OfficeKind.CENTRAL}),
    Role.EXECUTIVE: frozenset({OfficeKind.CENTRAL, OfficeKind.PROVINCE, OfficeKind.DISTRICT}),
    Role.AUDITOR: frozenset({OfficeKind.CENTRAL, OfficeKind.PROVINCE, OfficeKind.DISTRICT}),
}
_KIND_TH = {OfficeKind.CENTRAL: "ส่วนกลาง", OfficeKind.PROVINCE: "ที่ทำการปกครองจังหวัด",
            OfficeKind.DISTRICT: "ที่ทำการปกครองอำเภอ"}


def _role_and_office(db: Session, role: str | None, office_code: str | None
                     ) -> tuple[Role, Office]:
    errors: dict[str, list[str]] = {}
    try:
        chosen = Role(role or "")
    except ValueError:
        chosen = None
    if chosen is None or chosen not in ASSIGNABLE_ROLES:
        errors["role"] = ["กรุณาเลือกบทบาท"]
    office = db.scalar(select(Office).where(Office.code == (office_code or "").strip()))
    if office is None or not office.active:
        errors["office_code"] = ["กรุณาเลือกหน่วยงาน"]
    if not errors and office.kind not in ROLE_OFFICE_KINDS[chosen]:
        allowed = " หรือ ".join(_KIND_TH[k] for k in sorted(ROLE_OFFICE_KINDS[chosen]))
        errors["office_code"] = [f"บทบาท{ROLE_LABELS_TH[chosen]}ต้องสังกัด{allowed}"]
    if errors:
        raise Invalid("บทบาทหรือหน่วยงานไม่ถูกต้อง", errors)
    return chosen, office


def _not_self(db: Session, actor: Actor, user: User) -> None:
    """Nobody approves or changes their own account, nor another account of the same
    person (same ID number)."""
    if actor.user_id is not None and actor.user_id == user.id:
        raise Forbidden("ท่านอนุมัติหรือเปลี่ยนสิทธิ์ของบัญชีตนเองไม่ได้ ต้องให้ผู้อื่นดำเนินการ")
    if actor.user_id is not None and user.citizen_id:
        mine = db.scalar(select(User.citizen_id).where(User.id == actor.user_id))
        if mine and mine == user.citizen_id:
            raise Forbidden("บัญชีนี้เป็นของท่านเอง (เลขประจำตัวประชาชนเดียวกัน) "
                            "ต้องให้ผู้อื่นดำเนินการ")


# -- the finance division's approvals ------------------------------------------------------

@dataclass(frozen=True)
class UserQuery:
    text: str | None = None       # name, username, ID number, email
    status: str | None = None
    role: str | None = None
    province_code: str | None = None
    office_code: str | None = None
    page: int = 1
    per_page: int = 25
    sort: str = "-created_at"


_USER_SORTS = {"created_at": User.created_at, "username": User.username,
               "full_name": User.full_name, "role": User.role, "status": User.status,
               "last_login_at": User.last_login_at}


def _user_query(actor: Actor, q: UserQuery) -> Select:
    query = select(User).where(scope_clause(actor, User.office_id))
    if q.text:
        text = q.text.strip()
        like = f"%{text}%"
        query = query.where(or_(User.full_name.ilike(like), User.username.ilike(like.lower()),
                                User.email.ilike(like), User.citizen_id == text.replace("-", "")))
    if q.status:
        query = query.where(User.status == q.status)
    if q.role:
        query = query.where(User.role == q.role)
    if q.province_code:
        query = query.where(User.office.has(Office.province_code == q.province_code))
    if q.office_code:
        query = query.where(User.office.has(Office.code == q.office_code))
    return query


def paged(db: Session, query: Select, *, sort: str, sorts: dict, default, tiebreak,
          page: int, per_page: int) -> tuple[list, int]:
    """One page of ``query`` sorted by ``sort`` (a key of ``sorts``, ``-`` for descending),
    and how many rows match in all."""
    column = sorts.get(sort.lstrip("-"), default)
    order = column.desc() if sort.startswith("-") else column.asc()
    rows, total = page_of(db, query.order_by(order.nulls_last(), tiebreak), page=page,
                          per_page=per_page)
    return list(rows), total


def search_users(db: Session, actor: Actor, q: UserQuery) -> tuple[list[User], int]:
    """A page of the users the actor may see (their scope), and how many match."""
    if not (actor.can(Permission.USER_READ) or actor.can(Permission.USER_APPROVE)):
        raise Forbidden("สิทธิ์ของท่านไม่อนุญาตให้ดูรายชื่อผู้ใช้")
    return paged(db, _user_query(actor, q), sort=q.sort, sorts=_USER_SORTS,
                 default=User.created_at, tiebreak=User.id.desc(), page=q.page,
                 per_page=q.per_page)


def get_user(db: Session, actor: Actor, user_id: int, *, for_update: bool = False) -> User:
    """The user if inside the actor's scope; otherwise NotFound."""
    if not (actor.can(Permission.USER_READ) or actor.can(Permission.USER_APPROVE)):
        raise Forbidden("สิทธิ์ของท่านไม่อนุญาตให้ดูข้อมูลผู้ใช้")
    query = select(User).where(User.id == user_id, scope_clause(actor, User.office_id))
    if for_update:
        query = query.with_for_update(of=User)
    user = db.scalar(query)
    if user is None:
        raise NotFound("ไม่พบผู้ใช้")
    return user


def nominations_for_user(db: Session, user: User) -> list[Nomination]:
    """The nominations of the user's office; those with the same ID number first."""
    if user.office_id is None:
        return []
    rows = db.scalars(select(Nomination).where(Nomination.office_id == user.office_id)
                      .order_by(Nomination.seq.nulls_last(), Nomination.id)).all()
    return sorted(rows, key=lambda n: n.citizen_id != user.citizen_id)


def matching_nomination(db: Session, user: User) -> Nomination | None:
    if user.office_id is None or not user.citizen_id:
        return None
    return db.scalar(select(Nomination).where(Nomination.office_id == user.office_id,
                                              Nomination.citizen_id == user.citizen_id))


def approve_user(db: Session, actor: Actor, user_id: int, *, role: str | None,
                 office_code: str | None, without_nomination: bool = False,
                 clock: Clock = utcnow) -> User:
    """Approve a pending registration with a role and an office (its scope). The
    person's ID number should be on their province's nomination list for that office;
    approving someone who is not needs ``without_nomination`` (the written order)."""
    actor.require(Permission.USER_APPROVE)
    user = get_user(db, actor, user_id, for_update=True)
    _not_self(db, actor, user)
    if user.status != UserStatus.PENDING:
        raise Conflict(f"ผู้ใช้ {user.username} ไม่ได้อยู่ในสถานะรออนุมัติ ({user.status_label})")
    chosen, office = _role_and_office(db, role, office_code)
    before = user_snapshot(user)
    nomination = None
    if user.citizen_id:
        nomination = db.scalar(select(Nomination).where(
            Nomination.office_id == office.id, Nomination.citizen_id == user.citizen_id))
    if nomination is None and not without_nomination:
        raise Invalid("ไม่พบบุคคลนี้ในรายชื่อที่จังหวัดแจ้งสำหรับหน่วยงานที่เลือก",
                      {"without_nomination": [
                          "หากมีคำสั่งมอบหมายเป็นลายลักษณ์อักษรแล้ว ให้ทำเครื่องหมายยืนยันการอนุมัติ"
                          "โดยไม่มีรายชื่อในแบบแจ้ง"]})
    now = clock()
    user.status = UserStatus.ACTIVE
    user.role = chosen
    user.office = office
    user.decided_by_id = actor.user_id
    user.decided_at = now
    user.decision_reason = None
    if nomination is not None:
        nomination.user_id = user.id
    db.flush()
    record(db, actor, "user.approve", office_id=office.id, object_type="user",
           object_id=user.id, before=before,
           after={**user_snapshot(user), "nomination": nomination.id if nomination else None},
           at=now)
    return user


def reject_user(db: Session, actor: Actor, user_id: int, reason: str, *,
                clock: Clock = utcnow) -> User:
    actor.require(Permission.USER_APPROVE)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("กรุณาระบุเหตุผลที่ไม่อนุมัติ", {"reason": ["กรุณาระบุเหตุผล"]})
    if len(reason) > 500:
        raise Invalid("เหตุผลยาวเกิน 500 ตัวอักษร", {"reason": ["ไม่เกิน 500 ตัวอักษร"]})
    user = get_user(db, actor, user_id, for_update=True)
    _not_self(db, actor, user)
    if user.status != UserStatus.PENDING:
        raise Conflict(f"ผู้ใช้ {user.username} ไม่ได้อยู่ในสถานะรออนุมัติ ({user.status_label})")
    before = user_snapshot(user)
    now = clock()
    user.status = UserStatus.REJECTED
    user.decided_by_id = actor.user_id
    user.decided_at = now
    user.decision_reason = reason
    db.flush()
    record(db, actor, "user.reject", office_id=user.office_id, object_type="user",
           object_id=user.id, before=before, after={**user_snapshot(user), "reason": reason},
           at=now)
    return user


# -- administration: role, office, deactivation, password reset -----------------------------

def _managed_user(db: Session, actor: Actor, user_id: int) -> User:
    actor.require(Permission.USER_MANAGE)
    user = get_user(db, actor, user_id, for_update=True)
    _not_self(db, actor, user)
    return user


def change_role(db: Session, actor: Actor, user_id: int, *, role: str | None,
                office_code: str | None) -> User:
    """Give an active user another role or office; their sessions end at once."""
    user = _managed_user(db, actor, user_id)
    if user.status != UserStatus.ACTIVE:
        raise Conflict("เปลี่ยนบทบาทได้เฉพาะผู้ใช้ที่ใช้งานได้ (ผู้ใช้ที่รออนุมัติ ให้อนุมัติจากหน้าอนุมัติผู้ใช้)")
    chosen, office = _role_and_office(db, role, office_code)
    if chosen == user.role and office.id == user.office_id:
        raise Invalid("บทบาทและหน่วยงานเหมือนเดิม ไม่มีอะไรเปลี่ยน",
                      {"role": ["เลือกบทบาทหรือหน่วยงานใหม่"]})
    before = user_snapshot(user)
    user.role = chosen
    user.office = office
    user.session_version += 1
    db.flush()
    record(db, actor, "user.change_role", office_id=office.id, object_type="user",
           object_id=user.id, before=before, after=user_snapshot(user))
    return user


def deactivate_user(db: Session, actor: Actor, user_id: int, reason: str) -> User:
    user = _managed_user(db, actor, user_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("กรุณาระบุเหตุผลที่ระงับการใช้งาน", {"reason": ["กรุณาระบุเหตุผล"]})
    if user.status != UserStatus.ACTIVE:
        raise Conflict(f"ผู้ใช้ {user.username} ไม่ได้อยู่ในสถานะใช้งานได้")
    before = user_snapshot(user)
    user.status = UserStatus.DEACTIVATED
    user.decision_reason = reason[:500]
    user.session_version += 1
    db.flush()
    record(db, actor, "user.deactivate", office_id=user.office_id, object_type="user",
           object_id=user.id, before=before, after={**user_snapshot(user), "reason": reason})
    return user


def reactivate_user(db: Session, actor: Actor, user_id: int) -> User:
    user = _managed_user(db, actor, user_id)
    if user.status != UserStatus.DEACTIVATED:
        raise Conflict(f"ผู้ใช้ {user.username} ไม่ได้ถูกระงับการใช้งาน")
    before = user_snapshot(user)
    user.status = UserStatus.ACTIVE
    user.decision_reason = None
    user.session_version += 1
    db.flush()
    record(db, actor, "user.reactivate", office_id=user.office_id, object_type="user",
           object_id=user.id, before=before, after=user_snapshot(user))
    return user


def _console_or_managed(db: Session, actor: Actor | None, user_id: int) -> User:
    if actor is not None:
        return _managed_user(db, actor, user_id)
    user = db.get(User, user_id, with_for_update={"of": User})
    if user is None:
        raise NotFound("ไม่พบผู้ใช้")
    return user


def reset_password(db: Session, actor: Actor | None, user_id: int, *,
                   clear_totp: bool = False) -> str:
    """A new temporary password (returned once, to be handed over in person); the user
    must change it at the next sign-in. Sessions end, the lock is lifted. ``actor``
    None: the console (``billpay users reset-password``)."""
    user = _console_or_managed(db, actor, user_id)
    temporary = generate_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_version += 1
    user.failed_logins = 0
    user.lockout_count = 0
    user.locked_until = None
    if clear_totp:
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_counter = None
    db.flush()
    record(db, actor, "user.reset_password", office_id=user.office_id, object_type="user",
           object_id=user.id, after={"username": user.username, "totp_cleared": clear_totp})
    return temporary


def unlock_user(db: Session, actor: Actor | None, user_id: int) -> User:
    """Lift a lock (``actor`` None: the console)."""
    user = _console_or_managed(db, actor, user_id)
    before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    user.failed_logins = 0
    user.lockout_count = 0
    user.locked_until = None
    db.flush()
    record(db, actor, "user.unlock", office_id=user.office_id, object_type="user",
           object_id=user.id, before=before)
    return user


def in_actor_scope(actor: Actor, office: Office | None) -> bool:
    return office is not None and in_scope(actor, office)
