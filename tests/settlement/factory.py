"""Building settlement files that pay real bills, for the import tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billpay.settlement.records import KIND_PAYMENT, KIND_REVERSAL
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement

ACCOUNT = "1234567890"
PAID_AT = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)  # 10:15 Bangkok


def pay(ref1: str, amount: Decimal | str, *, minute: int = 0, teller: str = "0001",
        ref2: str = "", kind: str = KIND_PAYMENT, name: str = "นายทดสอบ ชำระเงิน",
        branch: str = "0101") -> PaymentSpec:
    return PaymentSpec(paid_at=PAID_AT.replace(minute=minute), customer_name=name, ref1=ref1,
                       ref2=ref2, amount=Decimal(amount), teller=teller, kind=kind,
                       branch=branch)


def reverse(ref1: str, amount: Decimal | str, **kwargs) -> PaymentSpec:
    return pay(ref1, amount, kind=KIND_REVERSAL, **kwargs)


def settlement_file(*payments: PaymentSpec, bank: str = "006",
                    day: date = date(2026, 11, 22), line_ending: bytes = b"\n") -> bytes:
    return write_settlement([BatchSpec(bank_code=bank, account=ACCOUNT,
                                       company_name="DOPA BILL PAYMENT", effective_date=day,
                                       payments=list(payments))], line_ending=line_ending)
