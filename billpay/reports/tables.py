"""What every report is made of: titled tables of typed columns.

A report service returns a ``Report``; the page, the CSV, the XLSX, the PDF and the
JSON are all drawn from it (``billpay.reports.exports``), so the five never disagree.
``Table.rows`` may be a one-shot iterator straight from the database: the CSV and
XLSX exports stream it; the page and the PDF read it into a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"
    DATE = "date"  # shown as a Buddhist-era date
    DATETIME = "datetime"
    PERCENT = "percent"  # a Decimal fraction: 0.25 is 25 %


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # Thai heading
    kind: Kind = Kind.TEXT
    width: float = 1.0  # relative width in the PDF


@dataclass
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple]  # values in column order
    totals: tuple | None = None  # a total row, in column order ('' where none)
    links: dict[int, str] = field(default_factory=dict)  # row index -> drill-down URL
    empty: str = "ไม่มีข้อมูลในช่วงที่เลือก"

    def materialise(self) -> list[tuple]:
        if not isinstance(self.rows, list):
            self.rows = list(self.rows)
        return self.rows

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.materialise()]


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    href: str | None = None


@dataclass(frozen=True)
class Chart:
    """A chart drawn server-side as SVG (``billpay.reports.charts``)."""

    title: str
    kind: str  # "bars" (horizontal, ranked), "columns" (a series over time)
    bars: tuple[Bar, ...]
    unit: str = "บาท"
    compare: tuple[Bar, ...] = ()  # a second series (last year), same labels


@dataclass
class Report:
    slug: str
    title: str
    filters: list[tuple[str, str]]  # (label, value) of what was asked, in Thai
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # ("ยอดตรงกับธนาคาร", True)

    @property
    def subtitle(self) -> str:
        return "  ".join(f"{label}: {value}" for label, value in self.filters)


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
