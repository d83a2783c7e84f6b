from decimal import Decimal

import pytest

from billpay.money import (
    MAX_AMOUNT,
    AmountError,
    format_amount,
    from_satang,
    parse_amount,
    to_satang,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234.5", D("1234.50")),
        ("1234.50", D("1234.50")),
        ("1234", D("1234.00")),
        ("  12.3  ", D("12.30")),
        ("0.25", D("0.25")),
        (".5", D("0.50")),
        ("5.", D("5.00")),
        ("1,234,567.89", D("1234567.89")),
        ("๑,๒๓๔.๕๐", D("1234.50")),  # Thai digits
        ("+7", D("7.00")),
        ("9999999999.99", MAX_AMOUNT),
        (D("3649.22"), D("3649.22")),
        (D("1.500"), D("1.50")),  # trailing zeros are not extra places
        (D("1E+3"), D("1000.00")),
        (5, D("5.00")),
    ],
)
def test_parse_amount_accepts(value, expected):
    result = parse_amount(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "กรุณาระบุจำนวนเงิน"),
        ("   ", "กรุณาระบุจำนวนเงิน"),
        ("-5", "จำนวนเงินต้องไม่ติดลบ"),
        (D("-0.01"), "จำนวนเงินต้องไม่ติดลบ"),
        (-1, "จำนวนเงินต้องไม่ติดลบ"),
        ("1.234", "จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        (D("0.001"), "จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        (D("1E-100"), "จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        ("10000000000.00", "จำนวนเงินต้องไม่เกิน 9,999,999,999.99 บาท"),
        (D("1E+100"), "จำนวนเงินต้องไม่เกิน"),
        ("0", "จำนวนเงินต้องมากกว่าศูนย์"),
        (D("0.00"), "จำนวนเงินต้องมากกว่าศูนย์"),
        ("NaN", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("inf", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        (D("NaN"), "จำนวนเงินต้องเป็นตัวเลข"),
        (D("Infinity"), "จำนวนเงินต้องเป็นตัวเลข"),
        ("1,23", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("12,34.5", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("1 234", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("1e3", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("abc", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        (".", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
        ("฿100", "รูปแบบจำนวนเงินไม่ถูกต้อง"),
    ],
)
def test_parse_amount_refuses(value, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(value)


@pytest.mark.parametrize("value", [1.5, 0.0, True, None, [1]])
def test_parse_amount_refuses_float_and_other_types(value):
    with pytest.raises(TypeError):
        parse_amount(value)


def test_parse_amount_allow_zero_and_max():
    assert parse_amount("0", allow_zero=True) == D("0.00")
    assert str(parse_amount("-0", allow_zero=True)) == "0.00"  # no negative zero
    assert parse_amount("500", max_amount=D("500")) == D("500.00")
    with pytest.raises(AmountError, match="ต้องไม่เกิน 500.00 บาท"):
        parse_amount("500.01", max_amount=D("500"))


@pytest.mark.parametrize(
    ("amount", "satang"),
    [
        (D("0"), 0),
        (D("0.01"), 1),
        (D("0.25"), 25),
        (D("1"), 100),
        (D("3649.22"), 364922),
        (D("1.500"), 150),
        (D("9999999999.99"), 999999999999),
        (D("-1.05"), -105),
    ],
)
def test_satang_round_trip(amount, satang):
    assert to_satang(amount) == satang
    assert from_satang(satang) == amount
    assert from_satang(satang).as_tuple().exponent == -2


def test_to_satang_never_rounds():
    with pytest.raises(AmountError, match="ไม่เกิน 2 ตำแหน่ง"):
        to_satang(D("1.005"))
    with pytest.raises(TypeError):
        to_satang(1.5)
    with pytest.raises(TypeError):
        from_satang(1.5)
    with pytest.raises(TypeError):
        from_satang(True)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("1234.5"), "1,234.50"),
        (D("0.25"), "0.25"),
        (D("0"), "0.00"),
        (D("1000000"), "1,000,000.00"),
        (D("9999999999.99"), "9,999,999,999.99"),
        (D("-1234.5"), "-1,234.50"),
        (12, "12.00"),
    ],
)
def test_format_amount(amount, text):
    assert format_amount(amount) == text


def test_format_amount_never_rounds():
    with pytest.raises(AmountError):
        format_amount(D("0.255"))
    with pytest.raises(TypeError):
        format_amount(0.25)
