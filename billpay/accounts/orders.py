"""The finance division's assignment order (คำสั่งมอบหมาย) for a province: who is
approved to use billpay at the provincial office and its districts, as a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billpay.accounts.models import User, UserStatus
from billpay.accounts.permissions import Actor, Permission
from billpay.db import utcnow
from billpay.documents.assignment_pdf import AssignedUser, AssignmentOrder, render_assignment_order
from billpay.errors import NotFound
from billpay.offices.models import Office, OfficeKind
from billpay.thaidate import BE_OFFSET, bangkok_date, thai_date


@dataclass(frozen=True)
class ProvinceUsers:
    province: Office
    approved: int
    pending: int


def order_summary(db: Session, actor: Actor) -> list[ProvinceUsers]:
    """Every province with how many of its people are approved and still pending."""
    actor.require(Permission.USER_APPROVE)
    counts = db.execute(
        select(Office.province_code, User.status, func.count())
        .join(User.office).where(User.status.in_([UserStatus.ACTIVE, UserStatus.PENDING]))
        .group_by(Office.province_code, User.status)).all()
    by_province: dict[str, dict[str, int]] = {}
    for province_code, status, count in counts:
        by_province.setdefault(province_code, {})[status] = count
    provinces = db.scalars(select(Office).where(Office.kind == OfficeKind.PROVINCE)
                           .order_by(Office.name_th)).all()
    return [ProvinceUsers(p, by_province.get(p.code, {}).get(UserStatus.ACTIVE, 0),
                          by_province.get(p.code, {}).get(UserStatus.PENDING, 0))
            for p in provinces]


def assignment_order(db: Session, actor: Actor, province_code: str, *,
                     order_no: str | None = None, signer: str | None = None) -> AssignmentOrder:
    actor.require(Permission.USER_APPROVE)
    province = db.scalar(select(Office).where(Office.code == province_code,
                                              Office.kind == OfficeKind.PROVINCE))
    if province is None:
        raise NotFound("ไม่พบจังหวัด")
    users = db.scalars(
        select(User).join(User.office)
        .where(Office.province_code == province_code, User.status == UserStatus.ACTIVE)
        .order_by(Office.kind.desc(), Office.code, User.full_name)).all()
    # province office first ("province" sorts after "district" descending), then districts
    today = bangkok_date(utcnow())
    return AssignmentOrder(
        province_name=province.name_th,
        date_text=thai_date(today),
        year_text=str(today.year + BE_OFFSET),
        order_no=order_no,
        signer_name=signer,
        users=tuple(AssignedUser(full_name=u.full_name, position=u.position or "-",
                                 office_name=u.office.display_name, role_label=u.role_label,
                                 username=u.username) for u in users),
    )


def assignment_order_pdf(db: Session, actor: Actor, province_code: str, *,
                         order_no: str | None = None, signer: str | None = None
                         ) -> tuple[bytes, str]:
    order = assignment_order(db, actor, province_code, order_no=order_no, signer=signer)
    return render_assignment_order(order), order.province_name
