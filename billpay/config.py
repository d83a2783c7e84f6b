"""Settings: safe defaults for a laptop, ``BILLPAY_*`` environment variables for deployments.

Every setting has an upper-case name; ``BILLPAY_<NAME>`` in the environment overrides
the default, and ``create_app(config)`` overrides both (tests). The README's
configuration reference lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-secret-key-change-me"  # noqa: S105 - refused in production


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", "development", "development or production; production refuses default secrets"),
    Setting("DATABASE_URL", None, "SQLAlchemy URL; default: SQLite file in the instance folder. "
            "Production: postgresql+psycopg://user:pass@host/db"),
    Setting("SECRET_KEY", DEFAULT_SECRET_KEY, "signs sessions and CSRF tokens; required in production"),
    Setting("TIMEZONE", "Asia/Bangkok", "time zone for what people see and for day cuts"),
    Setting("AGENCY_NAME", "กรมการปกครอง", "agency name printed on bills and receipts"),
    Setting("BILLER_ID", "099999999999100",
            "15-digit biller ID (13-digit tax ID + 2-digit suffix) for all revenue types; "
            "the default is a demo value that passes the checksum: set the real one"),
    Setting("BILLER_ID_STATE", None, "biller ID for รายได้แผ่นดิน (state revenue) if it differs"),
    Setting("BILLER_ID_OFF_BUDGET", None, "biller ID for เงินนอกงบประมาณ (off-budget) if it differs"),
    Setting("BILL_DUE_DAYS", 30, "default days from issue to due date", int),
    Setting("SQL_ECHO", False, "log every SQL statement", bool),
    Setting("PUBLIC_URL", "http://127.0.0.1:5000",
            "the address people reach billpay at; receipt QR codes link to PUBLIC_URL/verify/…"),
    Setting("RECEIPT_SIGNING_KEY", None,
            "HMAC key for the receipt QR signature (default: derived from SECRET_KEY)"),
    Setting("RECEIPT_BOOK_SIZE", 100, "receipt numbers per book (เล่ม)", int),
    Setting("TRIAL", False,
            "trial period (ทดลองใช้งาน) for the whole deployment: every office whose go-live "
            "date has not come yet (or that has none) issues trial bills and receipts", bool),
    Setting("RATELIMIT_STORAGE_URL", "memory://",
            "where rate-limit counters live: memory:// (one process) or redis://host:6379/0 "
            "(shared by every worker; needed with gunicorn -w N)"),
    Setting("RATELIMIT_KEY_PREFIX", "", "prefix of the rate-limit keys (several billpay "
            "instances sharing one Redis)"),
    Setting("RATELIMIT_LOGIN", "10 per minute;60 per hour",
            "failed sign-ins (password or code) allowed per client address"),
    Setting("RATELIMIT_PUBLIC", "60 per minute",
            "requests per client address to the pages anyone can open (sign-in, registration)"),
    Setting("RATELIMIT_REGISTER", "30 per hour",
            "registrations submitted per client address"),
    Setting("TOTP_REQUIRED_ROLES", "",
            "roles that must use a second factor (TOTP app), comma-separated, e.g. "
            "finance,admin; empty: optional for everyone"),
    Setting("LOCKOUT_THRESHOLD", 10, "consecutive failed sign-ins that lock an account", int),
    Setting("LOCKOUT_MAX_MINUTES", 60,
            "longest lock; locks last 1, 2, 4 … minutes up to this", int),
)


def _coerce(setting: Setting, raw: str) -> Any:
    if setting.kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if setting.kind is int:
        return int(raw)
    return raw


def load_config(overrides: dict[str, Any] | None = None, environ=None) -> dict[str, Any]:
    """Defaults, then ``BILLPAY_*`` variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    for setting in SETTINGS:
        raw = environ.get(f"BILLPAY_{setting.name}")
        if raw not in (None, ""):
            config[setting.name] = _coerce(setting, raw)
    if overrides:
        config.update(overrides)
    return config


def default_database_url(instance_path: str | Path) -> str:
    path = Path(instance_path) / "billpay.sqlite3"
    return f"sqlite:///{path}"


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""
