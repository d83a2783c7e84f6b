"""Writer of correct 256-byte settlement files (for the bank simulator and tests).

The inverse of ``billpay.settlement.parser``: every value is checked before it
is written, names are encoded cp874 and padded by bytes, and trailers are
computed from the details, so whatever this module writes parses back.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal
from encodings.cp874 import encoding_table as _CP874_ENCODING
from typing import BinaryIO

from billpay.settlement.records import (
    BANGKOK,
    DEFAULT_VARIANTS,
    ENCODING,
    GENERIC,
    KIND_PAYMENT,
    KIND_REVERSAL,
    RECORD_LENGTH,
    BankVariant,
)

__all__ = [
    "BatchSpec",
    "PaymentSpec",
    "format_detail",
    "format_header",
    "format_trailer",
    "write_settlement",
    "write_settlement_to",
]

_CENT = Decimal("0.01")
_EXACT = Context(prec=60)  # amounts are checked exactly, whatever the caller's context
_CONTROL = bytes(range(0x20)) + b"\x7f"
_charmap_encode = codecs.charmap_encode


@dataclass(frozen=True, slots=True)
class PaymentSpec:
    """One detail line to write (a payment ``C`` or reversal ``D``)."""

    paid_at: datetime
    customer_name: str
    ref1: str
    amount: Decimal
    ref2: str = ""
    ref3: str = ""
    branch: str = "0001"
    teller: str = "0001"
    kind: str = KIND_PAYMENT
    txn_code: str = "CSH"
    cheque_no: str = ""
    cheque_bank: str = ""
    payer_bank: str | None = None
    biller_id: str | None = None


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """One batch to write: a header, its payments, a computed trailer.

    ``payments`` may be a generator; it is consumed once.  For a variant whose
    trailer debit fields carry the bank's commission (BBL), give
    ``commission_amount`` / ``commission_count``; they are written there.
    """

    bank_code: str
    account: str
    company_name: str
    effective_date: date
    payments: Iterable[PaymentSpec]
    service_code: str = ""
    commission_amount: Decimal | None = None
    commission_count: int = 0
    buddhist_era: bool = False


def _num(value: int, width: int, field: str) -> bytes:
    if not 0 <= value < 10**width:
        raise ValueError(f"{field}: {value} does not fit {width} digits")
    return b"%0*d" % (width, value)


def _digits(value: str, width: int, field: str, *, blank: bool = False) -> bytes:
    if blank and value == "":
        return b" " * width
    if len(value) != width or not value.isascii() or not value.isdigit():
        raise ValueError(f"{field}: {value!r} is not {width} digits")
    return value.encode("ascii")


def _text(value: str, width: int, field: str) -> bytes:
    if value.isascii():
        raw = value.encode("ascii")
    else:
        try:
            raw = _charmap_encode(value, "strict", _CP874_ENCODING)[0]
        except UnicodeEncodeError as exc:
            raise ValueError(f"{field}: {value!r} cannot be written in {ENCODING}") from exc
    if len(raw) > width:
        raise ValueError(f"{field}: {value!r} is {len(raw)} bytes, over {width}")
    if len(raw.translate(None, _CONTROL)) != len(raw):
        raise ValueError(f"{field}: {value!r} holds control characters")
    return raw.ljust(width, b" ")


def _cents(amount: Decimal, field: str) -> int:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"{field}: {amount!r} is not a finite Decimal")
    if amount < 0 or amount.quantize(_CENT, context=_EXACT) != amount:
        raise ValueError(f"{field}: {amount} is not a non-negative amount in satang")
    return int(amount.scaleb(2, context=_EXACT))


def _baht(cents: int) -> Decimal:
    return Decimal(f"{cents}E-2")


def _ddmmyyyy(day: date, buddhist_era: bool) -> bytes:
    year = day.year + 543 if buddhist_era else day.year
    return b"%02d%02d%04d" % (day.day, day.month, year)


def _record(parts: Iterable[bytes]) -> bytes:
    raw = b"".join(parts)
    if len(raw) > RECORD_LENGTH:  # pragma: no cover - the field widths add up to 256
        raise AssertionError(len(raw))
    return raw.ljust(RECORD_LENGTH, b" ")


def format_header(
    *,
    bank_code: str,
    account: str,
    company_name: str,
    effective_date: date,
    service_code: str = "",
    buddhist_era: bool = False,
) -> bytes:
    """The 256-byte header record ``H`` (no line ending)."""
    return _record((
        b"H000001",
        _digits(bank_code, 3, "bank_code"),
        _digits(account, 10, "account"),
        _text(company_name, 40, "company_name"),
        _ddmmyyyy(effective_date, buddhist_era),
        _text(service_code, 8, "service_code"),
    ))


def format_detail(
    *,
    seq: int,
    bank_code: str,
    account: str,
    paid_at: datetime,
    customer_name: str,
    ref1: str,
    amount: Decimal,
    ref2: str = "",
    ref3: str = "",
    branch: str = "0001",
    teller: str = "0001",
    kind: str = KIND_PAYMENT,
    txn_code: str = "CSH",
    cheque_no: str = "",
    cheque_bank: str = "",
    payer_bank: str | None = None,
    biller_id: str | None = None,
    variant: BankVariant | None = None,
    buddhist_era: bool = False,
) -> bytes:
    """The 256-byte detail record ``D`` (no line ending).

    ``paid_at`` must be timezone-aware; it is written in Bangkok time.
    ``payer_bank`` / ``biller_id`` go where ``variant`` (default: the one for
    ``bank_code`` in ``DEFAULT_VARIANTS``) puts them; giving one the variant
    has no place for is an error.
    """
    if paid_at.tzinfo is None or paid_at.utcoffset() is None:
        raise ValueError(f"paid_at: {paid_at!r} has no time zone")
    if kind not in (KIND_PAYMENT, KIND_REVERSAL):
        raise ValueError(f"kind: {kind!r} is neither C nor D")
    local = paid_at.astimezone(BANGKOK)
    raw = bytearray(_record((
        b"D",
        _num(seq, 6, "seq"),
        _digits(bank_code, 3, "bank_code"),
        _digits(account, 10, "account"),
        _ddmmyyyy(local.date(), buddhist_era),
        b"%02d%02d%02d" % (local.hour, local.minute, local.second),
        _text(customer_name, 50, "customer_name"),
        _text(ref1, 20, "ref1"),
        _text(ref2, 20, "ref2"),
        _text(ref3, 20, "ref3"),
        _text(branch, 4, "branch"),
        _text(teller, 4, "teller"),
        kind.encode("ascii"),
        _text(txn_code, 3, "txn_code"),
        _text(cheque_no, 7, "cheque_no"),
        _num(_cents(amount, "amount"), 13, "amount"),
        _digits(cheque_bank, 3, "cheque_bank", blank=True),
    )))
    if variant is None:
        variant = DEFAULT_VARIANTS.get(bank_code, GENERIC)
    for field, value, where in (("payer_bank", payer_bank, variant.payer_bank_slice),
                                ("biller_id", biller_id, variant.biller_id_slice)):
        if value is None:
            continue
        if where is None:
            raise ValueError(f"{field}: the {variant.name} layout has no place for it")
        raw[where] = _digits(value, where.stop - where.start, field, blank=True)
    return bytes(raw)


def format_trailer(
    *,
    seq: int,
    bank_code: str,
    account: str,
    debit_amount: Decimal,
    debit_count: int,
    credit_amount: Decimal,
    credit_count: int,
) -> bytes:
    """The 256-byte trailer record ``T`` (no line ending); ``seq`` = records in batch."""
    return _record((
        b"T",
        _num(seq, 6, "seq"),
        _digits(bank_code, 3, "bank_code"),
        _digits(account, 10, "account"),
        _num(_cents(debit_amount, "debit_amount"), 13, "debit_amount"),
        _num(debit_count, 6, "debit_count"),
        _num(_cents(credit_amount, "credit_amount"), 13, "credit_amount"),
        _num(credit_count, 6, "credit_count"),
    ))


def write_settlement_to(
    fp: BinaryIO,
    batches: Iterable[BatchSpec],
    *,
    line_ending: bytes = b"\n",
    final_line_ending: bool = True,
    variants: Mapping[str, BankVariant] | None = None,
) -> int:
    """Write ``batches`` to ``fp`` as they are produced; return the records written.

    Memory does not grow with the number of payments when ``payments`` are
    generators.  ``final_line_ending=False`` leaves the last record unterminated.
    """
    if line_ending not in (b"\n", b"\r\n"):
        raise ValueError(f"line_ending: {line_ending!r} is neither LF nor CRLF")
    table = DEFAULT_VARIANTS if variants is None else variants
    records = 0
    sep = b""
    for batch in batches:
        variant = table.get(batch.bank_code, GENERIC)
        fp.write(sep + format_header(
            bank_code=batch.bank_code, account=batch.account,
            company_name=batch.company_name, effective_date=batch.effective_date,
            service_code=batch.service_code, buddhist_era=batch.buddhist_era))
        sep = line_ending
        seq = 1
        credit_n = debit_n = credit = debit = 0  # counts and satang
        for p in batch.payments:
            seq += 1
            fp.write(sep + format_detail(
                seq=seq, bank_code=batch.bank_code, account=batch.account,
                paid_at=p.paid_at, customer_name=p.customer_name, ref1=p.ref1,
                amount=p.amount, ref2=p.ref2, ref3=p.ref3, branch=p.branch, teller=p.teller,
                kind=p.kind, txn_code=p.txn_code, cheque_no=p.cheque_no,
                cheque_bank=p.cheque_bank, payer_bank=p.payer_bank, biller_id=p.biller_id,
                variant=variant, buddhist_era=batch.buddhist_era))
            if p.kind == KIND_PAYMENT:
                credit_n += 1
                credit += _cents(p.amount, "amount")
            else:
                debit_n += 1
                debit += _cents(p.amount, "amount")
        if variant.trailer_debit_is_commission:
            commission = batch.commission_amount
            debit = 0 if commission is None else _cents(commission, "commission_amount")
            debit_n = batch.commission_count
        elif batch.commission_amount is not None or batch.commission_count:
            raise ValueError(f"commission: the {variant.name} layout has no commission fields")
        seq += 1
        fp.write(sep + format_trailer(
            seq=seq, bank_code=batch.bank_code, account=batch.account,
            debit_amount=_baht(debit), debit_count=debit_n,
            credit_amount=_baht(credit), credit_count=credit_n))
        records += seq
    if records and final_line_ending:
        fp.write(line_ending)
    return records


def write_settlement(
    batches: Iterable[BatchSpec],
    *,
    line_ending: bytes = b"\n",
    final_line_ending: bool = True,
    variants: Mapping[str, BankVariant] | None = None,
) -> bytes:
    """The whole file as bytes (see ``write_settlement_to``)."""
    out = io.BytesIO()
    write_settlement_to(out, batches, line_ending=line_ending,
                        final_line_ending=final_line_ending, variants=variants)
    return out.getvalue()
