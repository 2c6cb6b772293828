"""Security rules, through the web client.

CSRF on every state-changing UI request, no state change on GET, security headers on every HTML page, no
user enumeration at login, no open redirect, autoescaping, and production refusing to start half-configured.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from certification.organizations.services import create_organization
from config import settings
from tests import factories as f
from tests.web.helpers import fresh_client, is_api, normalised, rules, url_of

HOSTILE_NAME = '<script>alert(1)</script>" onmouseover="alert(2)'


@pytest.fixture(autouse=True)
def _session(request, monkeypatch):
    if "app" not in request.fixturenames:  # the settings tests need no app and no database
        yield
        return
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def bearer(person) -> dict[str, str]:
    from certification.api.services import issue_token

    return {"Authorization": f"Bearer {issue_token(person.email, f.PASSWORD)[0]}"}


# --- CSRF -----------------------------------------------------------------------------------------------


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def test_a_state_changing_request_needs_a_csrf_token_or_for_the_api_a_bearer_token(app, monkeypatch):
    world = f.World()
    people = [world.facilitator, world.member, world.assigned, world.admin]
    clients = [fresh_client(app, person) for person in people]  # logged in before CSRF is switched on
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    changing = rules(app, "POST", "PUT", "PATCH", "DELETE")
    assert len([rule for rule, _ in changing if not is_api(rule)]) > 20
    before = f.database_rows()
    wrong = []
    for rule, method in changing:
        url = url_of(app, rule, world)
        if is_api(rule):
            if rule.endpoint == "api.create_token":
                continue  # how a token is obtained: credentials, no session
            # A browser session is not enough for the API: only a bearer token is (so there is nothing to forge).
            response = clients[0].open(url, method=method, json={})
            if response.status_code != 401:
                wrong.append(f"{method} {rule.rule} with a session and no token: {response.status_code}")
            continue
        for client in clients:
            response = client.open(url, method=method, data={"reason": "x", "event": "submit", "lang": "en"})
            if response.status_code != 400:
                wrong.append(f"{method} {rule.rule} without a CSRF token: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert f.changed_tables(before, f.database_rows()) == []
    # The page's token makes the same kind of request work: the 400s above were the CSRF check.
    client = clients[0]
    token = csrf_token_of(client.get("/dashboard").get_data(as_text=True))
    assert client.post("/language", data={"lang": "en", "csrf_token": token}).status_code == 303
    assert client.post("/language", data={"lang": "en", "csrf_token": token + "x"}).status_code == 400


# --- GET never changes state; every HTML page carries the security headers -----------------------------------


def header_problems(response) -> list[str]:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    checks = (
        ("object-src 'none'", directives.get("object-src") == "object-src 'none'"),
        ("base-uri 'none'", directives.get("base-uri") == "base-uri 'none'"),
        ("frame-ancestors 'none'", directives.get("frame-ancestors") == "frame-ancestors 'none'"),
        ("no unsafe-inline script", "'unsafe-inline'" not in directives.get("script-src", "'unsafe-inline'")),
        ("nosniff", response.headers.get("X-Content-Type-Options") == "nosniff"),
        ("X-Frame-Options", response.headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN")),
    )
    return [name for name, ok in checks if not ok]


def test_get_requests_change_nothing_and_every_html_page_carries_the_security_headers(app):
    world = f.World()
    walkers = [(fresh_client(app, person), bearer(person) if person else {})
               for person in (world.facilitator, world.assigned, world.member, None)]  # fmt: skip
    before = f.database_rows()
    html_pages, missing_headers, errors = 0, [], []
    for rule, _method in rules(app, "GET"):
        url = url_of(app, rule, world)
        for client, headers in walkers:
            for target in (url, url + "-nowhere") if client is walkers[0][0] else (url,):
                response = client.get(target, headers=headers if is_api(rule) else {})
                response.close()
                if response.status_code >= 500:
                    errors.append(f"{target}: {response.status_code}")
                if response.mimetype == "text/html":
                    html_pages += 1
                    if problems := header_problems(response):
                        missing_headers.append(f"{target} ({response.status_code}): {', '.join(problems)}")
    changed = f.changed_tables(before, f.database_rows())
    assert changed == [], f"GET requests changed these tables: {changed}"
    assert not errors, "\n".join(errors)
    assert not missing_headers, "\n".join(missing_headers)
    assert html_pages > 100


# --- login ----------------------------------------------------------------------------------------------


def test_login_answers_the_same_for_an_unknown_e_mail_and_a_wrong_password(app):
    person = f.applicant()
    unknown = fresh_client(app).post("/login", data={"email": "nadie@example.org", "password": "una clave larga"})
    wrong = fresh_client(app).post("/login", data={"email": person.email, "password": "una clave larga"})
    assert unknown.status_code == wrong.status_code == 401
    # The form shows back what was typed; apart from that, the two answers are the same.
    assert normalised(unknown).replace("nadie@example.org", "@") == normalised(wrong).replace(person.email, "@")
    assert ("Set-Cookie" in unknown.headers) == ("Set-Cookie" in wrong.headers)
    api_unknown = fresh_client(app).post("/api/v1/auth/tokens", json={"email": "nadie@example.org", "password": "x"})
    api_wrong = fresh_client(app).post("/api/v1/auth/tokens", json={"email": person.email, "password": "x"})
    assert api_unknown.status_code == api_wrong.status_code == 401
    assert api_unknown.get_json() == api_wrong.get_json()


def test_a_disabled_account_cannot_log_in(app):
    from certification.extensions import db

    person = f.applicant()
    person.active = False
    db.session.commit()
    response = fresh_client(app).post("/login", data={"email": person.email, "password": f.PASSWORD})
    assert response.status_code == 401


FOREIGN_TARGETS = ["//evil.example", "https://evil.example", "http://evil.example/x", "///evil.example",
                   "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", " //evil.example",
                   "https:evil.example"]  # fmt: skip


def test_login_does_not_follow_a_next_parameter_to_another_site(app):
    person = f.applicant()
    for target in FOREIGN_TARGETS:
        response = fresh_client(app).post(
            "/login", query_string={"next": target}, data={"email": person.email, "password": f.PASSWORD}
        )
        assert response.status_code == 303, target
        location = response.headers["Location"]
        assert urlsplit(location).netloc in ("", "localhost"), (target, location)
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
        assert "evil" not in location, (target, location)


def test_login_follows_a_local_next_parameter(app):
    person = f.applicant()
    response = fresh_client(app).post(
        "/login",
        query_string={"next": "/applications?state=draft"},
        data={"email": person.email, "password": f.PASSWORD},
    )
    assert response.headers["Location"] == "/applications?state=draft"


# --- output encoding ------------------------------------------------------------------------------------


def test_an_organisation_named_like_a_script_is_rendered_inert_everywhere(app):
    from certification.pilots.services import enrol

    hostile = create_organization(name=HOSTILE_NAME, country="PE")
    walk = f.Walk(org=hostile).submit()
    walk.open_round()
    reviewer = f.reviewer()
    f.affiliation(reviewer, hostile, "board")
    f.registry_certificate(f.Walk(org=hostile, area="poverty").id)
    other = f.Walk(facilitator=walk.facilitator)
    enrol(walk.facilitator, walk.round_id, other.id)
    pages = {
        walk.facilitator: ["/applications", f"/applications/{walk.id}", "/dashboard", f"/pilot-rounds/{walk.round_id}",
                           f"/applications/{walk.id}/reviewers", f"/applications/{walk.id}/reviews",
                           f"/reviewers/{reviewer.id}"],
        walk.applicant: ["/applications", f"/applications/{walk.id}", "/dashboard",
                         f"/applications/{walk.id}/self-assessment/{walk.indicators[0].code}"],
        None: ["/registry"],
    }  # fmt: skip
    shown = 0
    for person, urls in pages.items():
        client = fresh_client(app, person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            assert "<script>alert(1)" not in body, url
            assert '" onmouseover=' not in body, url
            shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert shown >= 8, "the hostile name should appear, escaped, on most of these pages"


# --- production settings --------------------------------------------------------------------------------

GOOD_ENV = {
    "SECRET_KEY": "k" * 48,
    "DATABASE_URL": "postgresql+psycopg://sello@db/sello",
    "REDIS_URL": "redis://cache:6379/0",
}


@pytest.fixture
def production_env(monkeypatch):
    for name, value in GOOD_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(settings.Production, "SECRET_KEY", GOOD_ENV["SECRET_KEY"])
    return monkeypatch


def test_production_starts_with_its_secret_database_and_redis(production_env):
    values = settings.load_config("production")
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.parametrize("missing", sorted(GOOD_ENV))
def test_production_refuses_to_start_without_each_required_setting(production_env, missing):
    production_env.delenv(missing)
    if missing == "SECRET_KEY":
        production_env.setattr(settings.Production, "SECRET_KEY", settings.DEV_SECRET)
    with pytest.raises(settings.ConfigurationError) as caught:
        settings.load_config("production")
    assert missing in str(caught.value)


@pytest.mark.parametrize("secret", [settings.DEV_SECRET, "short-secret"])
def test_production_refuses_the_development_secret_or_a_short_one(production_env, secret):
    production_env.setenv("SECRET_KEY", secret)
    production_env.setattr(settings.Production, "SECRET_KEY", secret)
    with pytest.raises(settings.ConfigurationError) as caught:
        settings.load_config("production")
    assert "SECRET_KEY" in str(caught.value)


def test_an_unknown_configuration_name_is_refused():
    with pytest.raises(settings.ConfigurationError):
        settings.load_config("staging")
