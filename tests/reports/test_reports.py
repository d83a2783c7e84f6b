"""Report totals against sums computed independently from what the test did, on SQLite
and PostgreSQL: the summary tables kept by the services, the same tables rebuilt from
the bills, and every report built on them."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import FeeType
from billpay.errors import NotFound
from billpay.receipts import services as receipts
from billpay.reports import services as reports
from billpay.reports import stats
from billpay.reports.models import DailyStat, MonthlyStat
from billpay.settlement.services import import_settlement_file
from billpay.thaidate import BANGKOK, bangkok_date
from tests.settlement.factory import PAID_AT, pay, reverse, settlement_file

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
OFFICES = ("5001", "5002", "6501")
DAYS = (date(2026, 11, 20), date(2026, 11, 21))
BANK_DAY = bangkok_date(PAID_AT)  # 22 November 2026
ZERO = Decimal("0.00")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


@dataclass
class Expected:
    """What the scenario did, summed by the test itself."""

    # (activity, day, office, fee code, revenue type) -> [count, amount]
    sums: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    receipts: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))  # (office, day)
    bills_issued: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    bills_cancelled: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    payments: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    bank_lines: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    outstanding: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))

    def add(self, activity, day, office, bill, amount=None):
        items = [(i.fee_type.code, i.fee_type.revenue_type, i.amount) for i in bill.items]
        amounts = [a for _, _, a in items]
        if amount is not None:
            amounts[0] += amount - bill.total
        for (code, revenue_type, _), value in zip(items, amounts, strict=True):
            entry = self.sums[(activity, day, office, code, revenue_type)]
            entry[0] += 1
            entry[1] += value

    def total(self, activity, **match) -> tuple[int, Decimal]:
        count, amount = 0, ZERO
        names = ("activity", "day", "office", "code", "revenue_type")
        for key, (c, a) in self.sums.items():
            values = dict(zip(names, key, strict=True))
            if values["activity"] == activity and all(values[k] == v for k, v in match.items()):
                count += c
                amount += a
        return count, amount

    def net(self, **match) -> Decimal:
        return self.total("paid", **match)[1] - self.total("reversed", **match)[1]


@pytest.fixture
def scenario(db, make_user):
    """Three offices over two days: bills of one or two items (both revenue types),
    paid at the counter, cancelled, left waiting; then a bank file paying more of them
    (one over-payment accepted by finance, one reversal, one unknown Ref1)."""
    rng = random.Random(2569)
    expected = Expected()
    fee_types = {f.code: f for f in db.scalars(select(FeeType))}
    clerks = {code: Actor.for_user(make_user(Role.CLERK, code, username=f"clerk{code}"))
              for code in OFFICES}
    finance = Actor.for_user(make_user(Role.FINANCE, "00", username="finance-r"))
    waiting = []
    for day in DAYS:
        for office in OFFICES:
            for n in range(6):
                codes = rng.sample(["FA01", "HT01", "RT01", "CP01", "FN01"], rng.choice([1, 2]))
                items = [bills.NewBillItem(c, rng.randint(1, 3) if c == "CP01" else 1,
                                           None if fee_types[c].amount_kind == "fixed"
                                           else Decimal(rng.randint(50, 900)))
                         for c in codes]
                bill = bills.issue_bill(db, clerks[office], bills.NewBill(
                    payer_name=f"ผู้ชำระ {office}-{n}", items=items), CONFIG,
                    clock=lambda day=day, n=n: at(day, 9, n))
                expected.add("issued", day, office, bill)
                expected.bills_issued[(office, day)][0] += 1
                expected.bills_issued[(office, day)][1] += bill.total
                choice = n % 3
                if choice == 0:
                    receipts.take_counter_payment(db, clerks[office], bill.ref1, method="cash",
                                                  reference=None,
                                                  clock=lambda day=day, n=n: at(day, 14, n))
                    expected.add("paid", day, office, bill)
                    for key in (expected.payments, expected.receipts):
                        key[(office, day)][0] += 1
                        key[(office, day)][1] += bill.total
                elif choice == 1 and n == 1:
                    bills.cancel_bill(db, clerks[office], bill.ref1, "ผู้ชำระขอยกเลิก",
                                      clock=lambda day=day: at(day, 16))
                    expected.add("cancelled", day, office, bill)
                    expected.bills_cancelled[(office, day)][0] += 1
                    expected.bills_cancelled[(office, day)][1] += bill.total
                else:
                    waiting.append((office, bill))
    # the bank pays all but the last two waiting bills, one of them 20 baht too much
    lines = []
    over = waiting[0]
    for index, (office, bill) in enumerate(waiting[:-2]):
        amount = bill.total + (Decimal("20.00") if (office, bill) == over else 0)
        lines.append(pay(bill.ref1, amount, minute=index % 60, teller=f"{index:04d}"))
        expected.bank_lines[office][0] += 1
        expected.bank_lines[office][1] += amount
        if (office, bill) != over:
            expected.add("paid", BANK_DAY, office, bill)
            expected.payments[(office, BANK_DAY)][0] += 1
            expected.payments[(office, BANK_DAY)][1] += bill.total
            expected.receipts[(office, BANK_DAY)][0] += 1
            expected.receipts[(office, BANK_DAY)][1] += bill.total
    reversed_office, reversed_bill = waiting[1]
    lines.append(reverse(reversed_bill.ref1, reversed_bill.total, minute=59, teller="9999"))
    expected.add("reversed", BANK_DAY, reversed_office, reversed_bill)
    lines.append(pay("100000000000000", "77.00", minute=58, teller="8888"))  # unknown Ref1
    report = import_settlement_file(db, finance, settlement_file(*lines), "reports.txt")
    assert report.matched == len(waiting) - 3 and report.reversals == 1
    from billpay.settlement.models import SettlementException

    over_exception = db.scalar(select(SettlementException).where(
        SettlementException.bill_id == over[1].id))
    from billpay.settlement.services import resolve_exception

    resolve_exception(db, finance, over_exception.id, "accepted", "ผู้ชำระโอนเกิน รับไว้ตามหนังสือ")
    expected.add("paid", BANK_DAY, over[0], over[1], over[1].total + Decimal("20.00"))
    expected.payments[(over[0], BANK_DAY)][0] += 1
    expected.payments[(over[0], BANK_DAY)][1] += over[1].total + Decimal("20.00")
    expected.receipts[(over[0], BANK_DAY)][0] += 1
    expected.receipts[(over[0], BANK_DAY)][1] += over[1].total + Decimal("20.00")
    for office, bill in waiting[-2:] + [(reversed_office, reversed_bill)]:
        expected.outstanding[office][0] += 1
        expected.outstanding[office][1] += bill.total
    db.flush()
    db.expire_all()
    return expected


def _table(model, db) -> dict:
    period = model.day if model is DailyStat else model.month
    rows = db.execute(select(model).order_by(period, model.office_id, model.fee_type_id,
                                             model.revenue_type)).scalars().all()
    return {(getattr(r, period.key), r.office_id, r.fee_type_id, r.revenue_type):
            tuple(getattr(r, c) for c in stats.MEASURE_COLUMNS) for r in rows}


def _national(db) -> Actor:
    return Actor(role=Role.FINANCE, name="การเงิน")


def test_summaries_kept_by_the_services_equal_a_rebuild(db, scenario):
    kept = (_table(DailyStat, db), _table(MonthlyStat, db))
    assert kept[0], "the services wrote no summary rows"
    rebuilt_counts = stats.rebuild(db)
    db.expire_all()
    assert (_table(DailyStat, db), _table(MonthlyStat, db)) == kept
    assert rebuilt_counts == (len(kept[0]), len(kept[1]))


def test_summaries_match_the_scenario(db, scenario):
    codes = {f.id: f.code for f in db.scalars(select(FeeType))}
    from billpay.offices.models import Office

    offices = {o.id: o.code for o in db.scalars(select(Office).where(Office.code.in_(OFFICES)))}
    found = defaultdict(lambda: [0, ZERO])
    for (day, office_id, fee_type_id, revenue_type), values in _table(DailyStat, db).items():
        measures = dict(zip(stats.MEASURE_COLUMNS, values, strict=True))
        for activity in ("issued", "paid", "reversed", "cancelled"):
            if measures[f"{activity}_count"]:
                key = (activity, day, offices[office_id], codes[fee_type_id], revenue_type)
                found[key] = [measures[f"{activity}_count"], measures[f"{activity}_amount"]]
    assert dict(found) == {k: v for k, v in scenario.sums.items() if v[0]}


def test_statistics_by_fee_type_and_month(db, scenario):
    report = reports.statistics(db, _national(db), fiscal_year_=2570)
    amounts, counts, provinces = report.tables
    november = 2 + 1  # columns: code, name, ต.ค., พ.ย., …
    by_code = {row[0]: row for row in amounts.rows}
    for code in {k[3] for k in scenario.sums}:
        assert by_code[code][november] == scenario.net(code=code), code
        assert by_code[code][-1] == scenario.net(code=code)
        paid = scenario.total("paid", code=code)[0] - scenario.total("reversed", code=code)[0]
        assert {r[0]: r for r in counts.rows}[code][november] == paid
    assert amounts.totals[-1] == scenario.net()
    by_province = {row[0]: row[-1] for row in provinces.rows}
    assert by_province == {"50": scenario.net(office="5001") + scenario.net(office="5002"),
                           "65": scenario.net(office="6501")}
    # drill down: Chiang Mai's offices
    chiang_mai = reports.statistics(db, _national(db), fiscal_year_=2570, province_code="50")
    offices = {row[0]: row[-1] for row in chiang_mai.tables[2].rows}
    assert offices == {"5001": scenario.net(office="5001"), "5002": scenario.net(office="5002")}
    trend = chiang_mai.charts[0]
    assert trend.bars[1].value == offices["5001"] + offices["5002"]


def test_remittance_by_revenue_type(db, scenario):
    report = reports.remittance(db, _national(db), date_from=DAYS[0], date_to=BANK_DAY,
                                group_by="office")
    rows = {row[0]: row for row in report.tables[0].rows}
    for office in OFFICES:
        state = scenario.net(office=office, revenue_type="state")
        off_budget = scenario.net(office=office, revenue_type="off_budget")
        assert rows[office][3:] == (state, off_budget, state + off_budget), office
    by_day = reports.remittance(db, _national(db), date_from=DAYS[0], date_to=BANK_DAY,
                                group_by="nation", by_day=True)
    days = {row[2]: row[-1] for row in by_day.tables[0].rows}
    assert days == {d: scenario.net(day=d) for d in (*DAYS, BANK_DAY) if scenario.net(day=d)}
    assert by_day.tables[0].totals[-1] == scenario.net()


def test_daily_report_ties_to_the_bank(db, scenario):
    actor = _national(db)
    for office in OFFICES:
        for day in (*DAYS, BANK_DAY):
            report = reports.daily_collection(db, actor, day=day, office_code=office)
            summary, by_fee, by_revenue, methods, tie = report.tables
            rows = {row[0]: row[1:] for row in summary.rows}
            issued = scenario.bills_issued[(office, day)]
            assert rows["ออกใบแจ้งการชำระเงิน"] == tuple(issued)
            assert rows["ยกเลิกใบแจ้ง"] == tuple(scenario.bills_cancelled[(office, day)])
            assert rows["รับชำระเงิน (ทุกช่องทาง)"] == tuple(scenario.payments[(office, day)])
            receipts_row = next(v for k, v in rows.items() if k.startswith("ออกใบเสร็จ"))
            assert receipts_row == tuple(scenario.receipts[(office, day)])
            assert summary.totals[-1] == scenario.net(office=office, day=day)
            assert by_fee.totals[6] == scenario.total("paid", office=office, day=day)[1]
            assert all(ok for _, ok in report.checks), report.checks
            assert tie.totals[1:] == (0, ZERO)
            if day == BANK_DAY:
                assert tie.rows[0][1:] == tuple(scenario.bank_lines[office])


def test_outstanding_and_exceptions(db, scenario):
    actor = _national(db)
    report = reports.outstanding(db, actor, as_of=date(2026, 11, 23))
    rows = {row[0]: row for row in report.tables[0].rows}
    for office in OFFICES:
        count, amount = scenario.outstanding[office]
        found = (rows[office][2], rows[office][3]) if office in rows else (0, ZERO)
        assert found == (count, amount)  # none overdue yet
    assert report.tables[0].totals[2] == sum(c for c, _ in scenario.outstanding.values())
    office = max(OFFICES, key=lambda o: scenario.outstanding[o][0])
    late = reports.outstanding(db, actor, as_of=date(2027, 2, 1), office_code=office)
    office_row = late.tables[0].rows[0]
    assert office_row[2] == 0 and sum(office_row[4:10:2]) == scenario.outstanding[office][0]
    assert sum(office_row[5:10:2], ZERO) == scenario.outstanding[office][1]
    assert len(late.tables[1].materialise()) == scenario.outstanding[office][0]
    exceptions = reports.exceptions_by_age(db, actor, as_of=BANK_DAY + timedelta(days=10))
    assert exceptions.tables[0].totals[-2:] == (1, Decimal("77.00"))  # the unknown Ref1
    assert exceptions.tables[0].rows[0][3:5] == (1, Decimal("77.00"))  # aged 8–30 days


def test_scope_follows_the_actor(db, scenario, make_user):
    clerk = Actor.for_user(make_user(Role.CLERK, "5002", username="clerk-scope"))
    own = reports.remittance(db, clerk, date_from=DAYS[0], date_to=BANK_DAY)
    assert [row[0] for row in own.tables[0].rows] == ["5002"]
    with pytest.raises(NotFound):
        reports.daily_collection(db, clerk, day=DAYS[0], office_code="5001")
    provincial = Actor.for_user(make_user(Role.PROVINCIAL, "50", username="prov-scope"))
    mine = reports.statistics(db, provincial, fiscal_year_=2570)
    assert {row[0] for row in mine.tables[2].rows} == {"5001", "5002"}
    with pytest.raises(NotFound):
        reports.statistics(db, provincial, fiscal_year_=2570, province_code="65")


def test_dashboard_compares_with_last_year(db, scenario, make_user):
    office = "5001"
    clerk = Actor.for_user(make_user(Role.CLERK, office, username="clerk-last-year"))
    bill = bills.issue_bill(db, clerk, bills.NewBill(
        payer_name="ปีก่อน", items=[bills.NewBillItem("RT01", 1, Decimal("1000.00"))]), CONFIG,
        clock=lambda: datetime(2025, 11, 3, 2, tzinfo=UTC))
    receipts.take_counter_payment(db, clerk, bill.ref1, method="cash", reference=None,
                                  clock=lambda: datetime(2025, 11, 3, 3, tzinfo=UTC))
    report = reports.dashboard(db, _national(db), today=BANK_DAY)
    by_type = {row[0]: row for row in report.tables[0].rows}
    assert by_type["เงินนอกงบประมาณ"][2] == scenario.net(revenue_type="off_budget")
    assert by_type["เงินนอกงบประมาณ"][4] == Decimal("1000.00")
    assert report.tables[0].totals[2] == scenario.net()
    regions = {row[0]: row for row in report.tables[1].rows}
    assert regions["ภาคเหนือ"][2] == scenario.net()
