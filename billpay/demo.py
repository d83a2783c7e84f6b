"""Demo activity for ``billpay demo``: a few weeks of a few offices' work, made through
the real services (bills at the counter, cash payments, cancellations, a bank file a
day), so that every page and report has something to show on a new machine."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import Bill, FeeType
from billpay.offices.models import Office
from billpay.receipts import services as receipts
from billpay.settlement.services import import_settlement_file
from billpay.settlement.simulator import simulate_settlement
from billpay.settlement.writer import write_settlement
from billpay.thaidate import BANGKOK, bangkok_date

DEMO_OFFICES = ("5001", "5002", "5003", "6501")
PAYERS = ("นายสมศักดิ์ มีทรัพย์", "นางสาวมาลี สุขใจ", "นายประเสริฐ ทองดี", "นางวันเพ็ญ ศรีสุข",
          "บริษัท เชียงใหม่โฮเต็ล จำกัด", "ห้างหุ้นส่วนจำกัด รุ่งเรืองค้าของเก่า",
          "นายบุญมี ใจกว้าง", "นางสาวอรุณี แสงทอง")


@dataclass(frozen=True)
class DemoReport:
    bills: int
    counter_payments: int
    bank_files: int
    cancelled: int


def _clerk(office: Office) -> Actor:
    return Actor(role=Role.CLERK, name="ข้อมูลตัวอย่าง", office_id=office.id,
                 office_code=office.code, province_code=office.province_code,
                 office_kind=office.kind)


def load_demo_activity(db: Session, config: bills.BillingConfig, *, today: date | None = None,
                       days: int = 30, seed: int = 2569) -> DemoReport | None:
    """Issue, pay and cancel bills over the last ``days`` days at the demo offices and
    import a simulated bank file for each day. Does nothing (returns None) when the
    database already has bills."""
    if db.scalar(select(func.count()).select_from(Bill)):
        return None
    rng = random.Random(seed)
    today = today or bangkok_date(datetime.now(BANGKOK))
    offices = list(db.scalars(select(Office).where(Office.code.in_(DEMO_OFFICES))
                              .order_by(Office.code)))
    fee_types = list(db.scalars(select(FeeType).where(FeeType.active.is_(True))
                                .order_by(FeeType.code)))
    by_revenue = {rt: [f for f in fee_types if f.revenue_type == rt]
                  for rt in ("state", "off_budget")}
    finance = Actor(role=Role.FINANCE, name="ธนาคาร (ข้อมูลตัวอย่าง)")
    issued = paid = files = cancelled = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        for office in offices:
            clerk = _clerk(office)
            for n in range(rng.randint(2, 5)):
                moment = datetime.combine(day, time(9 + n, rng.randrange(60)), tzinfo=BANGKOK)
                kind = by_revenue["state" if rng.random() < 0.8 else "off_budget"]
                items = []
                for fee in rng.sample(kind, min(len(kind), rng.choice((1, 1, 2)))):
                    amount = None if fee.amount_kind == "fixed" else Decimal(
                        rng.randrange(2, 60) * 50)
                    items.append(bills.NewBillItem(fee.code, 1, amount))
                bill = bills.issue_bill(db, clerk, bills.NewBill(
                    payer_name=rng.choice(PAYERS), items=items), config,
                    clock=lambda moment=moment: moment)
                issued += 1
                roll = rng.random()
                if roll < 0.35 and office.counter_payment:
                    receipts.take_counter_payment(
                        db, clerk, bill.ref1, method="cash", reference=None,
                        clock=lambda moment=moment: moment + timedelta(minutes=5))
                    paid += 1
                elif roll < 0.40:
                    bills.cancel_bill(db, clerk, bill.ref1, "ผู้ชำระขอยกเลิก (ข้อมูลตัวอย่าง)",
                                      clock=lambda moment=moment: moment + timedelta(hours=1))
                    cancelled += 1
        simulated = simulate_settlement(db, bank_code="006", day=day, seed=seed + back,
                                        unknown=1 if back % 7 == 0 else 0,
                                        reversals=1 if back % 10 == 0 else 0,
                                        limit=None)
        if simulated.paid:
            data = write_settlement(list(simulated.batches))
            import_settlement_file(db, finance, data, f"KTB{day:%Y%m%d}.txt")
            files += 1
        db.flush()
    bills.expire_overdue(db, today=today)
    return DemoReport(issued, paid, files, cancelled)
