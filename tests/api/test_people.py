"""/me, /users, /users/{id}/affiliations, /organizations: success, each documented error, each role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.accounts.models import Affiliation, User
from certification.extensions import db
from certification.organizations.models import Organization
from tests import factories as f
from tests.api.helpers import Api, as_user, error_of

ROLES = ("applicant", "reviewer", "facilitator", "admin")


def _someone(role: str):
    return f.applicant() if role == "applicant" else f.user(role)


@pytest.mark.parametrize("role", ROLES)
def test_me_describes_the_token_holder_without_secrets(app, client, role):
    user = _someone(role)
    body = as_user(client, user).get("/me").get_json()
    assert {k: body[k] for k in ("id", "email", "name", "role", "organization_id", "locale")} == {
        "id": user.id, "email": user.email, "name": user.name, "role": role,
        "organization_id": user.organization_id, "locale": "es",
    }  # fmt: skip
    assert not any("password" in key for key in body)


def test_an_admin_creates_users_of_every_role(app, client):
    admin = as_user(client, f.user("admin"))
    org = f.organization()
    response = admin.post("/users", {"email": "Rosa@Example.org", "name": "Rosa", "role": "applicant",
                                     "password": f.PASSWORD, "organization_id": org.id, "locale": "en"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "rosa@example.org" and body["organization_id"] == org.id and body["locale"] == "en"
    assert "password" not in body and "password_hash" not in body
    response = admin.post("/users", {"email": "rev@example.org", "name": "Rev", "role": "reviewer",
                                     "password": f.PASSWORD, "areas": ["gender", "rural"], "countries": ["pe"],
                                     "languages": ["es", "qu"], "max_active_assignments": 5})  # fmt: skip
    body = response.get_json()
    assert response.status_code == 201
    assert (body["areas"], body["countries"], body["max_active_assignments"]) == (["gender", "rural"], ["PE"], 5)
    assert Api(client).post("/auth/tokens", {"email": "rev@example.org", "password": f.PASSWORD}).status_code == 201


@pytest.mark.parametrize("role", ("applicant", "reviewer", "facilitator"))
def test_only_an_admin_creates_users(app, client, role):
    response = as_user(client, _someone(role)).post("/users", {"email": "x@example.org", "name": "X",
                                                               "role": "admin", "password": f.PASSWORD})  # fmt: skip
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_creating_a_user_refuses_a_taken_email_and_invalid_values(app, client):
    admin = as_user(client, f.user("admin"))
    existing = f.user("facilitator")
    response = admin.post("/users", {"email": existing.email, "name": "Y", "role": "facilitator",
                                     "password": f.PASSWORD})  # fmt: skip
    assert response.status_code == 409 and error_of(response)["code"] == "duplicate"
    response = admin.post("/users", {"email": "not-an-email", "name": "", "role": "applicant", "password": "short"})
    assert response.status_code == 422
    assert {"email", "name", "password", "organization_id"} <= set(error_of(response)["details"]["fields"])
    response = admin.post("/users", {"email": "a@example.org", "name": "A", "role": "king", "password": f.PASSWORD})
    assert response.status_code == 422 and "role" in error_of(response)["details"]["fields"]
    response = admin.post("/users", {"email": "a@example.org", "name": "A", "role": "applicant",
                                     "password": f.PASSWORD, "organization_id": 999999})  # fmt: skip
    assert response.status_code == 422 and "organization_id" in error_of(response)["details"]["fields"]


@pytest.mark.parametrize("role", ("facilitator", "admin"))
def test_staff_record_a_reviewers_affiliation(app, client, role):
    reviewer, org = f.reviewer(), f.organization()
    response = as_user(client, f.user(role)).post(
        f"/users/{reviewer.id}/affiliations",
        {"organization_id": org.id, "kind": "consultant", "since": "2019-03-01", "until": "2024-06-30"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"id": response.get_json()["id"], "user_id": reviewer.id, "organization_id": org.id,
                                   "kind": "consultant", "since": "2019-03-01", "until": "2024-06-30"}  # fmt: skip


@pytest.mark.parametrize("role", ("applicant", "reviewer"))
def test_others_may_not_record_affiliations(app, client, role):
    reviewer, org = f.reviewer(), f.organization()
    response = as_user(client, _someone(role)).post(
        f"/users/{reviewer.id}/affiliations", {"organization_id": org.id, "kind": "board", "since": "2020-01-01"}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_affiliations_are_for_existing_reviewers_with_valid_values(app, client):
    api = as_user(client, f.user("facilitator"))
    org, applicant = f.organization(), f.applicant()
    body = {"organization_id": org.id, "kind": "board", "since": "2020-01-01"}
    for missing in (applicant.id, 987654):
        response = api.post(f"/users/{missing}/affiliations", body)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    reviewer = f.reviewer()
    response = api.post(f"/users/{reviewer.id}/affiliations", {**body, "until": "2019-01-01"})
    assert response.status_code == 422 and "until" in error_of(response)["details"]["fields"]
    response = api.post(f"/users/{reviewer.id}/affiliations", {**body, "organization_id": 987654})
    assert response.status_code == 422 and "organization_id" in error_of(response)["details"]["fields"]
    response = api.post(f"/users/{reviewer.id}/affiliations", {**body, "kind": "cousin"})
    assert response.status_code == 422 and "kind" in error_of(response)["details"]["fields"]
    assert db.session.scalar(select(db.func.count(Affiliation.id))) == 0


@pytest.mark.parametrize("role", ("facilitator", "admin"))
def test_staff_register_organizations(app, client, role):
    response = as_user(client, f.user(role)).post(
        "/organizations", {"name": "Financiera Confianza", "country": "pe", "legal_form": "S.A.A.", "network": "ASOMIF"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "name": "Financiera Confianza", "country": "PE", "legal_form": "S.A.A.",
                    "network": "ASOMIF"}  # fmt: skip


@pytest.mark.parametrize("role", ("applicant", "reviewer"))
def test_others_may_not_register_organizations(app, client, role):
    response = as_user(client, _someone(role)).post("/organizations", {"name": "Nueva", "country": "PE"})
    assert response.status_code == 403
    assert db.session.scalar(select(Organization.id).where(Organization.name == "Nueva")) is None


def test_registering_an_organization_refuses_a_taken_name_and_a_bad_country(app, client):
    api = as_user(client, f.user("admin"))
    org = f.organization()
    response = api.post("/organizations", {"name": org.name, "country": "PE"})
    assert response.status_code == 409 and error_of(response)["code"] == "duplicate"
    response = api.post("/organizations", {"name": "Otra", "country": "Peru"})
    assert response.status_code == 422 and "country" in error_of(response)["details"]["fields"]


def test_an_organization_is_seen_by_its_members_and_staff_only(app, client):
    org = f.organization("Caja Rural Los Andes")
    for user in (f.applicant(org), f.user("facilitator"), f.user("admin")):
        response = as_user(client, user).get(f"/organizations/{org.id}")
        assert response.status_code == 200 and response.get_json()["name"] == "Caja Rural Los Andes"
    missing = as_user(client, f.user("admin")).get("/organizations/987654")
    for user in (f.applicant(), f.reviewer()):
        response = as_user(client, user).get(f"/organizations/{org.id}")
        assert response.status_code == 404 and response.get_json() == missing.get_json()
