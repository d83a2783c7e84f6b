"""JSON (and form) shapes of bills and fee types."""

from __future__ import annotations

from marshmallow import fields, post_load, validate

from billpay.bills.services import NewBill, NewBillItem
from billpay.schemas import THAI_MESSAGES, BaseSchema, Money, Text, ThaiId

PHONE = validate.Regexp(r"^[0-9+\- ]{6,20}$", error="หมายเลขโทรศัพท์ไม่ถูกต้อง")


class BillItemIn(BaseSchema):
    fee_type = Text(20, required=True, metadata={"description": "fee-type code"})
    quantity = fields.Integer(
        load_default=1, strict=False, validate=validate.Range(1, 999, error="จำนวนต้องอยู่ระหว่าง 1–999"),
        error_messages={"invalid": "จำนวนต้องเป็นจำนวนเต็ม", **THAI_MESSAGES})
    amount = Money(load_default=None, allow_none=True,
                   metadata={"description": "unit amount in baht; required for variable fees"})

    @post_load
    def make(self, data, **kwargs) -> NewBillItem:
        return NewBillItem(**data)


class BillIn(BaseSchema):
    payer_name = Text(200, required=True)
    payer_id = ThaiId(load_default=None, allow_none=True,
                      metadata={"description": "13-digit Thai ID or tax ID"})
    payer_address = Text(500, load_default=None, allow_none=True)
    payer_phone = Text(20, load_default=None, allow_none=True, validate=PHONE)
    due_date = fields.Date(load_default=None, allow_none=True,
                           error_messages={"invalid": "วันที่ไม่ถูกต้อง (YYYY-MM-DD)"})
    office_code = Text(4, load_default=None, allow_none=True)
    items = fields.List(fields.Nested(BillItemIn), required=True,
                        validate=validate.Length(1, 20, error="ใบแจ้งหนึ่งใบมีได้ 1–20 รายการ"),
                        error_messages=THAI_MESSAGES)

    @post_load
    def make(self, data, **kwargs) -> NewBill:
        return NewBill(**data)


class BillItemOut(BaseSchema):
    line_no = fields.Integer()
    fee_type = fields.Function(lambda item: item.fee_type.code)
    description = fields.String()
    quantity = fields.Integer()
    unit_amount = Money()
    amount = Money()


class BillOut(BaseSchema):
    ref1 = fields.String()
    ref2 = fields.String()
    biller_id = fields.String()
    office_code = fields.Function(lambda bill: bill.office.code)
    revenue_type = fields.String()
    payer_name = fields.String()
    payer_id = fields.String()
    payer_address = fields.String()
    payer_phone = fields.String()
    amount = Money(attribute="total")
    amount_in_words = fields.Method("_words")
    status = fields.String()
    trial = fields.Boolean(metadata={"description": "issued in the trial period (ทดลอง): "
                                                    "Ref1 mode digit 9, not a real bill"})
    due_date = fields.Date()
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime()
    cancel_reason = fields.String()
    items = fields.List(fields.Nested(BillItemOut))
    barcode_data = fields.Method("_barcode")
    qr_payload = fields.Method("_qr")
    pdf_url = fields.Method("_pdf_url")

    def _codes(self, bill):
        from billpay.bills.services import bill_codes

        return bill_codes(bill)

    def _barcode(self, bill):
        return self._codes(bill).barcode_data

    def _qr(self, bill):
        return self._codes(bill).qr_payload

    def _words(self, bill):
        from billpay.bahttext import bahttext

        return bahttext(bill.total)

    def _pdf_url(self, bill):
        from flask import url_for

        return url_for("api_bills.BillPdf", ref1=bill.ref1, _external=True)


class CancelIn(BaseSchema):
    reason = Text(500, required=True)


class BillListArgs(BaseSchema):
    q = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["issued", "paid", "cancelled", "expired"], error="สถานะไม่ถูกต้อง"))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(1, 200))


class FeeTypeOut(BaseSchema):
    code = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    revenue_type = fields.String()
    amount_kind = fields.String()
    default_amount = Money()
    active = fields.Boolean()


class OfficeOut(BaseSchema):
    code = fields.String()
    kind = fields.String()
    province_code = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    display_name = fields.String()


class OfficeListArgs(BaseSchema):
    province = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(
        ["central", "province", "district"]))
