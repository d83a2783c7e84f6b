"""Reading the bank settlement file: every variant and every structural error.

Fixtures are built by ``fixtures/make_fixtures.py`` from the spec's byte
positions, independently of the code under test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from billpay.settlement import parser as parser_module
from billpay.settlement.parser import SettlementFileError, parse_settlement, validate_settlement
from billpay.settlement.records import (
    BANGKOK,
    DEFAULT_VARIANTS,
    BankVariant,
    Detail,
    Header,
    Trailer,
)

FIXTURES = Path(__file__).parent / "fixtures"


def parse(name: str, **kwargs) -> list[Header | Detail | Trailer]:
    with (FIXTURES / name).open("rb") as fp:
        return list(parse_settlement(fp, filename=name, **kwargs))


def validate(name: str, **kwargs):
    with (FIXTURES / name).open("rb") as fp:
        return validate_settlement(fp, name, **kwargs)


def details(records) -> list[Detail]:
    return [r for r in records if isinstance(r, Detail)]


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


# --- valid files, one per bank variant and line-ending case ------------------------

def test_krungthai_payments_reversal_cheque_and_payer_bank():
    records = parse("ktb_006.txt")
    assert [type(r) for r in records] == [Header, Detail, Detail, Detail, Detail, Trailer]
    head, first, cheque, buddhist, reversal, tail = records

    assert head == Header(line_no=1, seq=1, bank_code="006", account="0012345678",
                          company_name="กรมการปกครอง", effective_date=date(2026, 11, 22),
                          service_code="DOPA01", raw=head.raw)
    assert first.customer_name == "นาย\xa0สมชาย ใจดี"  # byte 0xA0 kept as U+00A0
    assert first.ref1 == "3101700012345" and first.ref2 == "INV6900000123" and first.ref3 == ""
    assert first.amount == Decimal("3649.22") and isinstance(first.amount, Decimal)
    assert str(first.amount) == "3649.22"
    assert first.paid_at == bkk(2026, 11, 22, 8, 30, 15)
    assert first.paid_at.utcoffset().total_seconds() == 7 * 3600
    assert (first.branch, first.teller, first.kind, first.txn_code) == ("0101", "0007", "C", "CSH")
    assert (first.seq, first.line_no, first.payer_bank, first.biller_id) == (2, 2, "014", None)

    assert cheque.customer_name == "นางสาวกุ๊กไก่ น้ำใจเลิศ"  # tone marks intact
    assert (cheque.txn_code, cheque.cheque_no, cheque.cheque_bank) == ("CHQ", "0123456", "002")
    assert cheque.amount == Decimal("100.00") and cheque.payer_bank == "002"

    assert buddhist.paid_at == bkk(2026, 11, 22, 10, 15, 0)  # 2569 BE
    assert buddhist.customer_name == "บริษัท ก้าวหน้า๋ จำกัด (มหาชน)"
    assert buddhist.payer_bank == ""  # Krungthai left it blank

    assert reversal.kind == "D" and reversal.amount == Decimal("3649.22")
    assert tail == Trailer(line_no=6, seq=6, bank_code="006", account="0012345678",
                           debit_amount=Decimal("3649.22"), debit_count=1,
                           credit_amount=Decimal("6249.72"), credit_count=3, raw=tail.raw)

    raw_lines = (FIXTURES / "ktb_006.txt").read_bytes().split(b"\n")
    assert [r.raw for r in records] == raw_lines[:6]
    assert all(len(r.raw) == 256 for r in records)


def test_scb_biller_id_crlf_and_refs_kept_as_sent():
    head, upper, stripped, tail = parse("scb_014_crlf.txt")
    assert head.company_name == "DEPT OF PROVINCIAL ADMINISTRATION"
    assert upper.biller_id == stripped.biller_id == "099400016543210"
    assert upper.payer_bank is None
    # The bank upper-cased one Ref1 and stripped leading zeros off one Ref2: kept.
    assert (upper.ref1, upper.ref2) == ("AB12CD34", "12345")
    assert (stripped.ref1, stripped.ref2) == ("ab12cd34", "0000012345")
    assert upper.paid_at == bkk(2026, 12, 1, 0, 0, 1)
    assert stripped.paid_at == bkk(2026, 12, 1, 23, 59, 59)
    assert stripped.customer_name == "ด.ญ. ปิยะนุช แก้วมณี"
    assert all(not r.raw.endswith(b"\r") for r in (head, upper, stripped, tail))
    assert tail.credit_amount == Decimal("51.00")


def test_bbl_trailer_debit_is_commission_and_no_final_newline():
    records = parse("bbl_002_no_final_newline.txt")
    assert [type(r) for r in records] == [Header, Detail, Detail, Trailer]
    summary = validate("bbl_002_no_final_newline.txt")
    (batch,) = summary.batches
    assert batch.variant == "BBL"
    assert (batch.credit_count, batch.credit_amount) == (2, Decimal("500.00"))
    assert (batch.debit_count, batch.debit_amount) == (0, Decimal("0.00"))
    assert (batch.commission_count, batch.commission_amount) == (2, Decimal("30.00"))


def test_bbl_debit_fields_checked_when_not_configured_as_commission():
    with pytest.raises(SettlementFileError) as err:
        parse("bbl_002_no_final_newline.txt", variants={})
    assert (err.value.line, err.value.field) == (4, "debit_count")


def test_uob_trailing_blank_lines():
    summary = validate("uob_024_trailing_blank_lines.txt")
    assert summary.line_count == 6  # three records, three blank lines
    assert [b.variant for b in summary.batches] == ["UOB"]
    (detail,) = details(parse("uob_024_trailing_blank_lines.txt"))
    assert detail.amount == Decimal("0.01") and detail.ref1 == "1"


def test_generic_bank_crlf_dos_eof_and_spare_area_ignored():
    head, detail, tail = parse("generic_011_crlf_eof.txt")
    # Bank 011 has no variant: bytes in the spare area (positions 197–211, 244–246) are ignored.
    assert (detail.payer_bank, detail.biller_id) == (None, None)
    assert detail.amount == Decimal("999.99")
    assert validate("generic_011_crlf_eof.txt").batches[0].variant == "generic"


def test_dos_eof_byte_right_after_last_record():
    head, tail = parse("eof_byte_no_newline.txt")
    assert tail.raw.startswith(b"T000002") and len(tail.raw) == 256


def test_multi_batch_file_with_an_empty_batch():
    records = parse("multi_batch.txt")
    assert [r.line_no for r in records] == list(range(1, 13))
    summary = validate("multi_batch.txt")
    assert [(b.header_line, b.trailer_line, b.account, b.detail_count)
            for b in summary.batches] == [(1, 6, "0012345678", 4), (7, 10, "0099887766", 2),
                                          (11, 12, "0099887766", 0)]
    assert summary.detail_count == 6
    assert summary.credit_amount == Decimal("6279.72")
    assert summary.debit_amount == Decimal("3649.22")
    second = details(records)[4]
    assert (second.seq, second.line_no, second.customer_name) == (2, 8, "นายหนึ่ง")


def test_variant_mapping_is_configurable():
    ttb = BankVariant("TTB", biller_id_pos=(197, 211))
    detail = details(parse("generic_011_crlf_eof.txt", variants={"011": ttb}))[0]
    assert detail.biller_id == "123456789012345" and detail.payer_bank is None
    strict = BankVariant("TTB", payer_bank_pos=(244, 246))
    with pytest.raises(SettlementFileError) as err:
        parse("generic_011_crlf_eof.txt", variants={**DEFAULT_VARIANTS, "011": strict})
    assert (err.value.line, err.value.field, err.value.value) == (2, "payer_bank", "XYZ")


def test_file_summary_hash_and_size():
    data = (FIXTURES / "multi_batch.txt").read_bytes()
    summary = validate("multi_batch.txt")
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert summary.size == len(data)
    assert summary.filename == "multi_batch.txt"


@pytest.mark.parametrize("read_size", [1, 7, 255, 256, 257, 1000])
def test_any_read_size_gives_the_same_records(monkeypatch, read_size):
    expected = parse("scb_014_crlf.txt") + parse("multi_batch.txt")
    monkeypatch.setattr(parser_module, "CHUNK_SIZE", read_size)
    assert parse("scb_014_crlf.txt") + parse("multi_batch.txt") == expected


class TrickleStream:
    """A stream that returns fewer bytes than asked, like a socket or pipe."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def read(self, n: int = -1) -> bytes:
        chunk = self.data[self.pos:self.pos + min(n, self.step)]
        self.pos += len(chunk)
        return chunk


def test_short_reads():
    data = (FIXTURES / "ktb_006.txt").read_bytes()
    records = list(parse_settlement(TrickleStream(data, 100), filename="ktb_006.txt"))
    assert records == parse("ktb_006.txt")


# --- the records themselves ----------------------------------------------------------

def test_parsed_detail_is_a_real_frozen_detail():
    detail = details(parse("ktb_006.txt"))[0]
    assert type(detail) is Detail
    rebuilt = Detail(**{f.name: getattr(detail, f.name) for f in dataclasses.fields(Detail)})
    assert rebuilt == detail and hash(rebuilt) == hash(detail) and repr(rebuilt) == repr(detail)
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.amount = Decimal("0")  # type: ignore[misc]
    assert not hasattr(detail, "__dict__")
    assert pickle.loads(pickle.dumps(detail)) == detail
    assert "raw" not in repr(detail)


def test_fingerprint_is_the_documented_hash():
    detail = details(parse("ktb_006.txt"))[0]
    key = "\x1f".join(["settlement-detail-v1", "006", "0012345678", "20261122", "083015",
                       "3101700012345", "INV6900000123", "3649.22", "0101", "0007", "C"])
    assert detail.fingerprint == hashlib.sha256(key.encode()).hexdigest()


def test_fingerprint_same_payment_in_another_file_and_reversal_differs():
    alone = details(parse("ktb_006.txt"))
    in_multi = details(parse("multi_batch.txt"))[:4]
    assert [d.fingerprint for d in alone] == [d.fingerprint for d in in_multi]
    payment, reversal = alone[0], alone[3]
    assert (payment.ref1, payment.amount) == (reversal.ref1, reversal.amount)
    assert payment.fingerprint != reversal.fingerprint
    assert len({d.fingerprint for d in alone}) == 4


# --- one structural error per fixture: the exact line and field --------------------

ERRORS = [
    # fixture, line, field, words in the message
    ("err_short_record.txt", 3, "record", "is 255 bytes, not 256"),
    ("err_long_record.txt", 2, "record", "is 257 bytes, not 256"),
    ("err_detail_before_header.txt", 1, "record_type", "no header H"),
    ("err_missing_trailer_eof.txt", 5, "record_type", "has no trailer T"),
    ("err_missing_trailer_next_header.txt", 5, "record_type", "has no trailer T"),
    ("err_trailer_without_header.txt", 6, "record_type", "trailer outside a batch"),
    ("err_sequence_skip.txt", 3, "seq", "'000004' does not follow 000002; expected 000003"),
    ("err_bad_date.txt", 3, "date", "'31022026' is not a valid date"),
    ("err_bad_time.txt", 4, "time", "'240000' is not a valid time"),
    ("err_bad_amount.txt", 3, "amount", "'00000003649.2' is not 13 digits"),
    ("err_thai_digit_amount.txt", 2, "amount", "'000000036492๒' is not 13 digits"),
    ("err_account_mismatch.txt", 4, "account", "is not the batch's account 5556667778"),
    ("err_bank_mismatch.txt", 3, "bank_code", "'031' is not the batch's bank 030"),
    ("err_trailer_count_mismatch.txt", 5, "credit_count", "it has 3 C detail(s)"),
    ("err_trailer_amount_mismatch.txt", 5, "credit_amount", "3679.22, the total of the C"),
    ("err_trailer_debit_mismatch.txt", 5, "debit_count", "it has 0 D detail(s)"),
    ("err_trailer_seq.txt", 5, "seq", "is not 5, the number of records"),
    ("err_header_seq.txt", 1, "seq", "is not 000001"),
    ("err_bad_kind.txt", 2, "kind", "'X' is neither C"),
    ("err_garbage_bytes.txt", 3, "customer_name", "holds byte 0x00"),
    ("err_binary_line.txt", 3, "record", "is 111 bytes, not 256"),
    ("err_undefined_cp874_byte.txt", 4, "ref1", "holds byte 0xDB"),
    ("err_blank_line_inside.txt", 3, "record", "blank line before more records"),
    ("err_record_after_eof_byte.txt", 4, "record", "after the end-of-file byte 0x1A on line 3"),
    ("err_unknown_record_type.txt", 3, "record_type", "'X' is not H, D or T"),
    ("err_empty.txt", 1, "record", "file holds no records"),
    ("err_only_blank_lines.txt", 1, "record", "file holds no records"),
]


@pytest.mark.parametrize(("name", "line", "field", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_structural_error_names_line_and_field(name, line, field, words):
    for run in (parse, validate):
        with pytest.raises(SettlementFileError) as err:
            run(name)
        error = err.value
        assert (error.filename, error.line, error.field) == (name, line, field)
        assert str(error).startswith(f"{name} line {line}, field {field}: ")
        assert words in str(error)
        assert f"ไฟล์ {name} บรรทัดที่ {line} ช่อง {field}: ค่า " in error.message_th
        assert isinstance(error, ValueError)


def test_error_message_example_and_thai():
    with pytest.raises(SettlementFileError) as err:
        validate("err_bad_amount.txt")
    error = err.value
    assert str(error) == "err_bad_amount.txt line 3, field amount: '00000003649.2' is not 13 digits"
    assert error.value == "00000003649.2"
    assert error.message_th.startswith(
        "ไฟล์ err_bad_amount.txt บรรทัดที่ 3 ช่อง amount: ค่า '00000003649.2' ไม่ถูกต้อง")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.line, again.field) == (str(error), 3, "amount")


def test_records_before_the_error_are_yielded_first():
    with (FIXTURES / "err_trailer_amount_mismatch.txt").open("rb") as fp:
        records = parse_settlement(fp, filename="x")
        assert [type(next(records)) for _ in range(4)] == [Header, Detail, Detail, Detail]
        with pytest.raises(SettlementFileError):
            next(records)


def test_runaway_line_is_refused_without_reading_it_whole():
    data = (FIXTURES / "valid_base.txt").read_bytes()[:257 * 2] + b"D" * 10_000_000

    class Counting(io.BytesIO):
        read_total = 0

        def read(self, n=-1):
            chunk = super().read(n)
            Counting.read_total += len(chunk)
            return chunk

    with pytest.raises(SettlementFileError) as err:
        list(parse_settlement(Counting(data), filename="x"))
    assert (err.value.line, err.value.field) == (3, "record")
    assert "longer than 256 bytes" in str(err.value)
    assert Counting.read_total <= 2 * parser_module.CHUNK_SIZE


def test_spare_area_is_never_read():
    data = bytearray((FIXTURES / "valid_base.txt").read_bytes())
    second = 257  # line 2 starts here
    data[second + 200:second + 204] = b"\x00\xff\x1b\xdb"  # garbage in a detail's spare area
    data[120:124] = b"\x00\xff\x1b\xdb"  # and in the header's
    records = list(parse_settlement(io.BytesIO(bytes(data)), filename="x"))
    assert records[1].raw[200:204] == b"\x00\xff\x1b\xdb"
    assert records[1].customer_name == "นายก"


def test_decimal_amounts_and_tallies_are_exact():
    summary = validate("valid_base.txt")
    (batch,) = summary.batches
    assert batch.credit_amount == Decimal("3679.22") and str(batch.credit_amount) == "3679.22"
    assert (batch.debit_count, str(batch.debit_amount)) == (0, "0.00")
