"""The public registry and certificate verification: no token needed."""

from __future__ import annotations

from certification.applications import services as applications
from certification.applications.queries import certificate_of
from tests.api.helpers import Api, Case, as_user, error_of


def test_the_registry_lists_valid_certificates_with_filters(app, client):
    peru = Case().certified()
    bolivia = Case(country="BO").certified()
    suspended = Case().certified()
    applications.fire_event(suspended.facilitator, suspended.id, "suspend", "Denuncia en revisión.")
    public = Api(client, "not-even-a-token")  # a public endpoint ignores Authorization
    body = public.get("/registry").get_json()
    numbers = {certificate_of(c.id).number for c in (peru, bolivia)}
    assert {e["number"] for e in body["items"]} == numbers and body["total"] == 2
    entry = next(e for e in body["items"] if e["country"] == "BO")
    certificate = certificate_of(bolivia.id)
    assert entry == {"code": certificate.verification_code, "number": certificate.number,
                     "organization": bolivia.org.name, "country": "BO", "area": "gender", "level": certificate.level,
                     "issued_on": certificate.issued_on.isoformat(),
                     "expires_on": certificate.expires_on.isoformat()}  # fmt: skip
    assert [e["country"] for e in public.get("/registry?country=bo").get_json()["items"]] == ["BO"]
    assert public.get("/registry?area=rural").get_json()["total"] == 0
    response = public.get("/registry?area=health")
    assert response.status_code == 422 and "area" in error_of(response)["details"]["fields"]


def test_a_certificate_verifies_by_its_code_whatever_its_status(app, client):
    case = Case().certified()
    certificate = certificate_of(case.id)
    public = Api(client)
    body = public.get(f"/certificates/{certificate.verification_code}").get_json()
    assert body == {"number": certificate.number, "status": "valid", "organization": case.org.name,
                    "area": "gender", "level": certificate.level, "issued_on": certificate.issued_on.isoformat(),
                    "expires_on": certificate.expires_on.isoformat(),
                    "decision_hash": certificate.decision_hash}  # fmt: skip
    assert len(certificate.decision_hash) == 64
    applications.fire_event(case.facilitator, case.id, "suspend", "Denuncia en revisión.")
    assert public.get(f"/certificates/{certificate.verification_code}").get_json()["status"] == "suspended"
    response = public.get("/certificates/not-a-code")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_the_certificate_pins_the_hash_of_the_certify_row_of_the_application_history(app, client):
    case = Case().certified()
    certificate = certificate_of(case.id)
    history = as_user(client, case.facilitator).get(f"/applications/{case.id}/history").get_json()["items"]
    certify = [h for h in history if h["event"] == "certify"]
    assert (
        Api(client).get(f"/certificates/{certificate.verification_code}").get_json()["decision_hash"]
        == (certify[0]["hash"])
    )
