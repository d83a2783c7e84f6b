"""Properties: whatever the writer writes parses back; mutated files never crash the parser."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billpay.settlement.parser import SettlementFileError, parse_settlement, validate_settlement
from billpay.settlement.records import BANGKOK, DEFAULT_VARIANTS, GENERIC, Detail, Header, Trailer
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement

FIXTURES = Path(__file__).parent / "fixtures"

def _cp874_printable() -> str:
    """Every character cp874 can write except controls: ASCII, Thai, NBSP, € … “ ”."""
    chars = []
    for byte in range(0x20, 0x100):
        if byte == 0x7F:
            continue
        try:
            chars.append(bytes([byte]).decode("cp874"))
        except UnicodeDecodeError:
            continue
    return "".join(chars)


CP874_TEXT = _cp874_printable()


def text(width: int) -> st.SearchStrategy[str]:
    # The parser strips trailing space padding, so generated values never end in one.
    return st.text(alphabet=CP874_TEXT, max_size=width).map(lambda s: s.rstrip(" "))


code3 = st.one_of(st.just(""), st.from_regex(r"\A[0-9]{3}\Z"))


@st.composite
def payment(draw, bank_code: str) -> PaymentSpec:
    variant = DEFAULT_VARIANTS.get(bank_code, GENERIC)
    moment = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2399, 12, 31),
                               timezones=st.sampled_from([BANGKOK, UTC])))
    return PaymentSpec(
        paid_at=moment.replace(microsecond=0),
        customer_name=draw(text(50)),
        ref1=draw(text(20)),
        ref2=draw(text(20)),
        ref3=draw(text(20)),
        amount=Decimal(draw(st.integers(0, 10**11))).scaleb(-2),  # 6 of them fit a trailer
        branch=draw(text(4)),
        teller=draw(text(4)),
        kind=draw(st.sampled_from("CD")),
        txn_code=draw(text(3)),
        cheque_no=draw(text(7)),
        cheque_bank=draw(code3),
        payer_bank=draw(code3) if variant.payer_bank_pos else None,
        biller_id=(draw(st.one_of(st.just(""), st.from_regex(r"\A[0-9]{15}\Z")))
                   if variant.biller_id_pos else None),
    )


@st.composite
def batch(draw) -> BatchSpec:
    bank_code = draw(st.sampled_from(["006", "014", "002", "024", "011", "030"]))
    commission = bank_code == "002" and draw(st.booleans())
    return BatchSpec(
        bank_code=bank_code,
        account=draw(st.from_regex(r"\A[0-9]{10}\Z")),
        company_name=draw(text(40)),
        effective_date=draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2399, 12, 31))),
        payments=draw(st.lists(payment(bank_code), max_size=6)),
        service_code=draw(text(8)),
        commission_amount=Decimal(draw(st.integers(0, 10**6))).scaleb(-2) if commission else None,
        commission_count=draw(st.integers(0, 999)) if commission else 0,
        buddhist_era=draw(st.booleans()),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(batch(), min_size=1, max_size=3),
       line_ending=st.sampled_from([b"\n", b"\r\n"]), final=st.booleans())
def test_written_batches_parse_back_to_equal_records(batches, line_ending, final):
    data = write_settlement(batches, line_ending=line_ending, final_line_ending=final)
    records = iter(parse_settlement(io.BytesIO(data), filename="gen.txt"))
    line = 0
    for spec in batches:
        line += 1
        head = next(records)
        assert head == Header(line_no=line, seq=1, bank_code=spec.bank_code,
                              account=spec.account, company_name=spec.company_name,
                              effective_date=spec.effective_date,
                              service_code=spec.service_code, raw=head.raw)
        for seq, p in enumerate(spec.payments, start=2):
            line += 1
            d = next(records)
            assert d == Detail(
                line_no=line, seq=seq, bank_code=spec.bank_code, account=spec.account,
                paid_at=p.paid_at.astimezone(BANGKOK), customer_name=p.customer_name,
                ref1=p.ref1, ref2=p.ref2, ref3=p.ref3, branch=p.branch, teller=p.teller,
                kind=p.kind, txn_code=p.txn_code, cheque_no=p.cheque_no, amount=p.amount,
                cheque_bank=p.cheque_bank, payer_bank=p.payer_bank, biller_id=p.biller_id,
                raw=d.raw)
            assert d.paid_at.tzinfo is BANGKOK
        line += 1
        tail = next(records)
        assert isinstance(tail, Trailer) and tail.seq == len(spec.payments) + 2
        credits = [p.amount for p in spec.payments if p.kind == "C"]
        assert (tail.credit_count, tail.credit_amount) == (len(credits), sum(credits))
    assert next(records, None) is None

    summary = validate_settlement(io.BytesIO(data), "gen.txt")
    assert [b.detail_count for b in summary.batches] == [len(b.payments) for b in batches]
    assert summary.size == len(data)


VALID_FIXTURES = [p.name for p in sorted(FIXTURES.glob("*.txt")) if not p.name.startswith("err_")]
FIXTURE_BYTES = {name: (FIXTURES / name).read_bytes() for name in VALID_FIXTURES}


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(FIXTURE_BYTES[draw(st.sampled_from(VALID_FIXTURES))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "replace"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=3))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 3))]
        elif op == "truncate":
            del data[pos:]
        elif op == "replace" and data:
            # Bytes the format cares about: digits, record types, CR/LF, 0x1A, 0xA0.
            data[pos] = draw(st.sampled_from(b"0159HDTC \r\n\x1a\xa0\xff\x00"))
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(data=mutated())
def test_mutated_files_parse_or_raise_settlement_file_error(data):
    try:
        records = list(parse_settlement(io.BytesIO(data), filename="fuzz.txt"))
    except SettlementFileError as error:
        assert error.line >= 1 and error.field and error.message_th
        return
    assert all(len(r.raw) == 256 for r in records)
    assert isinstance(records[-1], Trailer)
    validate_settlement(io.BytesIO(data), "fuzz.txt")


def test_timezone_of_written_time_is_bangkok():
    utc_noon = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
    data = write_settlement([BatchSpec("030", "0000000001", "x", date(2026, 11, 22), [
        PaymentSpec(paid_at=utc_noon, customer_name="a", ref1="r", amount=Decimal("1.00"))])])
    detail = list(parse_settlement(io.BytesIO(data), filename="x"))[1]
    assert detail.raw[20:34] == b"22112026120000"
    assert detail.paid_at == utc_noon and detail.paid_at - utc_noon == timedelta(0)
