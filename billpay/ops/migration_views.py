"""Pages of the data migration (``/migration/…``): the finance division's status board,
a province's verification report (page, CSV, XLSX, PDF) with the form to mark each of
its offices verified or list corrections, and one import attempt with its errors."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from billpay.accounts.permissions import Permission
from billpay.db import session, utcnow
from billpay.errors import Invalid
from billpay.ops import verification
from billpay.ops.models import VERIFICATION_LABELS_TH, VerificationStatus
from billpay.reports import exports
from billpay.thaidate import bangkok_date
from billpay.web.helpers import page_actor, requires

bp = Blueprint("migration", __name__, url_prefix="/migration")


@bp.get("/")
@requires(Permission.MIGRATION_READ)
def board():
    """Which provinces have signed off their offices' migrated data."""
    actor = page_actor()
    db = session()
    return render_template("ops/migration_board.html",
                           provinces=verification.status_board(db, actor),
                           batches=verification.batches(db, actor, limit=20))


def _province_page(code: str, *, errors=None, form=None, status: int = 200):
    actor = page_actor()
    result = verification.province_report(session(), actor, code)
    tables = [(t, t.materialise()) for t in result.report.tables]
    return render_template("ops/migration_province.html", result=result, tables=tables,
                           display=exports.display, errors=errors or {}, form=form or {},
                           can_verify=actor.can(Permission.MIGRATION_VERIFY),
                           statuses=[(s.value, VERIFICATION_LABELS_TH[s])
                                     for s in VerificationStatus]), status


@bp.get("/provinces/<province>")
@requires(Permission.MIGRATION_READ)
def province(province: str):
    return _province_page(province)


@bp.get("/provinces/<province>/report.<any(csv, xlsx, pdf):ext>")
@requires(Permission.MIGRATION_READ)
def province_export(province: str, ext: str):
    actor = page_actor()
    report = verification.province_report(session(), actor, province).report
    now = utcnow()
    name = exports.filename(report, ext, bangkok_date(now))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if ext == "csv":
        return Response("".join(exports.csv_chunks(report)), mimetype=exports.MEDIA_TYPES["csv"],
                        headers=disposition)
    if ext == "xlsx":
        return Response(exports.xlsx_bytes(report, printed_by=actor.name, printed_at=now),
                        mimetype=exports.MEDIA_TYPES["xlsx"], headers=disposition)
    body = exports.pdf_bytes(report, agency_name=current_app.config["BILLPAY"]["AGENCY_NAME"],
                             printed_by=actor.name, printed_at=now)
    return Response(body, mimetype=exports.MEDIA_TYPES["pdf"],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.post("/provinces/<province>/verify")
@requires(Permission.MIGRATION_VERIFY)
def verify(province: str):
    """Mark one office of the province verified, or record the corrections it needs."""
    actor = page_actor()
    db = session()
    form = {k: request.form.get(k, "") for k in ("office", "status", "note")}
    try:
        verdict = verification.verify_office(db, actor, province, form["office"],
                                             form["status"], form["note"])
    except Invalid as exc:
        flash(exc.message, "error")
        return _province_page(province, errors=exc.errors, form=form, status=422)
    db.commit()
    flash(f"บันทึกผลการตรวจสอบ {verdict.office.display_name}: {verdict.status_label}", "success")
    return redirect(url_for("migration.province", province=province), 303)


@bp.get("/batches/<int:batch_id>")
@requires(Permission.MIGRATION_READ)
def batch(batch_id: int):
    """One import attempt: what it read, what it stored, or every error that refused it."""
    found, errors = verification.batch_errors(session(), page_actor(), batch_id)
    return render_template("ops/migration_batch.html", batch=found, errors=errors)
