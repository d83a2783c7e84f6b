"""An amount in Thai words for receipts (จำนวนเงินตัวอักษร): ``หนึ่งพันบาทถ้วน``.

Rules (receipts-and-thai-conventions.md):
- digits ศูนย์ หนึ่ง … เก้า; places สิบ ร้อย พัน หมื่น แสน, then ล้าน, which repeats
  (ล้านล้าน) for every further six digits;
- a tens digit 1 is สิบ, a tens digit 2 is ยี่สิบ;
- a units digit 1 after any higher digit is เอ็ด (11 สิบเอ็ด, 101 หนึ่งร้อยเอ็ด,
  1,000,001 หนึ่งล้านเอ็ด);
- whole baht end in บาทถ้วน, otherwise baht then satang (สตางค์); below one baht only
  the satang are read (0.25 ยี่สิบห้าสตางค์); zero is ศูนย์บาทถ้วน.

Nothing is rounded: more than two decimal places, negative amounts, NaN and float
are refused.
"""

from __future__ import annotations

from decimal import Decimal

from billpay.money import AmountError, to_satang

__all__ = ["bahttext"]

_DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
# Places within one six-digit group, units first.
_PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
_MILLION = "ล้าน"


def _group_words(n: int, *, after_higher: bool) -> str:
    """Words for 0 <= n < 1,000,000; ``after_higher`` when larger digits precede it."""
    words = []
    digits = [int(c) for c in str(n)]
    for place, digit in zip(range(len(digits) - 1, -1, -1), digits, strict=True):
        if digit == 0:
            continue
        if place == 1 and digit == 1:
            words.append("สิบ")
        elif place == 1 and digit == 2:
            words.append("ยี่สิบ")
        elif place == 0 and digit == 1 and (after_higher or n > 9):
            words.append("เอ็ด")
        else:
            words.append(_DIGITS[digit] + _PLACES[place])
    return "".join(words)


def _integer_words(n: int) -> str:
    """Words for a positive integer; each further six digits adds ล้าน."""
    higher, group = divmod(n, 1_000_000)
    if higher == 0:
        return _group_words(group, after_higher=False)
    return _integer_words(higher) + _MILLION + _group_words(group, after_higher=True)


def bahttext(amount: Decimal) -> str:
    """Thai words for an amount in baht: ``Decimal("1234.50")`` →
    ``หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์``."""
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount must be Decimal or int (never float), got {type(amount).__name__}")
    if isinstance(amount, Decimal) and not amount.is_finite():
        raise AmountError("จำนวนเงินต้องเป็นตัวเลข")
    if amount < 0:
        raise AmountError("จำนวนเงินต้องไม่ติดลบ")
    baht, satang = divmod(to_satang(amount), 100)  # to_satang refuses a third decimal place
    if baht == 0 and satang == 0:
        return "ศูนย์บาทถ้วน"
    text = _integer_words(baht) + "บาท" if baht else ""
    if satang == 0:
        return text + "ถ้วน"
    return text + _group_words(satang, after_higher=False) + "สตางค์"
