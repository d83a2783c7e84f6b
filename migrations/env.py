"""Alembic environment: billpay's models, the URL from billpay's configuration.

Run through ``billpay db upgrade`` (or ``alembic`` with alembic.ini beside this
folder: the URL then comes from ``-x url=...`` or ``BILLPAY_DATABASE_URL``).
"""

from __future__ import annotations

import os

from alembic import context

from billpay.db import make_engine
from billpay.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("BILLPAY_DATABASE_URL")
    if not url:
        raise SystemExit("No database URL: set BILLPAY_DATABASE_URL or use `billpay db upgrade`.")
    return url


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        user_module_prefix="billpay.db.",
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
