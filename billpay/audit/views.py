"""The audit log's pages: search with filters, CSV and XLSX export, chain check."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context

from billpay.accounts.permissions import Permission
from billpay.audit import services as audit
from billpay.db import session
from billpay.web.helpers import date_arg, page_actor, requires

bp = Blueprint("audit", __name__)


def _query(args) -> tuple[audit.AuditQuery, dict[str, str]]:
    errors: dict[str, str] = {}

    query = audit.AuditQuery(
        text=args.get("q") or None, action=args.get("action") or None,
        actor=args.get("actor") or None, office_code=args.get("office") or None,
        object_type=args.get("object_type") or None, object_id=args.get("object_id") or None,
        date_from=date_arg(args, "date_from", errors),
        date_to=date_arg(args, "date_to", errors),
        page=args.get("page", 1, type=int), per_page=args.get("per_page", 50, type=int),
        sort="seq" if args.get("sort") == "seq" else "-seq")
    return query, errors


def _action_choices() -> list[tuple[str, str]]:
    groups = sorted({a.split(".")[0] + "." for a in audit.ACTION_LABELS_TH if "." in a})
    return [(g, g + "*") for g in groups] + sorted(
        (a, f"{label} ({a})") for a, label in audit.ACTION_LABELS_TH.items())


@bp.get("/audit")
@requires(Permission.AUDIT_READ)
def audit_log():
    query, errors = _query(request.args)
    rows, total = audit.search_audit(session(), page_actor(), query)
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template("audit/list.html", entries=rows, total=total, query=query,
                           pages=pages, args=request.args, errors=errors,
                           actions=_action_choices(), labels=audit.ACTION_LABELS_TH)


def _note_export(kind: str, query: audit.AuditQuery) -> None:
    db = session()
    audit.record(db, page_actor(), "audit.export", object_type="audit_log",
                 after={"format": kind, "filters": {k: v for k, v in vars(query).items()
                                                    if v not in (None, "") and k not in (
                                                        "page", "per_page")}})
    db.commit()


@bp.get("/audit.csv")
@requires(Permission.AUDIT_READ)
def audit_csv():
    query, _errors = _query(request.args)
    _note_export("csv", query)
    actor = page_actor()

    def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _name, label in audit.EXPORT_COLUMNS])
        yield "\ufeff" + out.getvalue()
        for entry in audit.iter_audit(session(), actor, query):
            out.seek(0)
            out.truncate()
            writer.writerow(audit.export_row(entry))
            yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=audit-{date.today():%Y%m%d}.csv"})


@bp.get("/audit.xlsx")
@requires(Permission.AUDIT_READ)
def audit_xlsx():
    from openpyxl import Workbook

    query, _errors = _query(request.args)
    _note_export("xlsx", query)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit")
    sheet.append([label for _name, label in audit.EXPORT_COLUMNS])
    for entry in audit.iter_audit(session(), page_actor(), query):
        sheet.append(audit.export_row(entry))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"audit-{date.today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/audit/verify")
@requires(Permission.AUDIT_READ)
def audit_verify():
    report = audit.verify_chain(session())
    return render_template("audit/verify.html", report=report), (200 if report.ok else 409)
