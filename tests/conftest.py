"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets a fresh database, migrated with Alembic and seeded with the
offices and demo fee types once per run; each test then runs inside a
transaction that is rolled back afterwards (SQLAlchemy's "joining a session into
an external transaction" recipe), so tests never see each other's rows.

PostgreSQL: ``BILLPAY_TEST_POSTGRES_URL`` (default: the local server, database
``test``) is used to create a scratch database ``billpay_test_<worker>``. If the
server cannot be reached the PostgreSQL tests are skipped, except under
``CI=true``, where that fails the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from billpay.accounts.models import Role, User
from billpay.accounts.permissions import Actor
from billpay.accounts.services import create_user
from billpay.db import get_database
from tests.support import (  # noqa: F401 - re-exported for test modules
    BACKENDS,
    IN_CI,
    PASSWORD,
    PG_ADMIN_URL,
    _postgres_reachable,
    _worker,
    csrf_token,
    drop_postgres_database,
    fresh_database_url,
    login,
    make_app,
    prepare_database,
)


@pytest.fixture(scope="session")
def postgres_status() -> str | None:
    return _postgres_reachable()


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory, postgres_status) -> Iterator[dict[str, str]]:
    """Created on first use: one prepared database per backend."""
    urls: dict[str, str] = {}
    tmp = tmp_path_factory.mktemp("db")

    class Lazy(dict):
        def __missing__(self, backend):
            url = fresh_database_url(backend, tmp, "test")
            prepare_database(url)
            self[backend] = url
            return url

    urls = Lazy()
    yield urls
    if "postgresql" in urls:
        drop_postgres_database(f"billpay_test_{_worker()}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, postgres_status) -> str:
    if request.param == "postgresql" and postgres_status is not None:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({postgres_status})"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it", pytrace=False)
        pytest.skip(message)
    return request.param


_apps: dict[str, object] = {}


@pytest.fixture(scope="session")
def app(backend, backend_urls):
    if backend not in _apps:
        _apps[backend] = make_app(backend_urls[backend])
    return _apps[backend]


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; the app's
    requests share it (their commits only release savepoints)."""
    database = get_database(app)
    connection = database.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    session = factory()
    with database.bound_to(factory):
        try:
            yield session
        finally:
            session.close()
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Every test starts with empty rate-limit counters: the session's app is shared, and
    its sign-ins would otherwise add up across tests to the login limit."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["billpay.limiter"].reset()
    yield


@pytest.fixture
def client(app, db):
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.CLERK, office: str | None = "5001", **kwargs) -> User:
        username = kwargs.pop("username", None) or f"{Role(role).value}{next(counter)}"
        return create_user(db, username=username, password=PASSWORD,
                           full_name=kwargs.pop("full_name", f"ทดสอบ {username}"),
                           role=role, office_code=office, **kwargs)

    return make


@pytest.fixture
def clerk(make_user) -> User:
    return make_user(Role.CLERK, "5001", username="clerk")


@pytest.fixture
def clerk_actor(clerk) -> Actor:
    return Actor.for_user(clerk)


@pytest.fixture
def clerk_client(client, clerk):
    login(client, clerk.username)
    return client


@pytest.fixture
def signed_in(app, db):
    """A fresh browser (test client) signed in as ``user``. Not entered with ``with``: a
    client that keeps its request context would lend its ``g`` (signed-in user, session)
    to the next client's requests."""

    def make(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return make
