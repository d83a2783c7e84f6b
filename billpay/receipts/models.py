from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.bills.models import Bill
from billpay.db import Base, utcnow
from billpay.offices.models import Office
from billpay.payments.models import Payment


class ReceiptSeries(StrEnum):
    ELECTRONIC = "e"  # issued by billpay, gapless per office and fiscal year
    PAPER = "paper"  # pre-numbered paper books used while the system was down


class ReceiptStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"  # ยกเลิก: the number stays in the register


class CancelKind(StrEnum):
    APPROVED = "approved"  # requested by one person, approved by another
    BANK_REVERSAL = "bank_reversal"  # the bank reversed the payment


class Receipt(Base):
    """A receipt for one payment.

    Electronic receipts take ``running`` from the office's counter for the fiscal year
    of the payment (Bangkok time) and are shown as book ``book`` number ``number``
    (``RECEIPT_BOOK_SIZE`` numbers a book). Paper receipts keep the book and number
    printed on the paper. Nothing is ever deleted: a cancelled receipt keeps its number.

    ``trial`` receipts (for a trial bill, ``billpay.ops.trial``) are numbered from their own
    counter series and never take a live number: their book is ``ทดลอง-1``, ``ทดลอง-2`` …
    and ``running`` is stored negated (-1, -2 …) so it cannot collide with a live number in
    ``uq_receipts_running``; ``number`` is the positive number. They stay out of the
    control register and are removed by ``billpay trial purge``.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint("series IN ('e', 'paper')", name="series"),
        CheckConstraint("status IN ('valid', 'cancelled')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("series <> 'e' OR running IS NOT NULL", name="e_has_running"),
        CheckConstraint(
            "status <> 'cancelled' OR (cancel_reason IS NOT NULL AND cancel_kind IS NOT NULL)",
            name="cancel_has_reason"),
        UniqueConstraint("office_id", "fiscal_year", "series", "running",
                         name="uq_receipts_running"),
        UniqueConstraint("office_id", "fiscal_year", "series", "book", "number",
                         name="uq_receipts_book_number"),
        # One valid receipt per payment (a replacement comes after the old one is cancelled).
        Index("uq_receipts_valid_payment", "payment_id", unique=True,
              postgresql_where=text("status = 'valid'"), sqlite_where=text("status = 'valid'")),
        Index("ix_receipts_office_year", "office_id", "fiscal_year", "issued_at"),
        Index("ix_receipts_payment", "payment_id"),  # a payment's receipts, any status
        Index("ix_receipts_office_cancelled", "office_id", "cancelled_at",
              postgresql_where=text("status = 'cancelled'"),
              sqlite_where=text("status = 'cancelled'")),
        Index("ix_receipts_trial_office", "office_id", postgresql_where=text("trial"),
              sqlite_where=text("trial")),
        Index("ix_receipts_migration_batch", "migration_batch_id",
              postgresql_where=text("migration_batch_id IS NOT NULL"),
              sqlite_where=text("migration_batch_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    fiscal_year: Mapped[int]
    series: Mapped[str] = mapped_column(String(6), default=ReceiptSeries.ELECTRONIC)
    running: Mapped[int | None]
    book: Mapped[str] = mapped_column(String(20))
    number: Mapped[int]
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    amount: Mapped[Decimal]
    payer_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]  # the date on the receipt: when the payer paid
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)  # when billpay wrote it
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issuer_name: Mapped[str] = mapped_column(String(200), default="")
    issuer_position: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=ReceiptStatus.VALID)
    cancelled_at: Mapped[datetime | None]
    cancel_kind: Mapped[str | None] = mapped_column(String(14))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancel_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), unique=True)
    print_count: Mapped[int] = mapped_column(default=0)
    payment_reference: Mapped[str | None] = mapped_column(String(60))  # paper receipts
    trial: Mapped[bool] = mapped_column(default=False, server_default=false())
    # imported from an old system with its original number (billpay.ops.migration)
    migration_batch_id: Mapped[int | None] = mapped_column(ForeignKey("migration_batches.id"))

    office: Mapped[Office] = relationship(lazy="joined", innerjoin=True)
    bill: Mapped[Bill | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    replaces: Mapped[Receipt | None] = relationship(remote_side=[id])

    @property
    def display_number(self) -> str:
        """How the receipt is cited: เล่มที่ 12 เลขที่ 1154 (ปีงบประมาณ 2569); a trial
        receipt's book says so (ทดลอง-1/7)."""
        return f"{self.book}/{self.number}"


class CancellationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReceiptCancellation(Base):
    """A request to cancel a receipt, and the second person's decision."""

    __tablename__ = "receipt_cancellations"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id",
                        name="two_people"),
        Index("uq_receipt_cancellations_pending", "receipt_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    replace: Mapped[bool] = mapped_column(default=False)  # issue a replacement on approval
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=CancellationStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))
    replacement_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))

    receipt: Mapped[Receipt] = relationship(foreign_keys=[receipt_id])


class ReceiptPrint(Base):
    """Every print of a receipt: the first is the original, later ones are copies."""

    __tablename__ = "receipt_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    copy_no: Mapped[int]  # 0 = the original
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printed_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
