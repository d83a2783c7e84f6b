"""PDF builders: pure functions from document data to PDF bytes (no Flask, no database).

Thai text is shaped with HarfBuzz (Sarabun, see :mod:`billpay.documents.fonts`);
barcodes and QR codes are vector drawings (:mod:`billpay.documents.codes_drawing`).
"""

from billpay.documents.bill_pdf import BillDocument, BillLine, render_bill_pdf

__all__ = ["BillDocument", "BillLine", "render_bill_pdf"]
