"""No browser or proxy cache keeps a copy of what belongs to one person: every answer to a logged-in person or
to a request with credentials, every API answer but the public reads, and the token answer carry
`Cache-Control: no-store`. The public reads of the API (registry, certificate verification, the OpenAPI
document) stay cacheable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.evidence.models import Evidence
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import PREFIX, Case, as_user
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def no_store(response) -> bool:
    return "no-store" in (response.headers.get("Cache-Control") or "")


def test_every_page_of_a_logged_in_person_is_no_store(app):
    case = Case().submit()
    client = fresh_client(app, case.applicant)
    evidence_id = db.session.scalar(select(Evidence.id).where(Evidence.application_id == case.id))
    for url in ("/", "/applications", f"/applications/{case.id}", "/registry", "/standards", "/applications/999999",
                f"/evidence/{evidence_id}"):  # fmt: skip
        response = client.get(url)
        assert no_store(response), (url, response.status_code, response.headers.get("Cache-Control"))
        assert "Pragma" not in response.headers
    assert client.get(f"/evidence/{evidence_id}").headers["Cache-Control"] == "private, no-store"


def test_the_login_answer_that_sets_the_session_cookie_is_no_store(app):
    user = f.user("facilitator")
    client = fresh_client(app)
    response = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert response.status_code == 303 and response.headers.get("Set-Cookie")
    assert no_store(response)


def test_the_token_answer_and_every_api_answer_with_credentials_are_no_store(app, client):
    case = Case().submit()
    issued = client.post(PREFIX + "/auth/tokens", json={"email": case.applicant.email, "password": f.PASSWORD})
    assert issued.status_code == 201 and no_store(issued)
    refused = client.post(PREFIX + "/auth/tokens", json={"email": case.applicant.email, "password": "wrong-one"})
    assert refused.status_code == 401 and no_store(refused)
    api = as_user(client, case.applicant)
    for path in ("/me", f"/applications/{case.id}", "/applications", "/applications/999999", "/registry"):
        response = api.get(path)
        assert no_store(response), (path, response.status_code)
    assert no_store(client.get(PREFIX + "/me")), "a 401 of a protected read too"


def test_public_api_reads_without_credentials_stay_cacheable(app, client):
    for path in ("/registry", "/openapi.json", "/certificates/unknown-code"):
        response = client.get(PREFIX + path)
        assert response.status_code in (200, 404)
        assert not no_store(response), path
