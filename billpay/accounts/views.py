"""Sign in (password, then a second factor and a forced password change where due)
and out; registration; the finance division's approvals, nomination lists and
assignment orders; user administration; the person's own password and TOTP."""

from __future__ import annotations

import base64
import io
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import session as cookie
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import select

from billpay.accounts import nominations as noms
from billpay.accounts import services as accounts
from billpay.accounts.models import (
    ROLE_LABELS_TH,
    USER_STATUS_LABELS_TH,
    Nomination,
    Role,
    User,
    UserStatus,
)
from billpay.accounts.permissions import Permission
from billpay.accounts.schemas import RegistrationIn
from billpay.accounts.services import LoginOutcome
from billpay.db import session, utcnow
from billpay.errors import Conflict, Forbidden, Invalid
from billpay.offices.models import Office, OfficeKind
from billpay.thaidate import thai_date, thai_datetime
from billpay.web.helpers import page_actor, requires

bp = Blueprint("auth", __name__)
accounts_bp = Blueprint("accounts", __name__, url_prefix="/accounts")

PREAUTH = "preauth"
PREAUTH_SECONDS = 600
TOTP_SETUP = "totp_setup"

BAD_LOGIN = ("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง (หากผิดติดต่อกัน 10 ครั้ง "
             "จะถูกระงับการเข้าสู่ระบบชั่วคราว)")


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("web.home")


def _policy() -> accounts.LockoutPolicy:
    return current_app.extensions["billpay.lockout"]


def _guard() -> accounts.UnknownNameGuard | None:
    limiter = current_app.extensions.get("billpay.limiter")
    return accounts.UnknownNameGuard(limiter.storage, _policy()) if limiter else None


def _totp_roles() -> frozenset[str]:
    return current_app.extensions["billpay.totp_roles"]


def _locked_message(until) -> str:
    return ("เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป จึงระงับการเข้าสู่ระบบชั่วคราว "
            f"กรุณาลองใหม่ได้ตั้งแต่ {thai_datetime(until)}")


# -- sign in, step by step ----------------------------------------------------------------

def _preauth_user() -> User | None:
    """The person who passed the password step in this browser in the last 10 minutes."""
    state = cookie.get(PREAUTH)
    if not state or time.time() - state.get("at", 0) > PREAUTH_SECONDS:
        cookie.pop(PREAUTH, None)
        return None
    user = session().get(User, state["uid"])
    if user is None or user.session_version != state["ver"] or not user.is_active:
        cookie.pop(PREAUTH, None)
        return None
    return user


def _continue_login(user: User):
    """The next step for someone who passed the password: second factor, forced password
    change, required TOTP enrolment; then signed in."""
    state = cookie[PREAUTH]
    if user.totp_enabled and not state.get("totp"):
        return redirect(url_for("auth.login_totp"))
    if user.must_change_password:
        return redirect(url_for("auth.login_password"))
    if accounts.totp_required(user, _totp_roles()) and not user.totp_enabled:
        return redirect(url_for("auth.login_totp_setup"))
    db = session()
    accounts.complete_login(db, user)
    db.commit()
    target = _safe_next(state.get("next"))
    cookie.pop(PREAUTH, None)
    cookie.pop(TOTP_SETUP, None)
    login_user(user)
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    error, status = None, 200
    if request.method == "POST":
        db = session()
        result = accounts.attempt_login(db, request.form.get("username", ""),
                                        request.form.get("password", ""), policy=_policy(),
                                        guard=_guard())
        db.commit()
        if result.outcome is LoginOutcome.OK:
            cookie[PREAUTH] = {"uid": result.user.id, "ver": result.user.session_version,
                               "at": int(time.time()), "totp": False,
                               "next": request.args.get("next")}
            return _continue_login(result.user)
        status = 401
        if result.outcome is LoginOutcome.LOCKED:
            error = _locked_message(result.locked_until)
        elif result.outcome is LoginOutcome.PENDING:
            error, status = "บัญชีของท่านรอกองคลังอนุมัติ เมื่อได้รับอนุมัติแล้วจึงจะเข้าใช้งานได้", 403
        elif result.outcome is LoginOutcome.REJECTED:
            reason = result.user.decision_reason or "-"
            error, status = f"การลงทะเบียนของท่านไม่ได้รับอนุมัติ เหตุผล: {reason}", 403
        elif result.outcome is LoginOutcome.DEACTIVATED:
            error, status = "บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบ", 403
        else:
            error = BAD_LOGIN
    return render_template("auth/login.html", error=error,
                           username=request.form.get("username", "")), status


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp():
    user = _preauth_user()
    if user is None:
        flash("กรุณาเข้าสู่ระบบใหม่อีกครั้ง", "warning")
        return redirect(url_for("auth.login"))
    error, status = None, 200
    if request.method == "POST":
        db = session()
        result = accounts.check_totp_login(db, user, request.form.get("code", ""),
                                           policy=_policy())
        db.commit()
        if result.outcome is LoginOutcome.OK:
            state = dict(cookie[PREAUTH], totp=True)
            cookie[PREAUTH] = state
            return _continue_login(user)
        status = 401
        if result.outcome is LoginOutcome.LOCKED:
            cookie.pop(PREAUTH, None)
            error = _locked_message(result.locked_until)
        else:
            error = "รหัส 6 หลักไม่ถูกต้องหรือใช้ไปแล้ว กรุณาดูรหัสล่าสุดจากแอปยืนยันตัวตน"
    return render_template("auth/totp.html", error=error), status


@bp.route("/login/password", methods=["GET", "POST"])
def login_password():
    """The password change an administrator's reset requires before anything else."""
    user = _preauth_user()
    if user is None:
        flash("กรุณาเข้าสู่ระบบใหม่อีกครั้ง", "warning")
        return redirect(url_for("auth.login"))
    if not user.must_change_password:
        return _continue_login(user)
    errors, message = {}, None
    if request.method == "POST":
        db = session()
        try:
            accounts.change_own_password(db, user, current=None,
                                         new=request.form.get("password", ""),
                                         confirm=request.form.get("password_confirm", ""))
            db.commit()
            flash("เปลี่ยนรหัสผ่านแล้ว", "success")
            return _continue_login(user)
        except Invalid as exc:
            db.rollback()
            errors, message = exc.errors, exc.message
    return render_template("accounts/password.html", forced=True, errors=errors,
                           message=message), (422 if errors else 200)


def _qr_data_uri(text: str) -> str:
    """The QR code for an authenticator app as an inline SVG image (drawn here: no CDN,
    no script)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                        border=2)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _totp_setup_page(user: User, *, forced: bool):
    secret = cookie.get(TOTP_SETUP)
    if not secret:
        secret = accounts.new_totp_secret()
        cookie[TOTP_SETUP] = secret
    error, status = None, 200
    if request.method == "POST":
        db = session()
        try:
            accounts.enable_totp(db, user, secret, request.form.get("code", ""))
            db.commit()
            cookie.pop(TOTP_SETUP, None)
            flash("เปิดการยืนยันตัวตนสองขั้นตอนแล้ว", "success")
            if forced:
                cookie[PREAUTH] = dict(cookie[PREAUTH], totp=True)
                return _continue_login(user)
            return redirect(url_for("auth.account"), code=303)
        except Invalid as exc:
            db.rollback()
            error, status = exc.message, 422
    uri = accounts.totp_uri(user, secret)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("accounts/totp_setup.html", secret=grouped, qr=_qr_data_uri(uri),
                           error=error, forced=forced), status


@bp.route("/login/totp-setup", methods=["GET", "POST"])
def login_totp_setup():
    """Enrolment that a role requires (BILLPAY_TOTP_REQUIRED_ROLES) before signing in."""
    user = _preauth_user()
    if user is None:
        flash("กรุณาเข้าสู่ระบบใหม่อีกครั้ง", "warning")
        return redirect(url_for("auth.login"))
    if user.totp_enabled:
        return _continue_login(user)
    return _totp_setup_page(user, forced=True)


@bp.post("/logout")
@login_required
def logout():
    db = session()
    accounts.record_logout(db, current_user)
    db.commit()
    logout_user()
    flash("ออกจากระบบแล้ว", "info")
    return redirect(url_for("auth.login"))


# -- registration ---------------------------------------------------------------------------

def office_groups() -> list[tuple[Office, list[Office]]]:
    """Offices for a picker: the central units, then each province with its districts."""
    offices = session().scalars(select(Office).where(Office.active.is_(True))
                                .order_by(Office.code)).all()
    groups: dict[str, tuple[Office, list[Office]]] = {}
    for office in offices:
        if office.kind != OfficeKind.DISTRICT:
            groups[office.code] = (office, [])
    for office in offices:
        if office.kind == OfficeKind.DISTRICT and office.province_code in groups:
            groups[office.province_code][1].append(office)
    return sorted(groups.values(), key=lambda g: (g[0].kind != OfficeKind.CENTRAL, g[0].name_th))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    values = {k: request.form.get(k, "") for k in ("full_name", "position", "office_code",
                                                   "citizen_id", "email", "phone", "username")}
    errors, message = {}, None
    if request.method == "POST":
        db = session()
        try:
            data = RegistrationIn().load({**values,
                                          "password": request.form.get("password", ""),
                                          "password_confirm": request.form.get(
                                              "password_confirm", "")})
            user = accounts.register_user(db, data)
            db.commit()
            cookie["registered"] = user.username
            return redirect(url_for("auth.registered"), code=303)
        except ValidationError as exc:
            errors = exc.messages
            message = "ข้อมูลไม่ครบหรือไม่ถูกต้อง กรุณาแก้ไขช่องที่มีเครื่องหมาย"
        except Invalid as exc:
            db.rollback()
            errors, message = exc.errors, exc.message
    return render_template("accounts/register.html", values=values, errors=errors,
                           message=message, offices=office_groups()), (422 if errors else 200)


@bp.get("/register/done")
def registered():
    return render_template("accounts/registered.html", username=cookie.get("registered"))


# -- the person's own account ---------------------------------------------------------------

@bp.get("/account")
@login_required
def account():
    return render_template("accounts/account.html", user=current_user,
                           totp_required=accounts.totp_required(current_user, _totp_roles()))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def account_password():
    errors, message = {}, None
    if request.method == "POST":
        db = session()
        try:
            accounts.change_own_password(db, current_user,
                                         current=request.form.get("current", ""),
                                         new=request.form.get("password", ""),
                                         confirm=request.form.get("password_confirm", ""))
            db.commit()
            flash("เปลี่ยนรหัสผ่านแล้ว", "success")
            return redirect(url_for("auth.account"), code=303)
        except Invalid as exc:
            db.rollback()
            errors, message = exc.errors, exc.message
    return render_template("accounts/password.html", forced=False, errors=errors,
                           message=message), (422 if errors else 200)


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def account_totp():
    if current_user.totp_enabled:
        flash("เปิดการยืนยันตัวตนสองขั้นตอนไว้แล้ว หากเปลี่ยนโทรศัพท์ ให้ผู้ดูแลระบบล้างค่าให้", "info")
        return redirect(url_for("auth.account"))
    return _totp_setup_page(current_user, forced=False)


# -- approvals (finance division) -----------------------------------------------------------

def _user_query(args, **fixed) -> accounts.UserQuery:
    return accounts.UserQuery(
        text=args.get("q") or None,
        status=fixed.get("status") or (args.get("status") if args.get("status") in set(UserStatus)
                                       else None),
        role=args.get("role") if args.get("role") in set(Role) else None,
        province_code=args.get("province") or None,
        office_code=args.get("office") or None,
        page=args.get("page", 1, type=int),
        per_page=args.get("per_page", 25, type=int),
        sort=args.get("sort", fixed.get("sort", "-created_at")),
    )


def _provinces() -> list[Office]:
    return list(session().scalars(select(Office).where(Office.kind == OfficeKind.PROVINCE)
                                  .order_by(Office.name_th)))


@accounts_bp.get("/approvals")
@requires(Permission.USER_APPROVE)
def approvals():
    db = session()
    query = _user_query(request.args, status=UserStatus.PENDING, sort="created_at")
    rows, total = accounts.search_users(db, page_actor(), query)
    offices = {u.office_id for u in rows if u.office_id}
    nominated = {(n.office_id, n.citizen_id) for n in db.scalars(
        select(Nomination).where(Nomination.office_id.in_(offices)))} if offices else set()
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template("accounts/approvals.html", users=rows, total=total, query=query,
                           pages=pages, args=request.args, nominated=nominated,
                           provinces=_provinces())


def _approval_page(user: User, *, errors=None, message=None, values=None, status=200):
    db = session()
    match = accounts.matching_nomination(db, user)
    values = values or {"role": (match.proposed_role if match and match.proposed_role
                                 else Role.CLERK.value),
                        "office_code": user.office.code if user.office else ""}
    return render_template(
        "accounts/approval.html", user=user, nominations=accounts.nominations_for_user(db, user),
        match=match, values=values, errors=errors or {}, message=message,
        roles=[(r.value, ROLE_LABELS_TH[r]) for r in accounts.ASSIGNABLE_ROLES],
        offices=office_groups()), status


@accounts_bp.get("/approvals/<int:user_id>")
@requires(Permission.USER_APPROVE)
def approval(user_id):
    user = accounts.get_user(session(), page_actor(), user_id)
    return _approval_page(user)


@accounts_bp.post("/approvals/<int:user_id>/approve")
@requires(Permission.USER_APPROVE)
def approve(user_id):
    db = session()
    form = request.form
    try:
        user = accounts.approve_user(db, page_actor(), user_id, role=form.get("role"),
                                     office_code=form.get("office_code"),
                                     without_nomination=bool(form.get("without_nomination")))
        db.commit()
    except (Invalid, Conflict, Forbidden) as exc:
        db.rollback()
        if isinstance(exc, Forbidden | Conflict):
            flash(exc.message, "error")
        user = accounts.get_user(db, page_actor(), user_id)
        return _approval_page(user, errors=exc.errors, message=exc.message,
                              values={"role": form.get("role"),
                                      "office_code": form.get("office_code")},
                              status=exc.code)
    flash(f"อนุมัติ {user.full_name} ({user.username}) เป็น{user.role_label} "
          f"{user.office.display_name} แล้ว", "success")
    return redirect(url_for("accounts.approvals"), code=303)


@accounts_bp.post("/approvals/<int:user_id>/reject")
@requires(Permission.USER_APPROVE)
def reject(user_id):
    db = session()
    try:
        user = accounts.reject_user(db, page_actor(), user_id, request.form.get("reason", ""))
        db.commit()
    except (Invalid, Conflict, Forbidden) as exc:
        db.rollback()
        user = accounts.get_user(db, page_actor(), user_id)
        return _approval_page(user, errors={"reason": exc.errors.get("reason", [exc.message])},
                              message=exc.message, status=exc.code)
    flash(f"ไม่อนุมัติ {user.full_name} ({user.username}) แล้ว", "success")
    return redirect(url_for("accounts.approvals"), code=303)


# -- nominations ----------------------------------------------------------------------------

@accounts_bp.get("/nominations")
@requires(Permission.USER_NOMINATE)
def nominations():
    args = request.args
    query = noms.NominationQuery(
        text=args.get("q") or None, province_code=args.get("province") or None,
        office_code=args.get("office") or None,
        status=args.get("status") if args.get("status") in ("open", "approved") else None,
        page=args.get("page", 1, type=int), per_page=args.get("per_page", 50, type=int),
        sort=args.get("sort", "office"))
    rows, total = noms.search_nominations(session(), page_actor(), query)
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template("accounts/nominations.html", nominations=rows, total=total,
                           query=query, pages=pages, args=args, provinces=_provinces())


@accounts_bp.route("/nominations/upload", methods=["GET", "POST"])
@requires(Permission.USER_NOMINATE)
def upload_nominations():
    actor = page_actor()
    errors, message = {}, None
    province = request.form.get("province") or None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors, message = {"ไฟล์": ["กรุณาเลือกไฟล์ CSV หรือ Excel (.xlsx)"]}, "ยังไม่ได้เลือกไฟล์"
        elif actor.role != Role.PROVINCIAL and not province:
            errors, message = {"จังหวัด": ["กรุณาเลือกจังหวัดของรายชื่อ"]}, "ยังไม่ได้เลือกจังหวัด"
        else:
            db = session()
            try:
                report = noms.import_nominations(db, actor, upload.read(), upload.filename,
                                                 province_code=province)
                db.commit()
                flash(f"นำเข้ารายชื่อแล้ว: เพิ่ม {report.added} คน ปรับปรุง {report.updated} คน "
                      f"จาก {report.offices} หน่วยงาน", "success")
                target = province or actor.province_code
                return redirect(url_for("accounts.nominations", province=target), code=303)
            except Invalid as exc:
                db.rollback()
                errors, message = exc.errors, exc.message
    return render_template("accounts/nomination_upload.html", errors=errors, message=message,
                           headings=noms.HEADINGS, provinces=_provinces(), province=province,
                           fixed_province=actor.province_code
                           if actor.role == Role.PROVINCIAL else None), (422 if errors else 200)


def _nomination_offices():
    actor = page_actor()
    groups = office_groups()
    if actor.role == Role.PROVINCIAL:
        groups = [g for g in groups if g[0].province_code == actor.province_code]
    return [g for g in groups if g[0].kind != OfficeKind.CENTRAL]


@accounts_bp.route("/nominations/new", methods=["GET", "POST"], endpoint="new_nomination")
@accounts_bp.route("/nominations/<int:nomination_id>/edit", methods=["GET", "POST"])
@requires(Permission.USER_NOMINATE)
def edit_nomination(nomination_id=None):
    db = session()
    nomination = noms.get_nomination(db, page_actor(), nomination_id) if nomination_id else None
    keys = [c.key for c in noms.COLUMNS if c.key != "office_name"]
    errors, message = {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in keys}
        try:
            saved = noms.save_nomination(db, page_actor(), values, nomination_id=nomination_id)
            db.commit()
            flash(f"บันทึกรายชื่อ {saved.full_name} แล้ว", "success")
            return redirect(url_for("accounts.nominations",
                                    province=saved.office.province_code), code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors, message = exc.errors, exc.message
    elif nomination is not None:
        values = {**noms.nomination_snapshot(nomination), "office_code": nomination.office.code,
                  "role": nomination.proposed_role or ""}
    else:
        values = {"office_code": request.args.get("office", "")}
    return render_template("accounts/nomination_form.html", nomination=nomination, values=values,
                           errors=errors, message=message, offices=_nomination_offices(),
                           roles=[(r.value, ROLE_LABELS_TH[r]) for r in accounts.ASSIGNABLE_ROLES]
                           ), (422 if errors else 200)


@accounts_bp.post("/nominations/<int:nomination_id>/delete")
@requires(Permission.USER_NOMINATE)
def delete_nomination(nomination_id):
    db = session()
    nomination = noms.get_nomination(db, page_actor(), nomination_id)
    province = nomination.office.province_code
    try:
        noms.delete_nomination(db, page_actor(), nomination_id)
        db.commit()
        flash("ลบรายชื่อแล้ว", "success")
    except Conflict as exc:
        db.rollback()
        flash(exc.message, "error")
    return redirect(url_for("accounts.nominations", province=province), code=303)


@accounts_bp.get("/nominations/template.xlsx")
@requires(Permission.USER_NOMINATE)
def nomination_template_xlsx():
    return send_file(io.BytesIO(noms.template_xlsx()), as_attachment=True,
                     download_name="nomination-form.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@accounts_bp.get("/nominations/template.csv")
@requires(Permission.USER_NOMINATE)
def nomination_template_csv():
    return Response(noms.template_csv(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=nomination-form.csv"})


# -- assignment orders ----------------------------------------------------------------------

@accounts_bp.get("/assignment-orders")
@requires(Permission.USER_APPROVE)
def assignment_orders():
    from billpay.accounts.orders import order_summary

    return render_template("accounts/assignment_orders.html",
                           provinces=order_summary(session(), page_actor()))


@accounts_bp.get("/assignment-orders/<province>.pdf")
@requires(Permission.USER_APPROVE)
def assignment_order_pdf(province):
    from billpay.accounts.orders import assignment_order_pdf as build

    pdf, name = build(session(), page_actor(), province,
                      order_no=(request.args.get("no") or "").strip()[:40] or None,
                      signer=(request.args.get("signer") or "").strip()[:100] or None)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     as_attachment=request.args.get("download") == "1",
                     download_name=f"assignment-order-{province}.pdf")


# -- users (administration) -----------------------------------------------------------------

@accounts_bp.get("/users")
@requires(Permission.USER_READ)
def users():
    query = _user_query(request.args)
    rows, total = accounts.search_users(session(), page_actor(), query)
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template("accounts/users.html", users=rows, total=total, query=query,
                           pages=pages, args=request.args, provinces=_provinces(),
                           statuses=USER_STATUS_LABELS_TH,
                           roles=[(r.value, ROLE_LABELS_TH[r]) for r in accounts.ASSIGNABLE_ROLES])


def _user_page(user: User, *, errors=None, message=None, values=None, temporary=None,
               status=200):
    from billpay.audit.services import AuditQuery, search_audit

    actor = page_actor()
    history = []
    if actor.can(Permission.AUDIT_READ):
        history, _ = search_audit(session(), actor, AuditQuery(object_type="user",
                                                               object_id=str(user.id),
                                                               per_page=50))
    values = values or {"role": user.role or "",
                        "office_code": user.office.code if user.office else ""}
    return render_template(
        "accounts/user.html", user=user, history=history, errors=errors or {}, message=message,
        values=values, temporary=temporary, is_self=user.id == current_user.id,
        roles=[(r.value, ROLE_LABELS_TH[r]) for r in accounts.ASSIGNABLE_ROLES],
        offices=office_groups() if actor.can(Permission.USER_MANAGE) else [],
        now=utcnow()), status


@accounts_bp.get("/users/<int:user_id>")
@requires(Permission.USER_READ)
def user(user_id):
    return _user_page(accounts.get_user(session(), page_actor(), user_id))


def _manage(user_id: int, action, success: str):
    """Run one administration action on a user; its errors show on the user's page."""
    db = session()
    try:
        result = action(db)
        db.commit()
    except (Invalid, Conflict, Forbidden) as exc:
        db.rollback()
        target = accounts.get_user(db, page_actor(), user_id)
        return _user_page(target, errors=exc.errors, message=exc.message,
                          values={"role": request.form.get("role", ""),
                                  "office_code": request.form.get("office_code", "")},
                          status=exc.code)
    flash(success.format(user=result if isinstance(result, User) else None), "success")
    return redirect(url_for("accounts.user", user_id=user_id), code=303)


@accounts_bp.post("/users/<int:user_id>/role")
@requires(Permission.USER_MANAGE)
def change_role(user_id):
    return _manage(user_id, lambda db: accounts.change_role(
        db, page_actor(), user_id, role=request.form.get("role"),
        office_code=request.form.get("office_code")),
        "เปลี่ยนบทบาทและหน่วยงานแล้ว ผู้ใช้ต้องเข้าสู่ระบบใหม่")


@accounts_bp.post("/users/<int:user_id>/deactivate")
@requires(Permission.USER_MANAGE)
def deactivate(user_id):
    return _manage(user_id, lambda db: accounts.deactivate_user(
        db, page_actor(), user_id, request.form.get("reason", "")),
        "ระงับการใช้งานแล้ว ผู้ใช้ถูกออกจากระบบทันที")


@accounts_bp.post("/users/<int:user_id>/reactivate")
@requires(Permission.USER_MANAGE)
def reactivate(user_id):
    return _manage(user_id, lambda db: accounts.reactivate_user(db, page_actor(), user_id),
                   "เปิดใช้งานอีกครั้งแล้ว")


@accounts_bp.post("/users/<int:user_id>/unlock")
@requires(Permission.USER_MANAGE)
def unlock(user_id):
    return _manage(user_id, lambda db: accounts.unlock_user(db, page_actor(), user_id),
                   "ปลดล็อกบัญชีแล้ว")


@accounts_bp.post("/users/<int:user_id>/reset-password")
@requires(Permission.USER_MANAGE)
def reset_password(user_id):
    db = session()
    try:
        temporary = accounts.reset_password(db, page_actor(), user_id,
                                            clear_totp=bool(request.form.get("clear_totp")))
        db.commit()
    except (Invalid, Conflict, Forbidden) as exc:
        db.rollback()
        target = accounts.get_user(db, page_actor(), user_id)
        return _user_page(target, message=exc.message, status=exc.code)
    target = accounts.get_user(db, page_actor(), user_id)
    # shown once, on this response only: never stored, never in a redirect or a cache
    body, status = _user_page(target, temporary=temporary)
    response = Response(body, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_accounts(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(accounts_bp)
    app.jinja_env.globals["ROLE_LABELS_TH"] = ROLE_LABELS_TH
    app.jinja_env.filters["thai_date_or_dash"] = lambda v: thai_date(v) if v else "-"
