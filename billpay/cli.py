"""The ``billpay`` command: thin wrappers over the services, one transaction each."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from billpay.db import get_database
from billpay.errors import BillpayError


def _db():
    return get_database(current_app)


def _fail(exc: BillpayError) -> None:
    click.echo(f"ผิดพลาด: {exc.message}", err=True)
    for field, messages in (exc.errors or {}).items():
        click.echo(f"  {field}: {messages}", err=True)
    sys.exit(1)


@click.group("db", cls=AppGroup)
def db_group():
    """Database schema (Alembic migrations in migrations/)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Bring the schema up to date (run at every deploy)."""
    from billpay import migrate

    migrate.upgrade(_db().url, revision)
    click.echo("schema is at " + revision)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    """Step the schema back to REVISION (e.g. -1 or base)."""
    from billpay import migrate

    migrate.downgrade(_db().url, revision)


@db_group.command("check")
def db_check():
    """Fail if the models and the migrations disagree."""
    from billpay import migrate

    migrate.check(_db().url)
    click.echo("models and migrations agree")


@click.command("seed")
@with_appcontext
@click.option("--fee-types", "fee_types_csv", type=click.File("rb"),
              help="CSV of fee types (default: the demo catalogue, only when none exist)")
def seed(fee_types_csv):
    """Load the offices (76 provinces, 878 districts) and the fee-type catalogue."""
    from sqlalchemy import func, select

    from billpay.bills import catalogue
    from billpay.bills.models import FeeType
    from billpay.offices.services import seed_offices

    try:
        with _db().transaction() as db:
            report = seed_offices(db)
            click.echo(f"offices: {report.added} added, {report.updated} updated, "
                       f"{report.total} in all")
            if fee_types_csv is not None:
                result = catalogue.import_fee_types_csv(db, None, fee_types_csv.read())
            elif not db.scalar(select(func.count()).select_from(FeeType)):
                result = catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
            else:
                result = None
            if result:
                click.echo(f"fee types: {result.added} added, {result.updated} updated")
    except BillpayError as exc:
        _fail(exc)


@click.group("users", cls=AppGroup)
def users_group():
    """People who sign in."""


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True)
@click.option("--office", "office_code", help="interior-ministry office code, e.g. 5001")
@click.option("--position", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username, full_name, role, office_code, position, password):
    """Create an active user at the console (people normally register at /register and
    are approved by the finance division); recorded in the audit log."""
    from billpay.accounts.services import create_user

    try:
        with _db().transaction() as db:
            user = create_user(db, username=username, password=password, full_name=full_name,
                               role=role, office_code=office_code, position=position)
            click.echo(f"created user {user.username} ({user.role}, office {office_code or '-'})")
    except BillpayError as exc:
        _fail(exc)


@click.group("tokens", cls=AppGroup)
def tokens_group():
    """Bearer tokens for jobs and other systems."""


@tokens_group.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--office", "office_code")
def tokens_create(name, role, office_code):
    """Create a token and print it once; only its hash is kept."""
    from billpay.accounts.services import create_token

    try:
        with _db().transaction() as db:
            new = create_token(db, name=name, role=role, office_code=office_code)
            click.echo(new.secret)
            click.echo(f"(token {new.token.prefix}… for {name}, role {role}; "
                       "store it now, it is not shown again)", err=True)
    except BillpayError as exc:
        _fail(exc)


@click.group("bills", cls=AppGroup)
def bills_group():
    """Bill housekeeping jobs."""


@bills_group.command("expire")
def bills_expire():
    """Mark unpaid bills past their due date as expired (daily job)."""
    from billpay.bills.services import expire_overdue
    from billpay.db import utcnow
    from billpay.thaidate import bangkok_date

    with _db().transaction() as db:
        count = expire_overdue(db, today=bangkok_date(utcnow()))
    click.echo(f"{count} bills expired")


DEMO_USERS = (
    ("clerk", "สมหญิง ใจดี", "clerk", "5001", "เจ้าพนักงานปกครองปฏิบัติงาน"),
    ("head", "สมชาย รักงาน", "office_head", "5001", "ปลัดอำเภอ หัวหน้าฝ่ายบริหารงานปกครอง"),
    ("finance", "วันดี มั่นคง", "finance", "00", "นักวิชาการเงินและบัญชี กองคลัง"),
    ("admin", "ผู้ดูแลระบบ", "admin", "00", "นักวิชาการคอมพิวเตอร์"),
    ("exec", "ประยุทธ์ บริหารดี", "executive", "00", "รองอธิบดีกรมการปกครอง"),
)


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--serve/--no-serve", default=True, help="run the web server afterwards")
@click.option("--activity/--no-activity", default=True,
              help="a month of bills, payments and bank files at four offices (first run only)")
def demo(host, port, serve, activity):
    """Set up the embedded SQLite database with demo data, print logins, serve."""
    from sqlalchemy import select

    from billpay import migrate
    from billpay.accounts.models import User
    from billpay.accounts.services import create_user, hash_password

    database = _db()
    migrate.upgrade(database.url)
    click.get_current_context().invoke(seed)
    password = secrets.token_urlsafe(9)
    with database.transaction() as db:
        for username, full_name, role, office, position in DEMO_USERS:
            user = db.scalar(select(User).where(User.username == username))
            if user is None:
                create_user(db, username=username, password=password, full_name=full_name,
                            role=role, office_code=office, position=position)
            else:
                user.password_hash = hash_password(password)
    if activity:
        from billpay.demo import load_demo_activity

        click.echo("กำลังสร้างข้อมูลตัวอย่าง (ใบแจ้ง การชำระเงิน ไฟล์ธนาคาร) …")
        with database.transaction() as db:
            made = load_demo_activity(db, current_app.extensions["billpay.billing"])
        if made is not None:
            click.echo(f"  ใบแจ้ง {made.bills:,} ฉบับ รับชำระที่เคาน์เตอร์ {made.counter_payments:,} "
                       f"ไฟล์ธนาคาร {made.bank_files:,} ไฟล์ ยกเลิก {made.cancelled:,}")
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"billpay is ready at {url}  (database: {database.url})")
    for username, _name, role, office, _pos in DEMO_USERS:
        click.echo(f"  login: {username:<8} password: {password}   ({role}, office {office})")
    click.echo("")
    if serve:
        current_app.run(host=host, port=port, debug=False, use_reloader=False)


def register_commands(app: Flask) -> None:
    from billpay.accounts.cli import COMMANDS as account_commands
    from billpay.audit.cli import audit_group
    from billpay.ops.cli import offices_group, trial_group
    from billpay.ops.maintenance_cli import config_reference, maintenance_group
    from billpay.reports.cli import reports_group
    from billpay.settlement.cli import settlement_group

    for command in account_commands:
        users_group.add_command(command)
    for command in (db_group, seed, users_group, tokens_group, bills_group, demo, audit_group,
                    settlement_group, reports_group, trial_group, offices_group,
                    maintenance_group, config_reference):
        app.cli.add_command(command)


def _create_app():
    from billpay.app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_version_option=False,
                  help="billpay: bills, settlement files and receipts.")
