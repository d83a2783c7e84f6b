"""``billpay audit verify``: walk the hash chain; exit 1 naming the first bad row."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from billpay.db import get_database


@click.group("audit", cls=AppGroup)
def audit_group():
    """The append-only audit log."""


@audit_group.command("verify")
def verify():
    """Recompute every row's hash in order. Prints the head (sequence and hash: write it
    down somewhere else to catch even a whole rewritten chain); exit 1 on the first row
    that was edited or deleted."""
    from billpay.audit.services import verify_chain

    database = get_database(current_app)
    with database.sessionmaker() as db:
        report = verify_chain(db)
    if report.ok:
        click.echo(report.message)
        return
    click.echo(f"AUDIT LOG TAMPERED: {report.message}", err=True)
    click.echo(f"ผิดพลาด: {report.message_th}", err=True)
    sys.exit(1)
