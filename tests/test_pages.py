"""The HTML pages: login, the counter, search, one bill, cancel, fee-type admin."""

import re

from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.bills.models import Bill, FeeType
from tests.support import csrf_token, login

FORM = {"payer_name": "นายใจดี มีสุข", "payer_id": "0105556012341",
        "items-0-fee_type": "FA01 — ค่าธรรมเนียมใบอนุญาตให้มีและใช้อาวุธปืน (ป.4)",
        "items-0-quantity": "1", "items-1-fee_type": "HT01", "items-1-amount": "2,500.50"}


def issue(client, **changes):
    data = {**FORM, **changes, "csrf_token": csrf_token(client, "/bills/new")}
    return client.post("/bills/new", data=data)


def test_login_required_and_wrong_password(client, clerk):
    assert client.get("/bills/new").status_code == 302
    token = csrf_token(client)
    response = client.post("/login", data={"username": clerk.username, "password": "nope",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)


def test_login_does_not_redirect_off_site(client, clerk):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x", data={
        "username": clerk.username, "password": "correct-horse-battery", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_forms_without_csrf_token_are_refused(client, clerk):
    response = client.post("/login", data={"username": clerk.username,
                                           "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_counter_issues_a_bill_and_shows_it(clerk_client, db):
    page = clerk_client.get("/bills/new").get_data(as_text=True)
    assert 'data-code="FA01"' in page and 'data-amount="100.00"' in page
    response = issue(clerk_client)
    assert response.status_code == 303
    ref1 = re.search(r"/bills/(\d{15})", response.headers["Location"]).group(1)
    shown = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert ref1 in shown and "2,600.50" in shown
    assert "สองพันหกร้อยบาทห้าสิบสตางค์" in shown
    pdf = clerk_client.get(f"/bills/{ref1}/pdf?download=1")
    assert pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_counter_finds_a_returning_payer_by_id(clerk_client):
    assert issue(clerk_client, payer_address="9 หมู่ 2 ตำบลสุเทพ").status_code == 303
    found = clerk_client.get("/bills/payer?payer_id=0105556012341")
    assert found.status_code == 200
    body = found.get_json()
    assert body["found"] is True
    assert (body["payer_name"], body["payer_address"]) == ("นายใจดี มีสุข", "9 หมู่ 2 ตำบลสุเทพ")
    assert re.fullmatch(r"\d{15}", body["last_ref1"]) and re.search(r" \d\d$", body["last_issued"])
    assert clerk_client.get("/bills/payer?payer_id=1103700012346").get_json() == {"found": False}
    bad = clerk_client.get("/bills/payer?payer_id=0105556012342")
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == {"payer_id": ["เลขประจำตัวประชาชนไม่ถูกต้อง"]}
    page = clerk_client.get("/bills/new").get_data(as_text=True)
    assert 'data-payer-url="/bills/payer"' in page
    # the ID comes first and has the cursor: a returning payer's details follow from it
    assert page.index('id="payer_id"') < page.index('id="payer_name"')
    assert re.search(r'<input id="payer_id"[^>]*autofocus', page)


def test_counter_errors_keep_what_was_typed_and_store_nothing(clerk_client, db):
    before = db.scalar(select(func.count()).select_from(Bill))
    response = issue(clerk_client, payer_name="", payer_id="0105556012342",
                     **{"items-1-amount": "12.345"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "กรุณากรอกข้อมูลนี้" in page  # payer name
    assert "ผลรวมตรวจสอบไม่ตรง" in page  # payer ID
    assert "ทศนิยมได้ไม่เกิน 2 ตำแหน่ง" in page
    assert 'value="HT01"' in page and 'value="12.345"' in page
    assert db.scalar(select(func.count()).select_from(Bill)) == before


def test_search_view_cancel(clerk_client):
    ref1 = re.search(r"/bills/(\d{15})", issue(clerk_client).headers["Location"]).group(1)
    listing = clerk_client.get("/bills?q=ใจดี").get_data(as_text=True)
    assert ref1 in listing and "พบ 1 รายการ" in listing
    assert "ไม่พบใบแจ้ง" in clerk_client.get("/bills?q=ไม่มีชื่อนี้").get_data(as_text=True)
    bad_date = clerk_client.get("/bills?date_from=31/02/2569").get_data(as_text=True)
    assert "field-error" in bad_date
    token = csrf_token(clerk_client, f"/bills/{ref1}/cancel")
    empty = clerk_client.post(f"/bills/{ref1}/cancel", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422 and "กรุณาระบุเหตุผล" in empty.get_data(as_text=True)
    done = clerk_client.post(f"/bills/{ref1}/cancel", data={"reason": "พิมพ์ผิด",
                                                            "csrf_token": token})
    assert done.status_code == 303
    assert "ยกเลิก" in clerk_client.get(f"/bills/{ref1}").get_data(as_text=True)


def test_foreign_office_bill_page_is_404(client, make_user):
    login(client, make_user(Role.CLERK, "5001", username="c1").username)
    ref1 = re.search(r"/bills/(\d{15})", issue(client).headers["Location"]).group(1)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/bills/new")})
    login(client, make_user(Role.CLERK, "5002", username="c2").username)
    for path in (f"/bills/{ref1}", f"/bills/{ref1}/pdf", f"/bills/{ref1}/cancel"):
        response = client.get(path)
        assert response.status_code == 404
        assert "ไม่พบใบแจ้ง" in response.get_data(as_text=True)


def test_security_headers(clerk_client):
    response = clerk_client.get("/bills/new")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.get_data(as_text=True)  # no inline scripts


def test_admin_edits_fee_types(client, db, make_user):
    login(client, make_user(Role.ADMIN, "00", username="boss").username)
    assert "FA01" in client.get("/admin/fee-types").get_data(as_text=True)
    token = csrf_token(client, "/admin/fee-types/new")
    bad = client.post("/admin/fee-types/new", data={
        "csrf_token": token, "code": "NEW1", "name_th": "", "revenue_type": "state",
        "amount_kind": "fixed", "default_amount": ""})
    assert bad.status_code == 422
    assert db.scalar(select(FeeType).where(FeeType.code == "NEW1")) is None
    good = client.post("/admin/fee-types/new", data={
        "csrf_token": token, "code": "NEW1", "name_th": "ค่าธรรมเนียมใหม่", "revenue_type": "off_budget",
        "amount_kind": "fixed", "default_amount": "55.50", "active": "1"})
    assert good.status_code == 303
    created = db.scalar(select(FeeType).where(FeeType.code == "NEW1"))
    assert (created.revenue_type, str(created.default_amount)) == ("off_budget", "55.50")
    client.post("/admin/fee-types/NEW1/edit", data={
        "csrf_token": token, "code": "NEW1", "name_th": "ค่าธรรมเนียมใหม่", "revenue_type": "off_budget",
        "amount_kind": "fixed", "default_amount": "55.50"})
    db.expire_all()
    assert db.scalar(select(FeeType).where(FeeType.code == "NEW1")).active is False
    csv_text = client.get("/admin/fee-types.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffcode,name_th") and "NEW1" in csv_text


def test_clerk_cannot_reach_admin_pages(clerk_client):
    assert clerk_client.get("/admin/fee-types").status_code == 403
