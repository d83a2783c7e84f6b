"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from billpay.accounts.services import authenticate
from billpay.db import session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    error = None
    if request.method == "POST":
        db = session()
        user = authenticate(db, request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            error = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือบัญชียังไม่ได้รับอนุมัติ"
        else:
            db.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error,
                           username=request.form.get("username", "")), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("ออกจากระบบแล้ว", "info")
    return redirect(url_for("auth.login"))
