import io

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import catalogue
from billpay.bills.models import FeeType
from billpay.errors import Forbidden, Invalid
from tests.support import csrf_token, login

HEADER = "code,name_th,name_en,revenue_type,amount_kind,default_amount,active\n"


def test_csv_import_adds_and_updates(db):
    data = HEADER + ("ZZ01,ค่าทดสอบ,Test,เงินนอกงบประมาณ,fixed,20.00,true\n"
                     "FA01,ค่าธรรมเนียมปืน ป.4 (ปรับ),Firearm,state,fixed,150.00,true\n")
    report = catalogue.import_fee_types_csv(db, None, ("\ufeff" + data).encode())
    assert (report.added, report.updated) == (1, 1)
    fa01 = db.scalar(select(FeeType).where(FeeType.code == "FA01"))
    assert str(fa01.default_amount) == "150.00"


def test_csv_import_is_all_or_nothing_with_line_numbers(db):
    data = HEADER + ("ZZ02,ใช้ได้,,state,variable,,true\n"
                     "ZZ03,,,state,fixed,,true\n"
                     "ZZ04,ผิดประเภท,,tax,fixed,1.00,maybe\n"
                     "ZZ02,ซ้ำ,,state,variable,,true\n")
    with pytest.raises(Invalid) as caught:
        catalogue.import_fee_types_csv(db, None, data)
    errors = caught.value.errors
    assert set(errors) == {"line 3", "line 4", "line 5"}
    assert "name_th" in errors["line 3"] and "default_amount" in errors["line 3"]
    assert {"revenue_type", "active"} <= set(errors["line 4"])
    assert "ซ้ำกับบรรทัดที่ 2" in errors["line 5"]["code"][0]
    assert db.scalar(select(FeeType).where(FeeType.code == "ZZ02")) is None


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe not utf8", "UTF-8"),
    ("name,amount\nx,1\n", "หัวตาราง"),
    (HEADER, "ไม่มีข้อมูล"),
])
def test_broken_csv_files(db, data, message):
    with pytest.raises(Invalid, match=message):
        catalogue.import_fee_types_csv(db, None, data)


def test_only_admin_may_edit(db, make_user):
    clerk = Actor.for_user(make_user(Role.CLERK, "5001"))
    with pytest.raises(Forbidden):
        catalogue.import_fee_types_csv(db, clerk, HEADER + "ZZ05,x,,state,variable,,true\n")


def test_import_page(client, db, make_user):
    login(client, make_user(Role.ADMIN, "00", username="root1").username)
    token = csrf_token(client, "/admin/fee-types/import")
    bad = client.post("/admin/fee-types/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"code\n"), "f.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "หัวตาราง" in bad.get_data(as_text=True)
    good = client.post("/admin/fee-types/import", data={
        "csrf_token": token,
        "file": (io.BytesIO((HEADER + "ZZ06,ค่าใหม่,,state,variable,,true\n").encode()), "f.csv")},
        content_type="multipart/form-data")
    assert good.status_code == 303
    assert db.scalar(select(FeeType).where(FeeType.code == "ZZ06")) is not None
