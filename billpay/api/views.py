"""JSON endpoints under /api/v1, documented at /api/openapi.json and /api/docs."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app, render_template, send_file
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from billpay.accounts.permissions import Permission
from billpay.api.auth import current_actor
from billpay.bills import catalogue
from billpay.bills import services as bills
from billpay.bills.documents import bill_pdf
from billpay.bills.schemas import (
    BillIn,
    BillListArgs,
    BillOut,
    CancelIn,
    FeeTypeOut,
    OfficeListArgs,
    OfficeOut,
)
from billpay.db import session
from billpay.offices.services import list_offices


class DecimalJSONParser(FlaskParser):
    """Reads JSON numbers with a fraction as Decimal: money never passes through float."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        import json

        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"not UTF-8: {exc.reason}", "", 0) from exc
        return json.loads(text, parse_float=Decimal)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        from flask_smorest import abort

        abort(400, message="รูปแบบ JSON ไม่ถูกต้อง", errors={"json": [str(error)]})


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = DecimalJSONParser()


class BillpayApi(Api):
    def _register_error_handlers(self):
        """billpay's own handlers (app.py) answer every error in one shape."""


bills_blp = ApiBlueprint("api_bills", __name__, url_prefix="/api/v1/bills",
                         description="Bills (ใบแจ้งการชำระเงิน)")
reference_blp = ApiBlueprint("api_reference", __name__, url_prefix="/api/v1",
                             description="Reference data: fee types and offices")


def _billing():
    return current_app.extensions["billpay.billing"]


@bills_blp.route("")
class Bills(MethodView):
    @bills_blp.arguments(BillListArgs, location="query")
    @bills_blp.response(200, BillOut(many=True))
    def get(self, args):
        """Search the bills the caller may see (newest first)."""
        query = bills.BillQuery(text=args["q"], status=args["status"],
                                date_from=args["date_from"], date_to=args["date_to"],
                                page=args["page"], per_page=args["per_page"])
        rows, _total = bills.search_bills(session(), current_actor(), query)
        return rows

    @bills_blp.arguments(BillIn)
    @bills_blp.response(201, BillOut)
    def post(self, new_bill):
        """Issue a bill at the caller's office."""
        db = session()
        bill = bills.issue_bill(db, current_actor(), new_bill, _billing())
        db.commit()
        return bill


@bills_blp.route("/<ref1>")
class BillOne(MethodView):
    @bills_blp.response(200, BillOut)
    def get(self, ref1):
        """One bill by Ref1."""
        return bills.get_bill(session(), current_actor(), ref1)


@bills_blp.route("/<ref1>/pdf")
class BillPdf(MethodView):
    @bills_blp.response(200, content_type="application/pdf")
    def get(self, ref1):
        """The printable bill (A4 PDF with barcode and Thai QR)."""
        bill = bills.get_bill(session(), current_actor(), ref1)
        return send_file(bill_pdf(bill), mimetype="application/pdf",
                         download_name=f"bill-{bill.ref1}.pdf")


@bills_blp.route("/<ref1>/cancel")
class BillCancel(MethodView):
    @bills_blp.arguments(CancelIn)
    @bills_blp.response(200, BillOut)
    def post(self, args, ref1):
        """Cancel an unpaid bill, with a reason."""
        db = session()
        bill = bills.cancel_bill(db, current_actor(), ref1, args["reason"])
        db.commit()
        return bill


@reference_blp.route("/fee-types")
class FeeTypes(MethodView):
    @reference_blp.response(200, FeeTypeOut(many=True))
    def get(self):
        """The active fee types."""
        current_actor().require(Permission.REFERENCE_READ)
        return catalogue.list_fee_types(session())


@reference_blp.route("/offices")
class Offices(MethodView):
    @reference_blp.arguments(OfficeListArgs, location="query")
    @reference_blp.response(200, OfficeOut(many=True))
    def get(self, args):
        """Provincial and district offices (interior-ministry codes)."""
        current_actor().require(Permission.REFERENCE_READ)
        return list_offices(session(), province_code=args["province"], kind=args["kind"])


def register_api(app: Flask) -> None:
    from billpay.app import csrf
    from billpay.receipts.api import receipts_blp
    from billpay.reports.views import reports_blp
    from billpay.settlement.api import settlement_files_blp

    api = BillpayApi(app, spec_kwargs={"info": {
        "description": "billpay: bills, settlement and receipts for the Department of "
                       "Provincial Administration. Authenticate with `Authorization: Bearer "
                       "<token>` (`billpay tokens create`). Errors: "
                       '`{"code", "status", "message", "errors"}`.'}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for blp in (bills_blp, reference_blp, settlement_files_blp, receipts_blp, reports_blp):
        csrf.exempt(blp)
        api.register_blueprint(blp)

    @app.get("/api/docs")
    def api_docs():
        """A readable page of the OpenAPI document, served locally (no CDN)."""
        return render_template("api_docs.html", spec=api.spec.to_dict())
