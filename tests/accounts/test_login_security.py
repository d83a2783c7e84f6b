"""Signing in: lockout with back-off, the same answers for unknown names, the second
factor, rate limits (memory and Redis), cookies, headers, CSRF, the audit trail."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from billpay.accounts import services as accounts
from billpay.accounts.models import Role
from billpay.accounts.services import LockoutPolicy, LoginOutcome
from billpay.audit.models import AuditEntry
from tests.accounts.helpers import page_csrf, sign_in
from tests.support import PASSWORD, make_app


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def tick(self, **delta):
        self.now += timedelta(**delta)


def post_login(client, username, password):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": page_csrf(client, "/login")})


def test_ten_failures_lock_with_doubling_back_off(db, make_user):
    user = make_user(Role.CLERK, "5001", username="target")
    clock = Clock()
    policy = LockoutPolicy(threshold=10, max_minutes=60)

    def attempt(password):
        return accounts.attempt_login(db, "target", password, policy=policy, clock=clock)

    for _ in range(9):
        assert attempt("wrong").outcome is LoginOutcome.BAD
    tenth = attempt("wrong")
    assert tenth.outcome is LoginOutcome.LOCKED
    assert tenth.locked_until == clock.now + timedelta(minutes=1)
    clock.tick(seconds=30)
    assert attempt(PASSWORD).outcome is LoginOutcome.LOCKED  # even the right password waits
    clock.tick(seconds=31)
    second = attempt("wrong")  # one more failure after the lock: twice as long
    assert second.locked_until == clock.now + timedelta(minutes=2)
    clock.tick(minutes=2, seconds=1)
    assert attempt("wrong").locked_until == clock.now + timedelta(minutes=4)
    clock.tick(minutes=5)
    assert attempt(PASSWORD).outcome is LoginOutcome.OK
    assert (user.failed_logins, user.lockout_count, user.locked_until) == (0, 0, None)
    assert [policy.minutes(n) for n in (1, 2, 3, 4, 5, 6, 7, 8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id))
                         .order_by(AuditEntry.seq)).all()
    assert actions.count("login.locked") == 3 and "login.failure" in actions


def test_the_lock_message_says_when_and_is_the_same_for_unknown_names(client, db, make_user):
    make_user(Role.CLERK, "5001", username="real")
    answers = {}
    for name in ("real", "nobody-by-this-name"):
        # each name its own budget: the limiter counts failures per address, so reset it
        client.application.extensions["billpay.limiter"].reset()
        for _ in range(9):
            response = post_login(client, name, "wrong")
            assert response.status_code == 401
            assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)
        tenth = post_login(client, name, "wrong").get_data(as_text=True)
        answers[name] = re.search(r'id="login-error">([^<]+)<', tenth).group(1)
    for text in answers.values():
        assert "ระงับการเข้าสู่ระบบชั่วคราว" in text and "กรุณาลองใหม่ได้ตั้งแต่" in text
        assert re.search(r"เวลา \d\d:\d\d น\.", text)
    strip = re.compile(r"\d\d:\d\d")
    assert strip.sub("", answers["real"]) == strip.sub("", answers["nobody-by-this-name"])


def test_failed_sign_ins_are_rate_limited_successes_are_free(client, db, make_user):
    make_user(Role.CLERK, "5001", username="busy")
    for index in range(9):
        assert post_login(client, f"ghost{index}", "wrong").status_code == 401
    for _ in range(5):  # successful sign-ins do not use up the budget
        assert post_login(client, "busy", PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": page_csrf(client, "/account")})
    assert post_login(client, "ghost9", "wrong").status_code == 401
    refused = post_login(client, "busy", PASSWORD)
    assert refused.status_code == 429
    assert "เรียกใช้บ่อยเกินไป" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers


def redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping()
        return "redis://127.0.0.1:6379/15"
    except Exception:  # noqa: BLE001 - no Redis here: the test is skipped
        return None


def test_redis_storage_is_shared_between_workers(backend_urls):
    url = redis_url()
    if url is None:
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    settings = {"RATELIMIT_STORAGE_URL": url, "RATELIMIT_PUBLIC": "3 per minute",
                "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    worker_a = make_app(backend_urls["sqlite"], **settings)
    worker_b = make_app(backend_urls["sqlite"], **settings)
    client_a, client_b = worker_a.test_client(), worker_b.test_client()
    assert [client_a.get("/register/done").status_code for _ in range(2)] == [200, 200]
    assert client_b.get("/register/done").status_code == 200
    assert client_b.get("/register/done").status_code == 429  # the 4th, counted across both
    assert client_a.get("/register/done").status_code == 429
    worker_a.extensions["billpay.limiter"].reset()


def enable_totp(db, user) -> str:
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_enabled_at = secret, accounts.utcnow()
    db.flush()
    return secret


def test_totp_second_step(app, db, make_user):
    user = make_user(Role.FINANCE, "00", username="twofactor")
    secret = enable_totp(db, user)
    client = app.test_client()
    first = post_login(client, "twofactor", PASSWORD)
    assert first.headers["Location"] == "/login/totp"
    assert client.get("/accounts/approvals").status_code == 302  # not signed in yet
    token = page_csrf(client, "/login/totp")
    wrong = client.post("/login/totp", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401 and "ไม่ถูกต้อง" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    right = client.post("/login/totp", data={"code": code, "csrf_token": token})
    assert right.status_code == 302
    assert client.get("/accounts/approvals").status_code == 200
    # the same code cannot be used again
    other = app.test_client()
    post_login(other, "twofactor", PASSWORD)
    replay = other.post("/login/totp", data={"code": code,
                                             "csrf_token": page_csrf(other, "/login/totp")})
    assert replay.status_code == 401


def test_totp_required_for_finance_when_configured(app, db, make_user, monkeypatch):
    monkeypatch.setitem(app.extensions, "billpay.totp_roles", frozenset({"finance", "admin"}))
    user = make_user(Role.FINANCE, "00", username="mustenrol")
    client = app.test_client()
    first = post_login(client, "mustenrol", PASSWORD)
    assert first.headers["Location"] == "/login/totp-setup"
    page = client.get("/login/totp-setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page  # the QR is drawn here, no CDN
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    token = page_csrf(client, "/login/totp-setup")
    bad = client.post("/login/totp-setup", data={"code": "123", "csrf_token": token})
    assert bad.status_code == 422
    done = client.post("/login/totp-setup", data={"code": pyotp.TOTP(secret).now(),
                                                  "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/accounts/approvals").status_code == 200
    db.expire_all()
    assert user.totp_enabled
    # clerks are not asked
    make_user(Role.CLERK, "5001", username="plainclerk")
    assert post_login(app.test_client(), "plainclerk", PASSWORD).headers["Location"] == "/"


def test_voluntary_enrolment_from_my_account(client, db, make_user):
    user = make_user(Role.CLERK, "5001", username="careful")
    sign_in(client, user)
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/account/totp", data={
        "code": pyotp.TOTP(secret).now(), "csrf_token": page_csrf(client, "/account/totp")})
    assert response.status_code == 303
    db.expire_all()
    assert user.totp_enabled


def test_own_password_change_checks_the_current_one(client, db, make_user):
    user = make_user(Role.CLERK, "5001", username="changer")
    sign_in(client, user)
    token = page_csrf(client, "/account/password")
    wrong = client.post("/account/password", data={"current": "nope", "password": "Brand-New-1x",
                                                   "password_confirm": "Brand-New-1x",
                                                   "csrf_token": token})
    assert wrong.status_code == 422 and "รหัสผ่านปัจจุบันไม่ถูกต้อง" in wrong.get_data(as_text=True)
    ok = client.post("/account/password", data={"current": PASSWORD, "password": "Brand-New-1x",
                                                "password_confirm": "Brand-New-1x",
                                                "csrf_token": token})
    assert ok.status_code == 303


def test_session_cookie_flags_and_security_headers(app, db, make_user):
    make_user(Role.CLERK, "5001", username="cookie")
    client = app.test_client()
    response = post_login(client, "cookie", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    secure = app.test_client()
    token = page_csrf(secure, "/login")
    over_https = secure.post("/login", base_url="https://billpay.example",
                             headers={"Referer": "https://billpay.example/login"},
                             data={"username": "cookie", "password": PASSWORD,
                                   "csrf_token": token})
    assert "Secure" in over_https.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in over_https.headers


def test_forms_without_csrf_are_refused(client, db, make_user):
    finance = make_user(Role.FINANCE, "00", username="fin")
    sign_in(client, finance)
    for path in ("/accounts/approvals/1/approve", "/accounts/approvals/1/reject",
                 "/accounts/nominations/upload", "/logout", "/account/password"):
        response = client.post(path, data={"role": "clerk"})
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True)


def test_sign_ins_and_failures_are_in_the_audit_log(client, db, make_user):
    user = make_user(Role.CLERK, "5001", username="watched")
    post_login(client, "watched", "wrong")
    post_login(client, "watched", PASSWORD)
    client.post("/logout", data={"csrf_token": page_csrf(client, "/account")})
    post_login(client, "unknown-person", "wrong")
    rows = db.scalars(select(AuditEntry).where(AuditEntry.action.like("login.%"))
                      .order_by(AuditEntry.seq)).all()
    assert [r.action for r in rows] == ["login.failure", "login.success", "login.failure"]
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "logout"))
    assert rows[0].object_id == str(user.id) and '"reason":"bad_password"' in rows[0].after
    assert rows[1].actor_user_id == user.id and rows[1].ip == "127.0.0.1"
    assert rows[1].office_code == "5001"
    assert '"username":"unknown-person"' in rows[2].after and rows[2].object_id is None
