"""The authorisation matrix, generated from the app's own route list.

Every route (``app.url_map``) × each of its methods × every role (and a job's API
token, and nobody) × an object of the actor's own office and one of a foreign
office, against the expectation written down here, keyed by endpoint name. A route
added without an entry fails ``test_every_route_has_an_entry`` with its name: write
down who may use it before it ships.

Expectations, for a request that is allowed: the status the endpoint answers (a page
200, a form posted empty 422, an action 303 …). Otherwise: nobody signed in → 302 to
the sign-in page (pages) or 401 (API); a role without the permission → 403; a role
with it, on an object outside its scope → 404 (never 403: another office's Ref1s and
user ids cannot be probed). A job's token is not a session: on pages it is nobody.

Entries marked ``owner=...`` belong to work still in progress (receipts, settlement):
the rows for nobody and for roles without the permission are checked; the owner
fills in the allowed rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import pytest
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from billpay.accounts import services as accounts
from billpay.accounts.models import Nomination, Role
from billpay.accounts.permissions import NATIONAL_ROLES, ROLE_PERMISSIONS, Actor, Permission
from billpay.bills.services import NewBill, NewBillItem, issue_bill
from billpay.offices.models import Office
from tests.accounts.helpers import CITIZEN_IDS, STRONG
from tests.support import make_app

P = Permission
GET, POST = "GET", "POST"
PUBLIC, LOGIN = "public", "login"
SKIP = object()

# where each role works: a district, its province, the centre
OFFICES = {Role.CLERK: "5001", Role.OFFICE_HEAD: "5001", Role.PROVINCIAL: "50",
           Role.FINANCE: "00", Role.EXECUTIVE: "00", Role.AUDITOR: "00", Role.ADMIN: "00"}
ACTORS = [*OFFICES, Role.IMPORT_JOB, None]  # None: nobody signed in

BILL_JSON = {"payer_name": "ทดสอบ สิทธิ์", "items": [{"fee_type": "FA01"}]}


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint and what it answers them.

    ``who``: a Permission, PUBLIC or LOGIN, or a dict method → one of those.
    ``ok``: method → status for an allowed actor on its own object.
    ``params``: URL parameter → kind of object (see ``World``); bill, user, pending,
    nomination and province are scoped: foreign ones are 404 outside national roles.
    ``signed_in``: method → status for anyone signed in, where it differs (login page).
    ``special``: (role, method) → status, for the odd one out (home page).
    """

    who: object
    ok: dict[str, int] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    json: dict | None = None
    api: bool = False
    signed_in: dict[str, int] = field(default_factory=dict)
    special: dict[tuple, int] = field(default_factory=dict)
    owner: str | None = None


def page(who, get=None, post=None, **kw) -> Access:
    ok = {m: s for m, s in ((GET, get), (POST, post)) if s is not None}
    return Access(who, ok, **kw)


def api(who, get=None, post=None, **kw) -> Access:
    ok = {m: s for m, s in ((GET, get), (POST, post)) if s is not None}
    return Access(who, ok, api=True, **kw)


def pending_owner(owner, who, **kw) -> Access:
    return Access(who, {}, owner=owner, **kw)


NO_PREAUTH = {GET: 302, POST: 302}
BILL = {"ref1": "bill"}
USER = {"user_id": "user"}
PENDING = {"user_id": "pending"}
NOMINATION = {"nomination_id": "nomination"}
REPORT = {"slug": "report"}

EXPECTED: dict[str, Access] = {
    # -- anyone ----------------------------------------------------------------------------
    "static": page(PUBLIC, get=200, params={"filename": "static"}),
    "web.font": page(PUBLIC, get=200, params={"name": "font"}),
    "web.set_language": page(PUBLIC, get=302, params={"code": "lang"}),
    "api_docs": page(PUBLIC, get=200),
    "api-docs.openapi_json": page(PUBLIC, get=200),
    "auth.login": page(PUBLIC, get=200, post=401, signed_in={GET: 302, POST: 302}),
    "auth.register": page(PUBLIC, get=200, post=422, signed_in={GET: 302, POST: 302}),
    "auth.registered": page(PUBLIC, get=200),
    # the sign-in steps after the password: without having passed it, back to the start
    "auth.login_totp": page(PUBLIC, get=302, post=302),
    "auth.login_password": page(PUBLIC, get=302, post=302),
    "auth.login_totp_setup": page(PUBLIC, get=302, post=302),
    # -- anyone signed in ------------------------------------------------------------------
    # today's work for each role; an executive (reports only) goes to the dashboard
    "web.home": page(LOGIN, get=200, special={(Role.EXECUTIVE, GET): 302}),
    "auth.logout": page(LOGIN, post=302),
    "auth.account": page(LOGIN, get=200),
    "auth.account_password": page(LOGIN, get=200, post=422),
    "auth.account_totp": page(LOGIN, get=200, post=422),
    # -- bills -----------------------------------------------------------------------------
    "bills.new_bill": page(P.BILL_ISSUE, get=200),
    "bills.create_bill": page(P.BILL_ISSUE, post=422),
    "bills.list_bills": page(P.BILL_READ, get=200),
    # JSON for the counter; asked with no payer ID it explains the 400
    "bills.find_payer": page(P.BILL_ISSUE, get=400),
    "bills.show_bill": page(P.BILL_READ, get=200, params=BILL),
    "bills.bill_pdf_view": page(P.BILL_READ, get=200, params=BILL),
    "bills.cancel_bill": page(P.BILL_CANCEL, get=200, post=303, params=BILL,
                              form={"reason": "ทดสอบสิทธิ์"}),
    "bills.fee_types": page(P.FEE_TYPE_MANAGE, get=200),
    "bills.new_fee_type": page(P.FEE_TYPE_MANAGE, get=200, post=422),
    "bills.edit_fee_type": page(P.FEE_TYPE_MANAGE, get=200, post=422,
                                params={"code": "fee_type"}),
    "bills.import_fee_types": page(P.FEE_TYPE_MANAGE, get=200, post=422),
    "bills.export_fee_types": page(P.FEE_TYPE_MANAGE, get=200),
    "api_bills.Bills": api({GET: P.BILL_READ, POST: P.BILL_ISSUE}, get=200, post=201,
                           json=BILL_JSON),
    "api_bills.BillOne": api(P.BILL_READ, get=200, params=BILL),
    "api_bills.BillPdf": api(P.BILL_READ, get=200, params=BILL),
    "api_bills.BillCancel": api(P.BILL_CANCEL, post=200, params=BILL,
                                json={"reason": "ทดสอบสิทธิ์"}),
    "api_reference.FeeTypes": api(P.REFERENCE_READ, get=200),
    "api_reference.Offices": api(P.REFERENCE_READ, get=200),
    # -- accounts --------------------------------------------------------------------------
    "accounts.approvals": page(P.USER_APPROVE, get=200),
    "accounts.approval": page(P.USER_APPROVE, get=200, params=PENDING),
    "accounts.approve": page(P.USER_APPROVE, post=422, params=PENDING),
    "accounts.reject": page(P.USER_APPROVE, post=422, params=PENDING),
    "accounts.assignment_orders": page(P.USER_APPROVE, get=200),
    "accounts.assignment_order_pdf": page(P.USER_APPROVE, get=200,
                                          params={"province": "province"}),
    "accounts.nominations": page(P.USER_NOMINATE, get=200),
    "accounts.upload_nominations": page(P.USER_NOMINATE, get=200, post=422),
    "accounts.new_nomination": page(P.USER_NOMINATE, get=200, post=422),
    "accounts.edit_nomination": page(P.USER_NOMINATE, get=200, post=422, params=NOMINATION),
    "accounts.delete_nomination": page(P.USER_NOMINATE, post=303, params=NOMINATION),
    "accounts.nomination_template_xlsx": page(P.USER_NOMINATE, get=200),
    "accounts.nomination_template_csv": page(P.USER_NOMINATE, get=200),
    "accounts.users": page(P.USER_READ, get=200),
    "accounts.user": page(P.USER_READ, get=200, params=USER),
    "accounts.change_role": page(P.USER_MANAGE, post=422, params=USER),
    "accounts.deactivate": page(P.USER_MANAGE, post=422, params=USER),
    "accounts.reactivate": page(P.USER_MANAGE, post=409, params=USER),  # it is active
    "accounts.unlock": page(P.USER_MANAGE, post=303, params=USER),
    "accounts.reset_password": page(P.USER_MANAGE, post=200, params=USER),
    # -- audit log -------------------------------------------------------------------------
    "audit.audit_log": page(P.AUDIT_READ, get=200),
    "audit.audit_csv": page(P.AUDIT_READ, get=200),
    "audit.audit_xlsx": page(P.AUDIT_READ, get=200),
    "audit.audit_verify": page(P.AUDIT_READ, get=200),
    # -- receipts (issue 5, in progress: the allowed rows are the owner's to write) --------
    "receipts.list_receipts": pending_owner("receipts", P.RECEIPT_READ),
    "receipts.show_receipt": pending_owner("receipts", P.RECEIPT_READ,
                                           params={"receipt_id": "number"}),
    "receipts.bill_receipts": pending_owner("receipts", P.RECEIPT_READ, params=BILL),
    "receipts.receipt_pdf": pending_owner("receipts", P.RECEIPT_READ,
                                          params={"receipt_id": "number"}),
    "receipts.counter": pending_owner("receipts", P.PAYMENT_COUNTER),
    "receipts.request_cancellation": pending_owner("receipts", P.RECEIPT_CANCEL_REQUEST,
                                                   params={"receipt_id": "number"}),
    "receipts.cancellations": pending_owner("receipts", P.RECEIPT_READ),
    "receipts.decide_cancellation": pending_owner("receipts", P.CANCELLATION_APPROVE,
                                                  params={"request_id": "number"}),
    "receipts.paper_receipt": pending_owner("receipts", P.RECEIPT_PAPER_ENTRY),
    "receipts.register": pending_owner("receipts", P.RECEIPT_READ),
    "receipts.register_export": pending_owner("receipts", P.RECEIPT_READ,
                                              params={"ext": "ext"}),
    "receipts.verify": pending_owner("receipts", PUBLIC,
                                     params={"receipt_id": "number", "signature": "text"}),
    "api_receipts.Receipts": pending_owner("receipts", P.RECEIPT_READ, api=True),
    "api_receipts.ReceiptOne": pending_owner("receipts", P.RECEIPT_READ, api=True,
                                             params={"receipt_id": "number"}),
    "api_receipts.ReceiptPdf": pending_owner("receipts", P.RECEIPT_READ, api=True,
                                             params={"receipt_id": "number"}),
    # -- settlement pages (national roles only: files and exceptions have no office scope;
    # with a file or exception that exists, tests/settlement/test_pages.py checks them) -----
    "settlement.upload": page(P.SETTLEMENT_IMPORT, get=200),
    "settlement.upload_files": page(P.SETTLEMENT_IMPORT, post=422),  # no file chosen
    "settlement.files": page(P.SETTLEMENT_READ, get=200),
    "settlement.show_file": page(P.SETTLEMENT_READ, get=404, params={"file_id": "number"}),
    "settlement.days": page(P.SETTLEMENT_READ, get=200),  # no payments yet: the empty page
    "settlement.day": page(P.SETTLEMENT_READ, get=200, params={"day": "day"}),
    "settlement.exceptions": page(P.SETTLEMENT_READ, get=200),
    "settlement.show_exception": page(P.SETTLEMENT_READ, get=404,
                                      params={"exception_id": "number"}),
    "settlement.resolve_exception": page(P.SETTLEMENT_RESOLVE, post=404,
                                         params={"exception_id": "number"}),
    # -- reports (scope checks with offices and provinces: tests/reports) -----------------
    "reports.index": page(P.REPORT_READ, get=200),
    "reports.show": page(P.REPORT_READ, get=200, params=REPORT),
    "reports.export": page(P.REPORT_READ, get=200, params={**REPORT, "ext": "ext"}),
    "api_reports.ReportJson": api(P.REPORT_READ, get=200, params=REPORT),
    "api_reports.ReportFile": api(P.REPORT_READ, get=200, params={**REPORT, "ext": "ext"}),
    # -- data migration (issue 8): a province's report and sign-off are scoped ------------
    "migration.board": page(P.MIGRATION_READ, get=200),
    "migration.province": page(P.MIGRATION_READ, get=200, params={"province": "province"}),
    "migration.province_export": page(P.MIGRATION_READ, get=200,
                                      params={"province": "province", "ext": "ext"}),
    "migration.verify": page(P.MIGRATION_VERIFY, post=422, params={"province": "province"}),
    "migration.batch": page(P.MIGRATION_READ, get=404, params={"batch_id": "number"}),
    "api_settlement_files.SettlementFiles": pending_owner("settlement", P.SETTLEMENT_IMPORT,
                                                          api=True),
    # -- operations: probes and metrics (the test client comes from 127.0.0.1), the
    # maintenance windows (admins) -------------------------------------------------------
    "ops.healthz": page(PUBLIC, get=200),
    "ops.readyz": page(PUBLIC, get=200),
    "ops.metrics": page(PUBLIC, get=200),
    "ops.maintenance": page(P.CONFIG_MANAGE, get=200),
    "ops.schedule_maintenance": page(P.CONFIG_MANAGE, post=422),  # an empty form
    "ops.cancel_maintenance": page(P.CONFIG_MANAGE, post=404,
                                   params={"window_id": "number"}),
}

SCOPED = {"bill", "user", "pending", "nomination", "province"}
CONSTANTS = {"static": "css/app.css", "font": "Sarabun-Regular.ttf", "lang": "th",
             "fee_type": "FA01", "number": "987654", "text": "x", "ext": "csv",
             "day": "2026-11-23", "report": "remittance"}


def _methods(rule) -> list[str]:
    return sorted(rule.methods & {GET, POST})


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('routes')}/never-opened.sqlite3")
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def test_every_route_has_an_entry(routes):
    missing = sorted(set(routes) - set(EXPECTED))
    assert not missing, (
        "routes without an entry in the authorisation matrix "
        f"(tests/accounts/test_authorization_matrix.py EXPECTED): {', '.join(missing)}")


def test_every_entry_is_a_route(routes):
    stale = sorted(set(EXPECTED) - set(routes))
    assert not stale, f"entries for endpoints that no longer exist: {', '.join(stale)}"


def test_entries_expect_only_the_methods_their_routes_take(routes):
    wrong = [f"{endpoint}: {sorted(spec.ok)} vs {_methods(routes[endpoint])}"
             for endpoint, spec in EXPECTED.items() if endpoint in routes and spec.owner is None
             and set(spec.ok) != set(_methods(routes[endpoint]))]
    assert not wrong, "\n".join(wrong)


# -- the world the matrix runs in ---------------------------------------------------------

@dataclass
class World:
    own: dict[str, str]
    foreign: dict[str, str]
    users: dict[Role, str]  # role → Flask-Login id of its user
    token: str


def _office(db, code):
    return db.scalar(select(Office).where(Office.code == code))


def build_world(db, make_user) -> World:
    users = {role: make_user(role, office, username=f"m-{role.value}")
             for role, office in OFFICES.items()}
    token = accounts.create_token(db, name="matrix-job", role=Role.IMPORT_JOB,
                                  office_code=None).secret
    far_clerk = make_user(Role.CLERK, "5101", username="m-far-clerk")
    own_target = make_user(Role.CLERK, "5001", username="m-own-target")
    far_target = make_user(Role.CLERK, "5101", username="m-far-target")
    billing = accounts_billing()
    bill = NewBill(payer_name="ผู้ชำระ ทดสอบ", items=[NewBillItem(fee_type="FA01")])
    own_bill = issue_bill(db, Actor.for_user(users[Role.CLERK]), bill, billing)
    far_bill = issue_bill(db, Actor.for_user(far_clerk), bill, billing)

    def register(username, office, citizen_id):
        return accounts.register_user(db, accounts.Registration(
            full_name="นายรอ อนุมัติ", position="ปลัดอำเภอ", office_code=office,
            citizen_id=citizen_id, email=f"{username}@example.org", phone="0812345678",
            username=username, password=STRONG))

    own_pending = register("m-own-pending", "5001", CITIZEN_IDS[0])
    far_pending = register("m-far-pending", "5101", CITIZEN_IDS[1])
    own_nomination = Nomination(office=_office(db, "5001"), full_name="นายเสนอ ชื่อ",
                                position="ปลัด", citizen_id=CITIZEN_IDS[2], source="matrix")
    far_nomination = Nomination(office=_office(db, "5101"), full_name="นายเสนอ ไกล",
                                position="ปลัด", citizen_id=CITIZEN_IDS[3], source="matrix")
    db.add_all([own_nomination, far_nomination])
    db.flush()
    own = {"bill": own_bill.ref1, "user": str(own_target.id), "pending": str(own_pending.id),
           "nomination": str(own_nomination.id), "province": "50"}
    foreign = {"bill": far_bill.ref1, "user": str(far_target.id),
               "pending": str(far_pending.id), "nomination": str(far_nomination.id),
               "province": "51"}
    return World(own=own, foreign=foreign, token=token,
                 users={role: user.get_id() for role, user in users.items()})


def accounts_billing():
    from flask import current_app

    return current_app.extensions["billpay.billing"]


def in_scope(role: Role | None, scope: str) -> bool:
    return scope == "own" or role in NATIONAL_ROLES


def allowed(role: Role | None, who) -> bool:
    if who == PUBLIC:
        return True
    if role is None or role == Role.IMPORT_JOB and who == LOGIN:
        return False
    if who == LOGIN:
        return True
    return who in ROLE_PERMISSIONS[role]


def expected(spec: Access, method: str, role: Role | None, scope: str):
    """The status the matrix expects, or SKIP for rows the owner has not written."""
    who = spec.who[method] if isinstance(spec.who, dict) else spec.who
    if not spec.api and role == Role.IMPORT_JOB:
        role = None  # a token is not a session: pages see nobody
    if (role, method) in spec.special:
        return spec.special[(role, method)]
    if who == PUBLIC:
        if spec.owner:
            return SKIP
        if role is not None and method in spec.signed_in:
            return spec.signed_in[method]
        return spec.ok[method]
    if role is None:
        return 401 if spec.api else 302
    if not allowed(role, who):
        return 403
    if spec.owner:
        return SKIP
    scoped = any(kind in SCOPED for kind in spec.params.values())
    if scoped and not in_scope(role, scope):
        return 404
    return spec.ok[method]


def _url(rule, spec: Access, world: World, scope: str) -> str:
    values = {}
    for name, kind in spec.params.items():
        if kind in SCOPED:
            values[name] = (world.own if scope == "own" else world.foreign)[kind]
        else:
            values[name] = CONSTANTS[kind]
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<{name}>", values[name])
        for converter in ("int", "path", "any(csv, xlsx, pdf)"):
            url = url.replace(f"<{converter}:{name}>", values[name])
    assert "<" not in url, (rule.rule, values)
    return url


def _client(app, role: Role | None, world: World):
    """A client signed in as ``role`` (none for nobody and for the token) with a CSRF
    token for its forms."""
    client = app.test_client()
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw
        if role is not None and role != Role.IMPORT_JOB:
            sess["_user_id"] = world.users[role]
            sess["_fresh"] = True
    return client, token


def _call(client, token, method, url, spec: Access, role, world) -> int:
    headers = {"X-CSRFToken": token}
    if role == Role.IMPORT_JOB:
        headers["Authorization"] = f"Bearer {world.token}"
    if spec.api:
        if method == GET:
            return client.get(url, headers=headers).status_code
        return client.post(url, json=spec.json or {}, headers=headers).status_code
    if method == GET:
        return client.get(url, headers=headers).status_code
    return client.post(url, data={**(spec.form or {}), "csrf_token": token},
                       headers=headers).status_code


# endpoints after which a client is no longer who it was
CHANGES_THE_SESSION = {"auth.logout"}


def test_authorization_matrix(app, db, make_user, routes):
    with app.app_context():
        world = build_world(db, make_user)
    clients = {role: _client(app, role, world) for role in ACTORS}
    rows, mismatches = 0, []
    for endpoint, spec in sorted(EXPECTED.items()):
        rule = routes[endpoint]
        scopes = ("own", "foreign") if SCOPED & set(spec.params.values()) else ("own",)
        for method, role, scope in product(_methods(rule), ACTORS, scopes):
            want = expected(spec, method, role, scope)
            if want is SKIP:
                continue
            client, token = (_client(app, role, world) if endpoint in CHANGES_THE_SESSION
                             else clients[role])
            url = _url(rule, spec, world, scope)
            app.extensions["billpay.limiter"].reset()  # rows are independent of each other
            savepoint = db.begin_nested()  # what a request changes is undone after it
            db.connection()  # (the SAVEPOINT is only sent once the session uses its connection)
            try:
                got = _call(client, token, method, url, spec, role, world)
            finally:
                savepoint.rollback()
            rows += 1
            if got != want:
                who = role.value if role else "nobody"
                mismatches.append(f"{endpoint:38} {method:4} {who:12} {scope:7} "
                                  f"{url:50} expected {want}, got {got}")
    assert rows > 500
    assert not mismatches, f"{len(mismatches)} of {rows} rows differ:\n" + "\n".join(mismatches)
