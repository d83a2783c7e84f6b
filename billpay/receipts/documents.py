"""From a Receipt to its printable PDF (the drawing itself is in
``billpay.documents.receipt_pdf``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from billpay.bahttext import bahttext
from billpay.bills.models import REVENUE_TYPE_LABELS_TH, RevenueType
from billpay.documents.receipt_pdf import ReceiptDocument, ReceiptLine, render_receipt_pdf
from billpay.errors import Conflict
from billpay.i18n import N_
from billpay.money import format_amount
from billpay.payments.models import PaymentMethod
from billpay.receipts.models import Receipt, ReceiptSeries, ReceiptStatus
from billpay.receipts.services import ReceiptConfig, verification_url
from billpay.thaidate import thai_date, thai_datetime

DEFAULT_AGENCY = "กรมการปกครอง"

#: the bank's transaction code in the settlement file, as a payer reads it
CHANNEL_LABELS_TH = {
    "CSH": "เงินสดที่เคาน์เตอร์ธนาคาร",
    "CHQ": "เช็ค",
    "TRF": "โอนเงิน",
    "ATM": "ตู้ ATM",
    "INT": "อินเทอร์เน็ตแบงก์กิ้ง",
    "MOB": "โมบายแบงก์กิ้ง",
    "CTR": "ชำระ ณ ที่ทำการ",
    "PPR": "ใบเสร็จกระดาษ",
}

STATUS_LABELS_TH = {ReceiptStatus.VALID: N_("ใช้ได้"), ReceiptStatus.CANCELLED: N_("ยกเลิก")}
SERIES_LABELS_TH = {ReceiptSeries.ELECTRONIC: "อิเล็กทรอนิกส์", ReceiptSeries.PAPER: "กระดาษ"}


def bank_name(code: str | None) -> str:
    """Thai name of a bank by its Bank of Thailand code (the settlement module's table)."""
    from billpay.settlement.reconcile import bank_name as _bank_name

    return _bank_name(code)


def channel_label(code: str | None) -> str:
    if not code:
        return "-"
    label = CHANNEL_LABELS_TH.get(code.strip().upper())
    return f"{code} ({label})" if label else code


def payment_description(receipt: Receipt) -> tuple[str, tuple[tuple[str, str], ...]]:
    """How the receipt's money came in: a headline and (label, value) details."""
    payment = receipt.payment
    if payment is None:
        if receipt.series == ReceiptSeries.PAPER:
            details = [("เลขที่อ้างอิง", receipt.payment_reference)] if receipt.payment_reference else []
            return "บันทึกจากใบเสร็จกระดาษ (รอรายการชำระ)", tuple(details)
        return "-", ()
    when = thai_datetime(payment.paid_at)
    if payment.method == PaymentMethod.BANK:
        details = [("ธนาคาร", bank_name(payment.bank_code) or "-"),
                   ("สาขา", payment.branch or "-"),
                   ("ช่องทาง/รหัสรายการ", channel_label(payment.channel)),
                   ("เลขอ้างอิงธนาคาร", payment.bank_reference or "-"),
                   ("วันเวลาที่ชำระ", when),
                   ("บันทึกเข้าระบบ", thai_datetime(payment.recorded_at))]
        return "ชำระผ่านธนาคาร (Bill Payment)", tuple(details)
    if payment.method == PaymentMethod.TRANSFER:
        return "โอนเงิน (แสดงหลักฐาน ณ ที่ทำการ)", (
            ("เลขที่อ้างอิงการโอน", payment.bank_reference or "-"), ("วันเวลาที่รับชำระ", when))
    details = [("วันเวลาที่รับชำระ", when)]
    if payment.bank_reference:
        details.insert(0, ("เลขที่อ้างอิง", payment.bank_reference))
    return "เงินสด ณ ที่ทำการ", tuple(details)


def _lines(receipt: Receipt) -> tuple[ReceiptLine, ...]:
    bill = receipt.bill
    if bill is None:
        return (ReceiptLine("รับชำระเงิน", 1, format_amount(receipt.amount)),)
    lines = [ReceiptLine(item.description, item.quantity, format_amount(item.amount))
             for item in bill.items]
    listed = sum((item.amount for item in bill.items), Decimal("0.00"))
    if listed != receipt.amount:
        # a settlement exception resolved by accepting a different amount
        difference = receipt.amount - listed
        lines.append(ReceiptLine("ส่วนต่างตามยอดที่ได้รับชำระจริง", 1,
                                 ("-" if difference < 0 else "") + format_amount(abs(difference))))
    return tuple(lines)


def receipt_document(receipt: Receipt, *, copy_no: int, config: ReceiptConfig,
                     agency_name: str = DEFAULT_AGENCY, printed_at: datetime | None = None,
                     printed_by: str = "") -> ReceiptDocument:
    """The receipt as printed for the ``copy_no``-th time (0 = the original)."""
    if receipt.series != ReceiptSeries.ELECTRONIC:
        raise Conflict("ใบเสร็จกระดาษพิมพ์จากระบบไม่ได้ ใบเสร็จฉบับจริงคือใบที่ออกจากเล่มกระดาษ")
    method, details = payment_description(receipt)
    bill = receipt.bill
    revenue = ""
    if bill is not None:
        revenue = REVENUE_TYPE_LABELS_TH.get(RevenueType(bill.revenue_type), "")
    replaces = None
    if receipt.replaces is not None:
        replaces = (f"ออกแทนใบเสร็จเล่มที่ {receipt.replaces.book} เลขที่ "
                    f"{receipt.replaces.number} ซึ่งยกเลิกแล้ว")
    return ReceiptDocument(
        agency_name=agency_name,
        office_name=receipt.office.display_name,
        office_code=receipt.office.code,
        book=receipt.book,
        number=str(receipt.number),
        fiscal_year=str(receipt.fiscal_year),
        date_text=thai_date(receipt.issued_at),
        payer_name=receipt.payer_name,
        bill_ref1=bill.ref1 if bill is not None else None,
        lines=_lines(receipt),
        total_text=format_amount(receipt.amount),
        total_in_words=bahttext(receipt.amount),
        payment_method=method,
        payment_details=details,
        issuer_name=receipt.issuer_name,
        issuer_position=receipt.issuer_position,
        verification_url=verification_url(receipt, config),
        copy_no=copy_no,
        printed_text=thai_datetime(printed_at) if printed_at else "",
        printed_by=printed_by,
        system_issued=receipt.issued_by_id is None,
        replaces_text=replaces,
        cancelled=receipt.status == ReceiptStatus.CANCELLED,
        cancelled_text=thai_date(receipt.cancelled_at) if receipt.cancelled_at else "",
        cancel_reason=receipt.cancel_reason or "",
        revenue_type_label=revenue,
        trial=receipt.trial,
    )


def receipt_pdf(receipt: Receipt, *, copy_no: int, config: ReceiptConfig,
                agency_name: str = DEFAULT_AGENCY, printed_at: datetime | None = None,
                printed_by: str = "") -> bytes:
    return render_receipt_pdf(receipt_document(
        receipt, copy_no=copy_no, config=config, agency_name=agency_name,
        printed_at=printed_at, printed_by=printed_by))
