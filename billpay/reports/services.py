"""The reports. Each function takes the session, the actor and its filters, and returns
a ``Report`` (``billpay.reports.tables``) limited to what the actor may see.

Money figures by fee type, revenue type, office and period come from the summary
tables (``stats_daily`` / ``stats_monthly``); lists and counts of things waiting
(outstanding bills, open exceptions, cancellations) and the daily report's tie-out
with the bank come from the bills, payments, receipts and bank lines themselves.
"Net collected" (รับสุทธิ) is paid minus reversed by the bank. Trial data (bills,
payments, receipts and bank lines marked ``trial``) is left out everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from billpay.accounts.models import User
from billpay.accounts.permissions import Actor, Permission, ScopeLevel, in_scope
from billpay.bills.models import REVENUE_TYPE_LABELS_TH, Bill, BillStatus, FeeType, RevenueType
from billpay.errors import Invalid, NotFound
from billpay.offices.models import Office, OfficeKind
from billpay.payments.models import Payment, PaymentMethod, PaymentStatus
from billpay.receipts.models import Receipt, ReceiptStatus
from billpay.reports.models import DailyStat, MonthlyStat
from billpay.reports.tables import Bar, Chart, Column, Kind, Report, Table
from billpay.settlement.models import EXCEPTION_REASON_LABELS_TH, BankLine, SettlementException
from billpay.thaidate import (
    BE_OFFSET,
    THAI_MONTHS_SHORT,
    bangkok_date,
    day_start,
    fiscal_year,
    fiscal_year_bounds,
    thai_date,
)

ZERO = Decimal("0.00")
REVENUE_TYPES = (RevenueType.STATE.value, RevenueType.OFF_BUDGET.value)
METHOD_LABELS_TH = {PaymentMethod.BANK: "ธนาคาร", PaymentMethod.CASH: "เงินสด",
                    PaymentMethod.TRANSFER: "โอนเงิน"}

# Regions by the first digit of the interior ministry's province code.
REGIONS_TH = {"1": "ภาคกลาง", "2": "ภาคตะวันออก", "3": "ภาคตะวันออกเฉียงเหนือ",
              "4": "ภาคตะวันออกเฉียงเหนือ", "5": "ภาคเหนือ", "6": "ภาคเหนือ",
              "7": "ภาคตะวันตก", "8": "ภาคใต้", "9": "ภาคใต้", "0": "ส่วนกลาง"}


# Trial data (billpay.ops.trial) never reaches a report.
LIVE_BILL = Bill.trial.is_(False)
LIVE_PAYMENT = Payment.trial.is_(False)
LIVE_RECEIPT = Receipt.trial.is_(False)
LIVE_LINE = BankLine.trial.is_(False)


def region_of(province_code: str) -> str:
    return REGIONS_TH.get(province_code[:1], "อื่น ๆ")


def _money(value) -> Decimal:
    return (Decimal(value) if value is not None else ZERO).quantize(Decimal("0.01"))


def _net(stat) -> ColumnElement:
    return stat.paid_amount - stat.reversed_amount


# -- which offices a report covers ----------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """What a report covers: the nation, one province (its office and districts), or one
    office."""

    level: ScopeLevel
    province: Office | None = None
    office: Office | None = None

    @property
    def label(self) -> str:
        if self.office is not None:
            return f"{self.office.display_name} ({self.office.code})"
        if self.province is not None:
            return f"จังหวัด{self.province.name_th} ({self.province.code})"
        return "ทั้งประเทศ"

    @property
    def province_code(self) -> str | None:
        return self.province.province_code if self.province is not None else None

    @property
    def office_code(self) -> str | None:
        return self.office.code if self.office is not None else None

    def clause(self, office_id_column) -> ColumnElement[bool]:
        if self.office is not None:
            return office_id_column == self.office.id
        if self.province is not None:
            return office_id_column.in_(select(Office.id).where(
                Office.province_code == self.province.province_code))
        return true()


def resolve_unit(db: Session, actor: Actor, *, province_code: str | None = None,
                 office_code: str | None = None) -> Unit:
    """The unit asked for, if the actor may see it (else NotFound); none asked: the
    actor's own (nation, their province, their office)."""
    actor.require(Permission.REPORT_READ)
    if office_code:
        office = db.scalar(select(Office).where(Office.code == office_code))
        if office is None or not in_scope(actor, office):
            raise NotFound("ไม่พบหน่วยงานนี้ หรือท่านไม่มีสิทธิ์ดูรายงานของหน่วยงานนี้")
        return Unit(ScopeLevel.OFFICE, office=office)
    if province_code:
        province = db.scalar(select(Office).where(Office.code == province_code,
                                                  Office.kind == OfficeKind.PROVINCE))
        allowed = actor.scope is ScopeLevel.NATIONAL or (
            actor.scope is ScopeLevel.PROVINCE and actor.province_code == province_code)
        if province is None or not allowed:
            raise NotFound("ไม่พบจังหวัดนี้ หรือท่านไม่มีสิทธิ์ดูรายงานของจังหวัดนี้")
        return Unit(ScopeLevel.PROVINCE, province=province)
    if actor.scope is ScopeLevel.NATIONAL:
        return Unit(ScopeLevel.NATIONAL)
    if actor.scope is ScopeLevel.PROVINCE:
        return Unit(ScopeLevel.PROVINCE, province=db.scalar(select(Office).where(
            Office.code == actor.province_code)))
    return Unit(ScopeLevel.OFFICE, office=db.get(Office, actor.office_id))


def _check_period(date_from: date, date_to: date, *, max_days: int = 3660) -> None:
    if date_to < date_from:
        raise Invalid("ช่วงวันที่ไม่ถูกต้อง", {"to": ["วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น"]})
    if (date_to - date_from).days > max_days:
        raise Invalid("ช่วงวันที่ยาวเกินไป", {"to": ["เลือกช่วงไม่เกิน 10 ปี"]})


def _period_text(date_from: date, date_to: date) -> str:
    if date_from == date_to:
        return thai_date(date_from)
    return f"{thai_date(date_from)} – {thai_date(date_to)}"


def month_label(month: date) -> str:
    return f"{THAI_MONTHS_SHORT[month.month - 1]} {(month.year + BE_OFFSET) % 100:02d}"


def fiscal_months(fy: int) -> list[date]:
    start, _ = fiscal_year_bounds(fy)
    months = []
    for i in range(12):
        year, month = start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1
        months.append(date(year, month, 1))
    return months


# -- daily collection per office (รายงานการรับเงินประจำวัน) ----------------------------

def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return day_start(day), day_start(day + timedelta(days=1))


def daily_collection(db: Session, actor: Actor, *, day: date,
                     office_code: str | None = None) -> Report:
    """One office's day: bills issued, paid, cancelled; receipts issued and cancelled;
    amounts by fee type, revenue type and payment method; and the tie-out of the
    office's bank payments with the bank's lines of that day, to the satang."""
    unit = resolve_unit(db, actor, office_code=office_code or actor.office_code)
    if unit.office is None:
        raise Invalid("กรุณาเลือกหน่วยงาน", {"office": ["เลือกหน่วยงานที่ต้องการดูรายงาน"]})
    office = unit.office
    start, end = _day_bounds(day)

    def count_sum(query):
        count, amount = db.execute(query).one()
        return int(count or 0), _money(amount)

    issued = count_sum(select(func.count(), func.sum(Bill.total)).where(
        Bill.office_id == office.id, Bill.created_at >= start, Bill.created_at < end, LIVE_BILL))
    cancelled = count_sum(select(func.count(), func.sum(Bill.total)).where(
        Bill.office_id == office.id, Bill.cancelled_at >= start, Bill.cancelled_at < end,
        LIVE_BILL))
    paid = count_sum(select(func.count(), func.sum(Payment.amount)).where(
        Payment.office_id == office.id, Payment.paid_at >= start, Payment.paid_at < end,
        LIVE_PAYMENT))
    reversal = BankLine.__table__.alias("reversal")
    reversed_ = count_sum(
        select(func.count(), func.sum(Payment.amount))
        .join(reversal, reversal.c.id == Payment.reversal_line_id)
        .where(Payment.office_id == office.id, Payment.status == PaymentStatus.REVERSED,
               reversal.c.paid_at >= start, reversal.c.paid_at < end, LIVE_PAYMENT))
    year = fiscal_year(day)  # receipts are indexed by office, fiscal year and time
    receipts_issued = count_sum(select(func.count(), func.sum(Receipt.amount)).where(
        Receipt.office_id == office.id, Receipt.fiscal_year == year,
        Receipt.issued_at >= start, Receipt.issued_at < end, LIVE_RECEIPT))
    receipts_cancelled = count_sum(select(func.count(), func.sum(Receipt.amount)).where(
        Receipt.office_id == office.id, Receipt.status == ReceiptStatus.CANCELLED,
        Receipt.cancelled_at >= start, Receipt.cancelled_at < end, LIVE_RECEIPT))
    numbers = db.execute(
        select(Receipt.series, func.min(Receipt.running), func.max(Receipt.running))
        .where(Receipt.office_id == office.id, Receipt.fiscal_year == year,
               Receipt.issued_at >= start, Receipt.issued_at < end,
               Receipt.running.is_not(None), LIVE_RECEIPT)
        .group_by(Receipt.series)).all()
    number_text = ", ".join(f"{lo:,}–{hi:,}" for _, lo, hi in numbers) or "-"
    net = paid[1] - reversed_[1]
    summary = Table(
        "สรุปประจำวัน",
        (Column("item", "รายการ", width=3), Column("count", "จำนวน", Kind.INT),
         Column("amount", "จำนวนเงิน (บาท)", Kind.MONEY)),
        [("ออกใบแจ้งการชำระเงิน", *issued),
         ("รับชำระเงิน (ทุกช่องทาง)", *paid),
         ("ธนาคารยกเลิกรายการชำระ", *reversed_),
         ("ยกเลิกใบแจ้ง", *cancelled),
         (f"ออกใบเสร็จรับเงิน (ลำดับเลข {number_text})", *receipts_issued),
         ("ยกเลิกใบเสร็จรับเงิน", *receipts_cancelled)],
        totals=("รับสุทธิ (รับชำระ − ธนาคารยกเลิก)", "", net))

    stat_rows = db.execute(
        select(FeeType.code, FeeType.name_th, DailyStat.revenue_type,
               func.sum(DailyStat.issued_count), func.sum(DailyStat.issued_amount),
               func.sum(DailyStat.paid_count), func.sum(DailyStat.paid_amount),
               func.sum(DailyStat.reversed_amount))
        .join(FeeType, FeeType.id == DailyStat.fee_type_id)
        .where(DailyStat.office_id == office.id, DailyStat.day == day)
        .group_by(FeeType.code, FeeType.name_th, DailyStat.revenue_type)
        .order_by(FeeType.code)).all()
    by_fee = [(code, name, REVENUE_TYPE_LABELS_TH[RevenueType(rt)], int(ic), _money(ia),
               int(pc), _money(pa), _money(ra), _money(pa) - _money(ra))
              for code, name, rt, ic, ia, pc, pa, ra in stat_rows]
    fee_table = Table(
        "แยกตามประเภทค่าธรรมเนียม",
        (Column("fee_type", "รหัส"), Column("name", "ประเภทค่าธรรมเนียม", width=3),
         Column("revenue_type", "ประเภทรายได้", width=1.6),
         Column("issued_count", "ออกใบแจ้ง (รายการ)", Kind.INT),
         Column("issued_amount", "ยอดออกใบแจ้ง", Kind.MONEY),
         Column("paid_count", "รับชำระ (รายการ)", Kind.INT),
         Column("paid_amount", "ยอดรับชำระ", Kind.MONEY),
         Column("reversed_amount", "ธนาคารยกเลิก", Kind.MONEY),
         Column("net_amount", "รับสุทธิ", Kind.MONEY)),
        by_fee,
        totals=("", "รวม", "", sum(r[3] for r in by_fee), sum((r[4] for r in by_fee), ZERO),
                sum(r[5] for r in by_fee), sum((r[6] for r in by_fee), ZERO),
                sum((r[7] for r in by_fee), ZERO), sum((r[8] for r in by_fee), ZERO)))
    by_revenue: dict[str, list[Decimal]] = {rt: [ZERO, ZERO] for rt in REVENUE_TYPES}
    for row in stat_rows:
        by_revenue[row[2]][0] += _money(row[6])
        by_revenue[row[2]][1] += _money(row[7])
    revenue_table = Table(
        "แยกตามประเภทรายได้",
        (Column("revenue_type", "ประเภทรายได้", width=2),
         Column("paid_amount", "ยอดรับชำระ", Kind.MONEY),
         Column("reversed_amount", "ธนาคารยกเลิก", Kind.MONEY),
         Column("net_amount", "รับสุทธิ", Kind.MONEY)),
        [(REVENUE_TYPE_LABELS_TH[RevenueType(rt)], p, r, p - r)
         for rt, (p, r) in by_revenue.items()],
        totals=("รวม", sum((v[0] for v in by_revenue.values()), ZERO),
                sum((v[1] for v in by_revenue.values()), ZERO), net))

    methods = db.execute(
        select(Payment.method, Payment.bank_code, func.count(), func.sum(Payment.amount))
        .where(Payment.office_id == office.id, Payment.paid_at >= start, Payment.paid_at < end,
               LIVE_PAYMENT)
        .group_by(Payment.method, Payment.bank_code)
        .order_by(Payment.method, Payment.bank_code)).all()
    method_table = Table(
        "แยกตามวิธีชำระ",
        (Column("method", "วิธีชำระ", width=2), Column("bank_code", "รหัสธนาคาร"),
         Column("count", "จำนวน", Kind.INT), Column("amount", "จำนวนเงิน (บาท)", Kind.MONEY)),
        [(METHOD_LABELS_TH.get(m, m), bank or "-", int(c), _money(a)) for m, bank, c, a in methods],
        totals=("รวม", "", paid[0], paid[1]))

    # The tie-out: every bank payment line of this day naming one of this office's bills
    # (bank_lines.office_id) is either this office's bank payment or an exception; the
    # sums must agree to the satang.
    office_lines = (BankLine.office_id == office.id, BankLine.kind == "C", LIVE_LINE,
                    BankLine.paid_at >= start, BankLine.paid_at < end)
    lines = count_sum(select(func.count(), func.sum(BankLine.amount)).where(*office_lines))
    bank_paid = count_sum(
        select(func.count(), func.sum(Payment.amount))
        .join(BankLine, BankLine.id == Payment.bank_line_id)
        .where(Payment.office_id == office.id, Payment.method == PaymentMethod.BANK,
               LIVE_PAYMENT, Payment.paid_at >= start, Payment.paid_at < end,
               BankLine.office_id == office.id))
    exceptions = count_sum(
        select(func.count(), func.sum(BankLine.amount))
        .join(SettlementException, SettlementException.bank_line_id == BankLine.id)
        .where(*office_lines,
               ~select(Payment.id).where(Payment.bank_line_id == BankLine.id).exists()))
    difference = lines[1] - bank_paid[1] - exceptions[1]
    tie_table = Table(
        "กระทบยอดกับรายการของธนาคาร",
        (Column("item", "รายการ", width=3), Column("count", "จำนวน", Kind.INT),
         Column("amount", "จำนวนเงิน (บาท)", Kind.MONEY)),
        [("รายการชำระของธนาคารที่อ้างใบแจ้งของหน่วยงาน", *lines),
         ("บันทึกเป็นการรับชำระผ่านธนาคาร", *bank_paid),
         ("รอตรวจสอบ / จัดการเป็นรายการผิดปกติ", *exceptions)],
        totals=("ผลต่าง", lines[0] - bank_paid[0] - exceptions[0], difference))
    stats_paid = sum((r[6] for r in by_fee), ZERO)
    return Report(
        "daily", "รายงานการรับเงินประจำวัน",
        [("หน่วยงาน", unit.label), ("วันที่", thai_date(day))],
        [summary, fee_table, revenue_table, method_table, tie_table],
        checks=[("ยอดรับชำระผ่านธนาคารตรงกับรายการของธนาคาร", difference == 0),
                ("ยอดแยกตามประเภทค่าธรรมเนียมตรงกับยอดรับชำระ", stats_paid == paid[1])])


# -- remittance by revenue type (การนำส่งเงินตามประเภทรายได้) --------------------------

GROUPINGS = ("nation", "province", "office")


def remittance(db: Session, actor: Actor, *, date_from: date, date_to: date,
               group_by: str = "office", by_day: bool = False,
               province_code: str | None = None, office_code: str | None = None) -> Report:
    """Net collected per revenue type, per office, province or the nation, for a period,
    optionally day by day: what each office must remit (รายได้แผ่นดิน to the treasury,
    เงินนอกงบประมาณ to the agency's account)."""
    _check_period(date_from, date_to)
    if group_by not in GROUPINGS:
        raise Invalid("การจัดกลุ่มไม่ถูกต้อง", {"group_by": ["เลือก ทั้งประเทศ จังหวัด หรือหน่วยงาน"]})
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    net = _net(DailyStat)
    state = func.sum(case((DailyStat.revenue_type == RevenueType.STATE.value, net), else_=0))
    off_budget = func.sum(case((DailyStat.revenue_type == RevenueType.OFF_BUDGET.value, net),
                               else_=0))
    keys: list = []
    if group_by == "province":
        keys = [Office.province_code]
    elif group_by == "office":
        keys = [Office.code, Office.name_th, Office.kind]
    if by_day:
        keys.append(DailyStat.day)
    query = (select(*keys, func.sum(DailyStat.paid_count - DailyStat.reversed_count), state,
                    off_budget)
             .join(Office, Office.id == DailyStat.office_id)
             .where(unit.clause(DailyStat.office_id), DailyStat.day >= date_from,
                    DailyStat.day <= date_to))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    names = _province_names(db) if group_by != "nation" else {}
    rows = []
    for row in db.execute(query):
        values = list(row)
        day = values.pop(len(keys) - 1) if by_day else None
        label: tuple
        if group_by == "province":
            label = (values[0], f"จังหวัด{names.get(values[0], values[0])}")
            values = values[1:]
        elif group_by == "office":
            code, name, kind = values[:3]
            label = (code, _office_label(code, name, kind, names))
            values = values[3:]
        else:
            label = ("", unit.label)
        count, s, o = int(values[0] or 0), _money(values[1]), _money(values[2])
        rows.append((*label, *((day,) if by_day else ()), count, s, o, s + o))
    columns = [Column("code", "รหัส"), Column("unit", "หน่วยงาน", width=3.5)]
    if by_day:
        columns.append(Column("day", "วันที่", Kind.DATE, width=1.4))
    columns += [Column("count", "รายการ (สุทธิ)", Kind.INT),
                Column("state", "รายได้แผ่นดิน", Kind.MONEY),
                Column("off_budget", "เงินนอกงบประมาณ", Kind.MONEY),
                Column("total", "รวม", Kind.MONEY)]
    pad = ("",) if by_day else ()
    totals = ("", "รวม", *pad, sum(r[-4] for r in rows), sum((r[-3] for r in rows), ZERO),
              sum((r[-2] for r in rows), ZERO), sum((r[-1] for r in rows), ZERO))
    labels = {"nation": "ทั้งประเทศ", "province": "รายจังหวัด", "office": "รายหน่วยงาน"}
    return Report(
        "remittance", "รายงานการนำส่งเงินตามประเภทรายได้",
        [("ขอบเขต", unit.label), ("ช่วงวันที่", _period_text(date_from, date_to)),
         ("จัดกลุ่ม", labels[group_by] + (" รายวัน" if by_day else ""))],
        [Table("ยอดรับสุทธิแยกตามประเภทรายได้", tuple(columns), rows, totals=totals)],
        notes=["ยอดรับสุทธิ = ยอดรับชำระ − ยอดที่ธนาคารยกเลิก นับตามวันที่ผู้ชำระชำระเงิน (เวลากรุงเทพฯ)"])


def _province_names(db: Session) -> dict[str, str]:
    return dict(db.execute(select(Office.code, Office.name_th)
                           .where(Office.kind == OfficeKind.PROVINCE)).all())


def _office_label(code: str, name: str, kind: str, provinces: dict[str, str]) -> str:
    if kind == OfficeKind.DISTRICT:
        return f"อำเภอ{name} จังหวัด{provinces.get(code[:2], '')}"
    if kind == OfficeKind.PROVINCE:
        return f"ที่ทำการปกครองจังหวัด{name}"
    return name


# -- statistics by fee type × office × month (สถิติการจัดเก็บ) ---------------------------

def statistics(db: Session, actor: Actor, *, fiscal_year_: int,
               province_code: str | None = None, office_code: str | None = None,
               link=None) -> Report:
    """Net collected by fee type and Buddhist-era month of a fiscal year, for the nation,
    a province or an office, with the units one level down (drill: nation → provinces →
    district offices), the trend against last year, the share by fee type and the top
    offices. ``link(province_code=..., office_code=...)`` gives a drill-down URL."""
    try:
        fiscal_year_bounds(fiscal_year_)
    except (TypeError, ValueError) as exc:
        raise Invalid("ปีงบประมาณไม่ถูกต้อง", {"fiscal_year": [str(exc)]}) from None
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    months = fiscal_months(fiscal_year_)
    in_unit = unit.clause(MonthlyStat.office_id)
    in_year = and_(MonthlyStat.month >= months[0], MonthlyStat.month <= months[-1])
    last_months = fiscal_months(fiscal_year_ - 1)
    # Two scans of the monthly table: fee type × month over both years (the matrices and
    # last year's trend), and this year per office (the units one level down, the top 10).
    cells = db.execute(
        select(MonthlyStat.fee_type_id, MonthlyStat.month, func.sum(MonthlyStat.paid_count),
               func.sum(MonthlyStat.reversed_count), func.sum(_net(MonthlyStat)))
        .where(in_unit, MonthlyStat.month >= last_months[0], MonthlyStat.month <= months[-1])
        .group_by(MonthlyStat.fee_type_id, MonthlyStat.month)).all()
    fee_types = {f.id: f for f in db.scalars(select(FeeType))}
    amounts: dict[int, dict[date, Decimal]] = defaultdict(dict)
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    last: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for fee_type_id, month, paid_count, reversed_count, net in cells:
        if month < months[0]:
            last[month] += _money(net)
            continue
        amounts[fee_type_id][month] = _money(net)
        counts[fee_type_id][month] = int(paid_count or 0) - int(reversed_count or 0)
    order = sorted(amounts, key=lambda fid: fee_types[fid].code)
    month_columns = tuple(Column(m.isoformat()[:7], month_label(m), Kind.MONEY) for m in months)

    def matrix(title: str, data, kind: Kind, zero) -> Table:
        columns = (Column("fee_type", "รหัส", width=0.8),
                   Column("name", "ประเภทค่าธรรมเนียม", width=3),
                   *(Column(c.key, c.label, kind) for c in month_columns),
                   Column("total", "รวม", kind, width=1.3))
        rows = []
        for fid in order:
            values = [data[fid].get(m, zero) for m in months]
            rows.append((fee_types[fid].code, fee_types[fid].name_th, *values,
                         sum(values, zero)))
        month_totals = [sum((r[2 + i] for r in rows), zero) for i in range(12)]
        return Table(title, columns, rows,
                     totals=("", "รวม", *month_totals, sum(month_totals, zero)))

    amount_table = matrix("ยอดรับสุทธิ (บาท) แยกตามประเภทค่าธรรมเนียมและเดือน", amounts,
                          Kind.MONEY, ZERO)
    count_table = matrix("จำนวนรายการ (สุทธิ) แยกตามประเภทค่าธรรมเนียมและเดือน", counts,
                         Kind.INT, 0)
    tables = [amount_table, count_table]
    this_year = amount_table.totals[2:14]
    trend = Chart(f"แนวโน้มรายเดือน ปีงบประมาณ {fiscal_year_} เทียบกับ {fiscal_year_ - 1}",
                  "columns", tuple(Bar(month_label(m), v) for m, v in zip(months, this_year,
                                                                          strict=True)),
                  compare=tuple(Bar(month_label(m), _money(last.get(m))) for m in last_months))
    share = Chart("สัดส่วนตามประเภทค่าธรรมเนียม", "bars", tuple(sorted(
        (Bar(f"{r[0]} {r[1]}", r[-1]) for r in amount_table.rows), key=lambda b: -b.value)))
    charts = [trend, share]

    if unit.office is None:
        per_office = db.execute(
            select(MonthlyStat.office_id, func.sum(_net(MonthlyStat)),
                   func.sum(MonthlyStat.paid_count - MonthlyStat.reversed_count),
                   func.sum(MonthlyStat.issued_count))
            .where(in_unit, in_year).group_by(MonthlyStat.office_id)).all()
        offices = {o.id: o for o in db.scalars(select(Office).where(
            Office.id.in_([row[0] for row in per_office])))} if per_office else {}
        names = _province_names(db)
        # one level down: provinces of the nation, offices of a province
        groups: dict[str, list] = {}
        for office_id, net, count, issued in per_office:
            office = offices[office_id]
            key = office.province_code if unit.province is None else office.code
            entry = groups.setdefault(key, [office, ZERO, 0, 0])
            entry[1] += _money(net)
            entry[2] += int(count or 0)
            entry[3] += int(issued or 0)
        rows, links = [], {}
        for index, code in enumerate(sorted(groups)):
            office, net, count, issued = groups[code]
            if unit.province is None:
                label = f"จังหวัด{names.get(code, code)}"
                href = link(province_code=code) if link else None
            else:
                label = office.display_name
                href = link(office_code=code) if link else None
            rows.append((code, label, issued, count, net))
            if href:
                links[index] = href
        title = "แยกตามจังหวัด" if unit.province is None else "แยกตามหน่วยงานในจังหวัด"
        tables.append(Table(
            title, (Column("code", "รหัส"), Column("unit", "หน่วยงาน", width=3.5),
                    Column("issued", "ออกใบแจ้ง (รายการ)", Kind.INT),
                    Column("count", "รับชำระสุทธิ (รายการ)", Kind.INT),
                    Column("net", "ยอดรับสุทธิ (บาท)", Kind.MONEY)),
            rows, links=links,
            totals=("", "รวม", sum(r[2] for r in rows), sum(r[3] for r in rows),
                    sum((r[4] for r in rows), ZERO))))
        top = sorted(per_office, key=lambda row: (-_money(row[1]), offices[row[0]].code))[:10]
        charts.append(Chart("10 หน่วยงานที่จัดเก็บได้สูงสุด", "bars", tuple(
            Bar(_office_label(offices[office_id].code, offices[office_id].name_th,
                              offices[office_id].kind, names), _money(net),
                link(office_code=offices[office_id].code) if link else None)
            for office_id, net, _count, _issued in top)))
    return Report(
        "statistics", "สถิติการจัดเก็บค่าธรรมเนียม",
        [("ขอบเขต", unit.label), ("ปีงบประมาณ", str(fiscal_year_))],
        tables, charts=charts,
        notes=["ยอดรับสุทธิ = ยอดรับชำระ − ยอดที่ธนาคารยกเลิก นับตามเดือนที่ชำระเงิน (เวลากรุงเทพฯ)"])


# -- outstanding and expired bills (ใบแจ้งค้างชำระ) --------------------------------------

AGE_BUCKETS = ((0, 30, "1–30 วัน"), (31, 90, "31–90 วัน"), (91, None, "เกิน 90 วัน"))


def outstanding(db: Session, actor: Actor, *, as_of: date, province_code: str | None = None,
                office_code: str | None = None) -> Report:
    """Bills not paid: still within their due date, overdue (by days past due) and
    expired, per office; for one office also the bills themselves."""
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    waiting = and_(Bill.status.in_((BillStatus.ISSUED, BillStatus.EXPIRED)), LIVE_BILL)
    due_ok = and_(Bill.status == BillStatus.ISSUED, Bill.due_date >= as_of)
    late = Bill.due_date < as_of

    def bucket(lo: int, hi: int | None):
        cond = and_(late, Bill.due_date <= as_of - timedelta(days=lo or 1))
        if hi is not None:
            cond = and_(cond, Bill.due_date >= as_of - timedelta(days=hi))
        return cond

    measures = [func.sum(case((due_ok, 1), else_=0)), func.sum(case((due_ok, Bill.total),
                                                                     else_=0))]
    for lo, hi, _ in AGE_BUCKETS:
        cond = bucket(lo, hi)
        measures += [func.sum(case((cond, 1), else_=0)), func.sum(case((cond, Bill.total),
                                                                       else_=0))]
    expired = Bill.status == BillStatus.EXPIRED
    measures += [func.sum(case((expired, 1), else_=0))]
    names = _province_names(db)
    rows = []
    for code, name, kind, *values in db.execute(
            select(Office.code, Office.name_th, Office.kind, *measures)
            .join(Office, Office.id == Bill.office_id)
            .where(unit.clause(Bill.office_id), waiting)
            .group_by(Office.code, Office.name_th, Office.kind).order_by(Office.code)):
        converted = [int(v or 0) if i % 2 == 0 else _money(v) for i, v in enumerate(values[:-1])]
        rows.append((code, _office_label(code, name, kind, names), *converted,
                     int(values[-1] or 0)))
    columns = [Column("code", "รหัส"), Column("unit", "หน่วยงาน", width=3),
               Column("due_count", "ยังไม่ถึงกำหนด", Kind.INT),
               Column("due_amount", "ยอด (บาท)", Kind.MONEY)]
    for lo, _, label in AGE_BUCKETS:
        columns += [Column(f"late{lo}_count", f"เกินกำหนด {label}", Kind.INT),
                    Column(f"late{lo}_amount", "ยอด (บาท)", Kind.MONEY)]
    columns.append(Column("expired_count", "ในจำนวนนี้หมดอายุแล้ว", Kind.INT))
    totals = ("", "รวม", *(sum((r[i] for r in rows), ZERO if i % 2 else 0)
                           for i in range(2, len(columns))))
    tables = [Table("ใบแจ้งที่ยังไม่ได้รับชำระ แยกตามหน่วยงาน", tuple(columns), rows, totals=totals)]
    if unit.office is not None:
        bills = db.execute(
            select(Bill.ref1, Bill.payer_name, Bill.created_at, Bill.due_date, Bill.total,
                   Bill.status)
            .where(Bill.office_id == unit.office.id, waiting)
            .order_by(Bill.due_date, Bill.ref1))
        tables.append(Table(
            "รายการใบแจ้งที่ยังไม่ได้รับชำระ",
            (Column("ref1", "Ref.1", width=1.8), Column("payer", "ผู้ชำระเงิน", width=3),
             Column("created", "วันที่ออก", Kind.DATE, width=1.3),
             Column("due", "ครบกำหนด", Kind.DATE, width=1.3),
             Column("days_late", "เกินกำหนด (วัน)", Kind.INT),
             Column("total", "ยอด (บาท)", Kind.MONEY), Column("status", "สถานะ")),
            ((ref1, payer, bangkok_date(created), due, max((as_of - due).days, 0), total,
              "หมดอายุ" if status == BillStatus.EXPIRED else "รอชำระ")
             for ref1, payer, created, due, total, status in bills)))
    return Report("outstanding", "รายงานใบแจ้งค้างชำระและหมดอายุ",
                  [("ขอบเขต", unit.label), ("ณ วันที่", thai_date(as_of))], tables)


# -- settlement exceptions by age ------------------------------------------------------

EXCEPTION_AGES = ((0, 7, "ไม่เกิน 7 วัน"), (8, 30, "8–30 วัน"), (31, 90, "31–90 วัน"),
                  (91, None, "เกิน 90 วัน"))


def exceptions_by_age(db: Session, actor: Actor, *, as_of: date,
                      province_code: str | None = None,
                      office_code: str | None = None) -> Report:
    """Open settlement exceptions by reason and by how long they have waited (since the
    payer paid), with the offices they belong to. Lines naming no bill of billpay belong
    to no office: only national users see them."""
    actor.require(Permission.SETTLEMENT_READ)
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    where = [SettlementException.status == "open", LIVE_LINE, BankLine.paid_at < day_start(
        as_of + timedelta(days=1))]
    if unit.level is not ScopeLevel.NATIONAL:
        where.append(unit.clause(SettlementException.office_id))
    ages = []
    for lo, hi, _ in EXCEPTION_AGES:
        cond = BankLine.paid_at < day_start(as_of - timedelta(days=lo - 1))
        if hi is not None:
            cond = and_(cond, BankLine.paid_at >= day_start(as_of - timedelta(days=hi)))
        ages.append(cond)
    measures = []
    for cond in ages:
        measures += [func.sum(case((cond, 1), else_=0)),
                     func.sum(case((cond, BankLine.amount), else_=0))]
    base = (select(SettlementException.reason, *measures)
            .join(BankLine, BankLine.id == SettlementException.bank_line_id).where(*where))
    rows = []
    for reason, *values in db.execute(base.group_by(SettlementException.reason)
                                      .order_by(SettlementException.reason)):
        converted = [int(v or 0) if i % 2 == 0 else _money(v) for i, v in enumerate(values)]
        rows.append((EXCEPTION_REASON_LABELS_TH.get(reason, reason), *converted,
                     sum(converted[0::2]), sum(converted[1::2], ZERO)))
    columns = [Column("reason", "สาเหตุ", width=3)]
    for lo, _, label in EXCEPTION_AGES:
        columns += [Column(f"age{lo}_count", label, Kind.INT),
                    Column(f"age{lo}_amount", "ยอด (บาท)", Kind.MONEY)]
    columns += [Column("count", "รวม (รายการ)", Kind.INT), Column("amount", "รวม (บาท)", Kind.MONEY)]
    totals = ("รวม", *(sum((r[i] for r in rows), ZERO if i % 2 == 0 else 0)
                       for i in range(1, len(columns))))
    oldest = func.min(BankLine.paid_at)
    by_office = db.execute(
        select(Office.code, Office.name_th, Office.kind, func.count(),
               func.sum(BankLine.amount), oldest)
        .select_from(SettlementException)
        .join(BankLine, BankLine.id == SettlementException.bank_line_id)
        .outerjoin(Office, Office.id == SettlementException.office_id)
        .where(*where).group_by(Office.code, Office.name_th, Office.kind)
        .order_by(oldest)).all()
    names = _province_names(db)
    office_rows = [(code or "-", _office_label(code, name, kind, names) if code
                    else "ไม่ทราบหน่วยงาน (Ref1 ไม่ตรงกับใบแจ้งใด)", int(count), _money(amount),
                    bangkok_date(first), (as_of - bangkok_date(first)).days)
                   for code, name, kind, count, amount, first in by_office]
    return Report(
        "exceptions", "รายการผิดปกติจากไฟล์ธนาคารที่ยังไม่ได้จัดการ แยกตามอายุ",
        [("ขอบเขต", unit.label), ("ณ วันที่", thai_date(as_of))],
        [Table("แยกตามสาเหตุและอายุรายการ", tuple(columns), rows, totals=totals),
         Table("แยกตามหน่วยงาน",
               (Column("code", "รหัส"), Column("unit", "หน่วยงาน", width=3.5),
                Column("count", "รายการ", Kind.INT), Column("amount", "ยอด (บาท)", Kind.MONEY),
                Column("oldest", "รายการเก่าสุด", Kind.DATE, width=1.3),
                Column("age", "อายุ (วัน)", Kind.INT)), office_rows,
               totals=("", "รวม", sum(r[2] for r in office_rows),
                       sum((r[3] for r in office_rows), ZERO), "", ""))],
        notes=["อายุนับจากวันที่ผู้ชำระชำระเงินที่ธนาคาร"])


# -- receipt cancellations -------------------------------------------------------------

def cancellations(db: Session, actor: Actor, *, date_from: date, date_to: date,
                  province_code: str | None = None, office_code: str | None = None) -> Report:
    """Receipts cancelled in a period: per office (approved by a second person, or by a
    bank reversal), per reason, and each cancelled receipt."""
    actor.require(Permission.RECEIPT_READ)
    _check_period(date_from, date_to)
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    where = [unit.clause(Receipt.office_id), Receipt.status == ReceiptStatus.CANCELLED,
             LIVE_RECEIPT,
             Receipt.cancelled_at >= day_start(date_from),
             Receipt.cancelled_at < day_start(date_to + timedelta(days=1))]
    approved = Receipt.cancel_kind == "approved"
    names = _province_names(db)
    per_office = [
        (code, _office_label(code, name, kind, names), int(a or 0), int(b or 0), int(n),
         _money(amount))
        for code, name, kind, a, b, n, amount in db.execute(
            select(Office.code, Office.name_th, Office.kind,
                   func.sum(case((approved, 1), else_=0)),
                   func.sum(case((approved, 0), else_=1)), func.count(), func.sum(Receipt.amount))
            .join(Office, Office.id == Receipt.office_id).where(*where)
            .group_by(Office.code, Office.name_th, Office.kind).order_by(Office.code))]
    per_reason = [(reason, int(n), _money(amount)) for reason, n, amount in db.execute(
        select(Receipt.cancel_reason, func.count(), func.sum(Receipt.amount)).where(*where)
        .group_by(Receipt.cancel_reason).order_by(func.count().desc(), Receipt.cancel_reason))]
    requester = User.__table__.alias("requester")
    approver = User.__table__.alias("approver")
    detail = db.execute(
        select(Office.code, Receipt.fiscal_year, Receipt.book, Receipt.number, Receipt.issued_at,
               Receipt.cancelled_at, Receipt.amount, Receipt.cancel_kind, Receipt.cancel_reason,
               requester.c.full_name, approver.c.full_name)
        .join(Office, Office.id == Receipt.office_id)
        .outerjoin(requester, requester.c.id == Receipt.cancel_requested_by_id)
        .outerjoin(approver, approver.c.id == Receipt.cancel_approved_by_id)
        .where(*where).order_by(Receipt.cancelled_at))
    return Report(
        "cancellations", "รายงานการยกเลิกใบเสร็จรับเงิน",
        [("ขอบเขต", unit.label), ("ช่วงวันที่", _period_text(date_from, date_to))],
        [Table("แยกตามหน่วยงาน",
               (Column("code", "รหัส"), Column("unit", "หน่วยงาน", width=3.5),
                Column("approved", "อนุมัติโดยผู้มีอำนาจ", Kind.INT),
                Column("bank", "ธนาคารยกเลิกรายการ", Kind.INT),
                Column("count", "รวม (ฉบับ)", Kind.INT), Column("amount", "ยอด (บาท)", Kind.MONEY)),
               per_office,
               totals=("", "รวม", sum(r[2] for r in per_office), sum(r[3] for r in per_office),
                       sum(r[4] for r in per_office), sum((r[5] for r in per_office), ZERO))),
         Table("แยกตามเหตุผล",
               (Column("reason", "เหตุผล", width=5), Column("count", "ฉบับ", Kind.INT),
                Column("amount", "ยอด (บาท)", Kind.MONEY)), per_reason),
         Table("รายการใบเสร็จที่ยกเลิก",
               (Column("office", "หน่วยงาน"), Column("fiscal_year", "ปีงบ"),
                Column("book", "เล่มที่"), Column("number", "เลขที่", Kind.INT),
                Column("issued", "วันที่ออก", Kind.DATE, width=1.3),
                Column("cancelled", "วันที่ยกเลิก", Kind.DATE, width=1.3),
                Column("amount", "ยอด (บาท)", Kind.MONEY),
                Column("kind", "ลักษณะ", width=1.4), Column("reason", "เหตุผล", width=3),
                Column("requested_by", "ผู้ขอ", width=1.6),
                Column("approved_by", "ผู้อนุมัติ", width=1.6)),
               ((code, fy, book, number, bangkok_date(issued), bangkok_date(cancelled), amount,
                 "อนุมัติยกเลิก" if kind == "approved" else "ธนาคารยกเลิกรายการ", reason,
                 req or "-", appr or "-")
                for code, fy, book, number, issued, cancelled, amount, kind, reason, req, appr
                in detail))])


# -- every payment of a period (รายละเอียดการรับเงิน) ------------------------------------

def collection_detail(db: Session, actor: Actor, *, date_from: date, date_to: date,
                      province_code: str | None = None, office_code: str | None = None) -> Report:
    """Every payment received in the period with its receipt: the list behind the
    totals, for checking and for other systems. Streams: no row cap."""
    _check_period(date_from, date_to, max_days=400)
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    query = (
        select(Payment.paid_at, Office.code, Bill.ref1, Receipt.book, Receipt.number,
               Bill.payer_name, Bill.revenue_type, Payment.method, Payment.bank_code,
               Payment.amount, Payment.status, Receipt.status)
        .join(Bill, Bill.id == Payment.bill_id)
        .join(Office, Office.id == Payment.office_id)
        .outerjoin(Receipt, and_(Receipt.payment_id == Payment.id,
                                 Receipt.replaces_id.is_(None)))
        .where(unit.clause(Payment.office_id), LIVE_PAYMENT,
               Payment.paid_at >= day_start(date_from),
               Payment.paid_at < day_start(date_to + timedelta(days=1)))
        .order_by(Payment.paid_at, Payment.id)
        .execution_options(yield_per=2000))

    def rows() -> Iterator[tuple]:
        for (paid_at, code, ref1, book, number, payer, revenue_type, method, bank, amount,
             status, receipt_status) in db.execute(query):
            yield (paid_at, code, ref1, f"{book}/{number}" if book else "-", payer,
                   REVENUE_TYPE_LABELS_TH[RevenueType(revenue_type)],
                   METHOD_LABELS_TH.get(method, method) + (f" {bank}" if bank else ""), amount,
                   "ธนาคารยกเลิก" if status == PaymentStatus.REVERSED else "รับแล้ว",
                   "ยกเลิก" if receipt_status == ReceiptStatus.CANCELLED else
                   ("ใช้ได้" if receipt_status else "-"))

    return Report(
        "detail", "รายละเอียดการรับเงิน",
        [("ขอบเขต", unit.label), ("ช่วงวันที่", _period_text(date_from, date_to))],
        [Table("รายการรับชำระ",
               (Column("paid_at", "วันเวลาที่ชำระ", Kind.DATETIME, width=1.8),
                Column("office", "หน่วยงาน", width=0.8), Column("ref1", "Ref.1", width=1.8),
                Column("receipt", "ใบเสร็จ เล่ม/เลขที่", width=1.3),
                Column("payer", "ผู้ชำระเงิน", width=2.6),
                Column("revenue_type", "ประเภทรายได้", width=1.6),
                Column("method", "วิธีชำระ", width=1.1),
                Column("amount", "จำนวนเงิน (บาท)", Kind.MONEY, width=1.3),
                Column("status", "สถานะการชำระ", width=1.2),
                Column("receipt_status", "สถานะใบเสร็จ", width=1)), rows())])


# -- the executive dashboard -----------------------------------------------------------

def _net_between(db: Session, unit: Unit, start: date, end: date, *keys) -> list:
    """Net collected between two days inclusive, grouped by ``keys``: whole months from
    the monthly table, the days at either end from the daily table."""
    first_full = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(
        day=1)
    after = end + timedelta(days=1)
    end_full = after.replace(day=1)  # months before this one are whole
    parts = []
    if first_full < end_full:
        parts.append((MonthlyStat, MonthlyStat.month, first_full, end_full))
        if start < first_full:
            parts.append((DailyStat, DailyStat.day, start, first_full))
        if end_full < after:
            parts.append((DailyStat, DailyStat.day, end_full, after))
    else:
        parts.append((DailyStat, DailyStat.day, start, after))
    totals: dict[tuple, list] = defaultdict(lambda: [ZERO, 0])
    for model, period, lo, hi in parts:
        columns = [getattr(model, k) if isinstance(k, str) else k for k in keys]
        query = (select(*columns, func.sum(_net(model)),
                        func.sum(model.paid_count - model.reversed_count))
                 .where(unit.clause(model.office_id), period >= lo, period < hi))
        if any(not isinstance(k, str) for k in keys):
            query = query.join(Office, Office.id == model.office_id)
        if columns:
            query = query.group_by(*columns)
        for *key, net, count in db.execute(query):
            entry = totals[tuple(key)]
            entry[0] += _money(net)
            entry[1] += int(count or 0)
    return [(*key, net, count) for key, (net, count) in totals.items()]


def dashboard(db: Session, actor: Actor, *, today: date, province_code: str | None = None,
              office_code: str | None = None) -> Report:
    """This fiscal year so far against the same days of last year, by revenue type and
    by region (or province, for a province), with the months side by side."""
    unit = resolve_unit(db, actor, province_code=province_code, office_code=office_code)
    fy = fiscal_year(today)
    start, _ = fiscal_year_bounds(fy)
    last_start, _ = fiscal_year_bounds(fy - 1)
    try:
        last_today = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        last_today = today.replace(year=today.year - 1, day=28)

    def change(now: Decimal, before: Decimal):
        return ((now - before) / before).quantize(Decimal("0.0001")) if before else None

    by_type_now = {rt: (net, n) for rt, net, n in _net_between(db, unit, start, today,
                                                                "revenue_type")}
    by_type_last = {rt: (net, n) for rt, net, n in _net_between(db, unit, last_start, last_today,
                                                                 "revenue_type")}
    type_rows = []
    for rt in REVENUE_TYPES:
        now, n_now = by_type_now.get(rt, (ZERO, 0))
        before, n_before = by_type_last.get(rt, (ZERO, 0))
        type_rows.append((REVENUE_TYPE_LABELS_TH[RevenueType(rt)], n_now, now, n_before, before,
                          change(now, before)))
    total_now = sum((r[2] for r in type_rows), ZERO)
    total_last = sum((r[4] for r in type_rows), ZERO)
    compare_columns = (Column("count", "รายการ ปีนี้", Kind.INT),
                       Column("amount", f"ปีงบ {fy} (บาท)", Kind.MONEY),
                       Column("last_count", "รายการ ปีก่อน", Kind.INT),
                       Column("last_amount", f"ช่วงเดียวกัน ปีงบ {fy - 1} (บาท)", Kind.MONEY),
                       Column("change", "เปลี่ยนแปลง", Kind.PERCENT))
    tables = [Table("แยกตามประเภทรายได้", (Column("revenue_type", "ประเภทรายได้", width=2),
                                          *compare_columns), type_rows,
                    totals=("รวม", sum(r[1] for r in type_rows), total_now,
                            sum(r[3] for r in type_rows), total_last,
                            change(total_now, total_last)))]
    if unit.office is None:
        names = _province_names(db)
        now_p = {p: (net, n) for p, net, n in _net_between(db, unit, start, today,
                                                            Office.province_code)}
        last_p = {p: (net, n) for p, net, n in _net_between(db, unit, last_start, last_today,
                                                             Office.province_code)}
        groups: dict[str, list] = defaultdict(lambda: [0, ZERO, 0, ZERO])
        for code in set(now_p) | set(last_p):
            label = region_of(code) if unit.province is None else f"จังหวัด{names.get(code, code)}"
            entry = groups[label]
            entry[0] += now_p.get(code, (ZERO, 0))[1]
            entry[1] += now_p.get(code, (ZERO, 0))[0]
            entry[2] += last_p.get(code, (ZERO, 0))[1]
            entry[3] += last_p.get(code, (ZERO, 0))[0]
        region_rows = [(label, a, b, c, d, change(b, d))
                       for label, (a, b, c, d) in sorted(groups.items(), key=lambda i: -i[1][1])]
        tables.append(Table("แยกตามภาค" if unit.province is None else "จังหวัด",
                            (Column("region", "ภาค" if unit.province is None else "จังหวัด",
                                    width=2), *compare_columns), region_rows))
    months = fiscal_months(fy)
    last_months = fiscal_months(fy - 1)
    monthly = dict(db.execute(
        select(MonthlyStat.month, func.sum(_net(MonthlyStat)))
        .where(unit.clause(MonthlyStat.office_id), MonthlyStat.month >= last_months[0],
               MonthlyStat.month <= months[-1])
        .group_by(MonthlyStat.month)).all())
    trend = Chart(f"รายเดือน ปีงบ {fy} เทียบกับ {fy - 1}", "columns",
                  tuple(Bar(month_label(m), _money(monthly.get(m))) for m in months
                        if m <= today),
                  compare=tuple(Bar(month_label(m), _money(monthly.get(m))) for m in last_months))
    cards = [("ปีงบประมาณนี้ถึงวันนี้", total_now), ("ช่วงเดียวกันปีก่อน", total_last)]
    return Report(
        "dashboard", "ภาพรวมสำหรับผู้บริหาร",
        [("ขอบเขต", unit.label), ("ปีงบประมาณ", str(fy)),
         ("ข้อมูลถึง", thai_date(today))],
        tables, charts=[trend],
        notes=[f"{label}: {amount:,.2f} บาท" for label, amount in cards]
        + [f"เทียบช่วง {thai_date(start)} – {thai_date(today)} กับ "
           f"{thai_date(last_start)} – {thai_date(last_today)}"])

