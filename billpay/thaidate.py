"""Dates the Thai way: Buddhist era (พ.ศ.), government fiscal year, Thai month names.

Times are stored aware (UTC or with a zone); days, months and fiscal years are cut
in Asia/Bangkok. The fiscal year (ปีงบประมาณ) runs 1 October to 30 September and is
named by the Buddhist-era year in which it ends: 1 October 2025 starts FY 2569.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

__all__ = [
    "BANGKOK",
    "BE_OFFSET",
    "THAI_MONTHS",
    "THAI_MONTHS_SHORT",
    "bangkok_date",
    "be_year",
    "fiscal_year",
    "fiscal_year_bounds",
    "parse_thai_date",
    "thai_date",
    "thai_datetime",
    "to_bangkok",
]

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # Buddhist era = Christian era + 543

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)

# A Buddhist-era year below this is almost certainly a Christian-era year typed by mistake.
_MIN_BE_YEAR = 2400

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_BE_SLASH_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)


def to_bangkok(dt: datetime) -> datetime:
    """The same instant on Bangkok's clock. A naive datetime is refused (ValueError)."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: give a time zone (store UTC, show Asia/Bangkok)")
    return dt.astimezone(BANGKOK)


def bangkok_date(dt: datetime) -> date:
    """The calendar day in Bangkok at instant ``dt`` (aware)."""
    return to_bangkok(dt).date()


def day_start(d: date) -> datetime:
    """The instant a Bangkok calendar day begins (aware): the cut for "paid on that day"."""
    return datetime.combine(d, time.min, tzinfo=BANGKOK)


def _day(d: date | datetime) -> date:
    """A date as is; an aware datetime cut to its Bangkok day; a naive datetime refused."""
    if isinstance(d, datetime):
        return bangkok_date(d)
    if isinstance(d, date):
        return d
    raise TypeError(f"expected date or datetime, got {type(d).__name__}")


def be_year(d: date | datetime) -> int:
    """Buddhist-era year of the (Bangkok) day: 2026-11-22 → 2569."""
    return _day(d).year + BE_OFFSET


def fiscal_year(d: date | datetime) -> int:
    """Buddhist-era fiscal year of the (Bangkok) day: 2025-10-01 → 2569, 2026-09-30 → 2569."""
    day = _day(d)
    return day.year + BE_OFFSET + (1 if day.month >= 10 else 0)


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of Buddhist-era fiscal year ``fy``: 2569 → (2025-10-01, 2026-09-30)."""
    if isinstance(fy, bool) or not isinstance(fy, int):
        raise TypeError(f"fiscal year must be int, got {type(fy).__name__}")
    if fy < _MIN_BE_YEAR:
        raise ValueError(f"ปีงบประมาณต้องเป็นปีพุทธศักราช เช่น 2569 (ได้รับ {fy})")
    ce = fy - BE_OFFSET
    return date(ce - 1, 10, 1), date(ce, 9, 30)


def thai_date(d: date | datetime, short: bool = False) -> str:
    """``22 พฤศจิกายน 2569``; short ``22 พ.ย. 69``. An aware datetime shows its Bangkok day."""
    day = _day(d)
    year = day.year + BE_OFFSET
    if short:
        return f"{day.day} {THAI_MONTHS_SHORT[day.month - 1]} {year % 100:02d}"
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {year}"


def thai_datetime(dt: datetime) -> str:
    """``22 พฤศจิกายน 2569 เวลา 14:05 น.`` on Bangkok's clock."""
    local = to_bangkok(dt)
    return f"{thai_date(local)} เวลา {local:%H:%M} น."


def parse_thai_date(text: str) -> date:
    """Read ``22/11/2569`` (day/month/Buddhist-era year) or ISO ``2026-11-22``.

    Thai digits are accepted. Anything else raises ValueError with a Thai message.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    cleaned = text.strip().translate(_THAI_DIGITS)
    if not cleaned:
        raise ValueError("กรุณาระบุวันที่")
    if match := _BE_SLASH_RE.match(cleaned):
        day, month, be = (int(g) for g in match.groups())
        if be < _MIN_BE_YEAR:
            raise ValueError(f"ปีต้องเป็นปีพุทธศักราช เช่น 22/11/2569 (ได้รับ {text.strip()!r})")
        year = be - BE_OFFSET
    elif match := _ISO_RE.match(cleaned):
        year, month, day = (int(g) for g in match.groups())
        if year >= _MIN_BE_YEAR:
            raise ValueError(
                f"วันที่แบบ ปปปป-ดด-วว ต้องใช้ปีคริสต์ศักราช เช่น 2026-11-22 (ได้รับ {text.strip()!r})"
            )
    else:
        raise ValueError(
            f"รูปแบบวันที่ไม่ถูกต้อง: {text.strip()!r} (ใช้ วว/ดด/ปปปป พ.ศ. เช่น 22/11/2569 "
            "หรือ ปปปป-ดด-วว ค.ศ. เช่น 2026-11-22)"
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"ไม่มีวันที่นี้ในปฏิทิน: {text.strip()!r}") from None
