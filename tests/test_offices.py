from sqlalchemy import func, select

from billpay.offices.models import Office, OfficeKind
from billpay.offices.services import reference_offices, seed_offices


def test_reference_data_has_every_province_and_district():
    rows = reference_offices()
    kinds = [r["kind"] for r in rows]
    assert kinds.count(OfficeKind.PROVINCE) == 76
    assert kinds.count(OfficeKind.DISTRICT) == 878
    assert not any(r["code"].startswith("10") and r["kind"] != OfficeKind.CENTRAL for r in rows)


def test_seeded_offices_and_names(db):
    count = lambda kind: db.scalar(  # noqa: E731
        select(func.count()).select_from(Office).where(Office.kind == kind))
    assert count(OfficeKind.PROVINCE) == 76
    assert count(OfficeKind.DISTRICT) == 878
    mueang = db.scalar(select(Office).where(Office.code == "5001"))
    assert mueang.parent.code == "50"
    assert mueang.display_name == "ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"
    assert mueang.display_name_en == "Mueang Chiang Mai District Office"
    assert mueang.ref_code == "5001" and mueang.parent.ref_code == "5000"


def test_seed_is_idempotent(db):
    report = seed_offices(db)
    assert (report.added, report.updated, report.total) == (0, 0, 955)
