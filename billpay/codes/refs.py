"""billpay's bill references: Ref1 (which bill) and Ref2 (due date).

Ref1 is 15 digits ``M OOOO YY NNNNNNN C``:

- ``M`` mode: 1 live, 9 trial (a trial bill can never match a live one);
- ``OOOO`` the issuing office's 4-digit code; a province office ``50`` is ``5000``,
  a district office keeps its own code (``5001``);
- ``YY`` the last two digits of the Buddhist-era fiscal year (2569 → ``69``);
- ``NNNNNNN`` a running number per office and fiscal year;
- ``C`` a Damm check digit over the first 14 digits, so any single mistyped digit
  and any swap of two neighbouring digits is refused.

Ref2 is the due date as Buddhist-era ``YYMMDD`` (2024-04-29 = พ.ศ. 2567 → ``670429``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from stdnum import damm

from billpay.codes.payment import CodeError

__all__ = [
    "MODE_LIVE",
    "MODE_TRIAL",
    "REF1_LENGTH",
    "Ref1",
    "Ref1Error",
    "make_ref1",
    "make_ref2",
    "normalise_ref",
    "parse_ref1",
    "parse_ref2",
]

REF1_LENGTH = 15
MODE_LIVE = 1
MODE_TRIAL = 9
MODES = (MODE_LIVE, MODE_TRIAL)
RUNNING_MAX = 9_999_999
_BE_OFFSET = 543
_DIGITS_RE = re.compile(r"[0-9]+")

_THAI_REASONS = {
    "not_digits": "เลขอ้างอิง 1 (Ref1) ต้องเป็นตัวเลขเท่านั้น",
    "wrong_length": "เลขอ้างอิง 1 (Ref1) ต้องมี 15 หลัก",
    "bad_check_digit": "เลขอ้างอิง 1 (Ref1) ไม่ถูกต้อง (เลขตรวจสอบไม่ตรง)",
    "bad_mode": "เลขอ้างอิง 1 (Ref1) ไม่ใช่เลขอ้างอิงของระบบนี้",
}


class Ref1Error(CodeError):
    """A Ref1 that cannot be a billpay bill reference.

    ``reason`` is one of ``not_digits``, ``wrong_length``, ``bad_check_digit``,
    ``bad_mode``; ``thai`` is the message to show a user.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.thai = _THAI_REASONS[reason]


@dataclass(frozen=True)
class Ref1:
    """The parts of a Ref1; ``value`` gives the 15 digits back."""

    mode: int
    office_code: str
    fiscal_year_yy: int
    running: int

    @property
    def is_trial(self) -> bool:
        return self.mode == MODE_TRIAL

    @property
    def value(self) -> str:
        return _with_check(
            f"{self.mode}{self.office_code}{self.fiscal_year_yy:02d}{self.running:07d}"
        )

    def __str__(self) -> str:
        return self.value


def _is_digits(text: str) -> bool:
    return _DIGITS_RE.fullmatch(text) is not None


def _with_check(body: str) -> str:
    return body + damm.calc_check_digit(body)


def _plain_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int, got {type(value).__name__}")
    return value


def make_ref1(mode: int, office_code: str, fiscal_year: int, running: int) -> str:
    """Ref1 for bill ``running`` of ``office_code`` in Buddhist-era ``fiscal_year``.

    ``make_ref1(1, "50", 2569, 1)`` → ``"150006900000018"``: the
    office written ``5000`` and the last digit a Damm check digit.
    """
    if _plain_int("mode", mode) not in MODES:
        raise CodeError(f"Ref1 mode must be 1 (live) or 9 (trial), got {mode}")
    if not isinstance(office_code, str):
        raise TypeError(f"office code must be str, got {type(office_code).__name__}")
    if not _is_digits(office_code):
        raise CodeError(f"office code must be digits, got {office_code!r}")
    if len(office_code) == 2:
        office_code += "00"  # a province office: 50 → 5000
    if len(office_code) != 4:
        raise CodeError(f"office code must be 2 (province) or 4 digits, got {office_code!r}")
    if not 2500 <= _plain_int("fiscal_year", fiscal_year) <= 2699:
        raise CodeError(f"fiscal year must be Buddhist era, e.g. 2569, got {fiscal_year}")
    if not 1 <= _plain_int("running", running) <= RUNNING_MAX:
        raise CodeError(f"running number must be 1 to {RUNNING_MAX}, got {running}")
    return _with_check(f"{mode}{office_code}{fiscal_year % 100:02d}{running:07d}")


def normalise_ref(text: str) -> str:
    """A reference as keyed or as found in a bank file, made comparable.

    Removes all white space and upper-cases. When a bank has dropped leading zeros
    (13 or 14 digits left) and the zero-padded 15 digits pass the Damm check, the
    zeros are put back; when a bank has zero-padded a reference to a wider field
    (16 or more digits, the extra ones all ``0``) and the last 15 pass, the padding is
    removed. Anything else is returned as cleaned, for the caller to refuse.
    """
    if not isinstance(text, str):
        raise TypeError(f"reference must be str, got {type(text).__name__}")
    cleaned = "".join(text.split()).upper()
    if not _is_digits(cleaned):
        return cleaned
    if len(cleaned) in (REF1_LENGTH - 2, REF1_LENGTH - 1):
        padded = cleaned.zfill(REF1_LENGTH)
        return padded if damm.is_valid(padded) else cleaned
    if len(cleaned) > REF1_LENGTH:
        extra, last = cleaned[:-REF1_LENGTH], cleaned[-REF1_LENGTH:]
        if not extra.strip("0") and damm.is_valid(last):
            return last
    return cleaned


def parse_ref1(text: str) -> Ref1:
    """The parts of a Ref1 (after ``normalise_ref``); ``Ref1Error`` says what is wrong."""
    ref = normalise_ref(text)
    if ref and not _is_digits(ref):
        raise Ref1Error(f"Ref1 is not digits: {ref!r}", "not_digits")
    if len(ref) != REF1_LENGTH:
        raise Ref1Error(
            f"Ref1 has the wrong length: {len(ref)} digits, expected {REF1_LENGTH}",
            "wrong_length",
        )
    if not damm.is_valid(ref):
        raise Ref1Error(f"Ref1 {ref} has a bad check digit", "bad_check_digit")
    mode = int(ref[0])
    if mode not in MODES:
        raise Ref1Error(
            f"Ref1 {ref} has mode digit {mode}, expected 1 (live) or 9 (trial)", "bad_mode"
        )
    return Ref1(
        mode=mode, office_code=ref[1:5], fiscal_year_yy=int(ref[5:7]), running=int(ref[7:14])
    )


def make_ref2(due_date: date) -> str:
    """Ref2: the due date as Buddhist-era ``YYMMDD`` (2024-04-29 → ``"670429"``)."""
    if isinstance(due_date, datetime) or not isinstance(due_date, date):
        raise TypeError(f"due date must be a date, got {type(due_date).__name__}")
    return f"{(due_date.year + _BE_OFFSET) % 100:02d}{due_date:%m%d}"


def parse_ref2(text: str) -> date:
    """The due date in a Ref2 ``YYMMDD`` (Buddhist era 25YY): ``"670429"`` → 2024-04-29."""
    ref = normalise_ref(text)
    if len(ref) != 6 or not _is_digits(ref):
        raise CodeError(f"Ref2 must be 6 digits YYMMDD (Buddhist era), got {text!r}")
    year = 2500 + int(ref[:2]) - _BE_OFFSET
    try:
        return date(year, int(ref[2:4]), int(ref[4:6]))
    except ValueError:
        raise CodeError(f"Ref2 {ref} is not a date (YYMMDD, Buddhist era)") from None
