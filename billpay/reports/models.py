"""Summary tables the reports read instead of scanning every bill.

Each row holds what happened on one day (``stats_daily``) or in one month
(``stats_monthly``) at one office, for one fee type and revenue type: bill items
issued, paid, reversed by the bank, cancelled and expired, as counts and amounts.
They are kept in the same transactions that write bills and payments
(``billpay.reports.stats.record``), so a report is exact the moment a payment commits;
``billpay reports rebuild`` recomputes them from the bills and payments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from billpay.db import Base

MEASURES = ("issued", "paid", "reversed", "cancelled", "expired")
MEASURE_COLUMNS = tuple(f"{m}_{part}" for m in MEASURES for part in ("count", "amount"))


class _StatRow:
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"))
    revenue_type: Mapped[str] = mapped_column(String(12))
    issued_count: Mapped[int] = mapped_column(default=0)
    issued_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    paid_count: Mapped[int] = mapped_column(default=0)
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    reversed_count: Mapped[int] = mapped_column(default=0)
    reversed_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    cancelled_count: Mapped[int] = mapped_column(default=0)
    cancelled_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    expired_count: Mapped[int] = mapped_column(default=0)
    expired_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))


class DailyStat(_StatRow, Base):
    """One office's bill items of one fee type on one day (Asia/Bangkok)."""

    __tablename__ = "stats_daily"
    __table_args__ = (
        PrimaryKeyConstraint("day", "office_id", "fee_type_id", "revenue_type"),
        Index("ix_stats_daily_office_day", "office_id", "day"),
    )

    day: Mapped[date]


class MonthlyStat(_StatRow, Base):
    """The same, per calendar month (``month`` is its first day)."""

    __tablename__ = "stats_monthly"
    __table_args__ = (
        PrimaryKeyConstraint("month", "office_id", "fee_type_id", "revenue_type"),
        Index("ix_stats_monthly_office_month", "office_id", "month"),
    )

    month: Mapped[date]
