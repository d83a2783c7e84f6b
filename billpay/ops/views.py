"""Probes, metrics and the maintenance page.

- ``/healthz``: the process answers (no database): for a load balancer's liveness check.
- ``/readyz``: the database answers and its schema is at the migrations' head; 503
  with a JSON body saying why otherwise (deploys: run ``billpay db upgrade`` first).
- ``/metrics``: Prometheus text (see ``billpay.ops.metrics``); with
  ``BILLPAY_METRICS_TOKEN`` set it needs ``Authorization: Bearer <token>``, without it
  only requests from the machine itself that came through no proxy are answered.
- ``/admin/maintenance`` (CONFIG_MANAGE, the admins): schedule, list and cancel
  maintenance windows; see the settlement files queued during them.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from billpay.accounts.permissions import Permission
from billpay.db import get_database, session, utcnow
from billpay.errors import Invalid
from billpay.ops import services
from billpay.ops.models import QUEUE_STATE_LABELS_TH
from billpay.thaidate import BANGKOK, parse_thai_date
from billpay.web.helpers import page_actor, requires

bp = Blueprint("ops", __name__)


# -- probes -------------------------------------------------------------------------------

@bp.get("/healthz")
def healthz():
    """Alive: answers without touching the database."""
    return jsonify(status="ok")


def migration_heads() -> set[str]:
    heads = current_app.extensions.get("billpay.alembic_heads")
    if heads is None:
        from billpay.migrate import alembic_config

        config = alembic_config(get_database().url)
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["billpay.alembic_heads"] = heads
    return heads


@bp.get("/readyz")
def readyz():
    """Ready: the database answers and its schema is at the head revision."""
    db = session()
    try:
        connection = db.connection()
        connection.execute(text("SELECT 1"))
        revision = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        db.rollback()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return jsonify(status="unavailable", database="unreachable",
                       reason=f"database unreachable: {type(exc).__name__}: "
                              f"{detail[0] if detail else ''}",
                       message="เชื่อมต่อฐานข้อมูลไม่ได้"), 503
    finally:
        db.rollback()
    head = migration_heads()
    body = {"database": "ok", "revision": sorted(revision), "head": sorted(head)}
    if revision != head:
        return jsonify(status="unavailable", **body,
                       reason=f"schema at {','.join(sorted(revision)) or 'nothing'}, the code "
                              f"needs {','.join(sorted(head))}: run `billpay db upgrade`",
                       message="โครงสร้างฐานข้อมูลไม่ตรงกับรุ่นของโปรแกรม"), 503
    return jsonify(status="ok", **body)


def _metrics_allowed() -> tuple[bool, int]:
    token = current_app.config["BILLPAY"].get("METRICS_TOKEN") or ""
    if token:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        return hmac.compare_digest(given.encode(), token.encode()), 401
    local = request.remote_addr in ("127.0.0.1", "::1")
    proxied = any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))
    return local and not proxied, 403


@bp.get("/metrics")
def metrics():
    from billpay.ops.metrics import CONTENT_TYPE, exposition

    allowed, status = _metrics_allowed()
    if not allowed:
        response = jsonify(code=status, status="Unauthorized" if status == 401 else "Forbidden",
                           message="ต้องใช้โทเค็นของ /metrics (BILLPAY_METRICS_TOKEN)"
                           if status == 401 else "เปิด /metrics ได้จากเครื่องเดียวกันเท่านั้น")
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    db = session()
    try:
        body = exposition(db, utcnow())
    finally:
        db.rollback()
    return Response(body, content_type=CONTENT_TYPE)


# -- the maintenance page -----------------------------------------------------------------

_TIME_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _moment(form, prefix: str, errors: dict[str, list[str]]) -> datetime | None:
    """``<prefix>_date`` (``22/11/2569``) and ``<prefix>_time`` (``22:30``), Bangkok time."""
    day_text = form.get(f"{prefix}_date", "").strip()
    time_text = form.get(f"{prefix}_time", "").strip().translate(_THAI_DIGITS)
    field = f"{prefix}_at"
    if not day_text or not time_text:
        errors[field] = ["กรุณาระบุวันที่ (วว/ดด/ปปปป พ.ศ.) และเวลา (ชช:นน)"]
        return None
    try:
        day = parse_thai_date(day_text)
    except ValueError as exc:
        errors[field] = [str(exc)]
        return None
    match = _TIME_RE.match(time_text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        errors[field] = ["เวลาต้องเป็น ชช:นน เช่น 22:30"]
        return None
    return datetime.combine(day, time(int(match[1]), int(match[2])), tzinfo=BANGKOK)


def window_status(window, now: datetime) -> tuple[str, str]:
    """(css class, Thai label) of a window's status."""
    if window.cancelled_at is not None:
        return "cancelled", "ยกเลิกแล้ว"
    if window.starts_at <= now < window.ends_at:
        return "current", "กำลังปิดปรับปรุง"
    if window.starts_at > now:
        return "scheduled", "กำหนดไว้"
    return "ended", "สิ้นสุดแล้ว" + (" (ก่อนกำหนด)" if window.ended_early_at else "")


def _page(*, values=None, errors=None, status=200):
    db = session()
    now = utcnow()
    return render_template(
        "ops/maintenance.html", windows=services.list_windows(db, now), now=now,
        queue=services.list_queue(db, limit=30), counts=services.queue_counts(db),
        values=values or {}, errors=errors or {}, window_status=window_status,
        queue_label=lambda s: QUEUE_STATE_LABELS_TH.get(s, s),
        notice_hours=current_app.config["BILLPAY"]["MAINTENANCE_NOTICE_HOURS"]), status


@bp.get("/admin/maintenance")
@requires(Permission.CONFIG_MANAGE)
def maintenance():
    return _page()


@bp.post("/admin/maintenance")
@requires(Permission.CONFIG_MANAGE)
def schedule_maintenance():
    form = request.form
    errors: dict[str, list[str]] = {}
    starts_at = _moment(form, "starts", errors)
    ends_at = _moment(form, "ends", errors)
    reason = form.get("reason", "")
    if not reason.strip():
        errors["reason"] = ["กรุณาระบุเหตุผลของการปิดปรับปรุงระบบ"]
    db = session()
    if not errors:
        try:
            window = services.schedule_window(db, page_actor(), starts_at=starts_at,
                                              ends_at=ends_at, reason=reason, now=utcnow())
        except Invalid as exc:
            db.rollback()
            errors = exc.errors or {"reason": [exc.message]}
        else:
            db.commit()
            flash("กำหนดช่วงปิดปรับปรุงระบบแล้ว ทุกหน้าจะแสดงประกาศล่วงหน้า", "success")
            return redirect(url_for("ops.maintenance", _anchor=f"window-{window.id}"), 303)
    return _page(values=dict(form), errors=errors, status=422)


@bp.post("/admin/maintenance/<int:window_id>/cancel")
@requires(Permission.CONFIG_MANAGE)
def cancel_maintenance(window_id: int):
    db = session()
    window = services.cancel_window(db, page_actor(), window_id, now=utcnow())
    ended = window.ended_early_at is not None
    db.commit()
    if ended and services.has_queued(db):  # import what was queued during the window
        from billpay.ops.web import start_queue_import

        start_queue_import(current_app._get_current_object())
    flash("สิ้นสุดช่วงปิดปรับปรุงระบบแล้ว ไฟล์ธนาคารที่รออยู่จะนำเข้าตามลำดับ" if ended
          else "ยกเลิกช่วงปิดปรับปรุงระบบแล้ว", "success")
    return redirect(url_for("ops.maintenance"), 303)
