"""What a bill carries for the bank: biller ID, Ref1/Ref2, barcode data and Thai QR.

See payment-codes.md. The same biller ID, Ref1, Ref2 and amount appear three ways on a
bill (ใบแจ้งการชำระเงิน): as printed digits, as Code 128 barcode data
(``barcode_data``) and as a Thai QR bill-payment payload, EMVCo tag 30
(``qr_payload``). Everything here is pure: strings in, strings out.

The builders check the biller ID's shape (15 digits) but not its tax-ID checksum:
that is configuration's job (``validate_biller_id``), and the reference's own
example biller ``099999999999990`` must still build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from billpay.money import AmountError, parse_amount, to_satang

__all__ = [
    "BILL_PAYMENT_AID",
    "CodeError",
    "QRBillPayment",
    "QRPayloadError",
    "barcode_data",
    "barcode_human_text",
    "crc16_ccitt_false",
    "is_valid_thai_id",
    "parse_qr_payload",
    "qr_payload",
    "tax_id_check_digit",
    "validate_biller_id",
    "validate_thai_id",
]

BILL_PAYMENT_AID = "A000000677010112"  # Thai QR bill payment, domestic
CR = "\r"
BARCODE_MAX_CHARS = 62  # not counting the CRs
REF_MAX_DIGITS = 18  # the strictest bank's limit; QR itself allows 20
QR_REF_MAX_CHARS = 20
CURRENCY_THB = "764"
COUNTRY_TH = "TH"
PAYLOAD_FORMAT = "01"
POI_STATIC = "11"
POI_DYNAMIC = "12"

_DIGITS_RE = re.compile(r"[0-9]+")
_QR_AMOUNT_RE = re.compile(r"[0-9]+(?:\.[0-9]{0,2})?")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


class CodeError(ValueError):
    """A biller ID, reference, barcode or QR value that cannot be used."""


class QRPayloadError(CodeError):
    """A Thai QR payload that does not parse; the message names what is wrong."""


# --- CRC-16/CCITT-FALSE -------------------------------------------------------------


def _crc_table(poly: int = 0x1021) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor.

    ``crc16_ccitt_false(b"123456789") == 0x29B1``.
    """
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def _crc_hex(text: str) -> str:
    return f"{crc16_ccitt_false(text.encode('utf-8')):04X}"


# --- Thai ID / tax ID ------------------------------------------------------------------


def _is_digits(value: str) -> bool:
    return _DIGITS_RE.fullmatch(value) is not None


def tax_id_check_digit(first12: str) -> int:
    """The 13th digit of a Thai ID / tax ID: ``(11 - Σ d_i × (14 - i) mod 11) mod 10``."""
    if len(first12) != 12 or not _is_digits(first12):
        raise CodeError(f"need the first 12 digits of a Thai ID, got {first12!r}")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def validate_thai_id(s: str) -> str:
    """A 13-digit Thai ID (เลขประจำตัวประชาชน) or tax ID, returned as 13 digits.

    Spaces and hyphens (``1-2345-45678-78-1``) and Thai digits are accepted. The
    first digit is not restricted, so juristic tax IDs starting with 0 pass.
    """
    if not isinstance(s, str):
        raise TypeError(f"Thai ID must be str, got {type(s).__name__}")
    number = re.sub(r"[\s-]", "", s).translate(_THAI_DIGITS)
    if not number:
        raise CodeError("กรุณาระบุเลขประจำตัวประชาชน")
    if not _is_digits(number):
        raise CodeError("เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น")
    if len(number) != 13:
        raise CodeError(f"เลขประจำตัวประชาชนต้องมี 13 หลัก (ได้รับ {len(number)} หลัก)")
    if tax_id_check_digit(number[:12]) != int(number[12]):
        raise CodeError("เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)")
    return number


def is_valid_thai_id(s: str) -> bool:
    """True when ``validate_thai_id(s)`` would accept ``s``."""
    try:
        validate_thai_id(s)
    except (CodeError, TypeError):
        return False
    return True


# --- biller ID and references ----------------------------------------------------------


def _check_biller_shape(biller_id: str) -> str:
    if not isinstance(biller_id, str):
        raise TypeError(f"biller ID must be str, got {type(biller_id).__name__}")
    if not _is_digits(biller_id):
        raise CodeError(f"biller ID must be digits only, got {biller_id!r}")
    if len(biller_id) != 15:
        raise CodeError(f"biller ID must be 15 digits, got {len(biller_id)}: {biller_id!r}")
    return biller_id


def validate_biller_id(biller_id: str) -> str:
    """A configured biller ID: 15 digits, a 13-digit tax ID that passes its checksum
    followed by a 2-digit service suffix (``00`` for the first service)."""
    _check_biller_shape(biller_id)
    tax_id, suffix = biller_id[:13], biller_id[13:]
    expected = tax_id_check_digit(tax_id[:12])
    if expected != int(tax_id[12]):
        raise CodeError(
            f"biller ID {biller_id}: its tax ID {tax_id} fails the checksum "
            f"(13th digit is {tax_id[12]}, the checksum gives {expected}); "
            f"suffix {suffix} follows"
        )
    return biller_id


def _check_ref(name: str, value: str, *, required: bool) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, got {type(value).__name__}")
    if not value:
        if required:
            raise CodeError(f"{name} is empty")
        return value
    if not _is_digits(value):
        raise CodeError(f"{name} must be digits only, got {value!r}")
    if len(value) > REF_MAX_DIGITS:
        raise CodeError(f"{name} is {len(value)} digits, at most {REF_MAX_DIGITS} allowed")
    return value


def _bill_amount(amount: Decimal | None) -> Decimal | None:
    """None for "any amount", else a positive Decimal with 2 places (never float)."""
    if amount is None:
        return None
    if isinstance(amount, str):
        raise TypeError("amount must be Decimal or None, not str; use money.parse_amount()")
    try:
        return parse_amount(amount)
    except AmountError as exc:
        raise CodeError(f"amount {amount}: {exc} (use None for any amount)") from exc


# --- barcode ---------------------------------------------------------------------------


def barcode_data(biller_id: str, ref1: str, ref2: str, amount: Decimal | None) -> str:
    """Code 128 data for the Thai Bankers' Association bill-payment layout:
    ``"|" + biller + CR + ref1 + CR + ref2 + CR + satang``; amount None → ``0`` (any amount).
    """
    _check_biller_shape(biller_id)
    _check_ref("Ref1", ref1, required=True)
    _check_ref("Ref2", ref2, required=False)
    baht = _bill_amount(amount)
    satang = "0" if baht is None else str(to_satang(baht))
    data = CR.join(("|" + biller_id, ref1, ref2, satang))
    length = len(data) - data.count(CR)
    if length > BARCODE_MAX_CHARS:
        raise CodeError(
            f"barcode data is {length} characters without CRs, at most {BARCODE_MAX_CHARS}"
        )
    return data


def barcode_human_text(data: str) -> str:
    """The line printed under the bars: the data with a space for each CR."""
    return data.replace(CR, " ")


# --- Thai QR: building -----------------------------------------------------------------


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise CodeError(f"tag {tag} value is {len(value)} characters, at most 99")
    return f"{tag}{len(value):02d}{value}"


def qr_payload(
    biller_id: str,
    ref1: str,
    ref2: str,
    amount: Decimal | None,
    *,
    dynamic: bool = True,
    ref3: str | None = None,
) -> str:
    """Thai QR bill-payment payload (EMVCo merchant-presented, tag 30).

    Tags in the order 00, 01, 30, 53, 54, 58, (62), 63; amount None omits tag 54
    (payer keys the amount); empty ``ref2`` omits subtag 03; ``ref3`` goes in tag 62
    subtag 07. The CRC is four upper-case hex digits.
    """
    _check_biller_shape(biller_id)
    _check_ref("Ref1", ref1, required=True)
    _check_ref("Ref2", ref2, required=False)
    baht = _bill_amount(amount)
    bill = _tlv("00", BILL_PAYMENT_AID) + _tlv("01", biller_id) + _tlv("02", ref1)
    if ref2:
        bill += _tlv("03", ref2)
    payload = (
        _tlv("00", PAYLOAD_FORMAT)
        + _tlv("01", POI_DYNAMIC if dynamic else POI_STATIC)
        + _tlv("30", bill)
        + _tlv("53", CURRENCY_THB)
    )
    if baht is not None:
        payload += _tlv("54", f"{baht:.2f}")
    payload += _tlv("58", COUNTRY_TH)
    if ref3 is not None:
        if not isinstance(ref3, str) or not re.fullmatch(r"[0-9A-Z]{1,20}", ref3):
            raise CodeError(f"Ref3 must be 1 to 20 digits or upper-case letters, got {ref3!r}")
        payload += _tlv("62", _tlv("07", ref3))
    payload += "6304"
    return payload + _crc_hex(payload)


# --- Thai QR: parsing ------------------------------------------------------------------


@dataclass(frozen=True)
class QRBillPayment:
    """A parsed Thai QR bill payment; ``ref2`` is ``""`` and ``amount`` None when absent."""

    payload_format: str
    dynamic: bool
    biller_id: str
    ref1: str
    ref2: str
    amount: Decimal | None
    currency: str
    country: str
    ref3: str | None = None


def _walk(text: str, where: str) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """Split TLV text into (tag, value, position) and a tag → value map.

    ``where`` prefixes messages for nested templates, e.g. ``"tag 30: sub"``.
    """
    fields: list[tuple[str, str, int]] = []
    values: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4:
            raise QRPayloadError(f"{where}truncated field at position {pos}: {head!r}")
        tag, length_text = head[:2], head[2:]
        if not _is_digits(tag):
            raise QRPayloadError(f"{where}tag at position {pos} is {tag!r}, not two digits")
        if not _is_digits(length_text):
            raise QRPayloadError(
                f"{where}tag {tag} length {length_text!r} at position {pos + 2} is not two digits"
            )
        length = int(length_text)
        end = pos + 4 + length
        if end > len(text):
            raise QRPayloadError(
                f"{where}tag {tag} length {length:02d} runs past the end "
                f"({len(text) - pos - 4} characters left)"
            )
        if tag in values:
            raise QRPayloadError(f"{where}tag {tag} appears twice")
        value = text[pos + 4 : end]
        fields.append((tag, value, pos))
        values[tag] = value
        pos = end
    return fields, values


def _check_crc(payload: str, fields: list[tuple[str, str, int]]) -> None:
    crc_fields = [f for f in fields if f[0] == "63"]
    if not crc_fields:
        raise QRPayloadError("missing tag 63 (CRC)")
    _, crc, pos = crc_fields[0]
    if fields[-1][0] != "63":
        raise QRPayloadError("tag 63 (CRC) must be the last field")
    if len(crc) != 4:
        raise QRPayloadError(f"tag 63 (CRC) length is {len(crc):02d}, expected 04")
    if not re.fullmatch(r"[0-9A-Fa-f]{4}", crc):
        raise QRPayloadError(f"CRC {crc!r} is not 4 hex digits")
    expected = _crc_hex(payload[: pos + 4])
    if crc.upper() != expected:
        raise QRPayloadError(f"CRC is {crc}, expected {expected}")


def _parse_bill_template(template: str) -> tuple[str, str, str]:
    _, sub = _walk(template, "tag 30: sub")
    if "00" not in sub:
        raise QRPayloadError("missing AID (subtag 00) in tag 30")
    if sub["00"] != BILL_PAYMENT_AID:
        raise QRPayloadError(f"unknown AID in tag 30: {sub['00']!r}, expected {BILL_PAYMENT_AID!r}")
    if "01" not in sub:
        raise QRPayloadError("missing biller ID (subtag 01) in tag 30")
    biller_id = sub["01"]
    if len(biller_id) != 15 or not _is_digits(biller_id):
        raise QRPayloadError(f"biller ID in tag 30 must be 15 digits, got {biller_id!r}")
    if "02" not in sub:
        raise QRPayloadError("missing Ref1 (subtag 02) in tag 30")
    ref1, ref2 = sub["02"], sub.get("03", "")
    if not 1 <= len(ref1) <= QR_REF_MAX_CHARS:
        raise QRPayloadError(f"Ref1 in tag 30 must be 1 to 20 characters, got {len(ref1)}")
    if len(ref2) > QR_REF_MAX_CHARS:
        raise QRPayloadError(f"Ref2 in tag 30 must be at most 20 characters, got {len(ref2)}")
    return biller_id, ref1, ref2


def _parse_amount(text: str) -> Decimal:
    if len(text) > 13 or not _QR_AMOUNT_RE.fullmatch(text):
        raise QRPayloadError(
            f"amount (tag 54) {text!r} is not a number with at most 2 decimals and 13 characters"
        )
    amount = Decimal(text)
    if amount == 0:
        raise QRPayloadError("amount (tag 54) is 0; omit tag 54 for any amount")
    return amount.quantize(Decimal("0.01"))


def parse_qr_payload(payload: str) -> QRBillPayment:
    """Read a Thai QR bill-payment payload; ``QRPayloadError`` names what is wrong.

    Checks the TLV structure, then the CRC (upper- or lower-case hex), then the
    fields: 00 = ``01`` first, 01 = ``11``/``12``, tag 30 with the bill-payment AID,
    53 = ``764``, optional 54, 58 = ``TH``, optional 62/07 (Ref3). Other EMVCo tags
    are allowed and ignored.
    """
    if not isinstance(payload, str):
        raise TypeError(f"payload must be str, got {type(payload).__name__}")
    if not payload:
        raise QRPayloadError("empty payload")
    fields, tags = _walk(payload, "")
    _check_crc(payload, fields)

    if "00" not in tags:
        raise QRPayloadError("missing tag 00 (payload format)")
    if fields[0][0] != "00":
        raise QRPayloadError("tag 00 (payload format) must come first")
    if tags["00"] != PAYLOAD_FORMAT:
        raise QRPayloadError(f"payload format (tag 00) is {tags['00']!r}, expected '01'")
    if "01" not in tags:
        raise QRPayloadError("missing tag 01 (static or dynamic)")
    if tags["01"] not in (POI_STATIC, POI_DYNAMIC):
        raise QRPayloadError(f"tag 01 is {tags['01']!r}, expected '11' (static) or '12' (dynamic)")
    if "30" not in tags:
        hint = "; tag 29 is a PromptPay transfer, not a bill payment" if "29" in tags else ""
        raise QRPayloadError(f"missing tag 30 (bill payment){hint}")
    biller_id, ref1, ref2 = _parse_bill_template(tags["30"])
    if "53" not in tags:
        raise QRPayloadError("missing tag 53 (currency)")
    if tags["53"] != CURRENCY_THB:
        raise QRPayloadError(f"currency (tag 53) is {tags['53']!r}, expected '764' (THB)")
    amount = _parse_amount(tags["54"]) if "54" in tags else None
    if "58" not in tags:
        raise QRPayloadError("missing tag 58 (country)")
    if tags["58"] != COUNTRY_TH:
        raise QRPayloadError(f"country (tag 58) is {tags['58']!r}, expected 'TH'")
    ref3 = None
    if "62" in tags:
        ref3 = _walk(tags["62"], "tag 62: sub")[1].get("07")
    return QRBillPayment(
        payload_format=tags["00"],
        dynamic=tags["01"] == POI_DYNAMIC,
        biller_id=biller_id,
        ref1=ref1,
        ref2=ref2,
        amount=amount,
        currency=tags["53"],
        country=tags["58"],
        ref3=ref3,
    )
