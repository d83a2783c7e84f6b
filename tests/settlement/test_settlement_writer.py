"""Writing settlement files: byte-for-byte the fixtures, and refusing what cannot be written."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from billpay.settlement.parser import parse_settlement, validate_settlement
from billpay.settlement.records import BANGKOK, KRUNGTHAI, SCB, Detail
from billpay.settlement.writer import (
    BatchSpec,
    PaymentSpec,
    format_detail,
    format_header,
    format_trailer,
    write_settlement,
    write_settlement_to,
)

FIXTURES = Path(__file__).parent / "fixtures"


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


def test_writer_reproduces_the_scb_fixture_with_crlf_and_biller_id():
    payments = [
        PaymentSpec(paid_at=bkk(2026, 12, 1, 0, 0, 1), customer_name="MR. JOHN SMITH",
                    ref1="AB12CD34", ref2="12345", amount=Decimal("50.00"), branch="0001",
                    teller="0001", txn_code="ATM", biller_id="099400016543210"),
        PaymentSpec(paid_at=bkk(2026, 12, 1, 23, 59, 59), customer_name="ด.ญ. ปิยะนุช แก้วมณี",
                    ref1="ab12cd34", ref2="0000012345", amount=Decimal("1.00"), branch="0101",
                    teller="0007", txn_code="MOB", biller_id="099400016543210"),
    ]
    data = write_settlement([BatchSpec("014", "1112223334", "DEPT OF PROVINCIAL ADMINISTRATION",
                                       date(2026, 12, 1), payments)], line_ending=b"\r\n")
    assert data == (FIXTURES / "scb_014_crlf.txt").read_bytes()


def test_writer_reproduces_the_bbl_fixture_with_commission_and_no_final_newline():
    payments = [
        PaymentSpec(paid_at=bkk(2027, 1, 5, 12, 0, 0), customer_name="นายทองดี มีสุข",
                    ref1="3500100022222", amount=Decimal("200.00"), branch="0101",
                    teller="0007"),
        PaymentSpec(paid_at=bkk(2027, 1, 5, 12, 5, 0), customer_name="นางมาลี ศรีงาม",
                    ref1="3500100033333", amount=Decimal("300.00"), branch="0101",
                    teller="0007"),
    ]
    batch = BatchSpec("002", "2223334445", "กรมการปกครอง", date(2027, 1, 5), payments,
                      commission_amount=Decimal("30.00"), commission_count=2)
    data = write_settlement([batch], final_line_ending=False)
    assert data == (FIXTURES / "bbl_002_no_final_newline.txt").read_bytes()


def test_single_records_are_256_bytes_with_fields_in_place():
    header = format_header(bank_code="006", account="0012345678", company_name="กรมการปกครอง",
                           effective_date=date(2026, 11, 22), service_code="DOPA01",
                           buddhist_era=True)
    assert len(header) == 256 and header[60:68] == b"22112569" and header[68:76] == b"DOPA01  "
    detail = format_detail(seq=2, bank_code="006", account="0012345678",
                           paid_at=bkk(2026, 11, 22, 8, 30, 15), customer_name="นาย\xa0สมชาย",
                           ref1="3101700012345", amount=Decimal("3649.22"), payer_bank="014",
                           cheque_bank="002", kind="D")
    assert len(detail) == 256
    assert detail[34:84] == "นาย\xa0สมชาย".encode("cp874").ljust(50)
    assert detail[34:44] == b"\xb9\xd2\xc2\xa0\xca\xc1\xaa\xd2\xc2 "  # one byte a letter
    assert detail[152:153] == b"D" and detail[163:176] == b"0000000364922"
    assert detail[176:179] == b"002" and detail[243:246] == b"014"
    trailer = format_trailer(seq=3, bank_code="006", account="0012345678",
                             debit_amount=Decimal("3649.22"), debit_count=1,
                             credit_amount=Decimal("0"), credit_count=0)
    assert trailer[:58] == b"T0000030060012345678" + b"0000000364922000001" + b"0" * 19


def test_streaming_writer_takes_generators():
    def payments():
        for minute in range(60):
            yield PaymentSpec(paid_at=bkk(2026, 11, 22, 9, minute), customer_name="ก",
                              ref1=f"R{minute}", amount=Decimal("20.00"))

    out = io.BytesIO()
    written = write_settlement_to(out, (BatchSpec("006", "0012345678", "DOPA", date(2026, 11, 22),
                                                  payments()) for _ in range(2)))
    assert written == 2 * 62
    summary = validate_settlement(io.BytesIO(out.getvalue()), "gen.txt")
    assert [b.credit_amount for b in summary.batches] == [Decimal("1200.00")] * 2


def test_amounts_are_exact_whatever_the_decimal_context():
    with localcontext() as ctx:
        ctx.prec = 4  # a caller's odd context must not round money
        data = write_settlement([BatchSpec("030", "0000000001", "x", date(2026, 11, 22), [
            PaymentSpec(paid_at=bkk(2026, 11, 22, 9, 0), customer_name="a", ref1="r",
                        amount=Decimal("99999999999.99"))])])
        detail = [r for r in parse_settlement(io.BytesIO(data), filename="x")
                  if isinstance(r, Detail)][0]
        summary = validate_settlement(io.BytesIO(data), "x")
    assert detail.amount == Decimal("99999999999.99")
    assert summary.credit_amount == Decimal("99999999999.99")


def spec(**changes) -> dict:
    fields = dict(seq=2, bank_code="030", account="0000000001", paid_at=bkk(2026, 11, 22, 9, 0),
                  customer_name="ก", ref1="R", amount=Decimal("1.00"))
    return fields | changes


@pytest.mark.parametrize(("changes", "words"), [
    ({"paid_at": datetime(2026, 11, 22, 9, 0)}, "no time zone"),
    ({"amount": Decimal("1.001")}, "not a non-negative amount in satang"),
    ({"amount": Decimal("-1.00")}, "not a non-negative amount in satang"),
    ({"amount": Decimal("100000000000.00")}, "does not fit 13 digits"),
    ({"amount": 1.0}, "not a finite Decimal"),
    ({"customer_name": "ก" * 51}, "51 bytes, over 50"),
    ({"customer_name": "สมชาย 😀"}, "cannot be written in cp874"),
    ({"ref1": "A\tB"}, "control characters"),
    ({"kind": "X"}, "neither C nor D"),
    ({"account": "12345"}, "is not 10 digits"),
    ({"bank_code": "๐๐๖"}, "is not 3 digits"),  # Thai digits are not digits here
    ({"seq": 1_000_000}, "does not fit 6 digits"),
    ({"cheque_bank": "2"}, "is not 3 digits"),
    ({"payer_bank": "014"}, "no place for it"),  # bank 030 has no payer bank field
    ({"bank_code": "014", "variant": SCB, "payer_bank": "014"}, "no place for it"),
])
def test_writer_refuses_values_the_format_cannot_hold(changes, words):
    with pytest.raises(ValueError, match=words):
        format_detail(**spec(**changes))


def test_writer_places_variant_fields_by_the_variant_given():
    detail = format_detail(**spec(variant=KRUNGTHAI, payer_bank="", biller_id=None))
    assert detail[243:246] == b"   "
    with pytest.raises(ValueError, match="commission"):
        write_settlement([BatchSpec("006", "0012345678", "x", date(2026, 11, 22), [],
                                    commission_amount=Decimal("1.00"))])
