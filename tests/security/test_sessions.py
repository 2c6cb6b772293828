"""A session ends on the server: logout, a password change, a deactivation end every session and API token of
the person at once, and a session also ends after SESSION_IDLE_MINUTES idle and SESSION_MAX_HOURS in all."""

from __future__ import annotations

import pytest
from flask_login.utils import encode_cookie

from certification.accounts import sessions
from certification.accounts.services import change_password, end_all_sessions
from certification.extensions import db
from certification.reviewers.services import update_reviewer_profile
from tests import factories as f
from tests.web.helpers import fresh_client

NEW_PASSWORD = "otra clave bastante larga"


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by hand: `clock.now += 60`."""

    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(sessions, "now", lambda: Clock.now)
    return Clock


def _session_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def _replay(app, cookie: str):
    """A browser that only has a copy of the cookie (stolen, or kept from before)."""
    other = fresh_client(app)
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return other


def _token(client, person) -> str:
    return client.post("/api/v1/auth/tokens", json={"email": person.email, "password": f.PASSWORD}).get_json()["token"]


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    person = f.applicant()
    client = fresh_client(app, person)
    cookie = _session_cookie(app, client)
    assert _replay(app, cookie).get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 303
    replayed = _replay(app, cookie).get("/dashboard")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")


def test_logout_ends_every_session_and_api_token_of_the_person(app):
    person = f.applicant()
    laptop, phone = fresh_client(app, person), fresh_client(app, person)
    token = _token(fresh_client(app), person)
    laptop.post("/logout")
    assert phone.get("/dashboard").status_code == 302
    assert _me(fresh_client(app), token) == 401
    assert fresh_client(app, person).get("/dashboard").status_code == 200, "logging in again works"


def test_a_token_and_a_session_stop_working_after_a_password_change(app):
    person = f.user("facilitator")
    browser = fresh_client(app, person)
    token = _token(fresh_client(app), person)
    change_password(person, NEW_PASSWORD)
    assert _me(fresh_client(app), token) == 401
    assert browser.get("/dashboard").status_code == 302
    old = fresh_client(app).post("/login", data={"email": person.email, "password": f.PASSWORD})
    assert old.status_code == 401
    new = fresh_client(app).post("/login", data={"email": person.email, "password": NEW_PASSWORD})
    assert new.status_code == 303


def test_the_command_line_changes_a_password_and_ends_every_session(app, runner):
    person = f.applicant()
    browser = fresh_client(app, person)
    result = runner.invoke(args=["users", "set-password", person.email, "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert browser.get("/dashboard").status_code == 302
    result = runner.invoke(args=["users", "end-sessions", person.email.upper()])
    assert result.exit_code == 0 and "Ended every session" in result.output
    assert runner.invoke(args=["users", "end-sessions", "nobody@example.org"]).exit_code != 0


def test_deactivating_a_reviewer_ends_their_sessions_and_tokens(app):
    facilitator, reviewer = f.user("facilitator"), f.reviewer()
    browser = fresh_client(app, reviewer)
    token = _token(fresh_client(app), reviewer)
    update_reviewer_profile(facilitator, reviewer.id, areas=["gender"], countries=["PE"], languages=["es"],
                            max_active_assignments=3, active=False)  # fmt: skip
    assert browser.get("/assignments").status_code == 302
    assert _me(fresh_client(app), token) == 401


def test_editing_an_active_reviewer_keeps_their_session(app):
    facilitator, reviewer = f.user("facilitator"), f.reviewer()
    browser = fresh_client(app, reviewer)
    update_reviewer_profile(facilitator, reviewer.id, areas=["gender"], countries=["PE"], languages=["es"],
                            max_active_assignments=5, active=True)  # fmt: skip
    assert browser.get("/assignments").status_code == 200


def test_a_session_ends_after_the_idle_timeout(app, clock):
    person = f.applicant()
    client = fresh_client(app, person)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    clock.now += idle - 60
    assert client.get("/dashboard").status_code == 200, "active just before the idle limit"
    clock.now += idle - 60
    assert client.get("/dashboard").status_code == 200, "each request restarts the idle clock"
    clock.now += idle + 1
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_ends_after_the_absolute_timeout_however_active(app, clock):
    person = f.applicant()
    client = fresh_client(app, person)
    longest = app.config["SESSION_MAX_HOURS"] * 3600
    step = app.config["SESSION_IDLE_MINUTES"] * 60 // 2
    elapsed = 0
    while elapsed + step < longest:
        clock.now += step
        elapsed += step
        assert client.get("/dashboard").status_code == 200, elapsed
    clock.now += longest - elapsed + 1
    assert client.get("/dashboard").status_code == 302


def test_a_session_cookie_of_the_old_form_names_nobody(app):
    person = f.applicant()
    client = fresh_client(app)
    with client.session_transaction() as stored:
        stored["_user_id"] = str(person.id)  # the bare id a cookie held before session epochs
        stored[sessions.LOGGED_IN_AT] = stored[sessions.SEEN_AT] = sessions.now()
    assert client.get("/dashboard").status_code == 302


def test_a_remember_me_cookie_ends_with_the_sessions(app):
    person = f.applicant()
    with app.test_request_context():
        remembered = encode_cookie(person.get_id())
    client = fresh_client(app)
    client.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remembered)
    assert client.get("/dashboard").status_code == 200
    end_all_sessions(person, "test")
    stale = fresh_client(app)
    stale.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remembered)
    assert stale.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 302, "the session it had started ends too"


def test_ending_sessions_is_counted_atomically(app):
    person = f.applicant()
    before = person.session_epoch
    end_all_sessions(person, "first")
    end_all_sessions(person, "second")
    db.session.refresh(person)
    assert person.session_epoch == before + 2
