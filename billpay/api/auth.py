"""Who is calling the API: a bearer token (jobs, other systems) or a signed-in
browser session (then unsafe methods need the CSRF token in ``X-CSRFToken``)."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from billpay.accounts.permissions import Actor
from billpay.accounts.services import find_token
from billpay.db import session
from billpay.errors import Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_actor() -> Actor:
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        token = find_token(session(), header[7:].strip())
        if token is None:
            raise Unauthorized("โทเค็นไม่ถูกต้องหรือถูกเพิกถอนแล้ว")
        g.actor = Actor.for_token(token)
        return g.actor
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except ValidationError as exc:
                raise CSRFError(str(exc)) from None
        g.actor = Actor.for_user(current_user)
        return g.actor
    raise Unauthorized("กรุณาเข้าสู่ระบบหรือส่ง Authorization: Bearer <token>")
