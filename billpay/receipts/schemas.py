"""JSON shapes of receipts (flask-smorest / marshmallow)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from billpay.receipts.models import ReceiptStatus
from billpay.schemas import BaseSchema, Money
from billpay.thaidate import parse_thai_date


class ThaiOrIsoDate(fields.Field):
    """A date as ``2026-11-22`` (Christian era) or ``22/11/2569`` (Buddhist era)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("วันที่ไม่ถูกต้อง")
        try:
            return parse_thai_date(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class ReceiptListArgs(BaseSchema):
    office = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{2}(\d{2})?$", error="รหัสหน่วยงานต้องเป็นตัวเลข 2 หรือ 4 หลัก"),
        metadata={"description": "office code, e.g. 50 or 5001"})
    fiscal_year = fields.Integer(load_default=None, validate=validate.Range(
        2400, 2800, error="ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2570"),
        metadata={"description": "Buddhist-era fiscal year, e.g. 2570"})
    date_from = ThaiOrIsoDate(load_default=None, data_key="from",
                              metadata={"description": "paid on or after (Bangkok day)"})
    date_to = ThaiOrIsoDate(load_default=None, data_key="to",
                            metadata={"description": "paid on or before (Bangkok day)"})
    status = fields.String(load_default=None, validate=validate.OneOf(
        [s.value for s in ReceiptStatus], error="สถานะต้องเป็น valid หรือ cancelled"))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class ReceiptOut(BaseSchema):
    id = fields.Integer()
    office_code = fields.Function(lambda r: r.office.code)
    fiscal_year = fields.Integer()
    series = fields.String(metadata={"enum": ["e", "paper"],
                                     "description": "e: issued by billpay; paper: a paper "
                                                    "book used during an outage"})
    book = fields.String(metadata={"description": "เล่มที่"})
    number = fields.Integer(metadata={"description": "เลขที่"})
    amount = Money()
    amount_in_words = fields.Method("_words")
    payer_name = fields.String()
    status = fields.String(metadata={"enum": ["valid", "cancelled"]})
    trial = fields.Boolean(metadata={"description": "a trial-period receipt (ทดลอง), numbered "
                                                    "from its own series: not a real receipt"})
    bill_ref1 = fields.Method("_ref1")
    issued_at = fields.DateTime(metadata={"description": "when the payer paid"})
    recorded_at = fields.DateTime()
    issuer_name = fields.String()
    issuer_position = fields.String()
    print_count = fields.Integer()
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_kind = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    replaces_id = fields.Integer(allow_none=True)
    verification_url = fields.Method("_verification_url")
    pdf_url = fields.Method("_pdf_url")

    def _words(self, receipt):
        from billpay.bahttext import bahttext

        return bahttext(receipt.amount)

    def _ref1(self, receipt):
        return receipt.bill.ref1 if receipt.bill is not None else None

    def _verification_url(self, receipt):
        from flask import current_app

        from billpay.receipts.services import verification_url

        if receipt.series != "e":
            return None
        return verification_url(receipt, current_app.extensions["billpay.receipts"])

    def _pdf_url(self, receipt):
        from flask import url_for

        if receipt.series != "e":
            return None
        return url_for("api_receipts.ReceiptPdf", receipt_id=receipt.id, _external=True)
