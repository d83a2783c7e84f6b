"""``billpay maintenance start|end|status|requeue`` for the person running a change, and
``billpay config-reference`` (the README's table of settings)."""

from __future__ import annotations

import getpass
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from billpay.db import get_database, utcnow
from billpay.errors import BillpayError
from billpay.ops import services
from billpay.thaidate import thai_datetime

maintenance_group = AppGroup("maintenance", help="Maintenance windows (ช่วงปิดปรับปรุงระบบ).")


def _who() -> str:
    try:
        return f"{getpass.getuser()} (คอนโซล)"
    except Exception:  # noqa: BLE001 - no user name in a container: still say where
        return services.SYSTEM_NAME


def _fail(exc: BillpayError) -> None:
    click.echo(f"ผิดพลาด: {exc.message}", err=True)
    for field, messages in (exc.errors or {}).items():
        click.echo(f"  {field}: {messages}", err=True)
    sys.exit(1)


def _print_imports(results: list[services.QueueResult]) -> None:
    if not results:
        click.echo("ไม่มีไฟล์ธนาคารในคิว / no queued settlement files")
    for result in results:
        click.echo(result.text, err=result.state != "imported")


@maintenance_group.command("start")
@click.option("--minutes", type=click.IntRange(min=1), default=60, show_default=True,
              help="how long the window lasts from now")
@click.option("--reason", default="ปรับปรุงระบบตามแผน", show_default=True,
              help="shown to everyone (Thai)")
def start_command(minutes: int, reason: str) -> None:
    """Start a maintenance window now: pages read-only, API 503, settlement files queued."""
    try:
        with get_database(current_app).transaction() as db:
            window = services.start_window(db, None, minutes=minutes, reason=reason,
                                           now=utcnow(), by_name=_who())
            click.echo(f"เริ่มช่วงปิดปรับปรุงระบบแล้ว (ลำดับที่ {window.id}) ถึง "
                       f"{thai_datetime(window.ends_at)} — {window.reason}\n"
                       f"  maintenance window {window.id} on until "
                       f"{window.ends_at.isoformat(timespec='seconds')}")
    except BillpayError as exc:
        _fail(exc)


@maintenance_group.command("end")
def end_command() -> None:
    """End the current window now and import the settlement files queued during it, in
    the order they arrived (each in its own transaction), printing each result.
    Exit 1 if a queued file failed (it stays in the queue marked failed)."""
    with get_database(current_app).transaction() as db:
        window = services.end_current_window(db, None, now=utcnow(), by_name=_who())
    if window is None:
        click.echo("ไม่มีช่วงปิดปรับปรุงที่กำลังดำเนินอยู่ / no window is on")
    else:
        click.echo(f"สิ้นสุดช่วงปิดปรับปรุงระบบ (ลำดับที่ {window.id}) แล้ว / window {window.id} ended")
    results = services.import_queue(get_database(current_app))
    _print_imports(results)
    sys.exit(1 if any(r.state != "imported" for r in results) else 0)


@maintenance_group.command("status")
def status_command() -> None:
    """The current or next window and the queue's length."""
    now = utcnow()
    with get_database(current_app).transaction() as db:
        current = services.current_window(db, now)
        upcoming = services.next_window(db, now)
        counts = services.queue_counts(db)
        if current is not None:
            click.echo(f"กำลังปิดปรับปรุง (ลำดับที่ {current.id}) ตั้งแต่ {thai_datetime(current.starts_at)} "
                       f"ถึง {thai_datetime(current.ends_at)} — {current.reason}")
        else:
            click.echo("ขณะนี้ไม่ได้ปิดปรับปรุง / no window is on")
        if upcoming is not None:
            click.echo(f"ครั้งถัดไป (ลำดับที่ {upcoming.id}): {thai_datetime(upcoming.starts_at)} ถึง "
                       f"{thai_datetime(upcoming.ends_at)} — {upcoming.reason}")
        click.echo(f"คิวไฟล์ธนาคาร: รอนำเข้า {counts['queued']} นำเข้าแล้ว {counts['imported']} "
                   f"ไม่สำเร็จ {counts['failed']} / queue: {counts['queued']} queued, "
                   f"{counts['imported']} imported, {counts['failed']} failed")


@maintenance_group.command("requeue")
@click.argument("queue_id", type=int)
def requeue_command(queue_id: int) -> None:
    """Put a failed queued file back in the queue; it is imported at the next drain
    (``billpay maintenance end`` or the next ``billpay settlement watch`` round)."""
    try:
        with get_database(current_app).transaction() as db:
            row = services.requeue(db, queue_id)
            click.echo(f"นำไฟล์ {row.filename} (ลำดับที่ {row.id}) กลับเข้าคิวแล้ว")
    except BillpayError as exc:
        _fail(exc)


@click.command("config-reference")
@with_appcontext
def config_reference() -> None:
    """Print the table of every BILLPAY_* setting (Markdown, as in README.md)."""
    from billpay.config import reference_table

    click.echo(reference_table(), nl=False)
