"""The scenario the report tests share: three offices, two days of bills, a bank file."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import FeeType
from billpay.receipts import services as receipts
from billpay.settlement.models import SettlementException
from billpay.settlement.services import import_settlement_file, resolve_exception
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
    over_exception = db.scalar(select(SettlementException).where(
        SettlementException.bill_id == over[1].id))
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
