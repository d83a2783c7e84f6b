"""Records of the bank's bill-payment settlement file (ไฟล์สรุปรายการรับชำระเงิน).

The file is the Thai Bankers' Association layout described in
``/work/shared/reference/settlement-file.md``: one 256-byte record per line,
a header ``H``, details ``D`` and a trailer ``T`` per batch.  This module holds
the immutable records the parser yields, the per-batch and per-file summaries,
the byte layout shared by the parser and the writer, and the bank variants.
Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Context, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
RECORD_LENGTH = 256
ENCODING = "cp874"

# Byte layout, 0-based half-open ``(name, start, end)``: the spec's 1-based
# inclusive positions ``a–b`` are ``(a - 1, b)`` here.  Spare areas are listed so
# an error can always name the field a byte belongs to; they are never read.
HEADER_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("record_type", 0, 1),
    ("seq", 1, 7),
    ("bank_code", 7, 10),
    ("account", 10, 20),
    ("company_name", 20, 60),
    ("effective_date", 60, 68),
    ("service_code", 68, 76),
    ("spare", 76, 256),
)
DETAIL_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("record_type", 0, 1),
    ("seq", 1, 7),
    ("bank_code", 7, 10),
    ("account", 10, 20),
    ("date", 20, 28),
    ("time", 28, 34),
    ("customer_name", 34, 84),
    ("ref1", 84, 104),
    ("ref2", 104, 124),
    ("ref3", 124, 144),
    ("branch", 144, 148),
    ("teller", 148, 152),
    ("kind", 152, 153),
    ("txn_code", 153, 156),
    ("cheque_no", 156, 163),
    ("amount", 163, 176),
    ("cheque_bank", 176, 179),
    ("spare", 179, 256),
)
TRAILER_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("record_type", 0, 1),
    ("seq", 1, 7),
    ("bank_code", 7, 10),
    ("account", 10, 20),
    ("debit_amount", 20, 33),
    ("debit_count", 33, 39),
    ("credit_amount", 39, 52),
    ("credit_count", 52, 58),
    ("spare", 58, 256),
)

# Sums of amounts are exact whatever the caller's decimal context (13 digits each).
_EXACT = Context(prec=60)

KIND_PAYMENT = "C"  # credit: a bill payment received
KIND_REVERSAL = "D"  # debit: a reversal / cancellation of an earlier payment


@dataclass(frozen=True, slots=True)
class BankVariant:
    """How one bank departs from the common layout.

    Positions are 1-based and inclusive, as in the spec.  ``payer_bank`` and
    ``biller_id`` are read from detail records only when the variant names
    their position.  ``trailer_debit_is_commission`` means the trailer's debit
    amount and count are the bank's commission (BBL), so they are reported as
    commission and not reconciled against reversal (``D``) details.
    """

    name: str
    payer_bank_pos: tuple[int, int] | None = None
    biller_id_pos: tuple[int, int] | None = None
    trailer_debit_is_commission: bool = False

    def __post_init__(self) -> None:
        for pos in (self.payer_bank_pos, self.biller_id_pos):
            if pos is not None and not (180 <= pos[0] <= pos[1] <= RECORD_LENGTH):
                raise ValueError(f"{self.name}: {pos} is not inside the detail spare area 180–256")

    @property
    def payer_bank_slice(self) -> slice | None:
        return None if self.payer_bank_pos is None else slice(self.payer_bank_pos[0] - 1,
                                                              self.payer_bank_pos[1])

    @property
    def biller_id_slice(self) -> slice | None:
        return None if self.biller_id_pos is None else slice(self.biller_id_pos[0] - 1,
                                                             self.biller_id_pos[1])


GENERIC = BankVariant("generic")
KRUNGTHAI = BankVariant("Krungthai", payer_bank_pos=(244, 246))
SCB = BankVariant("SCB", biller_id_pos=(197, 211))
BBL = BankVariant("BBL", trailer_debit_is_commission=True)
UOB = BankVariant("UOB")

#: Variant by the bank code in the header; any other code reads as ``GENERIC``.
DEFAULT_VARIANTS: Mapping[str, BankVariant] = MappingProxyType(
    {"006": KRUNGTHAI, "014": SCB, "002": BBL, "024": UOB}
)


def variant_for(bank_code: str, variants: Mapping[str, BankVariant] | None = None) -> BankVariant:
    """The variant for ``bank_code`` in ``variants`` (default ``DEFAULT_VARIANTS``)."""
    return (DEFAULT_VARIANTS if variants is None else variants).get(bank_code, GENERIC)


@dataclass(frozen=True, slots=True)
class Header:
    """Batch header ``H``."""

    line_no: int
    seq: int
    bank_code: str
    account: str
    company_name: str
    effective_date: date
    service_code: str
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Detail:
    """One payment ``C`` or reversal ``D`` (รายการรับชำระ / ยกเลิก).

    Text fields are decoded from cp874 and stripped of trailing space padding
    only; Ref fields are kept exactly as the bank sent them (case, leading
    zeros): normalising them is the importer's job.  ``payer_bank`` and
    ``biller_id`` are ``None`` when the bank's variant does not carry them and
    ``""`` when it does but the field is blank.
    """

    line_no: int
    seq: int
    bank_code: str
    account: str
    paid_at: datetime
    customer_name: str
    ref1: str
    ref2: str
    ref3: str
    branch: str
    teller: str
    kind: str
    txn_code: str
    cheque_no: str
    amount: Decimal
    cheque_bank: str
    payer_bank: str | None
    biller_id: str | None
    raw: bytes = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) identifying this payment line across files.

        It hashes, UTF-8 encoded and joined by U+001F, the text
        ``settlement-detail-v1``, bank code, account, payment date ``YYYYMMDD``
        (Christian era, Bangkok time), time ``HHMMSS``, Ref1, Ref2 (as sent),
        amount with two decimals (``3649.22``), branch, teller and kind.  Line
        and sequence numbers, name, Ref3 and the spare area are left out, so the
        same payment delivered again in another or a corrected file has the same
        fingerprint, while a reversal (kind ``D``) never collides with the
        payment it cancels.
        """
        local = self.paid_at.astimezone(BANGKOK)
        key = "\x1f".join((
            "settlement-detail-v1",
            self.bank_code,
            self.account,
            local.strftime("%Y%m%d"),
            local.strftime("%H%M%S"),
            self.ref1,
            self.ref2,
            f"{self.amount:.2f}",
            self.branch,
            self.teller,
            self.kind,
        ))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Trailer:
    """Batch trailer ``T``: totals as the bank stated them."""

    line_no: int
    seq: int
    bank_code: str
    account: str
    debit_amount: Decimal
    debit_count: int
    credit_amount: Decimal
    credit_count: int
    raw: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Batch:
    """Summary of one checked batch ``H`` … ``T``.

    Credit and debit figures are those of the detail lines (payments ``C`` and
    reversals ``D``); they equal the trailer's except where the variant uses
    the trailer's debit fields for commission, which is then given as
    ``commission_amount`` / ``commission_count`` (otherwise ``None``).
    """

    header_line: int
    trailer_line: int
    bank_code: str
    account: str
    company_name: str
    effective_date: date
    service_code: str
    variant: str
    detail_count: int
    credit_count: int
    credit_amount: Decimal
    debit_count: int
    debit_amount: Decimal
    commission_count: int | None = None
    commission_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What ``validate_settlement`` found in a whole, valid file."""

    filename: str
    sha256: str
    size: int
    line_count: int
    batches: tuple[Batch, ...]

    @property
    def detail_count(self) -> int:
        return sum(b.detail_count for b in self.batches)

    @property
    def credit_amount(self) -> Decimal:
        return _total(b.credit_amount for b in self.batches)

    @property
    def debit_amount(self) -> Decimal:
        return _total(b.debit_amount for b in self.batches)


def _total(amounts: Iterable[Decimal]) -> Decimal:
    total = Decimal("0.00")
    for amount in amounts:
        total = _EXACT.add(total, amount)
    return total
