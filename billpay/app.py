"""The application factory."""

from __future__ import annotations

import logging
import os
import uuid
from decimal import Decimal
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from billpay import db as dbmod
from billpay.config import DEFAULT_SECRET_KEY, ConfigError, default_database_url, load_config
from billpay.errors import BillpayError
from billpay.i18n import TRANSLATIONS_DIR
from billpay.resources import PACKAGE_DIR, resource_dir

log = logging.getLogger("billpay")

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class JSONProvider(DefaultJSONProvider):
    """JSON numbers with a fraction are read as Decimal, never float (money)."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        return super().loads(s, **kwargs)


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` in production and whenever the request came in
    over HTTPS (behind a proxy: with ProxyFix or the proxy's own headers)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def _select_locale() -> str:
    lang = request.cookies.get("lang") if request else None
    return lang if lang in ("th", "en") else "th"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment's ``BILLPAY_*`` settings
    (tests pass their database URL and secret here)."""
    Flask.json_provider_class = JSONProvider
    app = Flask(
        "billpay",
        root_path=str(PACKAGE_DIR),
        template_folder=str(resource_dir("templates")),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_path=os.environ.get("BILLPAY_INSTANCE_PATH")
        or str(PACKAGE_DIR.parent / "instance"),
    )
    settings = load_config(config)
    _check_production(settings)
    from billpay.ops.logs import configure_logging

    configure_logging(settings)
    if not settings.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        settings["DATABASE_URL"] = default_database_url(app.instance_path)

    from billpay.bills.services import BillingConfig
    from billpay.receipts.services import ReceiptConfig

    app.config.update(
        BILLPAY=settings,
        SECRET_KEY=settings["SECRET_KEY"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=256 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="th",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_TIMEZONE=settings["TIMEZONE"],
        API_TITLE="billpay API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.session_interface = SessionInterface()
    app.extensions["billpay.billing"] = BillingConfig.from_config(settings)
    from billpay.accounts.services import LockoutPolicy, parse_role_list

    app.extensions["billpay.lockout"] = LockoutPolicy.from_config(settings)
    app.extensions["billpay.totp_roles"] = parse_role_list(settings["TOTP_REQUIRED_ROLES"])
    app.extensions["billpay.receipts"] = ReceiptConfig.from_config(settings)
    app.extensions["billpay.db"] = dbmod.Database(settings["DATABASE_URL"],
                                                  echo=settings["SQL_ECHO"])
    app.teardown_appcontext(dbmod.close_session)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)
    _register_blueprints(app)
    _init_rate_limits(app, settings)
    _register_error_handlers(app)
    _register_template_helpers(app)

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-ID", "")[:128] or uuid.uuid4().hex

    from billpay.ops import web as ops_web

    ops_web.init_app(app)  # maintenance windows, the request log line, request metrics

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'",
        )
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    from billpay.cli import register_commands

    register_commands(app)
    return app


def _check_production(settings: dict[str, Any]) -> None:
    if settings["ENV"] != "production":
        return
    if settings["SECRET_KEY"] == DEFAULT_SECRET_KEY or len(settings["SECRET_KEY"]) < 32:
        raise ConfigError(
            "BILLPAY_ENV=production needs BILLPAY_SECRET_KEY: a random value of at least "
            "32 characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if not settings.get("DATABASE_URL"):
        raise ConfigError("BILLPAY_ENV=production needs BILLPAY_DATABASE_URL (PostgreSQL)")
    # Allowed (a single-process trial server can run so), but said where it is read.
    if settings["DATABASE_URL"].startswith("sqlite"):
        log.warning("production on SQLite: one writer at a time, one machine; "
                    "set BILLPAY_DATABASE_URL=postgresql+psycopg://...")
    if settings["RATELIMIT_STORAGE_URL"].startswith("memory://"):
        log.warning("rate limits counted in memory, per process: with several gunicorn "
                    "workers or servers each counts alone; set "
                    "BILLPAY_RATELIMIT_STORAGE_URL=redis://...")


def _init_login(app: Flask) -> None:
    from billpay.accounts.services import load_user

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "กรุณาเข้าสู่ระบบก่อนใช้งาน"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_id: str):
        return load_user(dbmod.session(), session_id)


def _register_blueprints(app: Flask) -> None:
    from billpay.api.views import register_api
    from billpay.ops.views import bp as ops_bp
    from billpay.web.views import register_web

    register_web(app)
    app.register_blueprint(ops_bp)
    register_api(app)


# endpoint -> (setting, methods, count only failures?)
RATE_LIMITS = (
    ("auth.login", "RATELIMIT_PUBLIC", None, False),
    ("auth.login", "RATELIMIT_LOGIN", ["POST"], True),
    ("auth.login_totp", "RATELIMIT_LOGIN", ["POST"], True),
    ("auth.register", "RATELIMIT_PUBLIC", None, False),
    ("auth.register", "RATELIMIT_REGISTER", ["POST"], False),
    ("auth.registered", "RATELIMIT_PUBLIC", None, False),
    ("receipts.verify", "RATELIMIT_PUBLIC", None, False),
)


def _failed(response) -> bool:
    return response.status_code in (401, 403)


def _init_rate_limits(app: Flask, settings: dict[str, Any]) -> None:
    """Flask-Limiter on the pages anyone can reach: per client address, counters in
    memory (one process) or Redis (``BILLPAY_RATELIMIT_STORAGE_URL``). Failed sign-ins
    have their own, smaller budget; a successful one costs nothing."""
    limiter = Limiter(get_remote_address, app=app,
                      storage_uri=settings["RATELIMIT_STORAGE_URL"],
                      key_prefix=f"billpay-{settings.get('RATELIMIT_KEY_PREFIX', '')}",
                      headers_enabled=True, strategy="moving-window",
                      in_memory_fallback_enabled=True)  # Redis down: limit per process
    app.extensions["billpay.limiter"] = limiter
    for endpoint, setting, methods, failures_only in RATE_LIMITS:
        view = app.view_functions[endpoint]
        rule = limiter.limit(settings[setting], methods=methods,
                             deduct_when=_failed if failures_only else None)
        app.view_functions[endpoint] = rule(view)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    def render_error(code: int, status: str, message: str, errors=None):
        if _wants_json():
            body = {"code": code, "status": status, "message": message}
            if errors:
                body["errors"] = errors
            return jsonify(body), code
        return render_template("error.html", code=code, status=status, message=message), code

    @app.errorhandler(BillpayError)
    def _domain_error(exc: BillpayError):
        if exc.code == 404:
            log.warning("not found or out of scope: %s %s", request.method, request.path)
            _audit_denied()
        return render_error(exc.code, exc.status, exc.message, exc.errors)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return render_error(400, "Bad Request",
                            "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง (CSRF) กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")

    messages_th = {
        400: "คำขอไม่ถูกต้อง", 401: "กรุณาเข้าสู่ระบบ", 403: "ไม่มีสิทธิ์เข้าถึง",
        404: "ไม่พบหน้าที่ต้องการ", 405: "ไม่รองรับวิธีการเรียกนี้",
        413: "ไฟล์ใหญ่เกินกำหนด", 422: "ข้อมูลไม่ถูกต้อง", 429: "เรียกใช้บ่อยเกินไป กรุณารอสักครู่",
        500: "ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง",
    }

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        errors = None
        data = getattr(exc, "data", None) or {}
        if "messages" in data:  # webargs/marshmallow validation from flask-smorest
            errors = data["messages"]
        elif "errors" in data:
            errors = data["errors"]
        message = data.get("message") or messages_th.get(code, exc.description or exc.name)
        if isinstance(exc.description, str) and code == 400 and "JSON" in exc.description:
            message = "รูปแบบ JSON ไม่ถูกต้อง"
        response = render_error(code, exc.name, message, errors)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, "Internal Server Error", messages_th[500])


def _audit_denied() -> None:
    """Put a "not found or out of scope" answer to a signed-in person or a token in the
    audit log. The request's own work is rolled back first (it failed anyway), which
    also frees any audit lock it held."""
    from billpay.accounts.permissions import Actor
    from billpay.audit.services import record

    actor = g.get("actor")
    if actor is None and current_user and current_user.is_authenticated:
        actor = Actor.for_user(current_user)
    if actor is None:
        return
    try:
        db = dbmod.session()
        db.rollback()
        record(db, actor, "access.denied", object_type="url",
               object_id=request.path[:64], after={"method": request.method,
                                                   "path": request.path[:500]})
        db.commit()
    except Exception:  # noqa: BLE001 - never turn a 404 into a 500
        log.exception("could not record the denied access in the audit log")
        dbmod.session().rollback()


def _register_template_helpers(app: Flask) -> None:
    from billpay.bahttext import bahttext
    from billpay.bills.models import BILL_STATUS_LABELS_TH
    from billpay.i18n import translate_label
    from billpay.money import format_amount
    from billpay.thaidate import thai_date, thai_datetime

    app.jinja_env.filters["baht"] = lambda v: "" if v is None else format_amount(v)
    app.jinja_env.filters["thai_date"] = lambda v, short=False: "" if v is None else thai_date(
        v, short=short)
    app.jinja_env.filters["thai_datetime"] = lambda v: "" if v is None else thai_datetime(v)
    app.jinja_env.filters["bahttext"] = bahttext
    app.jinja_env.filters["bill_status"] = lambda v: translate_label(BILL_STATUS_LABELS_TH.get(v, v))
    app.jinja_env.filters["t"] = translate_label  # a label from a Python table, marked N_
