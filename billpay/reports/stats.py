"""Keeping the summary tables (``stats_daily``, ``stats_monthly``) in step with the bills.

Every service that changes what a report counts calls ``record`` in its own
transaction: issuing a bill, cancelling it, expiring it, a payment (bank, counter,
paper receipt, a resolved exception) and a bank reversal. ``record`` adds the
activity's bill items to one row per (day, office, fee type, revenue type) and one per
month with ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite), so concurrent
writers add up instead of overwriting. Rows are touched in key order, so two
transactions never wait on each other's rows in a cycle.

The day of an activity is its Asia/Bangkok date: a bill on the day it was issued,
cancelled or expired; a payment on the day the payer paid (the bank's time); a
reversal on the day of the bank's reversal line.

How an amount is split over a bill's items: each item keeps its own amount; when a
payment differs from the bill's total (an over- or short payment accepted by finance),
the difference goes to the bill's first item. ``rebuild`` applies the same rules in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from billpay.bills.models import Bill, BillItem, FeeType
from billpay.db import in_values
from billpay.reports.models import MEASURE_COLUMNS, DailyStat, MonthlyStat
from billpay.thaidate import bangkok_date

ZERO = Decimal("0.00")
_UPSERT_ROWS = 1000  # rows per execute (SQLAlchemy batches them into multi-row INSERTs)


class Activity(StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    REVERSED = "reversed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ItemLine:
    """One bill item as the statistics see it."""

    fee_type_id: int
    revenue_type: str
    amount: Decimal


@dataclass(frozen=True)
class BillLines:
    office_id: int
    total: Decimal
    lines: tuple[ItemLine, ...]


@dataclass
class Event:
    """Something that happened to one bill: ``amount`` None means the bill's total."""

    activity: Activity
    at: datetime
    bill: BillLines
    amount: Decimal | None = None


def lines_of(bill: Bill) -> BillLines:
    """A loaded bill's items (their fee types loaded too); none for a trial bill (trial
    data never reaches the reports)."""
    if bill.trial:
        return BillLines(bill.office_id, bill.total, ())
    return BillLines(bill.office_id, bill.total, tuple(
        ItemLine(item.fee_type_id, item.fee_type.revenue_type, item.amount)
        for item in sorted(bill.items, key=lambda i: i.line_no)))


def lines_for(db: Session, bill_ids: Iterable[int]) -> dict[int, BillLines]:
    """The items of many bills in one query, by bill id. A bill without items (never
    issued by billpay itself) is missing: it has no fee type to be counted under, and the
    daily report's check that the fee types add up to the payments then shows it. Trial
    bills are missing too: trial data never reaches the reports."""
    ids = list(set(bill_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(Bill.id, Bill.office_id, Bill.total, BillItem.fee_type_id, FeeType.revenue_type,
               BillItem.amount)
        .join(BillItem, BillItem.bill_id == Bill.id)
        .join(FeeType, FeeType.id == BillItem.fee_type_id)
        .where(in_values(db, Bill.id, ids), Bill.trial.is_(False))
        .order_by(Bill.id, BillItem.line_no))
    found: dict[int, tuple[int, Decimal, list[ItemLine]]] = {}
    for row in rows:
        entry = found.setdefault(row.id, (row.office_id, row.total, []))
        entry[2].append(ItemLine(row.fee_type_id, row.revenue_type, row.amount))
    return {bill_id: BillLines(office_id, total, tuple(lines))
            for bill_id, (office_id, total, lines) in found.items()}


def split(amount: Decimal, bill: BillLines) -> list[Decimal]:
    """The amount per item: each item's own, the difference on the first item."""
    amounts = [line.amount for line in bill.lines]
    if amounts:
        amounts[0] += amount - bill.total
    return amounts


def record(db: Session, events: Sequence[Event]) -> None:
    """Add these events to the daily and monthly rows, in the caller's transaction."""
    if not events:
        return
    daily: dict[tuple, dict[str, int | Decimal]] = {}
    for event in events:
        day = bangkok_date(event.at)
        amounts = ([line.amount for line in event.bill.lines] if event.amount is None
                   else split(event.amount, event.bill))
        count_key = f"{event.activity.value}_count"
        amount_key = f"{event.activity.value}_amount"
        for line, amount in zip(event.bill.lines, amounts, strict=True):
            key = (day, event.bill.office_id, line.fee_type_id, line.revenue_type)
            row = daily.get(key)
            if row is None:
                row = daily[key] = {name: (0 if name.endswith("_count") else ZERO)
                                    for name in MEASURE_COLUMNS}
            row[count_key] += 1
            row[amount_key] += amount
    monthly: dict[tuple, dict[str, int | Decimal]] = {}
    for (day, *rest), values in daily.items():
        key = (day.replace(day=1), *rest)
        row = monthly.get(key)
        if row is None:
            monthly[key] = dict(values)
        else:
            for name, value in values.items():
                row[name] += value
    _upsert(db, DailyStat, "day", daily)
    _upsert(db, MonthlyStat, "month", monthly)


_STATEMENTS: dict[tuple[str, str], object] = {}


def _upsert_statement(dialect: str, model, period: str):
    """``INSERT … ON CONFLICT (key) DO UPDATE SET measure = measure + excluded.measure``,
    built once per engine kind and table (SQLAlchemy then caches its SQL)."""
    statement = _STATEMENTS.get((dialect, model.__tablename__))
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert
        else:  # pragma: no cover - billpay runs on PostgreSQL and SQLite
            raise NotImplementedError(dialect)
        table = model.__table__
        insert_ = upsert(table)
        statement = insert_.on_conflict_do_update(
            index_elements=[period, "office_id", "fee_type_id", "revenue_type"],
            set_={name: table.c[name] + insert_.excluded[name] for name in MEASURE_COLUMNS})
        _STATEMENTS[(dialect, model.__tablename__)] = statement
    return statement


def _upsert(db: Session, model, period: str, rows: dict[tuple, dict]) -> None:
    statement = _upsert_statement(db.get_bind().dialect.name, model, period)
    names = (period, "office_id", "fee_type_id", "revenue_type")
    values = [dict(zip(names, key, strict=True), **rows[key]) for key in sorted(rows)]
    for start in range(0, len(values), _UPSERT_ROWS):
        db.execute(statement, values[start:start + _UPSERT_ROWS])


# -- rebuilding from the bills and payments -------------------------------------------

def _local_day(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Bangkok')::date"
    # SQLite keeps UTC as naive text; Bangkok is UTC+7 all year (no daylight saving).
    return f"date({column}, '+7 hours')"


def _month(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def rebuild(db: Session) -> tuple[int, int]:
    """Recompute both summary tables from the bills, payments and bank lines, in the
    caller's transaction. Returns the number of daily and monthly rows."""
    dialect = db.get_bind().dialect.name
    db.execute(delete(DailyStat))
    db.execute(delete(MonthlyStat))
    day = lambda column: _local_day(dialect, column)  # noqa: E731
    first_item = "(SELECT min(f.line_no) FROM bill_items f WHERE f.bill_id = b.id)"
    split_amount = (f"i.amount + CASE WHEN i.line_no = {first_item} "
                    "THEN p.amount - b.total ELSE 0 END")
    items = ("FROM bills b JOIN bill_items i ON i.bill_id = b.id AND NOT b.trial "
             "JOIN fee_types t ON t.id = i.fee_type_id")
    events = " UNION ALL ".join([
        f"SELECT 'issued' AS kind, {day('b.created_at')} AS day, b.office_id, i.fee_type_id, "
        f"t.revenue_type, i.amount AS amount {items}",
        f"SELECT 'paid', {day('p.paid_at')}, b.office_id, i.fee_type_id, t.revenue_type, "
        f"{split_amount} {items} JOIN payments p ON p.bill_id = b.id",
        f"SELECT 'reversed', {day('coalesce(r.paid_at, p.reversed_at)')}, b.office_id, "
        f"i.fee_type_id, t.revenue_type, {split_amount} {items} "
        "JOIN payments p ON p.bill_id = b.id AND p.status = 'reversed' "
        "LEFT JOIN bank_lines r ON r.id = p.reversal_line_id",
        f"SELECT 'cancelled', {day('b.cancelled_at')}, b.office_id, i.fee_type_id, "
        f"t.revenue_type, i.amount {items} WHERE b.status = 'cancelled'",
        f"SELECT 'expired', {day('e.at')}, b.office_id, i.fee_type_id, t.revenue_type, "
        f"i.amount {items} JOIN bill_events e ON e.bill_id = b.id AND e.to_status = 'expired'",
    ])
    sums = ", ".join(
        f"sum(CASE WHEN kind = '{m}' THEN {'1' if part == 'count' else 'amount'} ELSE 0 END)"
        for m, part in (c.rsplit("_", 1) for c in MEASURE_COLUMNS))
    columns = ", ".join(MEASURE_COLUMNS)
    db.execute(text(
        f"INSERT INTO stats_daily (day, office_id, fee_type_id, revenue_type, {columns}) "
        f"SELECT day, office_id, fee_type_id, revenue_type, {sums} FROM ({events}) ev "
        "GROUP BY day, office_id, fee_type_id, revenue_type"))
    totals = ", ".join(f"sum({c})" for c in MEASURE_COLUMNS)
    db.execute(text(
        f"INSERT INTO stats_monthly (month, office_id, fee_type_id, revenue_type, {columns}) "
        f"SELECT {_month(dialect, 'day')} AS m, office_id, fee_type_id, revenue_type, {totals} "
        "FROM stats_daily GROUP BY m, office_id, fee_type_id, revenue_type"))
    count = lambda model: db.scalar(select(text("count(*)")).select_from(model))  # noqa: E731
    return count(DailyStat), count(MonthlyStat)
