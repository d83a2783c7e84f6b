"""Loading and reading the office reference data.

The 76 provinces and 878 districts come from GeoThai (package ``geothai``, data
CC BY 4.0, derived from the Department of Provincial Administration's own
statistics site; licence and notice in ``billpay/offices/data/``). Bangkok (10)
is left out: its districts (เขต) belong to the city, not to the department.
"""

from __future__ import annotations

from dataclasses import dataclass

import geothai
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.errors import NotFound
from billpay.offices.models import Office, OfficeKind

BANGKOK_CODE = "10"
CENTRAL_CODE = "00"
CENTRAL_NAME_TH = "กองคลัง กรมการปกครอง"
CENTRAL_NAME_EN = "Finance Division, Department of Provincial Administration"


@dataclass(frozen=True)
class SeedReport:
    added: int
    updated: int
    total: int


def reference_offices() -> list[dict]:
    """Every office billpay knows, as plain rows: central, then each province and its districts."""
    rows = [dict(code=CENTRAL_CODE, kind=OfficeKind.CENTRAL, province_code=CENTRAL_CODE,
                 parent=None, name_th=CENTRAL_NAME_TH, name_en=CENTRAL_NAME_EN)]
    for province in geothai.provinces():
        if province.code == BANGKOK_CODE:
            continue
        rows.append(dict(code=province.code, kind=OfficeKind.PROVINCE,
                         province_code=province.code, parent=None,
                         name_th=province.name_th, name_en=province.name_en))
        for district in geothai.districts(province.code):
            rows.append(dict(code=district.code, kind=OfficeKind.DISTRICT,
                             province_code=province.code, parent=province.code,
                             name_th=district.name_th, name_en=district.name_en))
    return rows


def seed_offices(db: Session) -> SeedReport:
    """Insert or update every office; idempotent. Offices no longer in the data set
    are kept (bills point at them) but marked inactive."""
    existing = {o.code: o for o in db.scalars(select(Office))}
    added = updated = 0
    seen = set()
    for row in reference_offices():
        seen.add(row["code"])
        parent = existing.get(row["parent"]) if row["parent"] else None
        office = existing.get(row["code"])
        values = dict(kind=row["kind"], province_code=row["province_code"],
                      name_th=row["name_th"], name_en=row["name_en"], active=True)
        if office is None:
            office = Office(code=row["code"], parent=parent, **values)
            db.add(office)
            existing[row["code"]] = office
            added += 1
        else:
            changed = any(getattr(office, k) != v for k, v in values.items())
            changed |= office.parent is not parent
            if changed:
                for key, value in values.items():
                    setattr(office, key, value)
                office.parent = parent
                updated += 1
    for code, office in existing.items():
        if code not in seen and office.active:
            office.active = False
            updated += 1
    db.flush()
    total = db.scalar(select(func.count()).select_from(Office))
    return SeedReport(added=added, updated=updated, total=total)


def get_office(db: Session, code: str) -> Office:
    office = db.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise NotFound(f"ไม่พบหน่วยงานรหัส {code}")
    return office


def list_offices(db: Session, *, province_code: str | None = None, kind: str | None = None):
    query = select(Office).where(Office.active.is_(True)).order_by(Office.code)
    if province_code:
        query = query.where(Office.province_code == province_code)
    if kind:
        query = query.where(Office.kind == kind)
    return db.scalars(query).all()
