"""Receipt pages (ใบเสร็จรับเงิน): search, one receipt, printing (original, then copies),
payment at the counter, cancellation (request, then a second person decides), paper
receipts entered after an outage, the control register and its exports, and the
public verification page that the receipt's QR code opens."""

from __future__ import annotations

from decimal import Decimal

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
from billpay.bills import services as bills
from billpay.db import session, utcnow
from billpay.errors import BillpayError, NotFound
from billpay.money import AmountError, parse_amount
from billpay.payments.models import PaymentMethod
from billpay.receipts import exports, queries
from billpay.receipts import services as receipts
from billpay.receipts.documents import SERIES_LABELS_TH, STATUS_LABELS_TH, payment_description
from billpay.receipts.documents import receipt_pdf as build_receipt_pdf
from billpay.receipts.models import ReceiptSeries, ReceiptStatus
from billpay.thaidate import fiscal_year, parse_thai_date
from billpay.web.helpers import allow_same_origin_frame, date_arg, page_actor, requires

bp = Blueprint("receipts", __name__)

CANCELLATION_LABELS_TH = {"pending": "รออนุมัติ", "approved": "อนุมัติแล้ว",
                          "rejected": "ไม่อนุมัติ"}
METHOD_LABELS_TH = {"cash": "เงินสด", "transfer": "โอนเงิน (แสดงหลักฐาน)",
                    "bank": "ชำระผ่านธนาคาร (รอไฟล์ธนาคาร)"}


def _config() -> receipts.ReceiptConfig:
    return current_app.extensions["billpay.receipts"]


def _agency() -> str:
    return current_app.config["BILLPAY"]["AGENCY_NAME"]


@bp.app_template_filter("receipt_status")
def _receipt_status(value: str) -> str:
    return STATUS_LABELS_TH.get(value, value)


@bp.app_template_filter("receipt_series")
def _receipt_series(value: str) -> str:
    return SERIES_LABELS_TH.get(value, value)


@bp.app_template_filter("cancellation_status")
def _cancellation_status(value: str) -> str:
    return CANCELLATION_LABELS_TH.get(value, value)


def _pdf_response(body: bytes, filename: str, *, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    response = Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "no-store"})
    return allow_same_origin_frame(response)


# -- search and one receipt ----------------------------------------------------------------

def _year_arg(args, errors: dict[str, str]) -> int | None:
    text = args.get("fiscal_year", "").strip()
    if not text:
        return None
    if not (text.isdigit() and 2400 <= int(text) <= 2800):
        errors["fiscal_year"] = "ปีงบประมาณต้องเป็นปี พ.ศ. 4 หลัก เช่น 2570"
        return None
    return int(text)


@bp.get("/receipts")
@requires(Permission.RECEIPT_READ)
def list_receipts():
    actor = page_actor()
    args = request.args
    errors: dict[str, str] = {}
    status = args.get("status") if args.get("status") in set(ReceiptStatus) else None
    query = receipts.ReceiptQuery(
        office_code=args.get("office", "").strip() or None,
        fiscal_year=_year_arg(args, errors),
        date_from=date_arg(args, "date_from", errors),
        date_to=date_arg(args, "date_to", errors),
        status=status,
        page=max(args.get("page", 1, type=int) or 1, 1),
        per_page=min(max(args.get("per_page", 50, type=int) or 50, 1), 200),
        sort=args.get("sort", "number"))
    db = session()
    rows, total = receipts.search_receipts(db, actor, query)
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template(
        "receipts/list.html", receipts=rows, total=total, query=query, pages=pages,
        errors=errors, args=args, statuses=STATUS_LABELS_TH,
        offices=queries.offices_in_scope(db, actor),
        this_year=fiscal_year(utcnow()))


@bp.get("/receipts/<int:receipt_id>")
@requires(Permission.RECEIPT_READ)
def show_receipt(receipt_id: int):
    actor = page_actor()
    db = session()
    receipt = receipts.get_receipt(db, actor, receipt_id)
    requests_ = queries.cancellations_of(db, receipt)
    pending = next((r for r in requests_ if r.status == "pending"), None)
    names = queries.user_names(db, {r.requested_by_id for r in requests_}
                               | {r.decided_by_id for r in requests_}
                               | {receipt.cancel_requested_by_id, receipt.cancel_approved_by_id})
    issued = request.args.get("issued") == "1"
    method, details = payment_description(receipt)
    return render_template(
        "receipts/show.html", receipt=receipt, requests=requests_, pending=pending,
        names=names, issued=issued, method=method, details=details,
        replacement=queries.replacement_of(db, receipt),
        verification_url=receipts.verification_url(receipt, _config()),
        printable=receipt.series == ReceiptSeries.ELECTRONIC,
        next_print=receipt.print_count + (1 if issued else 0),
        can_request=(actor.can(Permission.RECEIPT_CANCEL_REQUEST)
                     and receipt.office_id == actor.office_id
                     and receipt.status == ReceiptStatus.VALID and pending is None),
        can_decide=pending is not None and actor.can(Permission.CANCELLATION_APPROVE)
        and pending.requested_by_id != actor.user_id)


@bp.get("/bills/<ref1>/receipts")
@requires(Permission.RECEIPT_READ)
def bill_receipts(ref1: str):
    """The receipts of one bill (the bill page links here): straight to the receipt when
    there is one, a short list when a cancelled one was replaced."""
    actor = page_actor()
    db = session()
    bill = bills.get_bill(db, actor, ref1)
    rows = queries.receipts_of_bill(db, actor, bill.id)
    if len(rows) == 1:
        return redirect(url_for("receipts.show_receipt", receipt_id=rows[0].id))
    return render_template("receipts/bill_receipts.html", bill=bill, receipts=rows)


@bp.get("/receipts/<int:receipt_id>/pdf")
@requires(Permission.RECEIPT_READ)
def receipt_pdf(receipt_id: int):
    """Print: every request is one print, counted and committed before the PDF is sent;
    the first is the original, later ones are copies marked สำเนา with their number."""
    actor = page_actor()
    db = session()
    receipt = receipts.get_receipt(db, actor, receipt_id, for_update=True)
    if receipt.series != ReceiptSeries.ELECTRONIC:
        raise NotFound("ใบเสร็จกระดาษไม่มีฉบับพิมพ์จากระบบ")
    now = utcnow()
    copy_no = receipts.record_print(db, actor, receipt, clock=lambda: now)
    body = build_receipt_pdf(receipt, copy_no=copy_no, config=_config(), agency_name=_agency(),
                             printed_at=now, printed_by=actor.name)
    db.commit()
    kind = "copy" if copy_no else "original"
    return _pdf_response(body, f"receipt-{receipt.office.code}-{receipt.fiscal_year}-"
                               f"{receipt.book}-{receipt.number}-{kind}.pdf",
                         download=request.args.get("download") == "1")


# -- the counter ---------------------------------------------------------------------------

@bp.route("/receipts/counter", methods=["GET", "POST"])
@requires(Permission.PAYMENT_COUNTER)
def counter():
    """Find the bill by Ref1, take cash or a transfer, issue the receipt, show its PDF."""
    actor = page_actor()
    db = session()
    source = request.form if request.method == "POST" else request.args
    values = {key: source.get(key, "").strip() for key in ("ref1", "method", "reference")}
    values["method"] = values["method"] or PaymentMethod.CASH.value
    errors: dict = {}
    message = None
    status = 200
    bill = None
    if values["ref1"]:
        try:
            bill = bills.get_bill(db, actor, values["ref1"])
        except NotFound as exc:
            errors, message, status = {"ref1": [exc.message]}, exc.message, 404
    if request.method == "POST" and bill is not None:
        try:
            receipt = receipts.take_counter_payment(
                db, actor, bill.ref1, method=values["method"],
                reference=values["reference"] or None, book_size=_config().book_size)
            db.commit()
        except BillpayError as exc:
            db.rollback()
            errors, message, status = exc.errors, exc.message, exc.code
            bill = bills.get_bill(db, actor, values["ref1"])
        else:
            flash(f"รับชำระและออกใบเสร็จเล่มที่ {receipt.book} เลขที่ {receipt.number} แล้ว",
                  "success")
            return redirect(url_for("receipts.show_receipt", receipt_id=receipt.id, issued=1),
                            code=303)
    existing = queries.receipts_of_bill(db, actor, bill.id) if bill is not None else []
    return render_template("receipts/counter.html", values=values, errors=errors,
                           message=message, bill=bill, existing=existing,
                           methods=[("cash", METHOD_LABELS_TH["cash"]),
                                    ("transfer", METHOD_LABELS_TH["transfer"])]), status


# -- cancellation --------------------------------------------------------------------------

@bp.route("/receipts/<int:receipt_id>/cancel", methods=["GET", "POST"])
@requires(Permission.RECEIPT_CANCEL_REQUEST)
def request_cancellation(receipt_id: int):
    actor = page_actor()
    db = session()
    receipt = receipts.get_receipt(db, actor, receipt_id)
    values = {"reason": request.form.get("reason", ""),
              "replace": request.form.get("replace") == "1" if request.method == "POST"
              else True}
    error, status = None, 200
    if request.method == "POST":
        try:
            receipts.request_cancellation(db, actor, receipt_id, values["reason"],
                                          replace=values["replace"])
            db.commit()
        except BillpayError as exc:
            db.rollback()
            error, status = exc.message, exc.code
            receipt = receipts.get_receipt(db, actor, receipt_id)
        else:
            flash("ส่งคำขอยกเลิกใบเสร็จแล้ว รอผู้มีอำนาจอนุมัติ", "success")
            return redirect(url_for("receipts.show_receipt", receipt_id=receipt_id), code=303)
    return render_template("receipts/cancel.html", receipt=receipt, values=values,
                           error=error), status


@bp.get("/receipts/cancellations")
@requires(Permission.RECEIPT_READ)
def cancellations(error: str | None = None, status: int = 200, notes: dict | None = None):
    actor = page_actor()
    db = session()
    pending = queries.pending_cancellations(db, actor)
    recent = [r for r in queries.recent_requests(db, actor) if r.status != "pending"
              or not actor.can(Permission.CANCELLATION_APPROVE)]
    names = queries.user_names(db, {r.requested_by_id for r in pending + recent}
                               | {r.decided_by_id for r in recent})
    return render_template("receipts/cancellations.html", pending=pending, recent=recent,
                           names=names, error=error, notes=notes or {},
                           approver=actor.can(Permission.CANCELLATION_APPROVE)), status


@bp.post("/receipts/cancellations/<int:request_id>")
@requires(Permission.CANCELLATION_APPROVE)
def decide_cancellation(request_id: int):
    actor = page_actor()
    db = session()
    decision = request.form.get("decision")
    note = request.form.get("note", "")
    if decision not in ("approve", "reject"):
        return cancellations(error="กรุณาเลือกอนุมัติหรือไม่อนุมัติ", status=422,
                             notes={request_id: note})
    try:
        done = receipts.decide_cancellation(db, actor, request_id, approve=decision == "approve",
                                            note=note, book_size=_config().book_size)
        db.commit()
    except BillpayError as exc:
        db.rollback()
        if isinstance(exc, NotFound):
            raise
        return cancellations(error=exc.message, status=exc.code, notes={request_id: note})
    old = done.receipt
    if done.status == "approved":
        text = f"อนุมัติยกเลิกใบเสร็จเล่มที่ {old.book} เลขที่ {old.number} แล้ว"
        if done.replacement_id:
            new = receipts.get_receipt(db, actor, done.replacement_id)
            text += f" และออกใบเสร็จแทนเล่มที่ {new.book} เลขที่ {new.number}"
    else:
        text = f"ไม่อนุมัติคำขอยกเลิกใบเสร็จเล่มที่ {old.book} เลขที่ {old.number}"
    flash(text, "success")
    return redirect(url_for("receipts.cancellations"), code=303)


# -- paper receipts (outages) --------------------------------------------------------------

PAPER_FIELDS = ("book", "number", "issued_on", "payer_name", "amount", "bill_ref1",
                "payment_reference", "method")


def _paper_from_form(form) -> tuple[receipts.PaperReceipt | None, dict[str, list[str]]]:
    values = {key: form.get(key, "").strip() for key in PAPER_FIELDS}
    errors: dict[str, list[str]] = {}
    number = 0
    if not values["number"].isdigit():
        errors["number"] = ["เลขที่ต้องเป็นตัวเลข"]
    else:
        number = int(values["number"])
    issued_on = None
    try:
        issued_on = parse_thai_date(values["issued_on"])
    except ValueError as exc:
        errors["issued_on"] = [str(exc)]
    amount = Decimal("0")
    try:
        amount = parse_amount(values["amount"])
    except (AmountError, TypeError, ValueError) as exc:
        errors["amount"] = [str(exc) or "จำนวนเงินไม่ถูกต้อง"]
    if errors:
        return None, errors
    return receipts.PaperReceipt(
        book=values["book"], number=number, issued_on=issued_on,
        payer_name=values["payer_name"], amount=amount,
        bill_ref1=values["bill_ref1"] or None,
        payment_reference=values["payment_reference"] or None,
        method=values["method"] or "cash"), {}


@bp.route("/receipts/paper", methods=["GET", "POST"])
@requires(Permission.RECEIPT_PAPER_ENTRY)
def paper_receipt():
    actor = page_actor()
    db = session()
    values = {key: request.form.get(key, "").strip() for key in PAPER_FIELDS}
    values["method"] = values["method"] or "cash"
    errors: dict = {}
    message, status = None, 200
    if request.method == "POST":
        data, errors = _paper_from_form(request.form)
        if errors:
            message, status = "ข้อมูลใบเสร็จกระดาษไม่ถูกต้อง กรุณาแก้ไขช่องที่มีเครื่องหมาย", 422
        else:
            try:
                receipt = receipts.enter_paper_receipt(db, actor, data)
                db.commit()
            except BillpayError as exc:
                db.rollback()
                errors, message, status = exc.errors, exc.message, exc.code
                if isinstance(exc, NotFound):
                    errors = {"bill_ref1": [exc.message]}
            else:
                flash(f"บันทึกใบเสร็จกระดาษเล่มที่ {receipt.book} เลขที่ {receipt.number} แล้ว",
                      "success")
                return redirect(url_for("receipts.show_receipt", receipt_id=receipt.id),
                                code=303)
    return render_template("receipts/paper.html", values=values, errors=errors,
                           message=message, methods=list(METHOD_LABELS_TH.items())), status


# -- the control register ------------------------------------------------------------------

REGISTER_PER_PAGE = 200


def _register_from_args():
    actor = page_actor()
    db = session()
    office = queries.office_in_scope(db, actor, request.args.get("office"))
    errors: dict[str, str] = {}
    year = _year_arg(request.args, errors) or fiscal_year(utcnow())
    register = queries.control_register(db, actor, office, year,
                                        book_size=_config().book_size)
    return actor, db, register, errors


@bp.get("/receipts/register")
@requires(Permission.RECEIPT_READ)
def register():
    actor, db, register, errors = _register_from_args()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pages = max((len(register.entries) + REGISTER_PER_PAGE - 1) // REGISTER_PER_PAGE, 1)
    page = min(page, pages)
    shown = register.entries[(page - 1) * REGISTER_PER_PAGE: page * REGISTER_PER_PAGE]
    years = queries.fiscal_years_of(db, register.office)
    if register.fiscal_year not in years:
        years = sorted({*years, register.fiscal_year}, reverse=True)
    return render_template("receipts/register.html", register=register, entries=shown,
                           page=page, pages=pages, errors=errors, years=years,
                           offices=queries.offices_in_scope(db, actor),
                           args={"office": register.office.code,
                                 "fiscal_year": register.fiscal_year})


@bp.get("/receipts/register.<any(csv, xlsx, pdf):ext>")
@requires(Permission.RECEIPT_READ)
def register_export(ext: str):
    actor, _db, register, _errors = _register_from_args()
    filename = exports.register_filename(register, ext)
    now = utcnow()
    if ext == "csv":
        return Response(exports.register_csv(register), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    if ext == "xlsx":
        body = exports.register_xlsx(register, printed_by=actor.name, printed_at=now)
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    body = exports.register_pdf(register, agency_name=_agency(), printed_by=actor.name,
                                printed_at=now)
    return _pdf_response(body, filename, download=request.args.get("download") == "1")


# -- public verification -------------------------------------------------------------------

@bp.get("/verify/<int:receipt_id>/<signature>")
def verify(receipt_id: int, signature: str):
    """What anyone holding the receipt may check: office, book and number, date, amount,
    status, and the payer's name masked. A wrong signature reveals nothing. Rate limited
    (``BILLPAY_RATELIMIT_PUBLIC``, see ``RATE_LIMITS`` in app.py)."""
    receipt = receipts.verify(session(), receipt_id, signature[:64], _config())
    response = render_template("receipts/verify.html", receipt=receipt,
                               masked_name=receipts.mask_name(receipt.payer_name)
                               if receipt else None), 200 if receipt else 404
    return response


@bp.after_request
def _no_index(response):
    if request.endpoint == "receipts.verify":
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
