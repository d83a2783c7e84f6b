"""``/api/v1/receipts``: search, one receipt, its PDF (each PDF request is a print:
the first is the original, later ones are copies)."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from billpay.api.auth import current_actor
from billpay.api.views import ApiBlueprint
from billpay.db import session, utcnow
from billpay.errors import NotFound
from billpay.receipts import services as receipts
from billpay.receipts.documents import receipt_pdf
from billpay.receipts.models import ReceiptSeries
from billpay.receipts.schemas import ReceiptListArgs, ReceiptOut

receipts_blp = ApiBlueprint("api_receipts", __name__, url_prefix="/api/v1/receipts",
                            description="Receipts (ใบเสร็จรับเงิน)")


@receipts_blp.route("")
class Receipts(MethodView):
    @receipts_blp.arguments(ReceiptListArgs, location="query")
    @receipts_blp.response(200, ReceiptOut(many=True), headers={
        "X-Total-Count": {"description": "receipts matching in all pages",
                          "schema": {"type": "integer"}}})
    def get(self, args):
        """Search the receipts the caller may see, in register order (office, fiscal
        year, series, number). Another office's receipts are simply not listed."""
        query = receipts.ReceiptQuery(
            office_code=args["office"], fiscal_year=args["fiscal_year"],
            date_from=args["date_from"], date_to=args["date_to"], status=args["status"],
            page=args["page"], per_page=args["per_page"])
        rows, total = receipts.search_receipts(session(), current_actor(), query)
        return rows, {"X-Total-Count": str(total)}


@receipts_blp.route("/<int:receipt_id>")
class ReceiptOne(MethodView):
    @receipts_blp.response(200, ReceiptOut)
    def get(self, receipt_id):
        """One receipt (404 if it does not exist or belongs to an office out of scope)."""
        return receipts.get_receipt(session(), current_actor(), receipt_id)


@receipts_blp.route("/<int:receipt_id>/pdf")
class ReceiptPdf(MethodView):
    @receipts_blp.response(200, content_type="application/pdf")
    def get(self, receipt_id):
        """The printable receipt (A5). Counts as a print: the first is the original,
        every later one is marked สำเนา (COPY) with its print number."""
        actor = current_actor()
        db = session()
        receipt = receipts.get_receipt(db, actor, receipt_id, for_update=True)
        if receipt.series != ReceiptSeries.ELECTRONIC:
            raise NotFound("ใบเสร็จกระดาษไม่มีฉบับพิมพ์จากระบบ")
        now = utcnow()
        copy_no = receipts.record_print(db, actor, receipt, clock=lambda: now)
        body = receipt_pdf(receipt, copy_no=copy_no,
                           config=current_app.extensions["billpay.receipts"],
                           agency_name=current_app.config["BILLPAY"]["AGENCY_NAME"],
                           printed_at=now, printed_by=actor.name)
        db.commit()
        kind = "copy" if copy_no else "original"
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="receipt-{receipt.id}-{kind}.pdf"',
            "X-Receipt-Copy": str(copy_no), "Cache-Control": "no-store"})
