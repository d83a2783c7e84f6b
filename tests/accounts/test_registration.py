"""Registration: the page, its Thai messages, what it stores; the password policy."""

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import User, UserStatus
from billpay.accounts.services import password_problems
from billpay.audit.models import AuditEntry
from tests.accounts.helpers import CITIZEN_IDS, page_csrf, registration


def register(client, **changes):
    data = {**registration(**changes), "csrf_token": page_csrf(client, "/register")}
    return client.post("/register", data=data)


def test_register_leaves_a_pending_account_and_says_so(client, db):
    response = register(client)
    assert response.status_code == 303
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "somying" in done and "รอกองคลังอนุมัติ" in done
    user = db.scalar(select(User).where(User.username == "somying"))
    assert user.status == UserStatus.PENDING and user.role is None
    assert user.office.code == "5001" and user.citizen_id == CITIZEN_IDS[0]
    assert user.phone == "0812345678" and user.password_hash.startswith("$argon2")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.register"))
    assert entry.object_id == str(user.id) and "somying" in entry.after
    # a pending account cannot sign in; the right password learns why
    token = page_csrf(client, "/login")
    answer = client.post("/login", data={"username": "somying", "password": registration()[
        "password"], "csrf_token": token})
    assert answer.status_code == 403 and "รอกองคลังอนุมัติ" in answer.get_data(as_text=True)


def test_errors_are_thai_next_to_the_fields_and_keep_what_was_typed(client, db):
    before = db.scalar(select(func.count()).select_from(User))
    response = register(client, full_name="Somying Jaidee", citizen_id="3100600123451",
                        phone="12", email="nope", username="So", password="password123",
                        password_confirm="password123")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "กรุณากรอกชื่อ-สกุลเป็นภาษาไทย" in page
    assert "ผลรวมตรวจสอบไม่ตรง" in page
    assert "หมายเลขโทรศัพท์" in page and "อีเมลไม่ถูกต้อง" in page
    assert 'id="err-username"' in page
    assert 'value="Somying Jaidee"' in page and 'value="nope"' in page
    assert 'aria-invalid="true"' in page
    assert "password123" not in page  # passwords are never echoed back
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_weak_password_and_mismatch(client):
    weak = register(client, password="dopa12345678", password_confirm="dopa12345678")
    assert weak.status_code == 422
    assert "เดาได้ง่าย" in weak.get_data(as_text=True)
    mismatch = register(client, password_confirm="Something-Else-1")
    assert "ไม่ตรงกัน" in mismatch.get_data(as_text=True)


def test_username_and_id_number_are_taken_once(client, db, make_user):
    make_user(username="somying")
    taken = register(client).get_data(as_text=True)
    assert "มีผู้ใช้ชื่อนี้แล้ว" in taken
    register(client, username="somying2")
    again = register(client, username="somying3").get_data(as_text=True)
    assert "ลงทะเบียนไว้แล้ว" in again


def test_registration_form_without_csrf_is_refused(client, db):
    response = client.post("/register", data=registration())
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.username == "somying")) is None


def test_registration_page_lists_offices_and_links_from_login(client):
    page = client.get("/register").get_data(as_text=True)
    assert 'value="5001"' in page and "ที่ทำการปกครองจังหวัดเชียงใหม่" in page
    assert 'href="/register"' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("password, ok", [
    ("Tung-Kwai-2569!", True),
    ("correct-horse-battery", True),      # long, two kinds
    ("Abcdefgh12", True),                  # 10, three kinds
    ("abcdefgh12", False),                 # 10, two kinds: needs 12
    ("abcdefghijkl", False),               # one kind
    ("short1A!", False),
    ("Password123!", False),               # a well-known password with a suffix
    ("aaaaaaaaaaaaaaaa", False),
    ("สมหญิงใจดีมาก2569", True),           # Thai letters count as "other"
])
def test_password_policy(password, ok):
    assert (password_problems(password) == []) is ok, password_problems(password)


def test_password_must_not_contain_username_or_id():
    assert password_problems("Somying-2569-x", username="somying")
    assert password_problems("Xy" + CITIZEN_IDS[0], citizen_id=CITIZEN_IDS[0])
