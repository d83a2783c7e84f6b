from __future__ import annotations

from datetime import date, datetime
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
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.accounts.models import User
from billpay.db import Base, utcnow
from billpay.i18n import N_
from billpay.offices.models import Office


class RevenueType(StrEnum):
    STATE = "state"  # รายได้แผ่นดิน: remitted to the treasury
    OFF_BUDGET = "off_budget"  # เงินนอกงบประมาณ: kept by the agency


REVENUE_TYPE_LABELS_TH = {RevenueType.STATE: N_("รายได้แผ่นดิน"),
                          RevenueType.OFF_BUDGET: N_("เงินนอกงบประมาณ")}


class AmountKind(StrEnum):
    FIXED = "fixed"  # the catalogue sets the amount
    VARIABLE = "variable"  # the clerk keys the amount


class FeeType(Base):
    """A kind of fee (ประเภทค่าธรรมเนียม) in the catalogue."""

    __tablename__ = "fee_types"
    __table_args__ = (
        CheckConstraint("revenue_type IN ('state', 'off_budget')", name="revenue_type"),
        CheckConstraint("amount_kind IN ('fixed', 'variable')", name="amount_kind"),
        CheckConstraint(
            "amount_kind = 'variable' OR default_amount IS NOT NULL", name="fixed_has_amount"
        ),
        CheckConstraint("default_amount IS NULL OR default_amount >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    revenue_type: Mapped[str] = mapped_column(String(12))
    amount_kind: Mapped[str] = mapped_column(String(10))
    default_amount: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(default=True)
    counter_payment: Mapped[bool] = mapped_column(default=True, server_default=true())  # may be paid at the office
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def revenue_type_label(self) -> str:
        return REVENUE_TYPE_LABELS_TH[RevenueType(self.revenue_type)]


class BillStatus(StrEnum):
    ISSUED = "issued"  # ออกใบแจ้งแล้ว รอชำระ
    PAID = "paid"  # ชำระแล้ว
    CANCELLED = "cancelled"  # ยกเลิก
    EXPIRED = "expired"  # เกินกำหนดชำระ


BILL_STATUS_LABELS_TH = {
    BillStatus.ISSUED: N_("รอชำระ"),
    BillStatus.PAID: N_("ชำระแล้ว"),
    BillStatus.CANCELLED: N_("ยกเลิก"),
    BillStatus.EXPIRED: N_("เกินกำหนด"),
}


class Bill(Base):
    """A bill-payment notice (ใบแจ้งการชำระเงิน) issued by one office to one payer.

    ``ref1`` identifies the bill at the bank (see ``billpay.codes.refs``); ``ref2``
    carries the due date. All items of a bill settle to one ``biller_id``.

    ``trial``: issued while its office was in trial mode (``billpay.ops.trial``): Ref1
    mode digit 9, its own counter series, and ``running`` stored negated (-1, -2 …) so
    that it never takes a live number's place in ``uq_bills_office_year_running``;
    Ref1 carries the positive number. Its payments and receipts are trial too."""

    __tablename__ = "bills"
    __table_args__ = (
        CheckConstraint(
            "status IN ('issued', 'paid', 'cancelled', 'expired')", name="status"
        ),
        CheckConstraint("total >= 0", name="total_positive"),
        CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name="cancel_reason"),
        UniqueConstraint("office_id", "fiscal_year", "running", name="uq_bills_office_year_running"),
        Index("ix_bills_office_created", "office_id", "created_at"),
        Index("ix_bills_office_cancelled", "office_id", "cancelled_at",
              postgresql_where=text("cancelled_at IS NOT NULL"),
              sqlite_where=text("cancelled_at IS NOT NULL")),
        Index("ix_bills_status_due", "status", "due_date"),
        # the few trial rows, for the purge and the trial status (reports filter trial = false)
        Index("ix_bills_trial_office", "office_id", postgresql_where=text("trial"),
              sqlite_where=text("trial")),
        # the rows a data migration brought in (billpay.ops.migration)
        Index("ix_bills_migration_batch", "migration_batch_id",
              postgresql_where=text("migration_batch_id IS NOT NULL"),
              sqlite_where=text("migration_batch_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    ref1: Mapped[str] = mapped_column(String(18), unique=True)
    ref2: Mapped[str] = mapped_column(String(18))
    biller_id: Mapped[str] = mapped_column(String(15))
    revenue_type: Mapped[str] = mapped_column(String(12))
    fiscal_year: Mapped[int]
    running: Mapped[int]
    payer_name: Mapped[str] = mapped_column(String(200))
    payer_id: Mapped[str | None] = mapped_column(String(13), index=True)
    payer_address: Mapped[str | None] = mapped_column(String(500))
    payer_phone: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal]
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=BillStatus.ISSUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None]
    trial: Mapped[bool] = mapped_column(default=False, server_default=false())
    # imported from an old system (billpay.ops.migration): its batch, and the old
    # system's own bill number when it differs from Ref1
    migration_batch_id: Mapped[int | None] = mapped_column(ForeignKey("migration_batches.id"))
    legacy_ref: Mapped[str | None] = mapped_column(String(40))

    office: Mapped[Office] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    items: Mapped[list[BillItem]] = relationship(
        back_populates="bill", order_by="BillItem.line_no", cascade="all, delete-orphan"
    )
    events: Mapped[list[BillEvent]] = relationship(
        back_populates="bill", order_by="BillEvent.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return BILL_STATUS_LABELS_TH[BillStatus(self.status)]


class BillItem(Base):
    """One line of a bill: a fee type, a quantity and the amount."""

    __tablename__ = "bill_items"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_amount >= 0", name="unit_amount_positive"),
        CheckConstraint("amount >= 0", name="amount_positive"),
        UniqueConstraint("bill_id", "line_no", name="uq_bill_items_bill_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_amount: Mapped[Decimal]
    amount: Mapped[Decimal]

    bill: Mapped[Bill] = relationship(back_populates="items")
    fee_type: Mapped[FeeType] = relationship(lazy="joined")


class BillEvent(Base):
    """A state change of a bill, with who made it, when and why."""

    __tablename__ = "bill_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    reason: Mapped[str | None] = mapped_column(String(500))

    bill: Mapped[Bill] = relationship(back_populates="events")
