"""Bill pages: the counter, search, one bill, cancel; the fee-type catalogue."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from marshmallow import ValidationError

from billpay.accounts.permissions import Permission
from billpay.bills import catalogue
from billpay.bills import services as bills
from billpay.bills.documents import bill_pdf
from billpay.bills.models import BILL_STATUS_LABELS_TH, BillStatus
from billpay.bills.schemas import BillIn
from billpay.db import session
from billpay.errors import Invalid
from billpay.thaidate import thai_date
from billpay.web.helpers import allow_same_origin_frame, date_arg, page_actor, requires

bp = Blueprint("bills", __name__)

MAX_FORM_ITEMS = 20


def _items_from_form(form) -> list[dict]:
    """items-0-fee_type, items-0-quantity, items-0-amount … → a list; blank rows dropped."""
    rows = []
    for index in range(MAX_FORM_ITEMS):
        code = form.get(f"items-{index}-fee_type", "").strip()
        quantity = form.get(f"items-{index}-quantity", "").strip()
        amount = form.get(f"items-{index}-amount", "").strip()
        if not (code or amount):
            continue
        # "FA01 — ค่าธรรมเนียม…" from the search box: the code is the first word
        rows.append({"fee_type": code.split()[0] if code else "",
                     "quantity": quantity or "1", "amount": amount or None})
    return rows


def _bill_form_data(form) -> dict:
    data = {key: form.get(key, "").strip() or None
            for key in ("payer_name", "payer_id", "payer_address", "payer_phone")}
    due = form.get("due_date", "").strip()
    data["due_date"] = due or None
    data["items"] = _items_from_form(form)
    return data


def _counter_page(values=None, errors=None, message=None, status=200):
    db = session()
    fee_types = catalogue.list_fee_types(db)
    return render_template(
        "bills/new.html", fee_types=fee_types, values=values or {}, errors=errors or {},
        message=message, due_days=current_app.extensions["billpay.billing"].due_days,
    ), status


@bp.get("/bills/new")
@requires(Permission.BILL_ISSUE)
def new_bill():
    return _counter_page()


@bp.post("/bills/new")
@requires(Permission.BILL_ISSUE)
def create_bill():
    data = _bill_form_data(request.form)
    try:
        new = BillIn().load(data)
        db = session()
        bill = bills.issue_bill(db, page_actor(), new, current_app.extensions["billpay.billing"])
        db.commit()
    except ValidationError as exc:
        return _counter_page(data, exc.messages, "ข้อมูลไม่ครบหรือไม่ถูกต้อง กรุณาแก้ไขช่องที่มีเครื่องหมาย",
                             422)
    except Invalid as exc:
        session().rollback()
        return _counter_page(data, exc.errors, exc.message, 422)
    flash(f"ออกใบแจ้งการชำระเงินเลขที่ {bill.ref1} แล้ว", "success")
    return redirect(url_for("bills.show_bill", ref1=bill.ref1, issued=1), code=303)


@bp.get("/bills/payer")
@requires(Permission.BILL_ISSUE)
def find_payer():
    """JSON for the counter page: a returning payer's name, address and phone by their
    13-digit ID, from the newest bill of this office; ``{"found": false}`` for a new
    payer (not a 404: a new payer is not an error, and is not audited as one)."""
    try:
        payer = bills.find_payer(session(), page_actor(), request.args.get("payer_id", ""))
    except Invalid as exc:
        return jsonify({"code": 400, "status": "Bad Request", "message": exc.message,
                        "errors": exc.errors}), 400
    if payer is None:
        return jsonify({"found": False})
    return jsonify({"found": True, "payer_id": payer.payer_id, "payer_name": payer.name,
                    "payer_address": payer.address, "payer_phone": payer.phone,
                    "last_ref1": payer.last_ref1,
                    "last_issued": thai_date(payer.last_issued_at, short=True)})


@bp.get("/bills")
@requires(Permission.BILL_READ)
def list_bills():
    args = request.args
    errors: dict[str, str] = {}
    query = bills.BillQuery(
        text=args.get("q") or None,
        status=args.get("status") if args.get("status") in set(BillStatus) else None,
        date_from=date_arg(args, "date_from", errors),
        date_to=date_arg(args, "date_to", errors),
        page=args.get("page", 1, type=int),
        per_page=args.get("per_page", 25, type=int),
        sort=args.get("sort", "-created_at"),
    )
    rows, total = bills.search_bills(session(), page_actor(), query)
    pages = max((total + query.per_page - 1) // query.per_page, 1)
    return render_template("bills/list.html", bills=rows, total=total, query=query, pages=pages,
                           errors=errors, statuses=BILL_STATUS_LABELS_TH, args=args)


@bp.get("/bills/<ref1>")
@requires(Permission.BILL_READ)
def show_bill(ref1):
    bill = bills.get_bill(session(), page_actor(), ref1)
    return render_template("bills/show.html", bill=bill, codes=bills.bill_codes(bill),
                           issued=request.args.get("issued") == "1",
                           can_cancel=page_actor().can(Permission.BILL_CANCEL)
                           and bill.status == BillStatus.ISSUED
                           and bill.office_id == page_actor().office_id)


@bp.get("/bills/<ref1>/pdf")
@requires(Permission.BILL_READ)
def bill_pdf_view(ref1):
    bill = bills.get_bill(session(), page_actor(), ref1)
    as_download = request.args.get("download") == "1"
    response = send_file(bill_pdf(bill), mimetype="application/pdf", as_attachment=as_download,
                         download_name=f"bill-{bill.ref1}.pdf")
    return allow_same_origin_frame(response)


@bp.route("/bills/<ref1>/cancel", methods=["GET", "POST"])
@requires(Permission.BILL_CANCEL)
def cancel_bill(ref1):
    db = session()
    bill = bills.get_bill(db, page_actor(), ref1)
    error = None
    if request.method == "POST":
        try:
            bill = bills.cancel_bill(db, page_actor(), ref1, request.form.get("reason", ""))
            db.commit()
            flash(f"ยกเลิกใบแจ้ง {bill.ref1} แล้ว", "success")
            return redirect(url_for("bills.show_bill", ref1=bill.ref1), code=303)
        except Invalid as exc:
            db.rollback()
            error = exc.message
    return render_template("bills/cancel.html", bill=bill, error=error,
                           reason=request.form.get("reason", "")), (422 if error else 200)


# -- fee-type catalogue (admin) -------------------------------------------------------

@bp.get("/admin/fee-types")
@requires(Permission.FEE_TYPE_MANAGE)
def fee_types():
    return render_template("bills/fee_types.html",
                           fee_types=catalogue.list_fee_types(session(), active_only=False))


@bp.route("/admin/fee-types/new", methods=["GET", "POST"], endpoint="new_fee_type")
@bp.route("/admin/fee-types/<code>/edit", methods=["GET", "POST"])
@requires(Permission.FEE_TYPE_MANAGE)
def edit_fee_type(code=None):
    db = session()
    fee_type = catalogue.get_fee_type(db, code) if code else None
    errors, message = {}, None
    if request.method == "POST":
        data = {key: request.form.get(key, "") for key in catalogue.CSV_COLUMNS}
        data["active"] = "true" if request.form.get("active") else "false"
        try:
            saved = catalogue.save_fee_type(db, page_actor(), data, code=code)
            db.commit()
            flash(f"บันทึกประเภทค่าธรรมเนียม {saved.code} แล้ว", "success")
            return redirect(url_for("bills.fee_types"), code=303)
        except Invalid as exc:
            db.rollback()
            errors, message = exc.errors, exc.message
        values = data
    elif fee_type is not None:
        values = {key: getattr(fee_type, key) for key in catalogue.CSV_COLUMNS}
    else:
        values = {"revenue_type": "state", "amount_kind": "fixed", "active": True}
    return render_template("bills/fee_type_form.html", fee_type=fee_type, values=values,
                           errors=errors, message=message), (422 if errors else 200)


@bp.route("/admin/fee-types/import", methods=["GET", "POST"])
@requires(Permission.FEE_TYPE_MANAGE)
def import_fee_types():
    errors, message = {}, None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors, message = {"file": ["กรุณาเลือกไฟล์ CSV"]}, "ยังไม่ได้เลือกไฟล์"
        else:
            db = session()
            try:
                report = catalogue.import_fee_types_csv(db, page_actor(), upload.read())
                db.commit()
                flash(f"นำเข้าแล้ว: เพิ่ม {report.added} รายการ ปรับปรุง {report.updated} รายการ",
                      "success")
                return redirect(url_for("bills.fee_types"), code=303)
            except Invalid as exc:
                db.rollback()
                errors, message = exc.errors, exc.message
    return render_template("bills/fee_type_import.html", errors=errors, message=message,
                           columns=catalogue.CSV_COLUMNS), (422 if errors else 200)


@bp.get("/admin/fee-types.csv")
@requires(Permission.FEE_TYPE_MANAGE)
def export_fee_types():
    body = "\ufeff" + catalogue.export_fee_types_csv(session())
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=fee-types-{date.today():%Y%m%d}.csv"})
