"""Decode what we print: every bill PDF, rasterised at 300 dpi, gives back exactly the
barcode text and the Thai QR payload of that bill (zxing-cpp, independent of us)."""

from decimal import Decimal

import pytest

from billpay.bills import services as bills
from billpay.bills.documents import bill_pdf
from billpay.codes import parse_qr_payload
from tests.documents.pdfcheck import base_letters, decode_codes, pdf_text, rasterise

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})


@pytest.mark.parametrize("items, payer", [
    ([("FA01", 1)], "นายหนึ่ง ทดสอบ"),
    ([("HT01", 1, Decimal("3649.22")), ("CP01", 12)], "บริษัท ที่พักริมน้ำ จำกัด"),
    ([("DP01", 1, Decimal("9876543.21"))], "ห้างหุ้นส่วนจำกัด ผู้ใหญ่ลี้"),
])
def test_printed_codes_decode_to_the_bill(db, clerk_actor, items, payer):
    bill = bills.issue_bill(db, clerk_actor, bills.NewBill(
        payer_name=payer, items=[bills.NewBillItem(*i) for i in items]), CONFIG)
    codes = bills.bill_codes(bill)
    pdf = bill_pdf(bill, agency_name="กรมการปกครอง").getvalue()
    (page,) = rasterise(pdf, dpi=300)
    found = decode_codes(page)
    assert found.get("Code128") == [codes.barcode_data]
    assert found.get("QRCode") == [codes.qr_payload]
    assert parse_qr_payload(found["QRCode"][0]).ref1 == bill.ref1
    text = base_letters(pdf_text(pdf))
    for expected in (bill.ref1, bill.ref2, f"{bill.total:,.2f}", base_letters(payer)):
        assert expected in text
