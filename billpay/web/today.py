"""What a signed-in person has to do today (the home page), per their permissions.

Each task is a count from the domains' own queries (bills, receipts, settlement,
accounts), a link to the list that shows those rows, and what to do next. A role gets
the tasks of the permissions it holds, so a new role needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.accounts.models import UserStatus
from billpay.accounts.permissions import Actor, Permission
from billpay.i18n import N_
from billpay.thaidate import day_start

FILE_LOOKBACK_DAYS = 14  # a bank that sent a file in this many days is expected daily


@dataclass(frozen=True)
class Task:
    """One line of the home page: ``count`` rows behind ``url``; ``label`` and ``hint``
    are Thai msgids (translated on the page)."""

    key: str
    label: str
    count: int | None
    url: str
    hint: str
    needs_action: bool = False  # shown first, highlighted, while count > 0
    detail: str = ""  # names (banks), already data


def _be(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def _bill_count(db: Session, actor: Actor, **kwargs) -> int:
    from billpay.bills.services import BillQuery, search_bills

    return search_bills(db, actor, BillQuery(per_page=1, **kwargs))[1]


def _clerk_tasks(db: Session, actor: Actor, today: date) -> list[Task]:
    from billpay.bills.models import BillStatus

    tasks = [
        Task("issued-today", N_("ใบแจ้งที่ออกวันนี้"),
             _bill_count(db, actor, date_from=today, date_to=today, office_code=actor.office_code),
             url_for("bills.list_bills", date_from=_be(today), date_to=_be(today)),
             N_("ออกใบแจ้งใหม่ได้ที่หน้าออกใบแจ้ง กด Enter เพื่อออกและพิมพ์")),
        Task("unpaid", N_("ใบแจ้งที่ยังไม่ได้รับชำระ"),
             _bill_count(db, actor, status=BillStatus.ISSUED.value, office_code=actor.office_code),
             url_for("bills.list_bills", status=BillStatus.ISSUED.value),
             N_("ผู้ชำระนำใบแจ้งมาจ่ายที่เคาน์เตอร์ หรือชำระที่ธนาคารแล้วระบบจะออกใบเสร็จเมื่อไฟล์ธนาคารเข้ามา")),
    ]
    if actor.can(Permission.RECEIPT_READ):
        from billpay.receipts.services import ReceiptQuery, search_receipts

        tasks.append(Task(
            "receipts-today", N_("ใบเสร็จที่ออกวันนี้"),
            search_receipts(db, actor, ReceiptQuery(office_code=actor.office_code,
                                                    date_from=today, date_to=today,
                                                    per_page=1))[1],
            url_for("receipts.list_receipts", date_from=_be(today), date_to=_be(today)),
            N_("ใบเสร็จออกเมื่อรับชำระที่เคาน์เตอร์หรือเมื่อนำเข้าไฟล์ธนาคาร")))
    return tasks


def _approver_tasks(db: Session, actor: Actor, today: date) -> list[Task]:
    from billpay.receipts.queries import pending_cancellations

    return [Task("cancellations", N_("คำขอยกเลิกใบเสร็จที่รอท่านอนุมัติ"),
                 len(pending_cancellations(db, actor)), url_for("receipts.cancellations"),
                 N_("พิจารณาคำขอยกเลิกใบเสร็จ อนุมัติหรือไม่อนุมัติพร้อมหมายเหตุ"),
                 needs_action=True)]


def _daily_close_task(actor: Actor, today: date) -> Task:
    return Task("daily-close", N_("ปิดยอดประจำวัน"), None,
                url_for("reports.show", slug="daily", date=_be(today)),
                N_("ตรวจรายงานการรับเงินประจำวันของหน่วยงาน กระทบยอดกับธนาคาร แล้วพิมพ์เก็บไว้"))


def _finance_tasks(db: Session, actor: Actor, today: date) -> list[Task]:
    tasks = []
    if actor.can(Permission.USER_APPROVE):
        from billpay.accounts.services import UserQuery, search_users

        waiting = search_users(db, actor, UserQuery(status=UserStatus.PENDING.value,
                                                    per_page=1))[1]
        tasks.append(Task("users-waiting", N_("ผู้ลงทะเบียนที่รออนุมัติ"), waiting,
                          url_for("accounts.approvals"),
                          N_("ตรวจกับรายชื่อที่จังหวัดแจ้ง แล้วอนุมัติบทบาทและหน่วยงาน"),
                          needs_action=True))
    if actor.can(Permission.SETTLEMENT_READ):
        from billpay.settlement.services import ExceptionQuery, search_exceptions

        open_ = search_exceptions(db, actor, ExceptionQuery(status="open", per_page=1))[1]
        tasks.append(Task("open-exceptions", N_("รายการรอตรวจสอบจากไฟล์ธนาคาร"), open_,
                          url_for("settlement.exceptions"),
                          N_("ผูกกับใบแจ้งที่ถูกต้อง รับยอด คืนเงิน หรือปิดพร้อมเหตุผล"),
                          needs_action=actor.can(Permission.SETTLEMENT_RESOLVE)))
    if actor.can(Permission.SETTLEMENT_IMPORT):
        missing = banks_without_file(db, today - timedelta(days=1))
        from billpay.settlement.reconcile import bank_name

        tasks.append(Task("files-missing", N_("ไฟล์ธนาคารของเมื่อวานที่ยังไม่มา"), len(missing),
                          url_for("settlement.upload"),
                          N_("ธนาคารที่ส่งไฟล์ในสองสัปดาห์ที่ผ่านมาแต่ยังไม่มีไฟล์ของเมื่อวาน นำเข้าไฟล์เมื่อได้รับ"),
                          needs_action=True,
                          detail=", ".join(bank_name(code) for code in missing)))
    return tasks


def banks_without_file(db: Session, day: date) -> list[str]:
    """Bank codes that sent settlement lines in the ``FILE_LOOKBACK_DAYS`` before ``day``
    but none paid on ``day`` yet: the files still to come."""
    from billpay.settlement.models import BankLine

    start, end = day_start(day), day_start(day + timedelta(days=1))
    recent = set(db.scalars(select(func.distinct(BankLine.bank_code)).where(
        BankLine.paid_at >= day_start(day - timedelta(days=FILE_LOOKBACK_DAYS)),
        BankLine.paid_at < start)))
    arrived = set(db.scalars(select(func.distinct(BankLine.bank_code)).where(
        BankLine.paid_at >= start, BankLine.paid_at < end)))
    return sorted(recent - arrived)


def tasks_for(db: Session, actor: Actor, today: date) -> list[Task]:
    """The home page's tasks for ``actor`` on ``today`` (Bangkok), those needing action
    and not done first."""
    tasks: list[Task] = []
    if actor.can(Permission.CANCELLATION_APPROVE):
        tasks += _approver_tasks(db, actor, today)
    if actor.can(Permission.BILL_ISSUE):
        tasks += _clerk_tasks(db, actor, today)
    if actor.can(Permission.DAILY_CLOSE):
        tasks.append(_daily_close_task(actor, today))
    tasks += _finance_tasks(db, actor, today)
    return sorted(tasks, key=lambda t: not (t.needs_action and t.count))
