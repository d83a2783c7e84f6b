"""Helpers for the accounts tests: sign a user in without the login form, read a page's
CSRF token, a registration form that passes."""

from __future__ import annotations

import re

from billpay.accounts.models import User

META_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# 13-digit IDs with valid check digits
CITIZEN_IDS = ("3100600123450", "1101700203450", "1103700012346", "3101400123457",
               "1100400134567", "1209900111113", "3330100155555")

STRONG = "Tung-Kwai-2569!"


def sign_in(client, user: User) -> None:
    """Put ``user`` in the client's session as Flask-Login would after the sign-in steps."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def page_csrf(client, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    match = FORM_CSRF.search(body) or META_CSRF.search(body)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def registration(**changes) -> dict[str, str]:
    form = {"full_name": "นางสาวสมหญิง ใจดี", "position": "เจ้าพนักงานปกครองปฏิบัติงาน",
            "office_code": "5001", "citizen_id": CITIZEN_IDS[0], "email": "somying@dopa.go.th",
            "phone": "081-234-5678", "username": "somying", "password": STRONG,
            "password_confirm": STRONG}
    form.update(changes)
    return form
