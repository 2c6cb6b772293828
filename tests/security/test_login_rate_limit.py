"""Failed logins are limited per account and per client, for the web form and the API token alike, and the
counts are shared by every web process through Redis.

Once an account is over its limit even its right password is refused with the wrong password's answer (and
a note to wait), while another account still logs in from the same address; a client over its own, higher
limit is refused for every account.
"""

from __future__ import annotations

import os
import uuid

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from certification.accounts import throttle
from certification.extensions import db
from tests import factories as f
from tests.conftest import service_missing
from tests.web.helpers import fresh_client, normalised

TOKENS = "/api/v1/auth/tokens"
NOTE = "Too many failed attempts"


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_CLIENT_LIMIT", "50 per 15 minutes")
    throttle.reset(app)
    yield
    f.release_session()


def _web(client, email, password, **kwargs):
    return client.post("/login?lang=en", data={"email": email, "password": password}, **kwargs)


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_web_form(app):
    person = f.applicant()
    client = fresh_client(app)
    answers = [_web(client, person.email, f"wrong guess number {n}").status_code for n in range(30)]
    assert answers == [401] * 30
    right = _web(client, person.email, f.PASSWORD)
    assert right.status_code == 401
    assert "Wrong e-mail or password." in right.get_data(as_text=True)
    assert NOTE in right.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302, "not logged in"


def test_the_right_password_is_refused_like_a_wrong_one_and_the_note_shows_for_unknown_accounts_too(app):
    person = f.applicant()
    for email in (person.email, "nadie@example.org"):
        for _ in range(5):
            _web(fresh_client(app), email, "not the password")
    known = _web(fresh_client(app), person.email, f.PASSWORD)
    unknown = _web(fresh_client(app), "nadie@example.org", f.PASSWORD)
    wrong = _web(fresh_client(app), person.email, "not the password")
    assert known.status_code == unknown.status_code == wrong.status_code == 401
    assert normalised(known) == normalised(wrong)
    assert normalised(known).replace(person.email, "@") == normalised(unknown).replace("nadie@example.org", "@")
    assert NOTE in known.get_data(as_text=True)


def test_the_note_is_in_spanish_for_a_spanish_reader(app):
    for _ in range(6):
        response = fresh_client(app).post("/login?lang=es", data={"email": "x@example.org", "password": "no"})
    assert "Demasiados intentos fallidos" in response.get_data(as_text=True)


def test_another_account_logs_in_from_the_same_client_while_one_is_locked(app):
    victim, colleague = f.applicant(), f.applicant()
    client = fresh_client(app)
    for _ in range(6):
        _web(client, victim.email, "guessing")
    assert _web(client, victim.email, f.PASSWORD).status_code == 401
    assert _web(client, colleague.email, f.PASSWORD).status_code == 303
    token = client.post(TOKENS, json={"email": colleague.email, "password": f.PASSWORD})
    assert token.status_code == 201


def test_the_web_form_and_the_api_count_the_same_failures(app):
    person = f.user("facilitator")
    client = fresh_client(app)
    for _ in range(3):
        assert _web(client, person.email, "guessing").status_code == 401
    for _ in range(2):
        assert client.post(TOKENS, json={"email": person.email, "password": "guessing"}).status_code == 401
    refused = client.post(
        TOKENS, json={"email": person.email, "password": f.PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 429
    body = refused.get_json()["error"]
    assert body["code"] == "rate_limited" and NOTE in body["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert _web(client, person.email, f.PASSWORD).status_code == 401


def test_successful_logins_do_not_count(app):
    person = f.applicant()
    for _ in range(12):
        assert _web(fresh_client(app), person.email, f.PASSWORD).status_code == 303


def test_a_client_over_its_own_limit_is_refused_for_every_account_but_another_client_is_not(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_CLIENT_LIMIT", "4 per 15 minutes")
    person = f.applicant()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(4):  # four different accounts: no account is over its own limit
        _web(fresh_client(app), f"spray{n}@example.org", "Password2026!", environ_base=attacker)
    assert _web(fresh_client(app), person.email, f.PASSWORD, environ_base=attacker).status_code == 401
    assert (
        _web(fresh_client(app), person.email, f.PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code
        == 303
    )


def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_CLIENT_LIMIT", "4 per 15 minutes")
    assert app.config["TRUSTED_PROXIES"] == 0 and not isinstance(app.wsgi_app, ProxyFix)
    person = f.applicant()
    for n in range(4):
        _web(fresh_client(app), f"spray{n}@example.org", "x", headers={"X-Forwarded-For": f"192.0.2.{n}"})
    response = _web(fresh_client(app), person.email, f.PASSWORD, headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 401, "a client cannot pick a fresh address for itself"


def test_trusted_proxies_make_the_forwarded_client_address_count(database_url, tmp_path):
    proxied = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                          "EVIDENCE_DIR": str(tmp_path), "TRUSTED_PROXIES": 1})  # fmt: skip
    proxied.add_url_rule("/_client", "client_address", throttle.client_address)
    client = proxied.test_client()
    # One trusted proxy: the last address it appended is the client; what the client wrote before it is not.
    answer = client.get("/_client", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.5"})
    assert answer.get_data(as_text=True) == "203.0.113.5"
    assert client.get("/_client").get_data(as_text=True) == "127.0.0.1"


@pytest.mark.redis
def test_two_web_processes_sharing_redis_count_failures_together(app, database_url, tmp_path):
    url = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")
    from limits.storage import storage_from_string

    if not storage_from_string(url).check():
        service_missing(f"Redis not reachable at {url}")
    settings = {"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "EVIDENCE_DIR": str(tmp_path),
                "REDIS_URL": url, "LOGIN_THROTTLE_PREFIX": f"sello-test-{uuid.uuid4().hex}",
                "LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes"}  # fmt: skip
    first, second = create_app(settings), create_app(settings)
    person = f.applicant()  # committed: both apps read it from the same database
    try:
        a, b = first.test_client(), second.test_client()
        for n in range(5):  # alternate between the two "processes": neither alone reaches five
            assert _web(a if n % 2 else b, person.email, "guessing").status_code == 401
        assert _web(a, person.email, f.PASSWORD).status_code == 401
        assert _web(b, person.email, f.PASSWORD).status_code == 401
        assert b.post(TOKENS, json={"email": person.email, "password": f.PASSWORD}).status_code == 429
        # The same count in memory (no Redis) would have let the right password in on either process.
        other = f.applicant()
        assert _web(a, other.email, f.PASSWORD).status_code == 303
    finally:
        for each in (first, second):
            throttle.reset(each)
            with each.app_context():
                db.session.remove()
                db.engine.dispose()


def test_without_an_answering_redis_the_limits_still_hold_in_the_process_and_login_never_fails(database_url, tmp_path):
    unreachable = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                              "EVIDENCE_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"})  # fmt: skip
    person, colleague = f.applicant(), f.applicant()
    client = unreachable.test_client()
    try:
        assert [_web(client, person.email, "guessing").status_code for _ in range(6)] == [401] * 6
        assert _web(client, person.email, f.PASSWORD).status_code == 401
        assert _web(client, colleague.email, f.PASSWORD).status_code == 303
    finally:
        with unreachable.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_limit_that_cannot_be_read_stops_the_start():
    with pytest.raises(ValueError, match="LOGIN_CLIENT_LIMIT"):
        create_app({"SELLO_CONFIG": "testing", "LOGIN_CLIENT_LIMIT": "fifty a day"})
