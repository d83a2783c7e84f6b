"""Who may do what, and over which offices.

Two questions are asked of every action: may this role do it (``Permission``),
and is the object inside the actor's scope (``scope_clause`` / ``in_scope``)?
Scope is enforced in queries, so an object outside it is simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, select, true

from billpay.accounts.models import ApiToken, Role, User
from billpay.errors import Forbidden
from billpay.offices.models import Office, OfficeKind


class Permission(StrEnum):
    BILL_READ = "bill.read"
    BILL_ISSUE = "bill.issue"
    BILL_CANCEL = "bill.cancel"
    FEE_TYPE_MANAGE = "fee_type.manage"
    REFERENCE_READ = "reference.read"  # offices, fee types
    SETTLEMENT_IMPORT = "settlement.import"
    # accounts, approvals and the audit log
    USER_NOMINATE = "user.nominate"  # submit a province's list of nominated users
    USER_APPROVE = "user.approve"  # approve or reject registrations; assignment orders
    USER_READ = "user.read"  # the user list and one user's page (within scope)
    USER_MANAGE = "user.manage"  # change role or office, deactivate, reset a password
    AUDIT_READ = "audit.read"  # the audit log: search, export, verify
    # what the roles of the design card do; the pages arrive with their issues
    REPORT_READ = "report.read"
    PAYMENT_COUNTER = "payment.counter"  # take a payment at the counter
    RECEIPT_CANCEL_REQUEST = "receipt.cancel_request"
    CANCELLATION_APPROVE = "cancellation.approve"  # where: may_approve_for()
    DAILY_CLOSE = "daily_close"  # close the office's day
    CONFIG_MANAGE = "config.manage"  # biller IDs, maintenance windows
    SETTLEMENT_READ = "settlement.read"  # files, reconciliation, exceptions
    SETTLEMENT_RESOLVE = "settlement.resolve"  # work the exceptions queue
    RECEIPT_READ = "receipt.read"  # receipts, the control register
    RECEIPT_PAPER_ENTRY = "receipt.paper_entry"  # back-enter paper receipts after an outage
    # data migration from an old system (issue 8)
    MIGRATION_READ = "migration.read"  # verification report, status board, import attempts
    MIGRATION_VERIFY = "migration.verify"  # mark the province's offices verified or corrections


_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({_P.BILL_READ, _P.BILL_ISSUE, _P.BILL_CANCEL, _P.REFERENCE_READ}),
    Role.OFFICE_HEAD: frozenset({_P.BILL_READ, _P.BILL_ISSUE, _P.BILL_CANCEL, _P.REFERENCE_READ}),
    Role.PROVINCIAL: frozenset({_P.BILL_READ, _P.REFERENCE_READ}),
    Role.FINANCE: frozenset({_P.BILL_READ, _P.REFERENCE_READ, _P.SETTLEMENT_IMPORT,
                             _P.SETTLEMENT_READ, _P.SETTLEMENT_RESOLVE}),
    Role.EXECUTIVE: frozenset({_P.REFERENCE_READ}),
    Role.AUDITOR: frozenset({_P.BILL_READ, _P.REFERENCE_READ, _P.SETTLEMENT_READ}),
    Role.ADMIN: frozenset({_P.FEE_TYPE_MANAGE, _P.REFERENCE_READ}),
    Role.IMPORT_JOB: frozenset({_P.SETTLEMENT_IMPORT, _P.REFERENCE_READ}),
}

# Accounts and audit (issue 6), and the duties the later issues build on.
_EXTRA: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({_P.PAYMENT_COUNTER, _P.RECEIPT_CANCEL_REQUEST,
                           _P.REPORT_READ}),  # their own office's reports
    Role.OFFICE_HEAD: frozenset({_P.PAYMENT_COUNTER, _P.RECEIPT_CANCEL_REQUEST,
                                 _P.CANCELLATION_APPROVE, _P.DAILY_CLOSE, _P.REPORT_READ}),
    Role.PROVINCIAL: frozenset({_P.REPORT_READ, _P.CANCELLATION_APPROVE, _P.USER_NOMINATE,
                                _P.USER_READ}),
    Role.FINANCE: frozenset({_P.USER_NOMINATE, _P.USER_APPROVE, _P.USER_READ, _P.AUDIT_READ,
                             _P.REPORT_READ}),
    Role.EXECUTIVE: frozenset({_P.REPORT_READ}),
    Role.AUDITOR: frozenset({_P.REPORT_READ, _P.AUDIT_READ, _P.USER_READ}),
    Role.ADMIN: frozenset({_P.CONFIG_MANAGE, _P.USER_READ, _P.USER_MANAGE}),
    Role.IMPORT_JOB: frozenset(),
}
# Receipts (issue 5).
_EXTRA_RECEIPTS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({_P.RECEIPT_READ, _P.RECEIPT_PAPER_ENTRY}),
    Role.OFFICE_HEAD: frozenset({_P.RECEIPT_READ, _P.RECEIPT_PAPER_ENTRY}),
    Role.PROVINCIAL: frozenset({_P.RECEIPT_READ}),
    Role.FINANCE: frozenset({_P.RECEIPT_READ}),
    Role.AUDITOR: frozenset({_P.RECEIPT_READ}),
}
# Data migration (issue 8): provinces check their offices, the centre follows.
_EXTRA_MIGRATION: dict[Role, frozenset[Permission]] = {
    Role.PROVINCIAL: frozenset({_P.MIGRATION_READ, _P.MIGRATION_VERIFY}),
    Role.FINANCE: frozenset({_P.MIGRATION_READ}),
    Role.AUDITOR: frozenset({_P.MIGRATION_READ}),
    Role.ADMIN: frozenset({_P.MIGRATION_READ}),
}
for _extras in (_EXTRA, _EXTRA_RECEIPTS, _EXTRA_MIGRATION):
    for _role, _extra in _extras.items():
        ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

NATIONAL_ROLES = frozenset({Role.FINANCE, Role.EXECUTIVE, Role.AUDITOR, Role.ADMIN, Role.IMPORT_JOB})


class ScopeLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    OFFICE = "office"


@dataclass(frozen=True)
class Actor:
    """Whoever is acting: a signed-in user or an API token."""

    role: Role
    name: str
    office_id: int | None = None
    office_code: str | None = None
    province_code: str | None = None
    office_kind: str | None = None
    user_id: int | None = None
    token_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls._with_office(Role(user.role), user.full_name, user.office, user_id=user.id)

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls._with_office(Role(token.role), f"token:{token.name}", token.office,
                                token_id=token.id)

    @classmethod
    def _with_office(cls, role: Role, name: str, office: Office | None, **ids) -> Actor:
        return cls(
            role=role,
            name=name,
            office_id=office.id if office else None,
            office_code=office.code if office else None,
            province_code=office.province_code if office else None,
            office_kind=office.kind if office else None,
            **ids,
        )

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden("สิทธิ์ของท่านไม่อนุญาตให้ทำรายการนี้")

    @property
    def scope(self) -> ScopeLevel:
        if self.role in NATIONAL_ROLES or self.office_kind == OfficeKind.CENTRAL:
            return ScopeLevel.NATIONAL
        if self.office_kind == OfficeKind.PROVINCE or self.role == Role.PROVINCIAL:
            return ScopeLevel.PROVINCE
        return ScopeLevel.OFFICE


def scope_clause(actor: Actor, office_id_column) -> ColumnElement[bool]:
    """A WHERE clause limiting ``office_id_column`` to the offices the actor may see."""
    if actor.scope is ScopeLevel.NATIONAL:
        return true()
    if actor.scope is ScopeLevel.PROVINCE:
        return office_id_column.in_(
            select(Office.id).where(Office.province_code == actor.province_code)
        )
    return office_id_column == actor.office_id


def may_approve_for(actor: Actor, office: Office) -> bool:
    """Whether the actor may approve (e.g. a cancellation) for ``office``: an office head
    for their own office, a provincial officer for the districts of their province."""
    if not actor.can(Permission.CANCELLATION_APPROVE):
        return False
    if actor.role == Role.PROVINCIAL:
        return (office.province_code == actor.province_code
                and office.kind == OfficeKind.DISTRICT)
    return office.id == actor.office_id


def in_scope(actor: Actor, office: Office) -> bool:
    if actor.scope is ScopeLevel.NATIONAL:
        return True
    if actor.scope is ScopeLevel.PROVINCE:
        return office.province_code == actor.province_code
    return office.id == actor.office_id
