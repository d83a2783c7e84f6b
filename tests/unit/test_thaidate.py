from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from billpay.thaidate import (
    BANGKOK,
    THAI_MONTHS,
    THAI_MONTHS_SHORT,
    bangkok_date,
    be_year,
    fiscal_year,
    fiscal_year_bounds,
    parse_thai_date,
    thai_date,
    thai_datetime,
    to_bangkok,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_to_bangkok():
    assert to_bangkok(utc(2026, 11, 22, 7, 5)) == datetime(2026, 11, 22, 14, 5, tzinfo=BANGKOK)
    assert to_bangkok(utc(2026, 11, 22, 7, 5)).utcoffset() == timedelta(hours=7)
    with pytest.raises(ValueError, match="naive"):
        to_bangkok(datetime(2026, 11, 22, 7, 5))
    with pytest.raises(TypeError):
        to_bangkok(date(2026, 11, 22))


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (utc(2025, 9, 30, 16, 59, 59), date(2025, 9, 30)),
        (utc(2025, 9, 30, 17, 0), date(2025, 10, 1)),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=9))), date(2025, 12, 31)),
    ],
)
def test_bangkok_date(instant, day):
    assert bangkok_date(instant) == day


@pytest.mark.parametrize(
    ("when", "fy"),
    [
        (date(2025, 10, 1), 2569),
        (date(2026, 9, 30), 2569),
        (date(2025, 9, 30), 2568),
        (date(2026, 10, 1), 2570),
        (date(2026, 1, 1), 2569),
        (date(2024, 2, 29), 2567),
        # aware datetimes are cut in Bangkok
        (utc(2025, 9, 30, 17, 0), 2569),  # 1 Oct 00:00 Bangkok
        (utc(2025, 9, 30, 16, 59, 59), 2568),  # 30 Sep 23:59:59 Bangkok
        (utc(2026, 9, 30, 16, 59), 2569),
        (utc(2026, 9, 30, 17, 0), 2570),
        (datetime(2025, 10, 1, 0, 0, tzinfo=BANGKOK), 2569),
    ],
)
def test_fiscal_year(when, fy):
    assert fiscal_year(when) == fy


def test_fiscal_year_refuses_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        fiscal_year(datetime(2025, 10, 1))


@pytest.mark.parametrize(
    ("fy", "bounds"),
    [
        (2569, (date(2025, 10, 1), date(2026, 9, 30))),
        (2568, (date(2024, 10, 1), date(2025, 9, 30))),
        (2570, (date(2026, 10, 1), date(2027, 9, 30))),
    ],
)
def test_fiscal_year_bounds(fy, bounds):
    assert fiscal_year_bounds(fy) == bounds
    first, last = bounds
    assert fiscal_year(first) == fiscal_year(last) == fy
    assert fiscal_year(first - timedelta(days=1)) == fy - 1
    assert fiscal_year(last + timedelta(days=1)) == fy + 1


def test_fiscal_year_bounds_refuses_christian_era():
    with pytest.raises(ValueError, match="พุทธศักราช"):
        fiscal_year_bounds(2026)


@pytest.mark.parametrize(
    ("when", "year"),
    [(date(2026, 11, 22), 2569), (date(2024, 1, 1), 2567), (utc(2025, 12, 31, 17, 0), 2569)],
)
def test_be_year(when, year):
    assert be_year(when) == year


def test_month_names():
    assert len(THAI_MONTHS) == len(THAI_MONTHS_SHORT) == 12
    assert (THAI_MONTHS[0], THAI_MONTHS[-1]) == ("มกราคม", "ธันวาคม")
    assert (THAI_MONTHS_SHORT[0], THAI_MONTHS_SHORT[-1]) == ("ม.ค.", "ธ.ค.")


@pytest.mark.parametrize(
    ("when", "full", "short"),
    [
        (date(2026, 11, 22), "22 พฤศจิกายน 2569", "22 พ.ย. 69"),
        (date(2026, 1, 1), "1 มกราคม 2569", "1 ม.ค. 69"),
        (date(2025, 10, 1), "1 ตุลาคม 2568", "1 ต.ค. 68"),
        (date(2024, 2, 29), "29 กุมภาพันธ์ 2567", "29 ก.พ. 67"),
        (date(2057, 4, 13), "13 เมษายน 2600", "13 เม.ย. 00"),
        (utc(2026, 11, 21, 17, 0), "22 พฤศจิกายน 2569", "22 พ.ย. 69"),  # Bangkok day
    ],
)
def test_thai_date(when, full, short):
    assert thai_date(when) == full
    assert thai_date(when, short=True) == short


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (utc(2026, 11, 22, 7, 5), "22 พฤศจิกายน 2569 เวลา 14:05 น."),
        (utc(2025, 9, 30, 17, 0), "1 ตุลาคม 2568 เวลา 00:00 น."),
        (datetime(2026, 6, 1, 9, 30, tzinfo=BANGKOK), "1 มิถุนายน 2569 เวลา 09:30 น."),
    ],
)
def test_thai_datetime(instant, text):
    assert thai_datetime(instant) == text


def test_thai_datetime_refuses_naive():
    with pytest.raises(ValueError):
        thai_datetime(datetime(2026, 11, 22, 14, 5))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("22/11/2569", date(2026, 11, 22)),
        ("2026-11-22", date(2026, 11, 22)),
        ("1/2/2569", date(2026, 2, 1)),
        ("01/02/2569", date(2026, 2, 1)),
        (" 29/02/2567 ", date(2024, 2, 29)),
        ("๒๒/๑๑/๒๕๖๙", date(2026, 11, 22)),
    ],
)
def test_parse_thai_date(text, day):
    assert parse_thai_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "กรุณาระบุวันที่"),
        ("22/11/2026", "ปีต้องเป็นปีพุทธศักราช"),
        ("2569-11-22", "ต้องใช้ปีคริสต์ศักราช"),
        ("31/02/2569", "ไม่มีวันที่นี้ในปฏิทิน"),
        ("29/02/2569", "ไม่มีวันที่นี้ในปฏิทิน"),  # 2026 is not a leap year
        ("2026-13-01", "ไม่มีวันที่นี้ในปฏิทิน"),
        ("22-11-2569", "รูปแบบวันที่ไม่ถูกต้อง"),
        ("20261122", "รูปแบบวันที่ไม่ถูกต้อง"),
        ("22 พ.ย. 69", "รูปแบบวันที่ไม่ถูกต้อง"),
        ("22/11/69", "รูปแบบวันที่ไม่ถูกต้อง"),
    ],
)
def test_parse_thai_date_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_thai_date(text)
