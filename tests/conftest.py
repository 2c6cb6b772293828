"""Fixtures: the app on SQLite and on the real PostgreSQL, a clean database per test, logged-in clients.

PostgreSQL-backed runs skip with a loud reason on a machine without the server, and fail under CI=true.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app import create_app
from certification import records
from certification.extensions import db
from tests import services
from tests.services import POSTGRES_URL

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(reason: str):
    """Fail under CI (the service must be there), skip loudly elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(f"SERVICE MISSING — {reason}; these tests did NOT run")


def _postgres_reachable() -> str | None:
    """None once this process's own PostgreSQL database exists, else why it cannot."""
    return services.ensure_postgres_database()


def pytest_configure(config):
    # Under pytest-xdist the controlling process runs no test: only the workers claim a Redis database.
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", None):
        services.claim_redis_database()


def pytest_collection_modifyitems(config, items):
    """A test marked `postgres_only` (row locks, concurrent writers, a server that closes connections) runs
    on PostgreSQL only: its SQLite case is not collected, rather than collected and skipped."""
    sqlite_cases = [
        item
        for item in items
        if item.get_closest_marker("postgres_only")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "sqlite"
    ]
    if sqlite_cases:
        config.hook.pytest_deselected(items=sqlite_cases)
        items[:] = [item for item in items if item not in sqlite_cases]


def pytest_unconfigure(config):
    services.release_redis_database()
    services.drop_postgres_database()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    problem = _postgres_reachable()
    if problem:
        service_missing(problem)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "SELLO_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "EVIDENCE_DIR": str(tmp_path_factory.mktemp("evidence")),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        from certification.seals.services import load_standards

        load_standards()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


KEEP = {"standards", "dimensions", "indicators"}


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Each test leaves the database as it found it (standards stay loaded)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    yield
    # End the test's own transaction first: its locks would block the TRUNCATE below on PostgreSQL.
    db.session.rollback()
    with app.app_context():
        db.session.rollback()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP]
        if db.engine.dialect.name == "postgresql":
            # A session a test leaked would make TRUNCATE wait forever: fail loudly instead.
            db.session.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
            db.session.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            # The record tables refuse DELETE (certification.records): lift that for the cleanup only.
            connection = db.session.connection()
            records.drop_triggers(connection)
            for table in tables:
                db.session.execute(table.delete())
            records.create_triggers(connection)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _fresh_login_limits(request):
    """Failed logins of one test never count against the next (the session-wide app keeps its counters)."""
    yield
    if "app" in request.fixturenames:
        from certification.accounts import throttle

        throttle.reset(request.getfixturevalue("app"))
