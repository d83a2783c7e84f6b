"""Running numbers per office, fiscal year and series, without gaps.

A counter row holds the last number given out. ``take_number`` advances it with
``UPDATE … SET last_value = last_value + 1 … RETURNING`` inside the caller's
transaction: the row stays locked until that transaction ends, so concurrent
callers queue, and a rollback gives the number back. Never ``max() + 1`` (two
readers see the same max) and never a database sequence (sequences leave gaps).
Bills use it for the running part of Ref1; receipts for their numbers.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from billpay.db import Base


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (
        UniqueConstraint("office_id", "fiscal_year", "series", name="uq_counters_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    fiscal_year: Mapped[int]
    series: Mapped[str] = mapped_column(String(20))
    last_value: Mapped[int] = mapped_column(default=0)


def take_number(db: Session, *, office_id: int, fiscal_year: int, series: str) -> int:
    """The next number of the series, 1 for the first; locked until the caller's
    transaction ends."""
    return take_numbers(db, office_id=office_id, fiscal_year=fiscal_year, series=series,
                        count=1)[0]


def take_numbers(db: Session, *, office_id: int, fiscal_year: int, series: str,
                 count: int) -> range:
    """``count`` consecutive numbers of the series at once (bulk issue), locked until
    the caller's transaction ends, as ``take_number``."""
    if count < 1:
        return range(0)
    params = {"b_office_id": office_id, "b_fiscal_year": fiscal_year, "b_series": series,
              "b_count": count}
    last = db.execute(_ADVANCE, params).scalar_one_or_none()
    if last is None:
        try:
            with db.begin_nested():
                db.add(Counter(office_id=office_id, fiscal_year=fiscal_year, series=series,
                               last_value=count))
            last = count
        except IntegrityError:
            last = db.execute(_ADVANCE, params).scalar_one()
    return range(last - count + 1, last + 1)


# Built once: constructing the statement on every call cost more than running it.
_ADVANCE = (
    update(Counter)
    .where(
        Counter.office_id == bindparam("b_office_id"),
        Counter.fiscal_year == bindparam("b_fiscal_year"),
        Counter.series == bindparam("b_series"),
    )
    .values(last_value=Counter.last_value + bindparam("b_count"))
    .returning(Counter.last_value)
    .execution_options(synchronize_session=False)
)
