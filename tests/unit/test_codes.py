import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.th import pin as stdnum_pin
from stdnum.th import tin as stdnum_tin

from billpay.codes import (
    CodeError,
    QRBillPayment,
    QRPayloadError,
    Ref1,
    Ref1Error,
    barcode_data,
    barcode_human_text,
    crc16_ccitt_false,
    is_valid_thai_id,
    make_ref1,
    make_ref2,
    normalise_ref,
    parse_qr_payload,
    parse_ref1,
    parse_ref2,
    qr_payload,
    tax_id_check_digit,
    validate_biller_id,
    validate_thai_id,
)
from billpay.money import from_satang

D = Decimal

# The examples in payment-codes.md, byte for byte.
BARCODE_STATIC = "|099999999999990\r111222333444\r\r0"
BARCODE_DYNAMIC = "|099400016550100\r123456789012\r670429\r364922"
QR_DYNAMIC = (
    "00020101021230650016A000000677010112011509940001655010002121234567890120306670429"
    "530376454073649.225802TH6304165E"
)
QR_STATIC = (
    "00020101021130550016A0000006770101120115099999999999990021211122233344453037645802TH63043EE7"
)
# A biller ID that passes the tax-ID checksum and is obviously not a real agency's.
DEMO_BILLER_ID = "099999999999100"

digits = st.text(alphabet="0123456789", min_size=1, max_size=18)


# --- CRC -----------------------------------------------------------------------------


def _crc_bitwise(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@pytest.mark.parametrize(
    ("data", "crc"),
    [(b"123456789", 0x29B1), (b"", 0xFFFF), (b"A", 0xB915)],
)
def test_crc16_ccitt_false_vectors(data, crc):
    assert crc16_ccitt_false(data) == crc


@given(st.binary(max_size=200))
def test_crc16_table_matches_bitwise(data):
    assert crc16_ccitt_false(data) == _crc_bitwise(data)


# --- barcode ---------------------------------------------------------------------------


def test_barcode_examples_byte_for_byte():
    assert barcode_data("099999999999990", "111222333444", "", None) == BARCODE_STATIC
    assert (
        barcode_data("099400016550100", "123456789012", "670429", D("3649.22")) == BARCODE_DYNAMIC
    )


def test_barcode_human_text():
    assert barcode_human_text(BARCODE_DYNAMIC) == "|099400016550100 123456789012 670429 364922"
    assert barcode_human_text(BARCODE_STATIC) == "|099999999999990 111222333444  0"


@pytest.mark.parametrize(
    ("amount", "satang"),
    [(D("0.01"), "1"), (D("1"), "100"), (D("1234.50"), "123450"), (None, "0")],
)
def test_barcode_amount_in_satang(amount, satang):
    data = barcode_data(DEMO_BILLER_ID, "1", "", amount)
    assert data.split("\r")[-1] == satang


def test_barcode_at_most_62_characters_without_crs():
    ref = "1" * 18
    data = barcode_data(DEMO_BILLER_ID, ref, ref, D("99999999.99"))
    assert len(data.replace("\r", "")) == 62
    with pytest.raises(CodeError, match="barcode data is 63 characters without CRs, at most 62"):
        barcode_data(DEMO_BILLER_ID, ref, ref, D("999999999.99"))


@pytest.mark.parametrize(
    ("biller", "ref1", "ref2", "amount", "message"),
    [
        (DEMO_BILLER_ID, "", "", None, "Ref1 is empty"),
        (DEMO_BILLER_ID, "12A", "", None, "Ref1 must be digits only, got '12A'"),
        (DEMO_BILLER_ID, " 123", "", None, "Ref1 must be digits only"),
        (DEMO_BILLER_ID, "1" * 19, "", None, "Ref1 is 19 digits, at most 18 allowed"),
        (DEMO_BILLER_ID, "1", "67-04-29", None, "Ref2 must be digits only"),
        (DEMO_BILLER_ID, "1", "2" * 19, None, "Ref2 is 19 digits, at most 18 allowed"),
        (DEMO_BILLER_ID, "1", "๖๗๐๔๒๙", None, "Ref2 must be digits only"),  # Thai digits
        ("09999999999910", "1", "", None, "biller ID must be 15 digits, got 14"),
        ("0999999999991000", "1", "", None, "biller ID must be 15 digits, got 16"),
        ("09999999999910X", "1", "", None, "biller ID must be digits only"),
        (DEMO_BILLER_ID, "1", "", D("0"), "use None for any amount"),
        (DEMO_BILLER_ID, "1", "", D("-1.00"), "ไม่ติดลบ"),
        (DEMO_BILLER_ID, "1", "", D("1.005"), "ไม่เกิน 2 ตำแหน่ง"),
    ],
)
def test_barcode_and_qr_refuse(biller, ref1, ref2, amount, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        barcode_data(biller, ref1, ref2, amount)
    with pytest.raises(CodeError, match=re.escape(message)):
        qr_payload(biller, ref1, ref2, amount)


def test_float_amount_is_a_type_error():
    with pytest.raises(TypeError):
        barcode_data(DEMO_BILLER_ID, "1", "", 3649.22)
    with pytest.raises(TypeError):
        qr_payload(DEMO_BILLER_ID, "1", "", 3649.22)


# --- Thai QR: building -----------------------------------------------------------------


def test_qr_examples_byte_for_byte():
    dynamic = qr_payload("099400016550100", "123456789012", "670429", D("3649.22"))
    static = qr_payload("099999999999990", "111222333444", "", None, dynamic=False)
    assert dynamic == QR_DYNAMIC
    assert static == QR_STATIC


@pytest.mark.parametrize(
    ("amount", "tag54"),
    [(D("100"), "5406100.00"), (D("0.5"), "54040.50"), (D("9999999999.99"), "54139999999999.99")],
)
def test_qr_amount_has_two_decimals(amount, tag54):
    assert tag54 + "5802TH" in qr_payload(DEMO_BILLER_ID, "1", "", amount)


def test_qr_ref3_goes_in_tag_62():
    payload = qr_payload(DEMO_BILLER_ID, "1", "", None, ref3="INV42")
    assert "5802TH62090705INV426304" in payload
    assert parse_qr_payload(payload).ref3 == "INV42"
    with pytest.raises(CodeError, match="Ref3 must be 1 to 20 digits or upper-case letters"):
        qr_payload(DEMO_BILLER_ID, "1", "", None, ref3="inv 42")


# --- Thai QR: parsing ------------------------------------------------------------------


def test_parse_qr_examples():
    assert parse_qr_payload(QR_DYNAMIC) == QRBillPayment(
        payload_format="01",
        dynamic=True,
        biller_id="099400016550100",
        ref1="123456789012",
        ref2="670429",
        amount=D("3649.22"),
        currency="764",
        country="TH",
        ref3=None,
    )
    assert parse_qr_payload(QR_STATIC) == QRBillPayment(
        payload_format="01",
        dynamic=False,
        biller_id="099999999999990",
        ref1="111222333444",
        ref2="",
        amount=None,
        currency="764",
        country="TH",
        ref3=None,
    )


def test_parse_qr_accepts_lower_case_crc():
    assert parse_qr_payload(QR_DYNAMIC[:-4] + "165e").amount == D("3649.22")


def test_parse_qr_ignores_other_emv_tags():
    # merchant category 52 and merchant name 59 may appear in other generators' payloads
    body = QR_DYNAMIC[: QR_DYNAMIC.index("5303")] + "52044900" + "5303764" + "54073649.22"
    parsed = parse_qr_payload(with_crc(body + "5802TH" + "5906BILLPY"))
    assert (parsed.ref1, parsed.amount) == ("123456789012", D("3649.22"))


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


AID = tlv("00", "A000000677010112")
BILLER = tlv("01", "099400016550100")
REF1 = tlv("02", "123456789012")
REF2 = tlv("03", "670429")
GOOD = {
    "00": "01",
    "01": "12",
    "30": AID + BILLER + REF1 + REF2,
    "53": "764",
    "54": "3649.22",
    "58": "TH",
}


def build(**changes: str | None) -> str:
    """A payload with a correct CRC from GOOD with some fields changed (None drops one)."""
    fields = {**GOOD, **{k.removeprefix("t"): v for k, v in changes.items()}}
    return with_crc("".join(tlv(tag, v) for tag, v in fields.items() if v is not None))


def test_build_helper_reproduces_the_example():
    assert build() == QR_DYNAMIC


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty payload"),
        (QR_DYNAMIC[:50], "tag 30 length 65 runs past the end"),
        (QR_DYNAMIC[:-4] + "1234", "CRC is 1234, expected 165E"),
        (QR_DYNAMIC[:-1], "tag 63 length 04 runs past the end"),
        (QR_DYNAMIC + "\n", f"truncated field at position {len(QR_DYNAMIC)}: '\\n'"),
        ("000201010", "truncated field at position 6: '010'"),
        ("AB0201", "tag at position 0 is 'AB', not two digits"),
        ("00X201", "tag 00 length 'X2' at position 2 is not two digits"),
        (QR_DYNAMIC[:-8], "missing tag 63 (CRC)"),
        (QR_DYNAMIC + "5906BILLPY", "tag 63 (CRC) must be the last field"),
        (QR_DYNAMIC[:-8] + "630500000", "tag 63 (CRC) length is 05, expected 04"),
        (QR_DYNAMIC[:-4] + "ZZZZ", "CRC 'ZZZZ' is not 4 hex digits"),
        (with_crc(QR_DYNAMIC[:-8] + "54011"), "tag 54 appears twice"),
        (
            with_crc("010212" + "000201" + QR_DYNAMIC[12:-8]),
            "tag 00 (payload format) must come first",
        ),
        (build(t00=None), "missing tag 00 (payload format)"),
        (build(t00="02"), "payload format (tag 00) is '02', expected '01'"),
        (build(t01=None), "missing tag 01 (static or dynamic)"),
        (build(t01="13"), "tag 01 is '13', expected '11' (static) or '12' (dynamic)"),
        (build(t30=None), "missing tag 30 (bill payment)"),
        (build(t30=None, t29="0016A000000677010111"), "tag 29 is a PromptPay transfer"),
        (build(t30=AID + BILLER + "0220123"), "tag 30: subtag 02 length 20 runs past the end"),
        (build(t30=AID + BILLER + REF1 + REF1), "tag 30: subtag 02 appears twice"),
        (build(t30=BILLER + REF1), "missing AID (subtag 00) in tag 30"),
        (build(t30=tlv("00", "A000000677010111") + BILLER + REF1), "unknown AID in tag 30"),
        (build(t30=AID + REF1), "missing biller ID (subtag 01) in tag 30"),
        (
            build(t30=AID + tlv("01", "09940001655010") + REF1),
            "biller ID in tag 30 must be 15 digits, got '09940001655010'",
        ),
        (build(t30=AID + BILLER), "missing Ref1 (subtag 02) in tag 30"),
        (
            build(t30=AID + BILLER + tlv("02", "")),
            "Ref1 in tag 30 must be 1 to 20 characters, got 0",
        ),
        (
            build(t30=AID + BILLER + tlv("02", "1" * 21)),
            "Ref1 in tag 30 must be 1 to 20 characters, got 21",
        ),
        (
            build(t30=AID + BILLER + REF1 + tlv("03", "1" * 21)),
            "Ref2 in tag 30 must be at most 20 characters, got 21",
        ),
        (build(t53=None), "missing tag 53 (currency)"),
        (build(t53="840"), "currency (tag 53) is '840', expected '764' (THB)"),
        (build(t54="3,649.22"), "amount (tag 54) '3,649.22' is not a number"),
        (build(t54="3649.225"), "amount (tag 54) '3649.225' is not a number"),
        (build(t54="-1.00"), "amount (tag 54) '-1.00' is not a number"),
        (build(t54="12345678901.00"), "amount (tag 54) '12345678901.00' is not a number"),
        (build(t54="0.00"), "amount (tag 54) is 0; omit tag 54 for any amount"),
        (build(t58=None), "missing tag 58 (country)"),
        (build(t58="US"), "country (tag 58) is 'US', expected 'TH'"),
        (build(t62="0799"), "tag 62: subtag 07 length 99 runs past the end"),
    ],
)
def test_parse_qr_names_the_problem(payload, message):
    with pytest.raises(QRPayloadError, match=re.escape(message)):
        parse_qr_payload(payload)


def test_parse_qr_refuses_non_text():
    with pytest.raises(TypeError):
        parse_qr_payload(QR_DYNAMIC.encode())


@given(
    biller=st.text(alphabet="0123456789", min_size=15, max_size=15),
    ref1=digits,
    ref2=digits | st.just(""),
    amount=st.none() | st.integers(1, 999_999_999_999).map(from_satang),
    dynamic=st.booleans(),
    ref3=st.none() | st.from_regex(r"[0-9A-Z]{1,20}", fullmatch=True),
)
def test_qr_round_trip(biller, ref1, ref2, amount, dynamic, ref3):
    payload = qr_payload(biller, ref1, ref2, amount, dynamic=dynamic, ref3=ref3)
    assert re.fullmatch(r".*6304[0-9A-F]{4}", payload)
    assert parse_qr_payload(payload) == QRBillPayment(
        payload_format="01",
        dynamic=dynamic,
        biller_id=biller,
        ref1=ref1,
        ref2=ref2,
        amount=amount,
        currency="764",
        country="TH",
        ref3=ref3,
    )


@given(payload=st.sampled_from([QR_DYNAMIC, QR_STATIC]), data=st.data())
def test_any_single_character_change_is_refused(payload, data):
    pos = data.draw(st.integers(0, len(payload) - 1))
    new = data.draw(st.sampled_from("0123456789ABCDEF.X").filter(lambda c: c != payload[pos]))
    changed = payload[:pos] + new + payload[pos + 1 :]
    if pos >= len(payload) - 4 and new.lower() == payload[pos].lower():
        return  # only the CRC's case changed
    with pytest.raises(QRPayloadError):
        parse_qr_payload(changed)


# --- Thai ID and biller ID -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3100600445635", "3100600445635"),
        ("1234545678781", "1234545678781"),
        ("1-2345-45678-78-1", "1234545678781"),
        (" 1 2345 45678 78 1 ", "1234545678781"),
        ("๓๑๐๐๖๐๐๔๔๕๖๓๕", "3100600445635"),
        ("0994000165501", "0994000165501"),  # juristic / agency tax IDs start with 0
        ("0994000617721", "0994000617721"),
    ],
)
def test_valid_thai_id(text, number):
    assert validate_thai_id(text) == number
    assert is_valid_thai_id(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1234545678789", "เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)"),
        ("0999999999999", "เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)"),
        ("0000000000000", "เลขประจำตัวประชาชนไม่ถูกต้อง (ผลรวมตรวจสอบไม่ตรง)"),
        ("123454567878", "เลขประจำตัวประชาชนต้องมี 13 หลัก (ได้รับ 12 หลัก)"),
        ("12345456787811", "เลขประจำตัวประชาชนต้องมี 13 หลัก (ได้รับ 14 หลัก)"),
        ("12345456787a1", "เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น"),
        ("1/2345/45678/78/1", "เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น"),
        ("", "กรุณาระบุเลขประจำตัวประชาชน"),
        (" - ", "กรุณาระบุเลขประจำตัวประชาชน"),
    ],
)
def test_invalid_thai_id(text, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        validate_thai_id(text)
    assert not is_valid_thai_id(text)


def test_is_valid_thai_id_of_non_text_is_false():
    assert not is_valid_thai_id(3100600445635)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_thai_id_agrees_with_stdnum(number):
    # stdnum's tin accepts any first digit but 9; its pin (people) also refuses 0
    if number[0] != "9":
        assert is_valid_thai_id(number) == stdnum_tin.is_valid(number)
    if number[0] not in "09":
        assert is_valid_thai_id(number) == stdnum_pin.is_valid(number)


def test_tax_id_check_digit():
    assert tax_id_check_digit("310060044563") == 5
    assert tax_id_check_digit("099400016550") == 1
    with pytest.raises(CodeError):
        tax_id_check_digit("12345")


@pytest.mark.parametrize(
    "biller_id",
    ["099400016550100", "099400016550101", DEMO_BILLER_ID, "310060044563500"],
)
def test_valid_biller_id(biller_id):
    assert validate_biller_id(biller_id) == biller_id


@pytest.mark.parametrize(
    ("biller_id", "message"),
    [
        (
            "099999999999990",
            "biller ID 099999999999990: its tax ID 0999999999999 fails the checksum "
            "(13th digit is 9, the checksum gives 1)",
        ),
        ("099400016550200", "its tax ID 0994000165502 fails the checksum"),
        ("0994000165501", "biller ID must be 15 digits, got 13"),
        ("0-99-4-000-16550-1-00", "biller ID must be digits only"),
        ("", "biller ID must be digits only"),
    ],
)
def test_invalid_biller_id(biller_id, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        validate_biller_id(biller_id)


# --- Ref1 and Ref2 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ref1"),
    [
        ((1, "50", 2569, 1), "150006900000018"),
        ((1, "5000", 2569, 1), "150006900000018"),
        ((1, "5001", 2569, 1234567), make_ref1(1, "5001", 2569, 1234567)),
        ((9, "10", 2570, 9_999_999), make_ref1(9, "1000", 2570, 9_999_999)),
    ],
)
def test_make_ref1(args, ref1):
    assert make_ref1(*args) == ref1
    assert len(ref1) == 15


def test_make_ref1_layout():
    ref1 = make_ref1(1, "5001", 2569, 42)
    assert (ref1[0], ref1[1:5], ref1[5:7], ref1[7:14]) == ("1", "5001", "69", "0000042")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2, "50", 2569, 1), "Ref1 mode must be 1 (live) or 9 (trial), got 2"),
        ((1, "5", 2569, 1), "office code must be 2 (province) or 4 digits, got '5'"),
        ((1, "500", 2569, 1), "office code must be 2 (province) or 4 digits"),
        ((1, "50011", 2569, 1), "office code must be 2 (province) or 4 digits"),
        ((1, "5O", 2569, 1), "office code must be digits, got '5O'"),
        ((1, "50", 2026, 1), "fiscal year must be Buddhist era, e.g. 2569, got 2026"),
        ((1, "50", 69, 1), "fiscal year must be Buddhist era"),
        ((1, "50", 2569, 0), "running number must be 1 to 9999999, got 0"),
        ((1, "50", 2569, 10_000_000), "running number must be 1 to 9999999"),
    ],
)
def test_make_ref1_refuses(args, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        make_ref1(*args)


def test_make_ref1_refuses_wrong_types():
    with pytest.raises(TypeError):
        make_ref1(1, 50, 2569, 1)
    with pytest.raises(TypeError):
        make_ref1(1, "50", "2569", 1)
    with pytest.raises(TypeError):
        make_ref1(True, "50", 2569, 1)


ref1_parts = st.tuples(
    st.sampled_from([1, 9]),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.integers(2500, 2699),
    st.integers(1, 9_999_999),
)


@given(ref1_parts)
def test_ref1_round_trip(parts):
    mode, office, fy, running = parts
    text = make_ref1(mode, office, fy, running)
    parsed = parse_ref1(text)
    assert parsed == Ref1(mode=mode, office_code=office, fiscal_year_yy=fy % 100, running=running)
    assert parsed.value == str(parsed) == text
    assert parsed.is_trial == (mode == 9)


@given(ref1_parts)
def test_every_single_digit_substitution_is_refused(parts):
    text = make_ref1(*parts)
    for pos in range(len(text)):
        for digit in "0123456789":
            if digit != text[pos]:
                changed = text[:pos] + digit + text[pos + 1 :]
                with pytest.raises(Ref1Error) as caught:
                    parse_ref1(changed)
                assert caught.value.reason == "bad_check_digit"


@given(ref1_parts)
def test_every_adjacent_transposition_is_refused(parts):
    text = make_ref1(*parts)
    for pos in range(len(text) - 1):
        if text[pos] != text[pos + 1]:
            swapped = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
            with pytest.raises(Ref1Error) as caught:
                parse_ref1(swapped)
            assert caught.value.reason == "bad_check_digit"


@pytest.mark.parametrize(
    ("text", "reason", "message"),
    [
        ("15000690000001X", "not_digits", "Ref1 is not digits: '15000690000001X'"),
        ("1500-069-0000001-8", "not_digits", "Ref1 is not digits"),
        ("", "wrong_length", "Ref1 has the wrong length: 0 digits, expected 15"),
        ("15000690000001", "wrong_length", "Ref1 has the wrong length: 14 digits"),
        ("1500069000000188", "wrong_length", "Ref1 has the wrong length: 16 digits"),
        ("150006900000017", "bad_check_digit", "Ref1 150006900000017 has a bad check digit"),
        ("510006900000018", "bad_check_digit", "has a bad check digit"),
    ],
)
def test_parse_ref1_says_what_is_wrong(text, reason, message):
    with pytest.raises(Ref1Error, match=re.escape(message)) as caught:
        parse_ref1(text)
    assert caught.value.reason == reason
    assert caught.value.thai.startswith("เลขอ้างอิง 1 (Ref1)")


def test_parse_ref1_refuses_unknown_mode():
    from stdnum import damm

    body = "25000690000001"
    with pytest.raises(
        Ref1Error, match="mode digit 2, expected 1 \\(live\\) or 9 \\(trial\\)"
    ) as c:
        parse_ref1(body + damm.calc_check_digit(body))
    assert c.value.reason == "bad_mode"


def test_parse_ref1_accepts_spaces_and_bank_padding():
    ref1 = make_ref1(1, "5001", 2569, 42)
    spaced = f"{ref1[0]} {ref1[1:5]} {ref1[5:7]} {ref1[7:14]} {ref1[14]}"
    assert parse_ref1(spaced).value == ref1
    assert parse_ref1("00000" + ref1).value == ref1


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        (" 1 5000 69 0000001 8 ", "150006900000018"),
        ("\t150006900000018\n", "150006900000018"),
        ("abc 12", "ABC12"),
        ("670429", "670429"),
        # leading zeros dropped by a bank come back when the 15 digits pass the check
        ("50006900000019", "050006900000019"),
        ("5000690000010", "005000690000010"),
        ("6900000017", "6900000017"),  # too short to be a stripped Ref1
        ("50006900000018", "50006900000018"),  # fails the check: left alone
        # zero padding to a wider field is removed when the last 15 pass the check
        ("00000150006900000018", "150006900000018"),
        ("10000150006900000018", "10000150006900000018"),
        ("00000150006900000017", "00000150006900000017"),
    ],
)
def test_normalise_ref(text, normal):
    assert normalise_ref(text) == normal


@pytest.mark.parametrize(
    ("due", "ref2"),
    [
        (date(2024, 4, 29), "670429"),
        (date(2026, 11, 22), "691122"),
        (date(2025, 1, 5), "680105"),
        (date(2056, 12, 31), "991231"),
    ],
)
def test_ref2_is_buddhist_era_yymmdd(due, ref2):
    assert make_ref2(due) == ref2
    assert parse_ref2(ref2) == due


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("67042", "Ref2 must be 6 digits YYMMDD"),
        ("67-04-29", "Ref2 must be 6 digits YYMMDD"),
        ("670230", "Ref2 670230 is not a date"),
        ("671301", "Ref2 671301 is not a date"),
    ],
)
def test_parse_ref2_refuses(text, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        parse_ref2(text)


def test_make_ref2_wants_a_date():
    from datetime import datetime

    with pytest.raises(TypeError):
        make_ref2(datetime(2024, 4, 29, 12, 0))
    with pytest.raises(TypeError):
        make_ref2("2024-04-29")
