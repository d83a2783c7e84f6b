"""Provinces' nomination lists: CSV (UTF-8 or Windows Thai) and XLSX, all or nothing,
errors by row number in Thai; one at a time from a page; scope."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from billpay.accounts import nominations as noms
from billpay.accounts.models import Nomination, Role
from billpay.accounts.permissions import Actor
from billpay.audit.models import AuditEntry
from billpay.errors import Invalid
from tests.accounts.helpers import CITIZEN_IDS, page_csrf, sign_in

HEAD = ["ลำดับ", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสหน่วยงาน", "หน่วยงาน", "เลขประจำตัวประชาชน",
        "โทรศัพท์", "อีเมล", "บทบาท"]
ROWS = [
    [1, "นางสาวสมหญิง ใจดี", "เจ้าพนักงานปกครองปฏิบัติงาน", "5001", "", CITIZEN_IDS[0],
     "081-234-5678", "somying@dopa.go.th", "เจ้าหน้าที่รับชำระเงิน"],
    [2, "นายสมชาย รักงาน", "ปลัดอำเภอ", "", "อำเภอสันทราย", CITIZEN_IDS[1], "", "", "office_head"],
    [3, "นางวันดี มั่นคง", "เจ้าพนักงานปกครองชำนาญงาน", "50", "", CITIZEN_IDS[2], "", "", ""],
]


def xlsx(rows, head=HEAD, title=True) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([noms.TITLE_TH])
        sheet.append(["จังหวัดเชียงใหม่"])
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def provincial(make_user):
    return Actor.for_user(make_user(Role.PROVINCIAL, "50", username="prov50"))


@pytest.fixture
def finance(make_user):
    return Actor.for_user(make_user(Role.FINANCE, "00", username="fin"))


def test_xlsx_with_title_rows_codes_and_names(db, provincial):
    report = noms.import_nominations(db, provincial, xlsx(ROWS), "chiangmai.xlsx")
    assert (report.added, report.updated, report.offices) == (3, 0, 3)
    rows = {n.citizen_id: n for n in db.scalars(select(Nomination))}
    assert rows[CITIZEN_IDS[0]].office.code == "5001"
    assert rows[CITIZEN_IDS[0]].phone == "0812345678"
    assert rows[CITIZEN_IDS[0]].proposed_role == "clerk"
    assert rows[CITIZEN_IDS[1]].office.code == "5014"  # found by name within the province
    assert rows[CITIZEN_IDS[1]].proposed_role == "office_head"
    assert rows[CITIZEN_IDS[2]].office.kind == "province"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "nomination.import"))
    assert '"added":3' in entry.after and "chiangmai.xlsx" in entry.after
    # sent again with a correction: updated, not doubled
    changed = [list(r) for r in ROWS]
    changed[2][2] = "เจ้าพนักงานปกครองอาวุโส"
    again = noms.import_nominations(db, provincial, xlsx(changed), "chiangmai-v2.xlsx")
    assert (again.added, again.updated) == (0, 1)
    assert db.scalar(select(func.count()).select_from(Nomination)) == 3


def test_numbers_as_spreadsheet_numbers(db, finance):
    rows = [[1.0, "นายเลข ตัวเลข", "ปลัดอำเภอ", 5001, "", int(CITIZEN_IDS[3]), 812345678, "", ""]]
    noms.import_nominations(db, finance, xlsx(rows), "numbers.xlsx", province_code="50")
    nomination = db.scalar(select(Nomination))
    assert (nomination.office.code, nomination.citizen_id, nomination.phone) == (
        "5001", CITIZEN_IDS[3], "0812345678")


def test_csv_utf8_and_windows_thai(db, finance):
    noms.import_nominations(db, finance, csv_bytes(ROWS[:1]), "a.csv", province_code="50")
    noms.import_nominations(db, finance, csv_bytes(ROWS[1:], "cp874"), "b.csv",
                            province_code="50")
    names = set(db.scalars(select(Nomination.full_name)))
    assert names == {"นางสาวสมหญิง ใจดี", "นายสมชาย รักงาน", "นางวันดี มั่นคง"}


def test_bad_rows_are_listed_by_row_number_and_nothing_is_kept(db, provincial):
    rows = [
        ROWS[0],
        [2, "", "ปลัดอำเภอ", "5001", "", CITIZEN_IDS[1], "", "", ""],              # no name
        [3, "นายเลขผิด ทดสอบ", "ปลัดอำเภอ", "5001", "", "3100600123451", "", "", ""],  # checksum
        [4, "นายนอกเขต ทดสอบ", "ปลัดอำเภอ", "5101", "", CITIZEN_IDS[4], "", "", ""],  # Lamphun
        [5, "นายซ้ำ ทดสอบ", "ปลัดอำเภอ", "5001", "", CITIZEN_IDS[0], "12", "x@", "wizard"],
        [None, "", "", "", "", "", "", "", ""],                                      # blank
        [7, "", "", "", "", "", "", "", ""],                                         # numbered blank
    ]
    with pytest.raises(Invalid) as bad:
        noms.import_nominations(db, provincial, xlsx(rows), "bad.xlsx")
    errors = bad.value.errors
    # the title takes rows 1-2, the headings row 3: the data start at row 4
    assert set(errors) == {"แถวที่ 5", "แถวที่ 6", "แถวที่ 7", "แถวที่ 8"}
    assert "ชื่อ-สกุล" in errors["แถวที่ 5"]
    assert "ผลรวมตรวจสอบไม่ตรง" in errors["แถวที่ 6"]["เลขประจำตัวประชาชน"][0]
    assert "นอกจังหวัดของท่าน" in errors["แถวที่ 7"]["รหัสหน่วยงาน"][0]
    assert "ซ้ำกับแถวที่ 4" in errors["แถวที่ 8"]["เลขประจำตัวประชาชน"][0]
    assert set(errors["แถวที่ 8"]) >= {"โทรศัพท์", "อีเมล", "บทบาท"}
    assert db.scalar(select(func.count()).select_from(Nomination)) == 0


def test_a_file_without_the_headings_says_which_are_expected(db, finance):
    with pytest.raises(Invalid) as bad:
        noms.import_nominations(db, finance, xlsx(ROWS, head=["a", "b"]), "x.xlsx",
                                province_code="50")
    assert "ชื่อ-สกุล" in bad.value.errors["ไฟล์"][0]
    with pytest.raises(Invalid):
        noms.import_nominations(db, finance, b"\x00\x01 not a file", "x.xlsx",
                                province_code="50")


def test_upload_page_shows_thai_errors_and_keeps_nothing(client, db, make_user):
    sign_in(client, make_user(Role.PROVINCIAL, "50", username="prov"))
    token = page_csrf(client, "/accounts/nominations/upload")
    rows = [ROWS[0], [2, "นายเลขผิด ทดสอบ", "ปลัด", "5001", "", "3100600123451", "", "", ""]]
    response = client.post("/accounts/nominations/upload", data={
        "csrf_token": token, "file": (io.BytesIO(xlsx(rows)), "list.xlsx")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "แถวที่ 5" in page and "ยังไม่ได้นำเข้ารายชื่อใด ๆ" in page
    good = client.post("/accounts/nominations/upload", data={
        "csrf_token": token, "file": (io.BytesIO(xlsx(ROWS)), "list.xlsx")},
        content_type="multipart/form-data")
    assert good.status_code == 303
    listing = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "นางสาวสมหญิง ใจดี" in listing and "พบ 3 รายชื่อ" in listing


def test_template_is_the_form_that_imports(client, db, make_user):
    sign_in(client, make_user(Role.FINANCE, "00", username="fin2"))
    body = client.get("/accounts/nominations/template.xlsx").data
    sheet = load_workbook(io.BytesIO(body)).active
    assert [c.value for c in sheet[3]] == list(noms.HEADINGS)
    assert client.get("/accounts/nominations/template.csv").get_data(as_text=True).startswith(
        "\ufeffลำดับ,ชื่อ-สกุล")


def test_one_at_a_time_from_the_page_and_scope(client, db, make_user):
    sign_in(client, make_user(Role.PROVINCIAL, "50", username="prov3"))
    token = page_csrf(client, "/accounts/nominations/new")
    form = {"office_code": "5001", "full_name": "นายหนึ่ง ทดสอบ", "position": "ปลัดอำเภอ",
            "citizen_id": CITIZEN_IDS[5], "csrf_token": token}
    foreign = client.post("/accounts/nominations/new", data={**form, "office_code": "5101"})
    assert foreign.status_code == 422 and "นอกจังหวัดของท่าน" in foreign.get_data(as_text=True)
    assert client.post("/accounts/nominations/new", data=form).status_code == 303
    twice = client.post("/accounts/nominations/new", data=form)
    assert "อยู่ในรายชื่อของหน่วยงานนี้แล้ว" in twice.get_data(as_text=True)
    nomination = db.scalar(select(Nomination))
    other = Nomination(office_id=db.scalar(select(Nomination.office_id)) + 0, full_name="x",
                       position="x", citizen_id=CITIZEN_IDS[6], source="t")
    from billpay.offices.models import Office

    other.office = db.scalar(select(Office).where(Office.code == "5101"))
    db.add(other)
    db.flush()
    assert client.get(f"/accounts/nominations/{other.id}/edit").status_code == 404
    assert client.get(f"/accounts/nominations/{nomination.id}/edit").status_code == 200
    delete = client.post(f"/accounts/nominations/{nomination.id}/delete",
                         data={"csrf_token": token})
    assert delete.status_code == 303
    assert db.scalar(select(func.count()).select_from(Nomination)) == 1
