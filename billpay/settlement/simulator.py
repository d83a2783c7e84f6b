"""Bank simulator (จำลองไฟล์ธนาคาร): a realistic settlement file paying open bills.

``simulate_settlement(db, bank_code=..., day=...)`` reads the open (issued) bills from
the database and returns the batches a bank would send for that day: each bill paid
once at a bank branch, ATM, internet or mobile banking during Bangkok banking hours,
under the payer's name as printed on the bill, with the bank's branch, teller and
transaction codes, and the bank's own variant (Krungthai's payer bank, SCB's biller ID,
BBL's commission in the trailer). On request it mixes in what the importer must catch:
references with a valid check digit that name no bill, wrong amounts, reversals of
payments in the same file and lines the bank sent twice. ``SimulatedFile`` says what an
import of the file into the same database should report.

Only bills are read (nothing is written), so the same function serves the command
``billpay settlement simulate``, the tests and a training page. The planning itself,
``plan_settlement``, is a pure function of the bills and a random generator.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from billpay.bills.models import Bill, BillStatus
from billpay.codes import make_ref1
from billpay.errors import Invalid
from billpay.offices.models import Office
from billpay.settlement.models import ExceptionReason
from billpay.settlement.records import BANGKOK, ENCODING, KIND_PAYMENT, KIND_REVERSAL
from billpay.settlement.writer import BatchSpec, PaymentSpec
from billpay.thaidate import day_start, fiscal_year

__all__ = [
    "BANKS",
    "OpenBill",
    "SimulatedBank",
    "SimulatedFile",
    "open_bills",
    "plan_settlement",
    "simulate_settlement",
]

DEMO_BILLER_ID = "099999999999100"
MAX_DETAILS_PER_BATCH = 999_997  # the 6-digit sequence counts the header and trailer too
NAME_BYTES = 50


@dataclass(frozen=True)
class Channel:
    code: str  # the bank's transaction code
    weight: float
    counter: bool  # at a branch counter (banking hours), else electronic (longer hours)
    cheque: bool = False


@dataclass(frozen=True)
class SimulatedBank:
    """How one bank's file looks: its biller account, channels and branches."""

    code: str
    name_th: str
    name_en: str
    account: str
    channels: tuple[Channel, ...]
    branches: tuple[str, ...]
    commission: Decimal | None = None  # per payment, written in BBL's trailer debit fields


def _branches(seed: int, count: int = 24) -> tuple[str, ...]:
    rnd = random.Random(seed)
    return tuple(f"{b:04d}" for b in sorted(rnd.sample(range(1, 1000), count)))


#: The banks of the reference's variants (``/work/shared/reference/settlement-file.md``).
BANKS: dict[str, SimulatedBank] = {
    bank.code: bank for bank in (
        SimulatedBank("006", "ธนาคารกรุงไทย", "Krungthai", "0066012345", (
            Channel("CSH", 0.45, True), Channel("CHQ", 0.05, True, cheque=True),
            Channel("ATM", 0.15, False), Channel("NET", 0.15, False),
            Channel("MOB", 0.20, False)), _branches(6)),
        SimulatedBank("014", "ธนาคารไทยพาณิชย์", "SCB", "0144023456", (
            Channel("CSH", 0.30, True), Channel("CHQ", 0.05, True, cheque=True),
            Channel("ATM", 0.10, False), Channel("INT", 0.20, False),
            Channel("MOB", 0.35, False)), _branches(14)),
        SimulatedBank("002", "ธนาคารกรุงเทพ", "BBL", "0021034567", (
            Channel("CSH", 0.40, True), Channel("CHQ", 0.10, True, cheque=True),
            Channel("ATM", 0.15, False), Channel("IBK", 0.15, False),
            Channel("MBK", 0.20, False)), _branches(2), commission=Decimal("10.00")),
        SimulatedBank("024", "ธนาคารยูโอบี", "UOB", "0247045678", (
            Channel("CSH", 0.50, True), Channel("CHQ", 0.10, True, cheque=True),
            Channel("ATM", 0.10, False), Channel("INT", 0.15, False),
            Channel("MOB", 0.15, False)), _branches(24)),
    )
}

# Counters open 08:30–15:30 on Bangkok's clock; ATMs and apps from 06:00 to 22:59.
COUNTER_HOURS = (time(8, 30), time(15, 30))
ELECTRONIC_HOURS = (time(6, 0), time(22, 59, 59))
OTHER_BANKS = ("002", "004", "006", "011", "014", "024", "025", "030", "069")

_TITLES = ("นาย", "นาง", "นางสาว")
_FIRST = ("สมชาย", "สมหญิง", "ประเสริฐ", "วันดี", "กิตติ", "มาลี", "สุภาพ", "อำนาจ", "พรทิพย์",
          "ธนากร", "ศิริพร", "ณัฐวุฒิ", "จันทร์เพ็ญ", "บุญมี", "ปราณี")
_LAST = ("ใจดี", "รักงาน", "มั่นคง", "ศรีสุข", "ทองคำ", "แก้วมณี", "วงศ์ใหญ่", "บุญเรือง",
         "สุขสวัสดิ์", "พงษ์ไพบูลย์", "เจริญผล", "อินทร์แก้ว")
_FEES = tuple(Decimal(x) for x in ("20.00", "50.00", "100.00", "105.00", "200.00", "500.00",
                                   "1000.00"))


@dataclass(frozen=True)
class OpenBill:
    """What the simulator needs of an open bill."""

    ref1: str
    ref2: str
    total: Decimal
    payer_name: str
    biller_id: str
    created_at: datetime  # aware


@dataclass(frozen=True)
class SimulatedFile:
    """The batches to write and what importing them into the same database reports.

    ``paid`` bills are paid with the right amount (``matched``), ``short`` / ``over``
    with a wrong one, ``unknown`` lines name no bill; ``reversals`` undo paid ones in
    the same file and ``duplicates`` repeat paid lines, as a bank sometimes does.
    """

    bank_code: str
    day: date
    batches: tuple[BatchSpec, ...]
    paid: int
    short: int
    over: int
    unknown: int
    reversals: int
    duplicates: int

    @property
    def lines(self) -> int:
        return (self.paid + self.short + self.over + self.unknown + self.reversals
                + self.duplicates)

    @property
    def payments(self) -> list[PaymentSpec]:
        return [p for batch in self.batches for p in batch.payments]

    def expected_report(self) -> dict[str, Any]:
        """The counts of ``ImportReport`` for an import into the database as simulated."""
        exceptions = Counter({ExceptionReason.UNKNOWN_REF1.value: self.unknown,
                              ExceptionReason.AMOUNT_SHORT.value: self.short,
                              ExceptionReason.AMOUNT_OVER.value: self.over})
        return {"lines": self.lines, "matched": self.paid, "reversals": self.reversals,
                "duplicates": self.duplicates, "exceptions": dict(+exceptions)}

    @property
    def summary_th(self) -> str:
        text = (f"{BANKS[self.bank_code].name_th} วันที่ {self.day:%d/%m}/"
                f"{self.day.year + 543}: {self.lines:,} รายการ ชำระถูกต้อง {self.paid:,}")
        for label, count in (("ยอดไม่ตรง", self.short + self.over), ("ไม่พบใบแจ้ง", self.unknown),
                             ("ยกเลิก", self.reversals), ("ซ้ำ", self.duplicates)):
            if count:
                text += f" {label} {count:,}"
        return text


def cp874_name(name: str) -> str:
    """``name`` as a bank prints it: cp874 only (others become ``?``), no control
    characters, single spaces, at most 50 bytes, no trailing padding."""
    out = []
    for ch in " ".join(name.split()):
        try:
            raw = ch.encode(ENCODING)
        except UnicodeEncodeError:
            ch = "?"
        else:
            if len(raw) != 1 or raw[0] < 0x20 or raw[0] == 0x7F:
                ch = "?"
        out.append(ch)
    return "".join(out)[:NAME_BYTES].rstrip(" ")


def open_bills(db: Session, *, day: date, office_code: str | None = None,
               limit: int | None = None) -> list[OpenBill]:
    """Bills that a payer could pay at a bank on ``day``: issued by then, still issued
    and not yet due. ``office_code``: a district's 4 digits, or a province's 2 (the
    province office and its districts). The oldest first, at most ``limit``."""
    query = (select(Bill.ref1, Bill.ref2, Bill.total, Bill.payer_name, Bill.biller_id,
                    Bill.created_at)
             .where(Bill.status == BillStatus.ISSUED, Bill.due_date >= day,
                    Bill.created_at < day_start(day + timedelta(days=1)))
             .order_by(Bill.id))
    if office_code:
        offices = select(Office.id)
        if len(office_code) == 2 and office_code != "00":
            offices = offices.where(Office.province_code == office_code)
        else:
            offices = offices.where(Office.code == office_code)
        query = query.where(Bill.office_id.in_(offices))
    if limit is not None:
        query = query.limit(limit)
    return [OpenBill(*row) for row in db.execute(query)]


def simulate_settlement(
    db: Session,
    *,
    bank_code: str,
    day: date,
    unknown: int = 0,
    wrong_amount: int = 0,
    reversals: int = 0,
    duplicates: int = 0,
    office_code: str | None = None,
    limit: int | None = None,
    seed: int | None = None,
) -> SimulatedFile:
    """A day's settlement file from ``bank_code`` paying the open bills (see the module).

    ``limit`` caps the bills used (paid right or wrong). Reads bills only. Raises
    ``Invalid`` (Thai message) for an unknown bank, a negative count, or more wrong
    amounts, reversals or duplicates than there are bills to pay.
    """
    _check_counts(bank_code, unknown, wrong_amount, reversals, duplicates, limit)
    if office_code and not db.scalar(select(Office.id).where(Office.code == office_code)):
        raise Invalid(f"ไม่พบหน่วยงานรหัส {office_code}", {"office": [f"ไม่พบหน่วยงาน {office_code}"]})
    rng = random.Random(seed)
    bills = open_bills(db, day=day, office_code=office_code, limit=limit)
    offices = sorted({b.ref1[1:5] for b in bills}) or [(office_code or "10").ljust(4, "0")]
    unknown_refs = _unknown_refs(db, rng, offices, fiscal_year(day), unknown)
    return plan_settlement(bills, bank_code=bank_code, day=day, rng=rng,
                           unknown_refs=unknown_refs, wrong_amount=wrong_amount,
                           reversals=reversals, duplicates=duplicates)


def _check_counts(bank_code: str, *counts: int | None) -> None:
    if bank_code not in BANKS:
        raise Invalid(f"ไม่รู้จักธนาคารรหัส {bank_code}",
                      {"bank": [f"เลือก {', '.join(BANKS)}"]})
    if any(c is not None and c < 0 for c in counts):
        raise Invalid("จำนวนรายการต้องไม่ติดลบ", {"count": ["จำนวนรายการต้องไม่ติดลบ"]})


def _unknown_refs(db: Session, rng: random.Random, offices: Sequence[str], year: int,
                  count: int) -> list[str]:
    """``count`` Ref1s with a valid check digit that no bill has."""
    refs: list[str] = []
    while len(refs) < count:
        wanted = count - len(refs)
        candidates = {make_ref1(1, rng.choice(offices), year, rng.randrange(5_000_000, 9_999_999))
                      for _ in range(wanted)} - set(refs)
        taken = set(db.scalars(select(Bill.ref1).where(Bill.ref1.in_(candidates))))
        refs.extend(sorted(candidates - taken)[:wanted])
    return refs


def plan_settlement(
    bills: Sequence[OpenBill],
    *,
    bank_code: str,
    day: date,
    rng: random.Random,
    unknown_refs: Sequence[str] = (),
    wrong_amount: int = 0,
    reversals: int = 0,
    duplicates: int = 0,
    biller_id: str | None = None,
) -> SimulatedFile:
    """The pure part of ``simulate_settlement``: pay ``bills`` (``wrong_amount`` of them
    with a wrong amount), add a payment for each of ``unknown_refs``, reverse
    ``reversals`` and repeat ``duplicates`` of the right payments, in time order."""
    _check_counts(bank_code, wrong_amount, reversals, duplicates)
    bank = BANKS[bank_code]
    if wrong_amount > len(bills):
        raise Invalid(f"มีใบแจ้งค้างชำระ {len(bills):,} ฉบับ ไม่พอสำหรับยอดไม่ตรง {wrong_amount:,} รายการ",
                      {"wrong_amount": [f"ไม่เกิน {len(bills):,}"]})
    order = list(bills)
    rng.shuffle(order)
    wrong, right = order[:wrong_amount], order[wrong_amount:]
    if reversals > len(right) or duplicates > len(right):
        raise Invalid(f"มีใบแจ้งที่ชำระถูกต้อง {len(right):,} ฉบับ ไม่พอสำหรับรายการยกเลิกหรือรายการซ้ำ",
                      {"reversals": [f"ไม่เกิน {len(right):,}"],
                       "duplicates": [f"ไม่เกิน {len(right):,}"]})
    biller = biller_id or (bills[0].biller_id if bills else DEMO_BILLER_ID)

    lines: list[tuple[datetime, int, PaymentSpec]] = []  # (time, order, line)

    def add(spec: PaymentSpec) -> PaymentSpec:
        lines.append((spec.paid_at, len(lines), spec))
        return spec

    paid = [add(_payment(rng, bank, day, b.ref1, b.ref2, b.total, cp874_name(b.payer_name),
                         b.biller_id, b.created_at)) for b in right]
    short = over = 0
    for b in wrong:
        amount = _wrong_amount(rng, b.total)
        if amount < b.total:
            short += 1
        else:
            over += 1
        add(_payment(rng, bank, day, b.ref1, b.ref2, amount, cp874_name(b.payer_name),
                     b.biller_id, b.created_at))
    for ref1 in unknown_refs:
        add(_payment(rng, bank, day, ref1, "", rng.choice(_FEES), _random_name(rng), biller,
                     None))
    for spec in rng.sample(paid, duplicates):
        lines.append((spec.paid_at, len(lines), spec))  # sent twice, the same line
    for spec in rng.sample(paid, reversals):
        later = min(spec.paid_at + timedelta(minutes=rng.randint(1, 120)),
                    datetime.combine(day, time(23, 59, 59), tzinfo=BANGKOK))
        add(replace(spec, paid_at=max(later, spec.paid_at), kind=KIND_REVERSAL))
    lines.sort(key=lambda item: (item[0], item[1]))
    details = [spec for _t, _i, spec in lines]
    batches = tuple(
        BatchSpec(bank_code=bank.code, account=bank.account, company_name="กรมการปกครอง",
                  effective_date=day, payments=tuple(part), service_code="BILLPAY",
                  **_commission(bank, part))
        for part in (details[i:i + MAX_DETAILS_PER_BATCH]
                     for i in range(0, max(len(details), 1), MAX_DETAILS_PER_BATCH)))
    return SimulatedFile(bank_code=bank.code, day=day, batches=batches, paid=len(paid),
                         short=short, over=over, unknown=len(unknown_refs), reversals=reversals,
                         duplicates=duplicates)


def _commission(bank: SimulatedBank, part: Iterable[PaymentSpec]) -> dict[str, Any]:
    if bank.commission is None:
        return {}
    count = sum(1 for p in part if p.kind == KIND_PAYMENT)
    return {"commission_amount": bank.commission * count, "commission_count": count}


def _wrong_amount(rng: random.Random, total: Decimal) -> Decimal:
    delta = rng.choice((Decimal("0.50"), Decimal("1.00"), Decimal("10.00"), Decimal("20.00"),
                        Decimal("100.00")))
    if rng.random() < 0.5 and total - delta > 0:
        return total - delta
    return total + delta


def _random_name(rng: random.Random) -> str:
    return f"{rng.choice(_TITLES)}{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _moment(rng: random.Random, day: date, hours: tuple[time, time],
            not_before: datetime | None) -> datetime:
    start = datetime.combine(day, hours[0], tzinfo=BANGKOK)
    end = datetime.combine(day, hours[1], tzinfo=BANGKOK)
    if not_before is not None:
        # Not before the bill was issued (a bill issued in the evening is paid online).
        last = datetime.combine(day, time(23, 59, 59), tzinfo=BANGKOK)
        earliest = not_before.astimezone(BANGKOK).replace(microsecond=0) + timedelta(seconds=1)
        if earliest > start:
            start = min(earliest, last)
            end = max(end, min(start + timedelta(hours=2), last))
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(0, max(seconds, 0)))


def _payment(rng: random.Random, bank: SimulatedBank, day: date, ref1: str, ref2: str,
             amount: Decimal, name: str, biller_id: str,
             created_at: datetime | None) -> PaymentSpec:
    channel = rng.choices(bank.channels, weights=[c.weight for c in bank.channels])[0]
    paid_at = _moment(rng, day, COUNTER_HOURS if channel.counter else ELECTRONIC_HOURS,
                      created_at)
    if channel.counter:
        branch, teller = rng.choice(bank.branches), f"{rng.randint(1, 12):04d}"
    else:
        branch, teller = "0001", f"{9000 + bank.channels.index(channel):04d}"
    variant: dict[str, Any] = {}
    if bank.code == "006":  # Krungthai: the payer's bank at 244–246
        variant["payer_bank"] = bank.code if rng.random() < 0.8 else rng.choice(OTHER_BANKS)
    elif bank.code == "014":  # SCB: the biller ID at 197–211
        variant["biller_id"] = biller_id
    return PaymentSpec(
        paid_at=paid_at, customer_name=name, ref1=ref1, ref2=ref2, amount=amount,
        branch=branch, teller=teller, kind=KIND_PAYMENT, txn_code=channel.code,
        cheque_no=f"{rng.randint(1, 9_999_999):07d}" if channel.cheque else "",
        cheque_bank=rng.choice(OTHER_BANKS) if channel.cheque else "", **variant)
