"""Round trips to the database: pooled connections pinged only after sitting idle; reads without a transaction.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` on every checkout, i.e. one more round trip for every
request — a quarter of the round trips of an API read that runs one statement. A connection handed back to the
pool a moment ago is as good as the server that answered it then, so only one that sat idle for
`DATABASE_PING_IDLE_SECONDS` (or was never used) is pinged; a dead one is replaced before the request sees it.
A server restarted while connections were busy is noticed by their next statement instead: SQLAlchemy then
invalidates the whole pool, so every later checkout gets a new connection.
"""

from __future__ import annotations

import time

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from certification.extensions import db

RETURNED_AT = "sello_returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Install the check on `engine`'s pool (it survives `engine.dispose()`, which keeps the pool's events)."""
    dialect = engine.dialect

    def returned(dbapi_connection, record) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection, record, proxy) -> None:
        last = record.info.get(RETURNED_AT)
        if last is not None and time.monotonic() - last < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc  # the pool replaces the connection and tries again
            raise

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)


def read_without_transaction() -> None:
    """Run this request's statements in autocommit: no BEGIN before them, no ROLLBACK after — two round trips
    fewer for a read. Under PostgreSQL's READ COMMITTED every statement takes its own snapshot even inside a
    transaction, so what a read sees does not change. For reads only (the API's GET operations), and only for
    a session born in this request, which ends with it: a session that already holds objects or a transaction
    (a test keeping one across requests, a hook that ran a query) keeps its transaction.
    """
    if db.session.registry.has():
        return
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    g.sello_autocommit_session = True


def _end_autocommit_session(exc=None) -> None:
    if g.pop("sello_autocommit_session", False):
        db.session.remove()  # (in production the app context's end would remove it a moment later anyway)


def init_app(app: Flask) -> None:
    with app.app_context():
        ping_when_idle(db.engine, app.config.get("DATABASE_PING_IDLE_SECONDS", 10))
    app.teardown_request(_end_autocommit_session)
