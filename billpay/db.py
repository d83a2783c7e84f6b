"""Engine, sessions, the declarative ``Base`` and the column types every model shares.

One request, one CLI command or one import job owns one session and commits once;
services only flush. ``session()`` gives the current request's session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app, g
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware timestamp, stored in UTC, read back aware on every engine.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the UTC value
    is stored naive and given its zone back on the way out. Naive input is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: billpay stores only times with a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """Baht as ``Decimal`` with 2 places. ``NUMERIC(14, 2)`` on PostgreSQL; on
    SQLite, which has no exact decimal type, an integer count of satang, so that
    sums computed by the database stay exact there too."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        value = Decimal(value)
        if dialect.name == "sqlite":
            satang = value * 100
            if satang != satang.to_integral_value():
                raise ValueError(f"amount {value} has more than 2 decimal places")
            return int(satang)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
        return Decimal(value).quantize(Decimal("0.01"))

    def coerce_compared_value(self, op, value):
        return self


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine with billpay's connection rules.

    SQLite: foreign keys on, WAL, a busy timeout, and every transaction started
    with ``BEGIN IMMEDIATE`` so that two writers queue instead of failing half-way
    (and so that savepoints behave, which pysqlite's own transaction handling breaks).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


class Database:
    """The app's engine and session factory (``app.extensions['billpay.db']``)."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def bound_to(self, factory: sessionmaker) -> Iterator[None]:
        """Use another session factory for a while (tests join an outer transaction)."""
        saved, self.sessionmaker = self.sessionmaker, factory
        try:
            yield
        finally:
            self.sessionmaker = saved

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work outside a request: commit on success, roll back on error."""
        with self.sessionmaker() as db_session, db_session.begin():
            yield db_session


def get_database(app=None) -> Database:
    return (app or current_app).extensions["billpay.db"]


def session() -> Session:
    """The session of the current request or app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = get_database().sessionmaker()
    return g.db_session


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def insert_rows(db: Session, model, rows: list[dict], *, return_ids: bool = False) -> list[int]:
    """Insert many rows of ``model`` fast, inside the session's transaction.

    PostgreSQL: ids are taken from the table's sequence in one query and the rows
    are sent with ``COPY`` (an order of magnitude faster than INSERTs for the
    hundreds of thousands of lines of a settlement file). Other engines: one
    executemany INSERT (with RETURNING when ids are wanted). Column values go
    through each column type's bind processing (Money, UTCDateTime), as the ORM would.
    Returns the new ids in the order of ``rows`` when ``return_ids``.
    """
    if not rows:
        return []
    from sqlalchemy import insert, text

    table = model.__table__
    connection = db.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        if return_ids:
            result = connection.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
            return [row[0] for row in result]
        connection.execute(insert(table), rows)
        return []
    names = list(rows[0])
    ids: list[int] = []
    if "id" not in names:
        ids = list(connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)}).scalars())
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in (names + (["id"] if ids else [])))
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for index, row in enumerate(rows):
            values = [row[name] if proc is None else proc(row[name])
                      for name, proc in zip(names, processors, strict=True)]
            if ids:
                values.append(ids[index])
            copy.write_row(values)
    return ids if return_ids else []
