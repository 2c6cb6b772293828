"""Bearer tokens: issued for credentials, stored hashed, expiring, revocable, and rate-limited when guessed."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from certification.accounts import throttle
from certification.accounts.models import User
from certification.api.models import ApiToken
from certification.api.services import revoke_tokens_of
from certification.extensions import db
from certification.types import utcnow
from tests import factories as f
from tests.api.helpers import PREFIX, Api, as_user, error_of, token_for
from tests.conftest import service_missing


def _ask(client, email, password):
    return client.post(PREFIX + "/auth/tokens", json={"email": email, "password": password})


def test_a_token_is_issued_for_good_credentials_and_expires_in_30_days(app, client):
    user = f.user("facilitator")
    before = utcnow()
    response = _ask(client, user.email.upper(), f.PASSWORD)  # e-mail matched case-insensitively
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("sello_") and len(body["token"]) > 40
    expires = db.session.scalar(select(ApiToken.expires_at))
    assert timedelta(days=30) <= expires - before < timedelta(days=30, minutes=1)
    assert body["expires_at"] == expires.isoformat().replace("+00:00", "Z")
    assert Api(client, body["token"]).get("/me").get_json()["email"] == user.email


def test_only_a_sha256_of_the_token_is_stored(app, client):
    user = f.user("reviewer")
    token = token_for(client, user)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(token in value for value in stored)


def test_unknown_email_and_wrong_password_get_the_same_401(app, client):
    user = f.user("applicant", organization_id=f.organization().id)
    unknown = _ask(client, "nobody@example.org", f.PASSWORD)
    wrong = _ask(client, user.email, "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()
    assert error_of(unknown)["code"] == "unauthorized"
    assert unknown.headers.get("WWW-Authenticate") == wrong.headers.get("WWW-Authenticate")
    assert db.session.scalar(select(db.func.count(ApiToken.id))) == 0


def test_an_inactive_account_gets_no_token_and_its_tokens_stop_working(app, client):
    user = f.user("facilitator")
    api = as_user(client, user)
    db.session.execute(update(User).where(User.id == user.id).values(active=False))
    db.session.commit()
    assert api.get("/me").status_code == 401
    assert _ask(client, user.email, f.PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Bearer sello_not-a-token", "Basic dXNlcjpwYXNz", "sello_no_scheme"],
)
def test_a_missing_or_bad_token_answers_401_with_the_error_body(app, client, header):
    response = client.get(PREFIX + "/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="sello"')


def test_an_expired_token_answers_401(app, client):
    api = as_user(client, f.user("admin"))
    assert api.get("/me").status_code == 200
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = api.get("/me")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_revoking_the_current_token_stops_it_and_only_it(app, client):
    user = f.user("facilitator")
    first, second = as_user(client, user), as_user(client, user)
    response = first.delete("/auth/tokens/current")
    assert response.status_code == 204 and response.get_data() == b""
    assert first.get("/me").status_code == 401
    assert first.delete("/auth/tokens/current").status_code == 401
    assert second.get("/me").status_code == 200


def test_revoking_every_token_of_a_user(app, client):
    user = f.user("reviewer")
    apis = [as_user(client, user), as_user(client, user)]
    assert revoke_tokens_of(user.id) == 2
    assert [api.get("/me").status_code for api in apis] == [401, 401]


@pytest.fixture
def login_limit(app, monkeypatch):
    """A low limit on failed logins of one account for one test, in a fresh count."""
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "3 per minute")
    throttle.reset(app)
    yield 3
    throttle.reset(app)


def test_failed_token_requests_are_rate_limited_with_429(app, client, login_limit):
    user = f.user("admin")
    for _ in range(login_limit):
        assert _ask(client, user.email, "wrong password guess").status_code == 401
    limited = _ask(client, user.email, "wrong password guess")
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert _ask(client, user.email, f.PASSWORD).status_code == 429, "even the right password waits"


def test_successful_token_requests_do_not_use_up_the_limit(app, client, login_limit):
    user = f.user("admin")
    for _ in range(login_limit + 2):
        assert _ask(client, user.email, f.PASSWORD).status_code == 201


def test_the_limit_is_counted_in_redis_when_there_is_one_else_in_memory():
    assert throttle.storage_uri({"REDIS_URL": "redis://127.0.0.1:6379/3"}) == "redis://127.0.0.1:6379/3"
    assert throttle.storage_uri({"REDIS_URL": ""}) == "memory://"


@pytest.mark.redis
def test_the_redis_storage_of_the_limit_answers():
    from limits.storage import storage_from_string

    url = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")
    storage = storage_from_string(throttle.storage_uri({"REDIS_URL": url}))
    if not storage.check():
        service_missing(f"Redis not reachable at {url}")
    assert storage.incr("sello-limits-test-key", 60) >= 1
    storage.clear("sello-limits-test-key")


def test_the_command_line_revokes_every_token_of_a_user(app, client, runner):
    user = f.user("applicant", organization_id=f.organization().id)
    api = as_user(client, user)
    result = runner.invoke(args=["users", "revoke-tokens", user.email.upper()])
    assert result.exit_code == 0 and "Revoked 1 API token(s)" in result.output
    assert api.get("/me").status_code == 401
    assert runner.invoke(args=["users", "revoke-tokens", "nobody@example.org"]).exit_code != 0
