"""Engine, sessions, the declarative ``Base`` and the column types every model shares.

One request, one CLI command or one import job owns one session and commits once;
services only flush. ``session()`` gives the current request's session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter

from flask import current_app, g
from sqlalchemy import (
    BigInteger,
    ColumnElement,
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
    hundreds of thousands of lines of a settlement file). SQLite: one executemany
    through the driver, ids given from ``max(id)`` (see ``_insert_rows_sqlite``). Other
    engines: one executemany INSERT (with RETURNING when ids are wanted). Column values go
    through each column type's bind processing (Money, UTCDateTime), as the ORM would.
    Returns the new ids in the order of ``rows`` when ``return_ids``.
    """
    if not rows:
        return []
    from sqlalchemy import insert, text

    table = model.__table__
    connection = db.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        return _insert_rows_sqlite(connection, table, rows, return_ids)
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
    columns = ", ".join(f'"{name}"' for name in (names + (["id"] if ids else [])))
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        write_row = copy.write_row
        for index, values in enumerate(_row_values(table, dialect, rows)):
            if ids:
                values.append(ids[index])
            write_row(values)
    return ids if return_ids else []


def _bind_processor(type_, dialect):
    """The processing a value of ``type_`` gets on its way to ``dialect``, as in a Core
    statement: the type adapted to the dialect first (SQLite's DATETIME writes its own
    text format, which a TypeDecorator's generic ``impl`` would not)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _row_values(table, dialect, rows: list[dict]) -> Iterator[list]:
    """Each row's values in the order of row 0's keys, through the column types' bind
    processing (Money, UTCDateTime)."""
    names = list(rows[0])
    processed = [(i, proc) for i, name in enumerate(names)
                 if (proc := _bind_processor(table.c[name].type, dialect)) is not None]
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    for row in rows:
        values = list(getter(row))
        for i, proc in processed:
            values[i] = proc(values[i])
        yield values


def _insert_rows_sqlite(connection, table, rows: list[dict], return_ids: bool) -> list[int]:
    """SQLite: one executemany of a plain INSERT through the driver (sqlite3 loops in C).

    Ids, when wanted, are given explicitly from ``max(id) + 1``: safe because a billpay
    transaction on SQLite holds the database's only write lock from its start
    (``BEGIN IMMEDIATE``), so nobody else can insert in between.
    """
    names = list(rows[0])
    ids: list[int] = []
    if return_ids and "id" not in names:
        last = connection.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0
        ids = list(range(last + 1, last + 1 + len(rows)))
    values = _row_values(table, connection.dialect, rows)
    if ids:
        values = (v + [i] for v, i in zip(values, ids, strict=True))
        names.append("id")
    columns = ", ".join(f'"{name}"' for name in names)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})',
        [tuple(v) for v in values])
    if return_ids and not ids:
        return [row["id"] for row in rows]
    return ids


def in_values(db: Session, column, values) -> ColumnElement[bool]:
    """``column IN (values)`` for a long list of values. PostgreSQL gets
    ``column = ANY(:array)``: one parameter whatever the length, so the statement is
    compiled once and prepared by the driver, instead of rendering and parsing
    thousands of placeholders per query."""
    values = list(values)
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def update_rows(db: Session, model, rows: list[dict], *, key: str = "id") -> None:
    """``UPDATE`` many rows of ``model`` by ``key`` (one row per key value), each row
    giving the same columns.

    PostgreSQL: one statement joining the table to ``unnest`` of one array per column
    (an executemany of thousands of single-row UPDATEs costs a round of planning and
    execution per row). Other engines: one executemany UPDATE. Values go through the
    column types' bind processing, as in ``insert_rows``.
    """
    if not rows:
        return
    from sqlalchemy import bindparam, update

    table = model.__table__
    connection = db.connection()
    dialect = connection.dialect
    names = list(rows[0])
    if dialect.name != "postgresql":
        connection.execute(
            update(table).where(table.c[key] == bindparam(f"b_{key}"))
            .values({name: bindparam(f"b_{name}") for name in names if name != key}),
            [{f"b_{name}": row[name] for name in names} for row in rows])
        return
    arrays = []
    for name in names:
        proc = _bind_processor(table.c[name].type, dialect)
        arrays.append([row[name] for row in rows] if proc is None
                      else [proc(row[name]) for row in rows])
    casts = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in names)
    sets = ", ".join(f'"{name}" = v."{name}"' for name in names if name != key)
    columns = ", ".join(f'"{name}"' for name in names)
    connection.exec_driver_sql(
        f'UPDATE "{table.name}" AS t SET {sets} FROM unnest({casts}) AS v({columns}) '
        f'WHERE t."{key}" = v."{key}"',
        tuple(arrays))


def page_of(db: Session, query, *, page: int, per_page: int, max_per_page: int = 200,
            scalars: bool = True) -> tuple[list, int]:
    """One page of an ordered ``query`` and how many rows match in all (for list pages)."""
    from sqlalchemy import func, select

    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    per_page = min(max(per_page, 1), max_per_page)
    paged = query.offset((max(page, 1) - 1) * per_page).limit(per_page)
    rows = db.scalars(paged).all() if scalars else db.execute(paged).all()
    return list(rows), total
