"""The trial period (ทดลองใช้งาน) and go-live (เริ่มใช้งานจริง) of each office.

The rule, in one place: an office is **in trial mode** on a day when

    (the deployment setting ``BILLPAY_TRIAL`` is on  or  the office's ``trial`` flag is set)
    and (the office has no go-live date  or  that day in Asia/Bangkok is before it).

From its go-live date on, an office issues live bills and receipts only, whatever the
setting and the flag say, and nothing can turn trial mode back on: a go-live date that
has come cannot be moved or removed (``set_go_live``), and the flag cannot be set.

What trial mode changes: a bill issued in trial mode is a trial bill (Ref1 mode digit 9,
its own counter series, a ทดลอง / TRIAL watermark); its payments and receipts are trial
too (receipts numbered from their own series, book ``ทดลอง-1`` …). ``billpay trial purge``
removes them all (``billpay.ops.purge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.accounts.permissions import Actor
from billpay.audit.services import record as audit
from billpay.errors import Conflict, Invalid, NotFound
from billpay.offices.models import Office, OfficeKind
from billpay.thaidate import thai_date

BILL_TRIAL_SERIES = "bill-trial"  # counters series of trial bills' running numbers
RECEIPT_TRIAL_SERIES = "receipt-trial"  # counters series of trial receipts' numbers
TRIAL_SERIES = (BILL_TRIAL_SERIES, RECEIPT_TRIAL_SERIES)
TRIAL_BOOK_PREFIX = "ทดลอง-"  # a trial receipt's book: ทดลอง-1, ทดลอง-2 …
TRIAL_LABEL = "ทดลอง / TRIAL"


def in_trial_mode(office: Office, *, deployment_trial: bool, today: date) -> bool:
    """Whether ``office`` issues trial bills on ``today`` (a Bangkok date): see the module."""
    if office.go_live_on is not None and today >= office.go_live_on:
        return False
    return bool(deployment_trial or office.trial)


def _office(db: Session, code: str, *, for_update: bool = False) -> Office:
    query = select(Office).where(Office.code == (code or "").strip())
    if for_update:
        query = query.with_for_update(of=Office)
    office = db.scalar(query)
    if office is None:
        raise NotFound(f"ไม่พบหน่วยงานรหัส {code}")
    if office.kind == OfficeKind.CENTRAL:
        raise Invalid(f"หน่วยงานรหัส {code} เป็นหน่วยงานส่วนกลาง ไม่ได้ออกใบแจ้ง",
                      {"office": ["เลือกที่ทำการปกครองจังหวัดหรืออำเภอ"]})
    return office


def set_go_live(db: Session, actor: Actor | None, office_code: str, go_live_on: date, *,
                today: date) -> Office:
    """Set the day ``office_code`` starts live operation (its trial ends the day before).

    Refused once the office's go-live date has come (live is final). A date of today or
    earlier takes effect at once. Flushes, never commits."""
    office = _office(db, office_code, for_update=True)
    before = office.go_live_on
    if before is not None and before <= today and go_live_on != before:
        raise Conflict(f"หน่วยงาน {office.code} เริ่มใช้งานจริงแล้วตั้งแต่วันที่ "
                       f"{thai_date(before)} จึงเปลี่ยนวันเริ่มใช้งานจริงไม่ได้")
    office.go_live_on = go_live_on
    db.flush()
    audit(db, actor, "office.go_live", office_id=office.id, object_type="office",
          object_id=office.code, before={"go_live_on": before},
          after={"go_live_on": go_live_on})
    return office


def set_office_trial(db: Session, actor: Actor | None, office_code: str, trial: bool, *,
                     today: date) -> Office:
    """Flag (or unflag) one office for the trial period, whatever ``BILLPAY_TRIAL`` says.
    Refused after the office's go-live date. Flushes, never commits."""
    office = _office(db, office_code, for_update=True)
    if trial and office.go_live_on is not None and office.go_live_on <= today:
        raise Conflict(f"หน่วยงาน {office.code} เริ่มใช้งานจริงแล้วตั้งแต่วันที่ "
                       f"{thai_date(office.go_live_on)} จึงกลับไปทดลองใช้งานไม่ได้")
    before = office.trial
    office.trial = trial
    db.flush()
    audit(db, actor, "office.trial", office_id=office.id, object_type="office",
          object_id=office.code, before={"trial": before}, after={"trial": trial})
    return office


@dataclass(frozen=True)
class OfficeTrialStatus:
    code: str
    name: str
    flagged: bool
    go_live_on: date | None
    in_trial: bool
    trial_bills: int
    trial_receipts: int


def trial_status(db: Session, *, deployment_trial: bool, today: date,
                 office_code: str | None = None) -> list[OfficeTrialStatus]:
    """Offices that are in trial mode, flagged, have a go-live date or still hold trial
    data (one office with ``office_code``), with their counts of trial bills and receipts."""
    from billpay.bills.models import Bill
    from billpay.receipts.models import Receipt

    bills = dict(db.execute(select(Bill.office_id, func.count()).where(Bill.trial.is_(True))
                            .group_by(Bill.office_id)).all())
    receipts = dict(db.execute(select(Receipt.office_id, func.count())
                               .where(Receipt.trial.is_(True))
                               .group_by(Receipt.office_id)).all())
    query = select(Office).where(Office.kind != OfficeKind.CENTRAL).order_by(Office.code)
    if office_code:
        query = query.where(Office.id == _office(db, office_code).id)
    elif not deployment_trial:
        query = query.where(Office.trial.is_(True) | Office.go_live_on.is_not(None)
                            | Office.id.in_(set(bills) | set(receipts)))
    return [OfficeTrialStatus(
        code=o.code, name=o.display_name, flagged=o.trial, go_live_on=o.go_live_on,
        in_trial=in_trial_mode(o, deployment_trial=deployment_trial, today=today),
        trial_bills=bills.get(o.id, 0), trial_receipts=receipts.get(o.id, 0))
        for o in db.scalars(query)]
