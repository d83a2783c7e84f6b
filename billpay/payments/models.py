from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.bills.models import Bill
from billpay.db import Base, utcnow


class PaymentMethod(StrEnum):
    BANK = "bank"  # ชำระผ่านธนาคาร (a settlement-file line)
    CASH = "cash"  # เงินสดที่หน่วยงาน
    TRANSFER = "transfer"  # โอนเงิน แสดงหลักฐานที่หน่วยงาน


class PaymentStatus(StrEnum):
    ACTIVE = "active"
    REVERSED = "reversed"  # undone by the bank's reversal line (D)


class Payment(Base):
    """Money received for one bill. A bank payment points at its settlement line;
    a reversal marks it reversed (never deleted)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("method IN ('bank', 'cash', 'transfer')", name="method"),
        CheckConstraint("status IN ('active', 'reversed')", name="status"),
        CheckConstraint("method <> 'bank' OR bank_line_id IS NOT NULL", name="bank_has_line"),
        Index("ix_payments_office_paid", "office_id", "paid_at"),
        Index("ix_payments_office_reversed", "office_id",
              postgresql_where=text("status = 'reversed'"),
              sqlite_where=text("status = 'reversed'")),
        Index("ix_payments_trial_office", "office_id", postgresql_where=text("trial"),
              sqlite_where=text("trial")),
        Index("ix_payments_migration_batch", "migration_batch_id",
              postgresql_where=text("migration_batch_id IS NOT NULL"),
              sqlite_where=text("migration_batch_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal]
    paid_at: Mapped[datetime]  # when the payer paid (bank time), not when it was imported
    channel: Mapped[str] = mapped_column(String(10), default="")  # the bank's transaction code
    bank_code: Mapped[str | None] = mapped_column(String(3))
    branch: Mapped[str | None] = mapped_column(String(4))
    bank_reference: Mapped[str | None] = mapped_column(String(40))
    bank_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PaymentStatus.ACTIVE)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reversed_at: Mapped[datetime | None]
    reversal_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), unique=True)
    trial: Mapped[bool] = mapped_column(default=False, server_default=false())  # as its bill's
    # imported from an old system (billpay.ops.migration)
    migration_batch_id: Mapped[int | None] = mapped_column(ForeignKey("migration_batches.id"))

    bill: Mapped[Bill] = relationship()
