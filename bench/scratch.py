"""Scratch PostgreSQL databases for the benchmarks: made fresh, dropped afterwards."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _admin(admin_url: str, *statements: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    admin.dispose()


def postgres_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def fresh_postgres(admin_url: str, name: str) -> str:
    """Drop database ``name`` if it is there, create it empty, return its URL."""
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
           f'CREATE DATABASE "{name}"')
    return postgres_url(admin_url, name)


def drop_postgres(admin_url: str, name: str) -> None:
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
