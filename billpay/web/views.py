"""Home, fonts and language; registers every page blueprint."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, request, send_from_directory, url_for
from flask_login import current_user, login_required

from billpay.accounts.permissions import Permission
from billpay.resources import resource_dir
from billpay.web.helpers import error_for, page_actor


def _office_in_trial(user) -> bool:
    """Whether the signed-in user's office issues trial bills today (the header badge)."""
    from flask import current_app

    from billpay.db import utcnow
    from billpay.ops.trial import in_trial_mode
    from billpay.thaidate import bangkok_date

    office = getattr(user, "office", None)
    if office is None:
        return False
    return in_trial_mode(office, deployment_trial=current_app.extensions["billpay.billing"].trial,
                         today=bangkok_date(utcnow()))

bp = Blueprint("web", __name__)

FONT_FILES = {"Sarabun-Regular.ttf", "Sarabun-Bold.ttf", "Sarabun-SemiBold.ttf",
              "Sarabun-Italic.ttf"}


@bp.get("/")
@login_required
def home():
    """What the signed-in person has to do today (per their permissions: see
    ``billpay.web.today``); an executive, who has only reports, goes to the dashboard."""
    from flask import render_template

    from billpay.db import session, utcnow
    from billpay.thaidate import bangkok_date
    from billpay.web.today import tasks_for

    actor = page_actor()
    today = bangkok_date(utcnow())
    tasks = tasks_for(session(), actor, today)
    if not tasks and actor.can(Permission.REPORT_READ) and not actor.can(Permission.AUDIT_READ):
        return redirect(url_for("reports.show", slug="dashboard"))
    return render_template("home.html", tasks=tasks, today=today)


@bp.get("/fonts/<name>")
def font(name: str):
    """The Sarabun font for the pages, served by the app itself (no CDN)."""
    if name not in FONT_FILES:
        abort(404)
    response = send_from_directory(resource_dir("fonts"), name, max_age=30 * 24 * 3600)
    return response


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.referrer if request.referrer and request.referrer.startswith(
        request.host_url) else url_for("web.home")
    response = redirect(target)
    if code in ("th", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def register_web(app: Flask) -> None:
    from billpay.accounts.views import register_accounts
    from billpay.audit.views import bp as audit_bp
    from billpay.bills.views import bp as bills_bp
    from billpay.ops.migration_views import bp as migration_bp
    from billpay.receipts.views import bp as receipts_bp
    from billpay.reports.views import bp as reports_bp
    from billpay.settlement.views import bp as settlement_bp

    app.register_blueprint(bp)
    register_accounts(app)
    app.register_blueprint(bills_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(settlement_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(migration_bp)
    app.jinja_env.globals["error_for"] = error_for
    app.jinja_env.globals["Permission"] = Permission

    @app.context_processor
    def _actor():
        if current_user.is_authenticated:
            return {"actor": page_actor(), "trial_office": _office_in_trial(current_user)}
        return {"actor": None, "trial_office": False}
