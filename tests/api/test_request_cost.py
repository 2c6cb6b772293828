"""What an API read costs: statements and database round trips, never time (`make bench` measures time).

A GET of the API runs its statements in autocommit (no BEGIN, no ROLLBACK) when its session is born in the
request, as in production; pooled connections are pinged only after sitting idle; an API request neither reads
nor writes a cookie session.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from certification.database import ping_when_idle
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import Api, token_for
from tests.web.helpers import fresh_client


class Statements:
    """The statements the engine runs while active, with the isolation level each one ran under."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement, conn.get_execution_options().get("isolation_level")))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        return False


def read_as_in_production(api: Api, path: str) -> tuple[int, list]:
    """GET `path` with the session born in the request, as every production request's is (the tests' app context
    otherwise keeps one session across requests)."""
    f.release_session()
    with Statements(db.engine) as statements:
        response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, statements.seen


def test_get_me_runs_one_statement_outside_any_transaction(app, client):
    api = Api(client, token_for(client, f.user("facilitator")))
    response, seen = read_as_in_production(api, "/me")
    assert response.get_json()["role"] == "facilitator"
    assert len(seen) == 1, [s for s, _ in seen]  # the token and its holder, in one indexed lookup
    assert "api_tokens.token_hash = " in seen[0][0] and "JOIN users" in seen[0][0]
    assert [level for _, level in seen] == ["AUTOCOMMIT"]  # no BEGIN sent before it, no ROLLBACK after


def test_get_application_reads_outside_any_transaction(app, client):
    walk = f.Walk().submit()
    api = Api(client, token_for(client, walk.applicant))
    response, seen = read_as_in_production(api, f"/applications/{walk.id}")
    assert response.get_json()["id"] == walk.id
    assert seen and {level for _, level in seen} == {"AUTOCOMMIT"}


def test_writes_of_the_api_keep_their_transaction(app, client):
    api = Api(client, token_for(client, f.user("facilitator")))
    f.release_session()
    with Statements(db.engine) as statements:
        assert api.delete("/auth/tokens/current").status_code == 204
    assert any(s.startswith("UPDATE api_tokens") for s, _ in statements.seen)
    assert "AUTOCOMMIT" not in {level for _, level in statements.seen}
    assert api.get("/me").status_code == 401, "revoked at once, the autocommit read included"


def test_a_session_kept_across_requests_keeps_its_transaction(app, client):
    user = f.user("facilitator")
    api = Api(client, token_for(client, user))
    assert db.session.get(type(user), user.id) is not None  # the test's own session, open across the request
    with Statements(db.engine) as statements:
        assert api.get("/me").status_code == 200
    assert "AUTOCOMMIT" not in {level for _, level in statements.seen}


def test_an_api_request_neither_reads_nor_writes_the_cookie_session(app):
    person = f.user("facilitator")
    browser = fresh_client(app, person)
    assert browser.get("/dashboard").status_code == 200, "the browser session works for the pages"
    answer = browser.get("/api/v1/me")  # the session cookie travels along, but cannot stand in for a token
    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
    token = token_for(browser, person)
    answer = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert browser.get("/dashboard").status_code == 200, "and the browser session is untouched"


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(monkeypatch):
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.QueuePool)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or True)
    ping_when_idle(engine, idle_seconds=60)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    assert len(pings) == 1, "the new connection only: the others were handed back a moment before"
    clock = time.monotonic() + 61
    monkeypatch.setattr("certification.database.time.monotonic", lambda: clock)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert len(pings) == 2, "idle for longer than the setting: pinged before use"
    engine.dispose()


@pytest.mark.postgres_only  # needs a server that can close a connection
def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(app):
    engine = sa.create_engine(db.engine.url)
    ping_when_idle(engine, idle_seconds=0)  # every checkout counts as idle
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    with engine.connect() as conn:  # the dead connection is pinged, found dead and replaced: no error here
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()
