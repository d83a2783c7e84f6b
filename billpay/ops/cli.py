"""Console commands of the trial period and go-live:

``billpay trial status [--office CODE]``, ``billpay trial purge [--office CODE] [--confirm]``,
``billpay trial history``, ``billpay offices go-live CODE --date YYYY-MM-DD`` and
``billpay offices trial CODE --on|--off``. Each command is one transaction.
"""

from __future__ import annotations

import getpass
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from billpay.db import get_database, utcnow
from billpay.errors import BillpayError
from billpay.thaidate import bangkok_date, thai_date, thai_datetime


def _fail(exc: BillpayError) -> None:
    click.echo(f"ผิดพลาด: {exc.message}", err=True)
    sys.exit(1)


def _deployment_trial() -> bool:
    return current_app.extensions["billpay.billing"].trial


def _today():
    return bangkok_date(utcnow())


def _actor(db, username: str | None):
    """The billpay user named by --by, as the actor of the audit event (None: the system)."""
    if not username:
        return None
    from billpay.accounts.models import User
    from billpay.accounts.permissions import Actor

    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"ไม่พบผู้ใช้ {username} / no user {username}")
    return Actor.for_user(user)


# -- billpay trial ------------------------------------------------------------------------

@click.group("trial", cls=AppGroup)
def trial_group():
    """Trial period (ทดลองใช้งาน): status, purge of trial data."""


@trial_group.command("status")
@click.option("--office", "office_code", help="one office (2 or 4 digits)")
def trial_status_command(office_code):
    """Which offices are in trial mode today (Asia/Bangkok), their go-live dates and how
    much trial data they hold."""
    from billpay.ops.trial import trial_status

    today = _today()
    deployment = _deployment_trial()
    try:
        with get_database(current_app).transaction() as db:
            rows = trial_status(db, deployment_trial=deployment, today=today,
                                office_code=office_code)
    except BillpayError as exc:
        _fail(exc)
    rule = ("ทุกหน่วยงานที่ยังไม่ถึงวันเริ่มใช้งานจริงอยู่ในโหมดทดลอง" if deployment
            else "เฉพาะหน่วยงานที่ตั้งค่าทดลองไว้และยังไม่ถึงวันเริ่มใช้งานจริงอยู่ในโหมดทดลอง")
    click.echo(f"วันนี้ {thai_date(today)} · BILLPAY_TRIAL = {'on' if deployment else 'off'}: "
               f"{rule}")
    if not rows:
        click.echo("ไม่มีหน่วยงานที่ทดลองใช้งาน ตั้งวันเริ่มใช้งานจริง หรือมีข้อมูลทดลอง")
        return
    in_trial = sum(1 for r in rows if r.in_trial)
    click.echo(f"{'รหัส':<6}{'โหมด':<12}{'ตั้งค่าทดลอง':<14}{'เริ่มใช้งานจริง':<18}"
               f"{'ใบแจ้งทดลอง':>12}{'ใบเสร็จทดลอง':>13}  หน่วยงาน")
    for r in rows:
        click.echo(f"{r.code:<6}{'ทดลอง' if r.in_trial else 'ใช้งานจริง':<12}"
                   f"{'ใช่' if r.flagged else '-':<14}"
                   f"{r.go_live_on.isoformat() if r.go_live_on else '-':<18}"
                   f"{r.trial_bills:>12,}{r.trial_receipts:>13,}  {r.name}")
    click.echo(f"{in_trial:,} หน่วยงานอยู่ในโหมดทดลอง / {in_trial:,} offices in trial mode")


@trial_group.command("purge")
@click.option("--office", "office_code", help="only this office (default: every office)")
@click.option("--confirm", is_flag=True, help="really delete; without it, a dry run")
@click.option("--by", "username", help="the billpay user running the purge (audit log)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def trial_purge_command(office_code, confirm, username, as_json):
    """Remove all trial data (of one office with --office) and reset the trial counters.

    Without --confirm it only prints what it would remove. Live data is never touched; a
    settlement file mixing trial and live lines is kept whole (see the report). Exit 0
    done, 1 refused.
    """
    from billpay.ops.purge import KIND_LABELS_TH, KINDS, purge_trial

    try:
        with get_database(current_app).transaction() as db:
            actor = _actor(db, username)
            report = purge_trial(db, actor, office_code=office_code, dry_run=not confirm,
                                 performed_by=username or getpass.getuser())
    except BillpayError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return
    scope = f"หน่วยงาน {report.office_code}" if report.office_code else "ทุกหน่วยงาน"
    head = ("ทดลองลบ (ยังไม่ได้ลบ) — ข้อมูลทดลองที่จะลบ" if report.dry_run
            else f"ลบข้อมูลทดลองแล้ว (ครั้งที่ {report.purge_id})")
    click.echo(f"{head}: {scope}")
    for kind in KINDS:
        click.echo(f"  {KIND_LABELS_TH[kind]:<34}{report.counts[kind]:>10,}  ({kind})")
    for f in report.mixed_files:
        click.echo(f"  เก็บไฟล์ธนาคาร {f['filename']} (id {f['file_id']}) ไว้ทั้งไฟล์ เพราะมีรายการจริงหรือ"
                   f"ของหน่วยงานอื่นปนอยู่: รายการทดลอง {f['trial_lines_kept']:,} จาก "
                   f"{f['lines']:,} รายการยังอยู่ในไฟล์ (ไม่ผูกกับใบแจ้งแล้ว)")
    if report.dry_run:
        click.echo("ไม่ได้ลบข้อมูลใด สั่งลบจริงด้วย --confirm / dry run: nothing removed; "
                   "add --confirm to remove")


@trial_group.command("history")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def trial_history_command(limit):
    """The latest purges: when, who, which office, what they removed."""
    from billpay.ops.purge import purge_history

    with get_database(current_app).transaction() as db:
        for p in purge_history(db, limit=limit):
            scope = p.office.code if p.office else "ทุกหน่วยงาน"
            total = sum(p.counts.values())
            click.echo(f"#{p.id} {thai_datetime(p.at)} โดย {p.performed_by} · {scope} · "
                       f"{total:,} แถว {json.dumps(p.counts, ensure_ascii=False)}")


# -- billpay offices ----------------------------------------------------------------------

@click.group("offices", cls=AppGroup)
def offices_group():
    """Offices: go-live date and trial flag."""


@offices_group.command("go-live")
@click.argument("office_code")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="the first day of live operation, YYYY-MM-DD (Christian era)")
@click.option("--by", "username", help="the billpay user making the change (audit log)")
def go_live_command(office_code, day, username):
    """Set the day OFFICE_CODE starts live operation; from that day (Asia/Bangkok) it
    issues live bills only. A go-live date that has come cannot be changed."""
    from billpay.ops.trial import set_go_live

    today = _today()
    try:
        with get_database(current_app).transaction() as db:
            office = set_go_live(db, _actor(db, username), office_code, day.date(), today=today)
            text = (f"{office.code} {office.display_name}: เริ่มใช้งานจริงวันที่ "
                    f"{thai_date(office.go_live_on)}")
    except BillpayError as exc:
        _fail(exc)
    click.echo(text + (" (มีผลแล้ว)" if day.date() <= today else ""))


@offices_group.command("trial")
@click.argument("office_code")
@click.option("--on/--off", "on", required=True, help="flag the office for the trial period")
@click.option("--by", "username", help="the billpay user making the change (audit log)")
def office_trial_command(office_code, on, username):
    """Put OFFICE_CODE in the trial period (--on) whatever BILLPAY_TRIAL says, or take
    it out (--off). Refused after its go-live date."""
    from billpay.ops.trial import in_trial_mode, set_office_trial

    today = _today()
    try:
        with get_database(current_app).transaction() as db:
            office = set_office_trial(db, _actor(db, username), office_code, on, today=today)
            mode = in_trial_mode(office, deployment_trial=_deployment_trial(), today=today)
            text = f"{office.code} {office.display_name}: {'ทดลองใช้งาน' if mode else 'ใช้งานจริง'}"
    except BillpayError as exc:
        _fail(exc)
    click.echo(text)


# -- billpay migrate, billpay export ------------------------------------------------------

@click.group("migrate", cls=AppGroup)
def migrate_group():
    """Data migration from an old system (นำเข้าข้อมูลจากระบบเดิม)."""


@migrate_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option("--by", "username", help="the billpay user running the import (audit log)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def migrate_import_command(directory, username, as_json):
    """Import DIRECTORY (bills, bill_items, payments, receipts as CSV or XLSX, optional
    manifest.json): every row is checked first; any error and nothing is imported (the
    refused attempt and its errors are recorded). Exit 0 imported, 1 refused."""
    from billpay.ops.migration import import_directory

    try:
        with get_database(current_app).transaction() as db:
            actor = _actor(db, username)
            result = import_directory(db, actor, directory,
                                      performed_by=username or getpass.getuser())
    except BillpayError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    elif result.ok:
        counts = result.counts
        click.echo(f"นำเข้าแล้ว (ชุดที่ {result.batch_id}): ใบแจ้ง {counts['bills']:,} "
                   f"รายการในใบแจ้ง {counts['bill_items']:,} รายการชำระ {counts['payments']:,} "
                   f"ใบเสร็จ {counts['receipts']:,}")
    else:
        click.echo(f"ไม่นำเข้า (ชุดที่ {result.batch_id}): พบข้อผิดพลาด {result.error_count:,} "
                   "รายการ ไม่ได้บันทึกข้อมูลใด / refused, nothing imported", err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
        if result.error_count > len(result.problems):
            click.echo(f"  … และอีก {result.error_count - len(result.problems):,} รายการ",
                       err=True)
    if not result.ok:
        sys.exit(1)


@migrate_group.command("history")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def migrate_history_command(limit):
    """The latest import attempts: when, who, source, imported or refused."""
    from billpay.ops.models import MigrationBatch

    with get_database(current_app).transaction() as db:
        for b in db.scalars(select(MigrationBatch).order_by(MigrationBatch.id.desc())
                            .limit(limit)):
            what = (f"นำเข้า {json.dumps(b.counts, ensure_ascii=False)}" if b.status == "imported"
                    else f"ไม่นำเข้า: ผิดพลาด {b.error_count:,} รายการ")
            click.echo(f"#{b.id} {thai_datetime(b.at)} โดย {b.performed_by} · {b.source} · {what}")


@click.command("export")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option("--office", "office_code", help="only this office's bills, payments and receipts")
def export_command(directory, office_code):
    """Write bills, bill_items, payments and receipts (no trial data) to DIRECTORY in the
    data-migration layout, with manifest.json: what `billpay migrate import` reads."""
    from billpay.ops.migration import export_directory

    try:
        with get_database(current_app).transaction() as db:
            result = export_directory(db, directory, office_code=office_code)
    except BillpayError as exc:
        _fail(exc)
    click.echo(" ".join(f"{name} {count:,}" for name, count in result.counts.items())
               + f" → {result.directory}")
