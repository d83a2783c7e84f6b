"""Report totals against sums computed independently from what the test did, on SQLite
and PostgreSQL: the summary tables kept by the services, the same tables rebuilt from
the bills, and every report built on them."""

from __future__ import annotations

from collections import defaultdict
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
from tests.reports.conftest import BANK_DAY, CONFIG, DAYS, OFFICES, ZERO


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


def test_trial_data_never_reaches_the_reports(db, scenario, make_user):
    """A trial office's bills, counter payments and receipts are left out of the summary
    tables, the rebuild and every report."""
    from billpay.offices.models import Office

    office = db.scalar(select(Office).where(Office.code == "5003"))
    office.trial = True
    db.flush()
    before = (_table(DailyStat, db), _table(MonthlyStat, db))
    clerk = Actor.for_user(make_user(Role.CLERK, "5003", username="clerk-trial"))
    bill = bills.issue_bill(db, clerk, bills.NewBill(
        payer_name="ทดลอง ระบบ", items=[bills.NewBillItem("RT01", 1, Decimal("700.00"))]),
        CONFIG, clock=lambda: datetime(2026, 11, 21, 3, tzinfo=UTC))
    assert bill.trial and bill.ref1.startswith("9")
    receipts.take_counter_payment(db, clerk, bill.ref1, method="cash", reference=None,
                                  clock=lambda: datetime(2026, 11, 21, 4, tzinfo=UTC))
    db.expire_all()
    assert (_table(DailyStat, db), _table(MonthlyStat, db)) == before
    stats.rebuild(db)
    db.expire_all()
    assert (_table(DailyStat, db), _table(MonthlyStat, db)) == before
    actor = _national(db)
    daily = reports.daily_collection(db, actor, day=DAYS[1], office_code="5003")
    assert all(row[1] == 0 for row in daily.tables[0].rows)
    detail = reports.collection_detail(db, actor, date_from=DAYS[1], date_to=DAYS[1],
                                       office_code="5003")
    assert detail.tables[0].materialise() == []
