"""The finance division approves or rejects registrations against the provinces'
nominations; administrators change roles, deactivate, reset passwords. Nobody does
any of it to their own account."""

import pytest
from sqlalchemy import select

from billpay.accounts import services as accounts
from billpay.accounts.models import Nomination, Role, User, UserStatus
from billpay.accounts.permissions import Actor
from billpay.audit.models import AuditEntry
from billpay.errors import Forbidden, Invalid, NotFound
from billpay.offices.models import Office
from tests.accounts.helpers import CITIZEN_IDS, STRONG, page_csrf, sign_in
from tests.support import PASSWORD


def pending(db, username="somying", office="5001", citizen_id=CITIZEN_IDS[0]) -> User:
    return accounts.register_user(db, accounts.Registration(
        full_name="นางสาวสมหญิง ใจดี", position="เจ้าพนักงานปกครองปฏิบัติงาน", office_code=office,
        citizen_id=citizen_id, email=f"{username}@dopa.go.th", phone="0812345678",
        username=username, password=STRONG))


def nominate(db, office="5001", citizen_id=CITIZEN_IDS[0], role=None) -> Nomination:
    nomination = Nomination(office=db.scalar(select(Office).where(Office.code == office)),
                            seq=1, full_name="นางสาวสมหญิง ใจดี", position="เจ้าพนักงาน",
                            citizen_id=citizen_id, proposed_role=role, source="test")
    db.add(nomination)
    db.flush()
    return nomination


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE, "00", username="finance1")


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, "00", username="admin1")


def test_approval_page_shows_the_nomination_beside_the_registration(client, db, finance):
    user = pending(db)
    nominate(db, role="office_head")
    sign_in(client, finance)
    queue = client.get("/accounts/approvals").get_data(as_text=True)
    assert "somying" in queue and "ตรงกับรายชื่อ" in queue
    page = client.get(f"/accounts/approvals/{user.id}").get_data(as_text=True)
    assert 'id="nomination-match"' in page
    assert '<option value="office_head" selected>' in page  # the proposed role is offered
    token = page_csrf(client, f"/accounts/approvals/{user.id}")
    done = client.post(f"/accounts/approvals/{user.id}/approve", data={
        "role": "clerk", "office_code": "5001", "csrf_token": token})
    assert done.status_code == 303
    db.expire_all()
    assert (user.status, user.role, user.office.code) == ("active", "clerk", "5001")
    assert user.decided_by_id == finance.id and user.decided_at is not None
    assert db.scalar(select(Nomination.user_id)) == user.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.approve"))
    assert entry.actor_user_id == finance.id and '"role":"clerk"' in entry.after
    assert '"status":"pending"' in entry.before


def test_the_new_user_signs_in_after_approval(client, db, finance):
    user = pending(db)
    nominate(db)
    accounts.approve_user(db, Actor.for_user(finance), user.id, role="clerk", office_code="5001")
    token = page_csrf(client, "/login")
    response = client.post("/login", data={"username": "somying", "password": STRONG,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/bills/new").status_code == 200


def test_approval_without_a_nomination_needs_the_written_order(db, finance):
    user = pending(db)
    actor = Actor.for_user(finance)
    with pytest.raises(Invalid) as refused:
        accounts.approve_user(db, actor, user.id, role="clerk", office_code="5001")
    assert "without_nomination" in refused.value.errors
    accounts.approve_user(db, actor, user.id, role="clerk", office_code="5001",
                          without_nomination=True)
    assert user.status == UserStatus.ACTIVE


@pytest.mark.parametrize("role, office", [("provincial", "5001"), ("finance", "50"),
                                          ("clerk", "00"), ("import_job", "5001"),
                                          ("wizard", "5001"), ("clerk", "9999")])
def test_role_and_office_must_fit(db, finance, role, office):
    user = pending(db)
    with pytest.raises(Invalid):
        accounts.approve_user(db, Actor.for_user(finance), user.id, role=role,
                              office_code=office, without_nomination=True)


def test_reject_needs_a_reason_and_the_person_sees_it(client, db, finance):
    user = pending(db)
    sign_in(client, finance)
    token = page_csrf(client, f"/accounts/approvals/{user.id}")
    empty = client.post(f"/accounts/approvals/{user.id}/reject", data={"csrf_token": token})
    assert empty.status_code == 422 and "กรุณาระบุเหตุผล" in empty.get_data(as_text=True)
    done = client.post(f"/accounts/approvals/{user.id}/reject", data={
        "csrf_token": token, "reason": "ไม่อยู่ในรายชื่อที่จังหวัดแจ้ง"})
    assert done.status_code == 303
    db.expire_all()
    assert user.status == UserStatus.REJECTED
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user.reject")) is not None
    client.post("/logout", data={"csrf_token": page_csrf(client, "/account")})
    answer = client.post("/login", data={"username": "somying", "password": STRONG,
                                         "csrf_token": page_csrf(client, "/login")})
    assert "ไม่อยู่ในรายชื่อที่จังหวัดแจ้ง" in answer.get_data(as_text=True)


def test_nobody_approves_themself(db, make_user, finance):
    actor = Actor.for_user(finance)
    with pytest.raises(Forbidden):
        accounts.approve_user(db, actor, finance.id, role="admin", office_code="00")
    # nor a second account of the same person (same ID number)
    twin = pending(db, username="finance-twin", office="00", citizen_id=CITIZEN_IDS[1])
    finance.citizen_id = CITIZEN_IDS[1]
    db.flush()
    with pytest.raises(Forbidden):
        accounts.approve_user(db, actor, twin.id, role="admin", office_code="00",
                              without_nomination=True)
    assert twin.status == UserStatus.PENDING


def test_self_approval_by_the_page_is_refused(client, db, make_user):
    admin = make_user(Role.ADMIN, "00", username="selfish")
    sign_in(client, admin)
    token = page_csrf(client, f"/accounts/users/{admin.id}")
    response = client.post(f"/accounts/users/{admin.id}/role", data={
        "role": "finance", "office_code": "00", "csrf_token": token})
    assert response.status_code == 403
    assert "ของบัญชีตนเอง" in response.get_data(as_text=True)
    db.expire_all()
    assert admin.role == "admin"


def test_role_change_ends_the_users_sessions_at_once(app, db, make_user, admin):
    clerk = make_user(Role.CLERK, "5001", username="moving")
    # separate clients without ``with``: a preserved request context would share ``g``
    theirs, mine = app.test_client(), app.test_client()
    token = page_csrf(theirs, "/login")
    theirs.post("/login", data={"username": "moving", "password": PASSWORD,
                                "csrf_token": token})
    assert theirs.get("/bills/new").status_code == 200
    sign_in(mine, admin)
    token = page_csrf(mine, f"/accounts/users/{clerk.id}")
    changed = mine.post(f"/accounts/users/{clerk.id}/role", data={
        "role": "office_head", "office_code": "5002", "csrf_token": token})
    assert changed.status_code == 303
    # the clerk's very next request finds them signed out
    assert theirs.get("/bills/new").status_code == 302
    assert theirs.get("/bills/new").headers["Location"].startswith("/login")
    db.expire_all()
    assert (clerk.role, clerk.office.code, clerk.session_version) == ("office_head", "5002", 2)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.change_role"))
    assert '"office":"5001"' in entry.before and '"office":"5002"' in entry.after


def test_deactivation_ends_sessions_and_sign_in(app, db, make_user, admin):
    clerk = make_user(Role.CLERK, "5001", username="leaving")
    theirs = app.test_client()
    sign_in(theirs, clerk)
    assert theirs.get("/bills/new").status_code == 200
    accounts.deactivate_user(db, Actor.for_user(admin), clerk.id, "ย้ายไปสังกัดอื่น")
    assert theirs.get("/bills/new").status_code == 302
    answer = theirs.post("/login", data={"username": "leaving", "password": PASSWORD,
                                         "csrf_token": page_csrf(theirs, "/login")})
    assert "ถูกระงับการใช้งาน" in answer.get_data(as_text=True)
    accounts.reactivate_user(db, Actor.for_user(admin), clerk.id)
    assert clerk.is_active


def test_password_reset_is_shown_once_and_must_be_changed(app, db, make_user, admin):
    # separate clients without ``with``: a preserved request context would share ``g``
    client = app.test_client()
    clerk = make_user(Role.CLERK, "5001", username="forgot")
    sign_in(client, admin)
    token = page_csrf(client, f"/accounts/users/{clerk.id}")
    page = client.post(f"/accounts/users/{clerk.id}/reset-password", data={"csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    import re

    temporary = re.search(r'id="temporary-password">.*?<strong class="mono">([^<]+)</strong>',
                          page.get_data(as_text=True), re.S).group(1)
    db.expire_all()
    assert clerk.must_change_password
    theirs = app.test_client()
    first = theirs.post("/login", data={"username": "forgot", "password": temporary,
                                        "csrf_token": page_csrf(theirs, "/login")})
    assert first.headers["Location"] == "/login/password"
    assert theirs.get("/bills/new").status_code == 302  # not signed in yet
    token = page_csrf(theirs, "/login/password")
    same = theirs.post("/login/password", data={"password": temporary,
                                                "password_confirm": temporary,
                                                "csrf_token": token})
    assert same.status_code == 422
    done = theirs.post("/login/password", data={"password": "Brand-New-Pass-1",
                                                "password_confirm": "Brand-New-Pass-1",
                                                "csrf_token": token})
    assert done.status_code == 302
    assert theirs.get("/bills/new").status_code == 200
    db.expire_all()
    assert not clerk.must_change_password


def test_provincial_officer_sees_only_the_provinces_users(client, db, make_user):
    provincial = make_user(Role.PROVINCIAL, "50", username="prov50")
    near = make_user(Role.CLERK, "5002", username="near")
    far = make_user(Role.CLERK, "5101", username="far")
    sign_in(client, provincial)
    listing = client.get("/accounts/users").get_data(as_text=True)
    assert "near" in listing and ">far<" not in listing
    assert client.get(f"/accounts/users/{near.id}").status_code == 200
    assert client.get(f"/accounts/users/{far.id}").status_code == 404
    with pytest.raises(NotFound):
        accounts.get_user(db, Actor.for_user(provincial), far.id)
    # and may not approve anyone
    assert client.get("/accounts/approvals").status_code == 403


def test_cli_unlock_and_reset(app, db, make_user):
    user = make_user(Role.CLERK, "5001", username="stuck")
    user.failed_logins, user.locked_until = 12, accounts.utcnow()
    db.flush()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "unlock", "stuck"]).exit_code == 0
    result = runner.invoke(args=["users", "reset-password", "stuck"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert user.failed_logins == 0 and user.must_change_password
