"""Small helpers the HTML views share."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor, Permission


def page_actor() -> Actor:
    return Actor.for_user(current_user)


def requires(permission: Permission):
    """Login, then the permission; a missing permission is a 403 page in Thai."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not page_actor().can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _child(node: dict, key: str | int) -> Any:
    for candidate in (key, str(key), int(key) if str(key).isdigit() else None):
        if candidate is not None and candidate in node:
            return node[candidate]
    return None


def error_for(errors: dict[str, Any] | None, *path: str | int) -> str | None:
    """The message at ``path`` in a marshmallow-style error tree (list indexes may be
    ints or strings), or None."""
    node: Any = errors or {}
    for key in path:
        if not isinstance(node, dict):
            return None
        node = _child(node, key)
    if isinstance(node, list):
        return "; ".join(str(m) for m in node if not isinstance(m, dict)) or None
    return node if isinstance(node, str) else None


def is_role(*roles: Role) -> bool:
    return current_user.is_authenticated and current_user.role in roles


def allow_same_origin_frame(response):
    """Let our own pages embed this response (a PDF preview); others still may not."""
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def date_arg(args, name: str, errors: dict[str, str]):
    """A Buddhist-era date (``22/11/2569``) or ISO date from the query string; a bad one is
    reported on its field in ``errors`` (Thai) and read as no filter."""
    from billpay.thaidate import parse_thai_date

    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_thai_date(text)
    except ValueError as exc:
        errors[name] = str(exc)
        return None
