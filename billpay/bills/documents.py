"""From a Bill to its printable PDF (the drawing itself is in ``billpay.documents``)."""

from __future__ import annotations

import io

from billpay.bahttext import bahttext
from billpay.bills.models import REVENUE_TYPE_LABELS_TH, Bill, BillStatus, RevenueType
from billpay.bills.services import bill_codes
from billpay.documents.bill_pdf import BillDocument, BillLine, render_bill_pdf
from billpay.money import format_amount
from billpay.thaidate import thai_date, thai_datetime

DEFAULT_AGENCY = "กรมการปกครอง"


def bill_document(bill: Bill, *, agency_name: str = DEFAULT_AGENCY) -> BillDocument:
    codes = bill_codes(bill)
    revenue_label = REVENUE_TYPE_LABELS_TH[RevenueType(bill.revenue_type)]
    watermark = None
    if bill.status == BillStatus.CANCELLED:
        watermark = "ยกเลิก / CANCELLED"
    if bill.trial:
        # a trial bill says so on every page, also when cancelled
        watermark = "ทดลอง · ยกเลิก / TRIAL" if watermark else "ทดลอง / TRIAL"
    return BillDocument(
        agency_name=agency_name,
        office_name=bill.office.display_name,
        office_code=bill.office.code,
        biller_name=f"{agency_name} ({revenue_label})",
        revenue_type_label=revenue_label,
        payer_name=bill.payer_name,
        payer_id=bill.payer_id,
        payer_address=bill.payer_address,
        payer_phone=bill.payer_phone,
        lines=tuple(
            BillLine(description=item.description, quantity=item.quantity,
                     unit_amount_text=format_amount(item.unit_amount),
                     amount_text=format_amount(item.amount))
            for item in bill.items
        ),
        total_text=format_amount(bill.total),
        total_in_words=bahttext(bill.total),
        issued_text=thai_datetime(bill.created_at),
        due_date_text=thai_date(bill.due_date),
        biller_id=bill.biller_id,
        ref1=bill.ref1,
        ref2=bill.ref2,
        barcode_data=codes.barcode_data,
        qr_payload=codes.qr_payload,
        issued_by=bill.created_by.full_name if bill.created_by else "",
        watermark=watermark,
    )


def bill_pdf(bill: Bill, *, agency_name: str | None = None) -> io.BytesIO:
    if agency_name is None:
        from flask import current_app, has_app_context

        agency_name = (current_app.config["BILLPAY"]["AGENCY_NAME"] if has_app_context()
                       else DEFAULT_AGENCY)
    return io.BytesIO(render_bill_pdf(bill_document(bill, agency_name=agency_name)))
