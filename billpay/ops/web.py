"""What operations add to every request: the maintenance window (banner, read-only
pages, 503 from the API with Retry-After), the import of the settlement queue once a
window is over, one log line and the metrics of each request.

The window is read from the database at the start of each request (two small indexed
queries), so every app server agrees without sharing any process state.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from billpay import db as dbmod
from billpay.db import utcnow
from billpay.ops import services

log = logging.getLogger("billpay.ops")
request_log = logging.getLogger("billpay.request")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Never looked at, never blocked: files, probes and metrics.
UNCHECKED = frozenset({"static", "web.font", "ops.healthz", "ops.readyz", "ops.metrics"})
# May change state during a window: signing in and out, the public receipt check, the
# maintenance page itself (to end or cancel the window) and the settlement upload,
# which queues the file instead of importing it.
ALLOWED_DURING_WINDOW = frozenset({
    "auth.login", "auth.login_totp", "auth.login_password", "auth.login_totp_setup",
    "auth.logout", "receipts.verify", "web.set_language",
    "ops.maintenance", "ops.schedule_maintenance", "ops.cancel_maintenance",
    "api_settlement_files.SettlementFiles",
})


def maintenance() -> services.MaintenanceState | None:
    """This request's maintenance state (None for unchecked endpoints)."""
    return g.get("maintenance")


def init_app(app: Flask) -> None:
    @app.before_request
    def _maintenance_guard():
        g.request_started = time.perf_counter()
        endpoint = request.endpoint or ""
        if endpoint in UNCHECKED or request.url_rule is None:
            return None
        settings = current_app.config["BILLPAY"]
        db = dbmod.session()
        try:
            state = services.maintenance_state(db, utcnow(),
                                               settings["MAINTENANCE_NOTICE_HOURS"])
        except SQLAlchemyError:
            log.exception("could not read the maintenance windows")
            db.rollback()
            return None
        g.maintenance = state
        if (state.current is not None and request.method not in SAFE_METHODS
                and endpoint not in ALLOWED_DURING_WINDOW):
            return refuse(state)
        return None

    @app.after_request
    def _after(response):
        state = g.get("maintenance")
        if state is not None and state.current is None and state.queued:
            start_queue_import(current_app._get_current_object())
        _log_and_count(response)
        return response

    @app.context_processor
    def _banner():
        return {"maintenance": g.get("maintenance")}


def refuse(state: services.MaintenanceState):
    """503 in Thai: the flask-smorest error shape for the API, a page for people."""
    message = state.message_th
    if request.path.startswith("/api/"):
        response = jsonify({"code": 503, "status": "Service Unavailable", "message": message})
    else:
        response = current_app.make_response(
            render_template("ops/maintenance_refused.html", state=state, message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(state.retry_after())
    return response


# -- the queue after a window -------------------------------------------------------------

_drain_lock = threading.Lock()
_last_attempt = 0.0
RETRY_SECONDS = 10.0  # a process tries at most this often while files wait


def start_queue_import(app: Flask) -> None:
    """The first request after a window that sees queued files starts their import:
    ``background`` (default) in a thread of this worker, after which later requests
    find the queue empty; ``inline`` right here (tests); ``off``: only the CLI
    (``billpay maintenance end``, ``billpay settlement watch``)."""
    global _last_attempt
    mode = app.config["BILLPAY"]["SETTLEMENT_QUEUE_DRAIN"]
    if mode == "off":
        return
    if mode == "inline":
        dbmod.session().rollback()  # the view has committed what it meant to
        services.import_queue(dbmod.get_database(app))
        return
    now = time.monotonic()
    if now - _last_attempt < RETRY_SECONDS or not _drain_lock.acquire(blocking=False):
        return
    _last_attempt = now

    def run():
        try:
            with app.app_context():
                services.import_queue(dbmod.get_database(app))
        except Exception:  # noqa: BLE001 - the files stay queued for the next attempt
            log.exception("settlement queue import failed")
        finally:
            _drain_lock.release()

    threading.Thread(target=run, name="billpay-queue-import", daemon=True).start()


# -- one log line and the metrics per request ---------------------------------------------

def _user_id():
    actor = g.get("actor")
    if actor is not None:
        return actor.user_id or (f"token:{actor.token_id}" if actor.token_id else None)
    user = g.get("_login_user")  # only if this request loaded it: no query for a log line
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    return None


def _log_and_count(response) -> None:
    from billpay.ops import metrics

    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    metrics.observe_request(request.method, endpoint, response.status_code, duration)
    request_log.info(
        "%s %s %s %.1fms", request.method, request.path, response.status_code, duration * 1000,
        extra={"http": {"method": request.method, "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round(duration * 1000, 2),
                        "user_id": _user_id(), "endpoint": endpoint}})
