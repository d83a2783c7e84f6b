"""Money helpers: parse, convert and format baht amounts (จำนวนเงิน).

Amounts are ``Decimal`` with two places (satang), never ``float``. Nothing here
rounds: an amount with more than two decimal places is refused, not rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "CENT",
    "MAX_AMOUNT",
    "AmountError",
    "format_amount",
    "from_satang",
    "parse_amount",
    "to_satang",
]

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")

# Thai digits ๐-๙ are accepted in text and read as 0-9.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# Optional sign, an integer part written plain ("1234") or grouped by threes
# ("1,234"), and an optional fraction. At least one digit somewhere.
_AMOUNT_RE = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$", re.ASCII)


class AmountError(ValueError):
    """An amount of money that cannot be accepted; the message is in Thai."""


def _check_type(value: object) -> None:
    # bool is an int subclass; True baht is never meant.
    if isinstance(value, float | bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(
            f"amount must be str, int or Decimal (never float), got {type(value).__name__}"
        )


def _from_text(text: str) -> Decimal:
    cleaned = text.strip().translate(_THAI_DIGITS)
    if not cleaned:
        raise AmountError("กรุณาระบุจำนวนเงิน")
    match = _AMOUNT_RE.match(cleaned)
    if match is None or not (match.group(2) or match.group(3)):
        raise AmountError(f"รูปแบบจำนวนเงินไม่ถูกต้อง: {text.strip()!r}")
    return Decimal(cleaned.replace(",", ""))


def _has_more_than_two_places(amount: Decimal) -> bool:
    """True when ``amount`` is not a whole number of satang (1.500 is fine, 1.505 is not)."""
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite by now
    if exponent >= -2:
        return False
    try:
        return amount != amount.quantize(CENT)
    except InvalidOperation:  # too many digits to quantize: cannot be a satang amount
        return True


def parse_amount(
    value: str | int | Decimal,
    *,
    allow_zero: bool = False,
    max_amount: Decimal = MAX_AMOUNT,
) -> Decimal:
    """Read an amount in baht and return it as a ``Decimal`` with exactly two places.

    Accepts ``"1,234.5"``, ``"1234.50"``, ``Decimal`` and ``int``. Refuses ``float``
    (``TypeError``) and, with ``AmountError``, empty text, NaN and infinity, negative
    amounts, more than two decimal places, zero (unless ``allow_zero``) and amounts
    over ``max_amount``.
    """
    _check_type(value)
    amount = _from_text(value) if isinstance(value, str) else Decimal(value)
    if not amount.is_finite():
        raise AmountError("จำนวนเงินต้องเป็นตัวเลข")
    if amount < 0:
        raise AmountError("จำนวนเงินต้องไม่ติดลบ")
    if amount > max_amount:
        raise AmountError(f"จำนวนเงินต้องไม่เกิน {format_amount(max_amount)} บาท")
    if _has_more_than_two_places(amount):
        raise AmountError("จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง")
    if amount == 0 and not allow_zero:
        raise AmountError("จำนวนเงินต้องมากกว่าศูนย์")
    return amount.quantize(CENT).copy_abs() if amount == 0 else amount.quantize(CENT)


def _exact_cents(amount: Decimal) -> Decimal:
    _check_type(amount)
    if isinstance(amount, str):
        raise TypeError("amount must be Decimal or int, not str; use parse_amount() for text")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise AmountError("จำนวนเงินต้องเป็นตัวเลข")
    if _has_more_than_two_places(amount):
        raise AmountError("จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง")
    try:
        return amount.quantize(CENT)
    except InvalidOperation:  # more digits than the decimal context holds
        raise AmountError("จำนวนเงินมากเกินไป") from None


def to_satang(amount: Decimal) -> int:
    """Baht to whole satang: ``Decimal("3649.22")`` → ``364922``. Never rounds."""
    return int(_exact_cents(amount).scaleb(2))


def from_satang(satang: int) -> Decimal:
    """Whole satang to baht with two places: ``364922`` → ``Decimal("3649.22")``."""
    if isinstance(satang, bool) or not isinstance(satang, int):
        raise TypeError(f"satang must be int, got {type(satang).__name__}")
    return Decimal(satang).scaleb(-2)


def format_amount(amount: Decimal) -> str:
    """Figures as printed on a bill or receipt: ``"1,234.50"``, ``"0.25"``. Never rounds."""
    return f"{_exact_cents(amount):,.2f}"
