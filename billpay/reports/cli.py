"""``billpay reports …``: rebuild the summary tables; write a report to a file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.datastructures import MultiDict

from billpay.db import get_database, utcnow
from billpay.errors import BillpayError

reports_group = AppGroup("reports", help="Reports: summary tables and exports.")


@reports_group.command("rebuild")
def rebuild_command():
    """Recompute stats_daily and stats_monthly from the bills and payments (after an
    upgrade from a version without them, or a data migration). One transaction."""
    from billpay.reports.stats import rebuild

    started = time.perf_counter()
    with get_database(current_app).transaction() as db:
        daily, monthly = rebuild(db)
    click.echo(f"สร้างตารางสรุปใหม่แล้ว: รายวัน {daily:,} แถว รายเดือน {monthly:,} แถว "
               f"({time.perf_counter() - started:.1f} วินาที)")


@reports_group.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--arg", "args", multiple=True, metavar="NAME=VALUE",
              help="a filter, as on the page: from=01/10/2568 office=5001 …")
def export_command(slug, fmt, out, args):
    """Write one report (as the national system user) to a file, for scheduled jobs."""
    from billpay.accounts.models import Role
    from billpay.accounts.permissions import Actor
    from billpay.reports import exports
    from billpay.reports.views import SPECS

    spec = SPECS.get(slug)
    if spec is None:
        raise click.BadParameter(f"ไม่มีรายงาน {slug}: เลือกจาก {', '.join(SPECS)}")
    filters = MultiDict(arg.split("=", 1) for arg in args if "=" in arg)
    actor = Actor(role=Role.FINANCE, name="billpay reports export")
    errors: dict[str, str] = {}
    try:
        with get_database(current_app).transaction() as db:
            report = spec.build(db, actor, filters, errors, None)
            if errors:
                raise click.BadParameter("; ".join(f"{k}: {v}" for k, v in errors.items()))
            now = utcnow()
            if fmt == "csv":
                with out.open("w", encoding="utf-8", newline="") as handle:
                    for chunk in exports.csv_chunks(report):
                        handle.write(chunk)
            elif fmt == "xlsx":
                out.write_bytes(exports.xlsx_bytes(report, printed_by=actor.name,
                                                   printed_at=now))
            else:
                out.write_bytes(exports.pdf_bytes(
                    report, agency_name=current_app.config["BILLPAY"]["AGENCY_NAME"],
                    printed_by=actor.name, printed_at=now))
    except BillpayError as exc:
        click.echo(f"ผิดพลาด: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"เขียน {out} แล้ว")
