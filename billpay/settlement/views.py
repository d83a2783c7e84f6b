"""Settlement pages for the finance division (กองคลัง): upload the banks' files, see each
file reconciled against its trailers, a day's payments by bank, and work the queue of
exceptions (รายการรอตรวจสอบ)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath, PureWindowsPath

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from billpay.accounts.permissions import Permission
from billpay.db import session, utcnow
from billpay.errors import Conflict, Invalid
from billpay.i18n import N_, translate_label
from billpay.settlement import reconcile
from billpay.settlement.models import (
    EXCEPTION_REASON_LABELS_TH,
    RESOLUTION_LABELS_TH,
    ExceptionReason,
    LineOutcome,
    Resolution,
)
from billpay.settlement.records import KIND_PAYMENT
from billpay.settlement.services import (
    RESOLUTIONS_NEEDING_BILL,
    ExceptionQuery,
    FileRefused,
    ImportReport,
    import_settlement_file,
    search_exceptions,
)
from billpay.settlement.services import resolve_exception as resolve_settlement_exception
from billpay.thaidate import BE_OFFSET, THAI_MONTHS_SHORT, parse_thai_date, to_bangkok
from billpay.web.helpers import date_arg, page_actor, requires

bp = Blueprint("settlement", __name__)

OUTCOME_LABELS_TH = {
    LineOutcome.MATCHED: N_("ตรงกับใบแจ้ง"),
    LineOutcome.EXCEPTION: N_("รอตรวจสอบ"),
    LineOutcome.REVERSAL: N_("ยกเลิกรายการชำระเดิม"),
}
KIND_LABELS_TH = {"C": N_("ชำระ"), "D": N_("ยกเลิก")}
EXCEPTION_STATUS_LABELS_TH = {"open": N_("ยังไม่จัดการ"), "resolved": N_("จัดการแล้ว")}
# What a person may choose on an exception's page (a bank reversal closes itself).
RESOLUTION_CHOICES = [Resolution.LINKED, Resolution.ACCEPTED, Resolution.REFUND,
                      Resolution.WRITTEN_OFF]
RESOLUTION_HINTS_TH = {
    Resolution.LINKED: "เงินเป็นของใบแจ้งอื่น (ยอดเท่ากัน) ระบุ Ref1 ของใบแจ้งนั้น ใบแจ้งจะเปลี่ยนเป็นชำระแล้ว",
    Resolution.ACCEPTED: "ถือว่าใบแจ้งชำระแล้วแม้ยอดเงินต่างจากใบแจ้ง "
                         "ว่าง Ref1 ไว้ = ใบแจ้งตาม Ref1 ในรายการของธนาคาร",
    Resolution.REFUND: "คืนเงินให้ผู้ชำระนอกระบบ ระบุวิธีและเลขที่หนังสือในเหตุผล",
    Resolution.WRITTEN_OFF: "ปิดรายการโดยไม่ผูกกับใบแจ้ง ระบุเหตุผลให้ผู้ตรวจสอบเข้าใจได้",
}
# The settlement file's field names (parser) as a person reads them.
FIELD_LABELS_TH = {
    "record": "ทั้งระเบียน", "record_type": "ประเภทระเบียน", "seq": "ลำดับระเบียน",
    "bank_code": "รหัสธนาคาร", "account": "เลขที่บัญชี", "company_name": "ชื่อหน่วยงาน",
    "effective_date": "วันที่ของไฟล์", "service_code": "รหัสบริการ", "date": "วันที่ชำระ",
    "time": "เวลาชำระ", "customer_name": "ชื่อผู้ชำระ", "ref1": "Ref1", "ref2": "Ref2",
    "ref3": "Ref3", "branch": "สาขา", "teller": "เลขที่พนักงาน", "kind": "ประเภทรายการ",
    "txn_code": "รหัสช่องทาง", "cheque_no": "เลขที่เช็ค", "amount": "จำนวนเงิน",
    "cheque_bank": "ธนาคารของเช็ค", "debit_amount": "ยอดเงินเดบิต", "debit_count": "จำนวนรายการเดบิต",
    "credit_amount": "ยอดเงินเครดิต", "credit_count": "จำนวนรายการเครดิต", "spare": "ส่วนสำรอง",
    "file": "ไฟล์",
}


@bp.context_processor
def _helpers():
    return {"bank_name": reconcile.bank_name, "reason_label": _reason_label,
            "resolution_label": _resolution_label, "outcome_label": _outcome_label,
            "kind_label": lambda k: translate_label(KIND_LABELS_TH.get(k, k)), "short_dt": short_datetime,
            "field_label": lambda f: FIELD_LABELS_TH.get(f, f),
            "be_date": be_date, "subnav": request.endpoint}


def _reason_label(value):
    try:
        return translate_label(EXCEPTION_REASON_LABELS_TH[ExceptionReason(value)])
    except ValueError:
        return value


def _resolution_label(value):
    try:
        return translate_label(RESOLUTION_LABELS_TH[Resolution(value)])
    except ValueError:
        return value


def _outcome_label(value):
    try:
        return translate_label(OUTCOME_LABELS_TH[LineOutcome(value)])
    except ValueError:
        return value


def short_datetime(dt: datetime | None) -> str:
    """``22 พ.ย. 69 10:15`` on Bangkok's clock, for table rows."""
    if dt is None:
        return ""
    local = to_bangkok(dt)
    return (f"{local.day} {THAI_MONTHS_SHORT[local.month - 1]} "
            f"{(local.year + BE_OFFSET) % 100:02d} {local:%H:%M}")


def be_date(d: date | None) -> str:
    """``22/11/2569``: how the date inputs want it typed."""
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year + BE_OFFSET}"


def _pages(total: int, per_page: int) -> int:
    return max((total + per_page - 1) // per_page, 1)


class _DateArgs:
    """Buddhist-era dates from the query string; a bad one is an error on its field."""

    def __init__(self, args):
        self.args = args
        self.errors: dict[str, str] = {}

    def __call__(self, name: str) -> date | None:
        return date_arg(self.args, name, self.errors)


# -- upload ------------------------------------------------------------------------------

@dataclass
class UploadResult:
    """One uploaded file's outcome: ``imported``, ``duplicate_file``, ``refused`` (the file
    breaks the format) or ``retry`` (another import stored the same lines first)."""

    filename: str
    status: str
    report: ImportReport | None = None
    error: FileRefused | None = None
    existing_file_id: int | None = None

    @property
    def exceptions_th(self) -> list[tuple[str, int]]:
        if self.report is None:
            return []
        return [(_reason_label(reason), n)
                for reason, n in sorted(self.report.exceptions.items(), key=lambda kv: -kv[1])]

    @property
    def error_facts(self) -> dict:
        return self.error.errors if self.error is not None else {}


def _base_name(filename: str) -> str:
    """The file's own name, whichever way the browser sent its path."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    return name.strip() or "settlement.txt"


def _import_one(db, actor, upload) -> UploadResult:
    """One file, one transaction: committed when imported, rolled back when refused."""
    name = _base_name(upload.filename)
    try:
        report = import_settlement_file(db, actor, upload.stream, name, origin="upload")
        db.commit()
    except FileRefused as exc:
        db.rollback()
        return UploadResult(name, "refused", error=exc)
    except IntegrityError:
        # Two overlapping files imported at the same moment: the other one stored some of
        # these lines first. Nothing of this file was kept; imported again, those lines
        # are skipped as duplicates.
        db.rollback()
        return UploadResult(name, "retry")
    except Exception:
        db.rollback()
        raise
    existing = None
    if report.status == "duplicate_file":
        existing = reconcile.file_id_by_sha256(db, report.sha256)
    return UploadResult(name, report.status, report=report, existing_file_id=existing)


@bp.get("/settlement/upload")
@requires(Permission.SETTLEMENT_IMPORT)
def upload():
    return render_template("settlement/upload.html", results=[], error=None)


@bp.post("/settlement/upload")
@requires(Permission.SETTLEMENT_IMPORT)
def upload_files():
    """Import the files posted as ``files``. The upload page's script sends one file per
    request (``X-Requested-With``) and gets back only the results; a plain form post
    gets the whole page."""
    partial = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        error = "ยังไม่ได้เลือกไฟล์ กรุณาเลือกไฟล์ที่ได้รับจากธนาคารอย่างน้อย 1 ไฟล์"
        return render_template("settlement/upload.html", results=[], error=error), 422
    db = session()
    actor = page_actor()
    results = [_import_one(db, actor, upload) for upload in uploads]
    status = 422 if all(r.status in ("refused", "retry") for r in results) else 200
    template = "settlement/_results.html" if partial else "settlement/upload.html"
    return render_template(template, results=results, error=None), status


# -- files and days ----------------------------------------------------------------------

@bp.get("/settlement/files")
@requires(Permission.SETTLEMENT_READ)
def files():
    args = request.args
    dates = _DateArgs(args)
    bank = args.get("bank", "").strip()
    query = reconcile.FileQuery(
        bank_code=bank if bank in reconcile.BANK_NAMES_TH else None,
        date_from=dates("date_from"), date_to=dates("date_to"),
        sort=args.get("sort", "-imported_at"),
        page=max(args.get("page", 1, type=int) or 1, 1), per_page=25)
    rows, total = reconcile.list_files(session(), page_actor(), query)
    return render_template("settlement/files.html", rows=rows, total=total, query=query,
                           pages=_pages(total, query.per_page), errors=dates.errors, args=args,
                           banks=reconcile.BANK_NAMES_TH)


@bp.get("/settlement/files/<int:file_id>")
@requires(Permission.SETTLEMENT_READ)
def show_file(file_id: int):
    db = session()
    actor = page_actor()
    recon = reconcile.file_reconciliation(db, actor, file_id)
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in set(LineOutcome) else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = 50
    lines, total = reconcile.file_lines(db, actor, file_id, outcome=outcome or None, page=page,
                                        per_page=per_page)
    return render_template("settlement/file.html", recon=recon, lines=lines, total=total,
                           page=page, pages=_pages(total, per_page), outcome=outcome,
                           outcomes=OUTCOME_LABELS_TH, KIND_PAYMENT=KIND_PAYMENT)


@bp.get("/settlement/days")
@requires(Permission.SETTLEMENT_READ)
def days():
    """The day typed in the form (``?day=22/11/2569``), else the latest day with payments."""
    text = request.args.get("day", "").strip()
    if text:
        try:
            day = parse_thai_date(text)
        except ValueError as exc:
            return render_template("settlement/day.html", summary=None, day=None,
                                   day_text=text, error=str(exc)), 422
    else:
        day = reconcile.latest_payment_day(session(), page_actor())
        if day is None:
            return render_template("settlement/day.html", summary=None, day=None,
                                   day_text="", error=None)
    return redirect(url_for("settlement.day", day=day.isoformat()))


@bp.get("/settlement/days/<day>")
@requires(Permission.SETTLEMENT_READ)
def day(day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    summary = reconcile.day_summary(session(), page_actor(), when)
    return render_template("settlement/day.html", summary=summary, day=when,
                           day_text=be_date(when), error=None,
                           prev_day=when - timedelta(days=1), next_day=when + timedelta(days=1))


# -- exceptions --------------------------------------------------------------------------

@bp.get("/settlement/exceptions")
@requires(Permission.SETTLEMENT_READ)
def exceptions():
    args = request.args
    dates = _DateArgs(args)
    status = args.get("status", "open")
    reason = args.get("reason", "")
    bank = args.get("bank", "").strip()
    query = ExceptionQuery(
        status=status if status in EXCEPTION_STATUS_LABELS_TH else None,
        reason=reason if reason in set(ExceptionReason) else None,
        office_code=args.get("office", "").strip() or None,
        bank_code=bank or None,
        date_from=dates("date_from"), date_to=dates("date_to"),
        page=max(args.get("page", 1, type=int) or 1, 1), per_page=50,
        sort=args.get("sort", "paid_at"))
    db = session()
    rows, total = search_exceptions(db, page_actor(), query)
    offices = reconcile.offices_by_id(db, (e.office_id for e in rows))
    now = utcnow()
    return render_template(
        "settlement/exceptions.html", rows=rows, total=total, query=query,
        pages=_pages(total, query.per_page), errors=dates.errors, args=args, offices=offices,
        ages={e.id: reconcile.age_in_days(e, now) for e in rows},
        reasons=EXCEPTION_REASON_LABELS_TH, statuses=EXCEPTION_STATUS_LABELS_TH,
        banks=reconcile.BANK_NAMES_TH, status=status)


def _exception_page(exception_id: int, *, values=None, errors=None, message=None,
                    status=200):
    facts = reconcile.exception_facts(session(), page_actor(), exception_id)
    line = facts.line
    if values is None:
        values = {"resolution": "", "note": "", "bill_ref1": ""}
    raw = line.raw.decode("cp874", errors="replace")
    return render_template(
        "settlement/exception.html", facts=facts, item=facts.item, line=line,
        values=values, errors=errors or {}, message=message,
        can_resolve=page_actor().can(Permission.SETTLEMENT_RESOLVE),
        choices=RESOLUTION_CHOICES, hints=RESOLUTION_HINTS_TH,
        raw_parts=[(start + 1, min(start + 64, len(raw)), raw[start:start + 64])
                   for start in range(0, len(raw), 64)],
        age=reconcile.age_in_days(facts.item),
        difference=(line.amount - facts.item.expected_amount
                    if facts.item.expected_amount is not None else None),
        statuses=EXCEPTION_STATUS_LABELS_TH), status


@bp.get("/settlement/exceptions/<int:exception_id>")
@requires(Permission.SETTLEMENT_READ)
def show_exception(exception_id: int):
    return _exception_page(exception_id)


@bp.post("/settlement/exceptions/<int:exception_id>")
@requires(Permission.SETTLEMENT_RESOLVE)
def resolve_exception(exception_id: int):
    form = request.form
    values = {key: form.get(key, "").strip() for key in ("resolution", "note", "bill_ref1")}
    # Both required fields are checked here first, so that one answer names both.
    errors = {}
    if not values["resolution"]:
        errors["resolution"] = ["กรุณาเลือกวิธีจัดการ"]
    if not values["note"]:
        errors["note"] = ["กรุณาระบุเหตุผลการจัดการรายการนี้"]
    if errors:
        return _exception_page(exception_id, values=values, errors=errors,
                               message="ข้อมูลไม่ครบ กรุณาแก้ไขช่องที่มีเครื่องหมาย", status=422)
    needs_bill = values["resolution"] in {r.value for r in RESOLUTIONS_NEEDING_BILL}
    db = session()
    try:
        item = resolve_settlement_exception(
            db, page_actor(), exception_id, values["resolution"], values["note"],
            bill_ref1=(values["bill_ref1"] or None) if needs_bill else None)
        db.commit()
    except (Invalid, Conflict) as exc:
        db.rollback()
        return _exception_page(exception_id, values=values, errors=exc.errors,
                               message=exc.message, status=exc.code)
    flash(f"บันทึกแล้ว: {_resolution_label(item.resolution)}", "success")
    return redirect(url_for("settlement.show_exception", exception_id=exception_id), code=303)
