"""Console commands for accounts, for when no administrator can sign in:
``billpay users unlock USERNAME`` and ``billpay users reset-password USERNAME``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from billpay.db import get_database
from billpay.errors import BillpayError


def _user_id(db, username: str) -> int:
    from billpay.accounts.models import User

    user_id = db.scalar(select(User.id).where(User.username == username.strip().lower()))
    if user_id is None:
        raise click.ClickException(f"no user {username}")
    return user_id


@click.command("unlock")
@with_appcontext
@click.argument("username")
def unlock(username):
    """Lift the sign-in lock of USERNAME."""
    from billpay.accounts.services import unlock_user

    with get_database(current_app).transaction() as db:
        unlock_user(db, None, _user_id(db, username))
    click.echo(f"{username} unlocked")


@click.command("reset-password")
@with_appcontext
@click.argument("username")
@click.option("--clear-totp", is_flag=True, help="also turn off the second factor")
def reset_password(username, clear_totp):
    """Give USERNAME a temporary password (printed once) to change at the next sign-in."""
    from billpay.accounts.services import reset_password as reset

    try:
        with get_database(current_app).transaction() as db:
            temporary = reset(db, None, _user_id(db, username), clear_totp=clear_totp)
    except BillpayError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(temporary)
    click.echo(f"(temporary password for {username}; they must change it at the next "
               "sign-in)", err=True)


COMMANDS = (unlock, reset_password)
