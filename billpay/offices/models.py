from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billpay.db import Base


class OfficeKind(StrEnum):
    CENTRAL = "central"  # ส่วนกลาง: the finance division (กองคลัง) and other national units
    PROVINCE = "province"  # ที่ทำการปกครองจังหวัด
    DISTRICT = "district"  # ที่ทำการปกครองอำเภอ


class Office(Base):
    """An issuing office. ``code`` is the interior ministry's number: 2 digits for a
    province (``50`` Chiang Mai), 4 for a district (``5001`` Mueang Chiang Mai),
    ``00`` for the central units."""

    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint("kind IN ('central', 'province', 'district')", name="kind"),
        CheckConstraint(
            "(kind = 'district' AND length(code) = 4) OR (kind <> 'district' AND length(code) = 2)",
            name="code_length",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    counter_payment: Mapped[bool] = mapped_column(default=True, server_default=true())  # takes payments at the office
    # Trial period (ทดลองใช้งาน), see billpay.ops.trial: the office is in trial mode while
    # (BILLPAY_TRIAL is on or ``trial`` is set) and today in Bangkok is before ``go_live_on``
    # (no date: not yet decided). From ``go_live_on`` on, only live bills and receipts.
    trial: Mapped[bool] = mapped_column(default=False, server_default=false())
    go_live_on: Mapped[date | None]

    parent: Mapped[Office | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def ref_code(self) -> str:
        """The 4-digit form used inside Ref1: a province ``50`` becomes ``5000``."""
        return self.code.ljust(4, "0")

    @property
    def display_name(self) -> str:
        """The office's full Thai name as printed on documents."""
        if self.kind == OfficeKind.DISTRICT:
            province = self.parent.name_th if self.parent else ""
            return f"ที่ทำการปกครองอำเภอ{self.name_th} จังหวัด{province}".strip()
        if self.kind == OfficeKind.PROVINCE:
            return f"ที่ทำการปกครองจังหวัด{self.name_th}"
        return self.name_th

    @property
    def display_name_en(self) -> str:
        if self.kind == OfficeKind.DISTRICT:
            return f"{self.name_en} District Office"
        if self.kind == OfficeKind.PROVINCE:
            return f"{self.name_en} Provincial Administration Office"
        return self.name_en

    def __repr__(self) -> str:
        return f"<Office {self.code} {self.name_en}>"
