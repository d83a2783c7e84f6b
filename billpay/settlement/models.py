"""What an imported settlement file leaves in the database.

A file (``SettlementFile``) has batches (``SettlementBatch``, H…T) and lines
(``BankLine``, every D record with its raw 256 bytes). Each payment line either
matched a bill (a ``Payment``) or waits for a person as a ``SettlementException``;
each reversal line either undid a payment or is itself an exception.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.db import Base, utcnow
from billpay.i18n import N_


class LineOutcome(StrEnum):
    MATCHED = "matched"  # a payment that settled its bill
    REVERSAL = "reversal"  # a D line that undid an earlier payment
    EXCEPTION = "exception"  # waits for a person


class ExceptionReason(StrEnum):
    UNKNOWN_REF1 = "unknown_ref1"  # ไม่พบใบแจ้งตาม Ref1
    BAD_CHECK_DIGIT = "bad_check_digit"  # Ref1 ผิดหลักตรวจสอบ
    AMOUNT_SHORT = "amount_short"  # ชำระไม่ครบ
    AMOUNT_OVER = "amount_over"  # ชำระเกิน
    ALREADY_PAID = "already_paid"  # ชำระซ้ำ
    BILL_CANCELLED = "bill_cancelled"  # ใบแจ้งถูกยกเลิก
    BILL_EXPIRED = "bill_expired"  # ใบแจ้งเกินกำหนด
    REVERSAL_UNMATCHED = "reversal_unmatched"  # รายการยกเลิกไม่พบรายการชำระเดิม


EXCEPTION_REASON_LABELS_TH = {
    ExceptionReason.UNKNOWN_REF1: N_("ไม่พบใบแจ้งตาม Ref1"),
    ExceptionReason.BAD_CHECK_DIGIT: N_("Ref1 หลักตรวจสอบไม่ถูกต้อง"),
    ExceptionReason.AMOUNT_SHORT: N_("ชำระน้อยกว่ายอดในใบแจ้ง"),
    ExceptionReason.AMOUNT_OVER: N_("ชำระมากกว่ายอดในใบแจ้ง"),
    ExceptionReason.ALREADY_PAID: N_("ใบแจ้งชำระแล้ว (ชำระซ้ำ)"),
    ExceptionReason.BILL_CANCELLED: N_("ใบแจ้งถูกยกเลิกแล้ว"),
    ExceptionReason.BILL_EXPIRED: N_("ใบแจ้งเกินกำหนดชำระ"),
    ExceptionReason.REVERSAL_UNMATCHED: N_("รายการยกเลิกของธนาคารไม่พบรายการชำระเดิม"),
}


class Resolution(StrEnum):
    LINKED = "linked"  # linked to the right bill, which becomes paid
    ACCEPTED = "accepted"  # a different amount accepted for the bill
    REFUND = "refund"  # to be refunded to the payer
    WRITTEN_OFF = "written_off"  # closed with a reason
    REVERSED = "reversed"  # the bank reversed it itself


RESOLUTION_LABELS_TH = {
    Resolution.LINKED: N_("ผูกกับใบแจ้งที่ถูกต้อง"),
    Resolution.ACCEPTED: N_("รับยอดเงินที่ต่างจากใบแจ้ง"),
    Resolution.REFUND: N_("คืนเงินผู้ชำระ"),
    Resolution.WRITTEN_OFF: N_("ปิดรายการพร้อมเหตุผล"),
    Resolution.REVERSED: N_("ธนาคารยกเลิกรายการเอง"),
}

_REASONS_SQL = ", ".join(f"'{r.value}'" for r in ExceptionReason)
_RESOLUTIONS_SQL = ", ".join(f"'{r.value}'" for r in Resolution)


class SettlementFile(Base):
    """One imported file, remembered by its SHA-256 so it is never imported twice."""

    __tablename__ = "settlement_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(10))  # cli, watch, upload, api
    bank_code: Mapped[str] = mapped_column(String(3))
    effective_date: Mapped[date]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    line_count: Mapped[int] = mapped_column(default=0)
    detail_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    duplicate_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    matched_count: Mapped[int] = mapped_column(default=0)
    matched_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    reversal_count: Mapped[int] = mapped_column(default=0)
    reversal_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    exception_count: Mapped[int] = mapped_column(default=0)
    exception_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    batches: Mapped[list[SettlementBatch]] = relationship(
        back_populates="file", order_by="SettlementBatch.header_line")


class SettlementBatch(Base):
    """One H…T batch with the trailer's totals as the bank stated them."""

    __tablename__ = "settlement_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("settlement_files.id"), index=True)
    header_line: Mapped[int]
    trailer_line: Mapped[int]
    bank_code: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(10))
    company_name: Mapped[str] = mapped_column(String(40))
    effective_date: Mapped[date]
    service_code: Mapped[str] = mapped_column(String(8))
    variant: Mapped[str] = mapped_column(String(20))
    detail_count: Mapped[int]
    credit_count: Mapped[int]
    credit_amount: Mapped[Decimal]
    debit_count: Mapped[int]
    debit_amount: Mapped[Decimal]
    commission_count: Mapped[int | None]
    commission_amount: Mapped[Decimal | None]

    file: Mapped[SettlementFile] = relationship(back_populates="batches")


class BankLine(Base):
    """A detail record of a settlement file, kept with its raw bytes.

    ``fingerprint`` identifies the payment across files (see
    ``billpay.settlement.records.Detail.fingerprint``): a line already known is
    counted as a duplicate and not stored again."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('C', 'D')", name="kind"),
        CheckConstraint("amount >= 0", name="amount_positive"),
        CheckConstraint("outcome IN ('matched', 'reversal', 'exception')", name="outcome"),
        Index("ix_bank_lines_ref1", "ref1"),
        Index("ix_bank_lines_paid_at", "paid_at"),
        Index("ix_bank_lines_office_paid", "office_id", "paid_at"),  # an office's day
        Index("ix_bank_lines_trial_file", "file_id", postgresql_where=text("trial"),
              sqlite_where=text("trial")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("settlement_files.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("settlement_batches.id"))
    line_no: Mapped[int]
    seq: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    bank_code: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(10))
    paid_at: Mapped[datetime]
    customer_name: Mapped[str] = mapped_column(String(50))
    ref1_raw: Mapped[str] = mapped_column(String(20))
    ref1: Mapped[str] = mapped_column(String(20))  # normalised
    ref2: Mapped[str] = mapped_column(String(20))
    ref3: Mapped[str] = mapped_column(String(20))
    branch: Mapped[str] = mapped_column(String(4))
    teller: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(1))
    txn_code: Mapped[str] = mapped_column(String(3))
    cheque_no: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal]
    cheque_bank: Mapped[str] = mapped_column(String(3))
    payer_bank: Mapped[str | None] = mapped_column(String(3))
    biller_id: Mapped[str | None] = mapped_column(String(15))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(10))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    # the line's Ref1 is a trial one (mode digit 9, check digit right): it can only ever
    # pay a trial bill
    trial: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the bill's office, copied when the line is matched or linked to a bill, so that an
    # office's day of bank lines is one index range (reports.daily_collection). No
    # foreign key: added to a table that SQLite could only rebuild to get one.
    office_id: Mapped[int | None]

    file: Mapped[SettlementFile] = relationship()


class SettlementException(Base):
    """A bank line that could not be settled automatically, waiting for a person."""

    __tablename__ = "settlement_exceptions"
    __table_args__ = (
        CheckConstraint(f"reason IN ({_REASONS_SQL})", name="reason"),
        CheckConstraint("status IN ('open', 'resolved')", name="status"),
        CheckConstraint(f"resolution IS NULL OR resolution IN ({_RESOLUTIONS_SQL})",
                        name="resolution"),
        CheckConstraint("status = 'open' OR (resolution IS NOT NULL AND resolution_note IS NOT NULL)",
                        name="resolved_has_reason"),
        Index("ix_settlement_exceptions_status_reason", "status", "reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_line_id: Mapped[int] = mapped_column(ForeignKey("bank_lines.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    amount: Mapped[Decimal]
    expected_amount: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution: Mapped[str | None] = mapped_column(String(12))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))

    bank_line: Mapped[BankLine] = relationship(lazy="joined", innerjoin=True)
