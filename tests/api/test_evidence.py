"""Evidence over the API: multipart upload, metadata list, download as an attachment."""

from __future__ import annotations

import hashlib

import pytest

from certification.reviews import services as reviews
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of


def _upload(api, case, data):
    return api.post(f"/applications/{case.id}/evidence", data=data, content_type="multipart/form-data")


def test_an_applicant_uploads_evidence_linked_to_indicators(app, client):
    case = Case()
    codes = [i.code for i in case.indicators[:2]]
    response = _upload(
        as_user(client, case.applicant),
        case,
        {
            "file": (f.pdf_stream(), "Política de género.PDF"),
            "indicators": f" {codes[0]} , {codes[1]}",
            "description": "Aprobada en 2024",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["filename"], body["content_type"], body["size"]) == ("Politica_de_genero.pdf", "application/pdf",
                                                                      len(f.PDF))  # fmt: skip
    assert body["sha256"] == hashlib.sha256(f.PDF).hexdigest() and body["indicators"] == codes
    assert body["description"] == "Aprobada en 2024" and body["uploaded_by_id"] == case.applicant.id


@pytest.mark.parametrize(
    "data, field",
    [({"indicators": "G1"}, "file"), ({"file": "just text", "indicators": "G1"}, "file"),
     ({"file": (f.pdf_stream(), "a.pdf")}, "indicators"), ({"file": (f.pdf_stream(), "a.pdf"), "indicators": "ZZ1"},
                                                            "indicators")],
)  # fmt: skip
def test_an_upload_without_a_file_or_known_indicators_answers_422(app, client, data, field):
    case = Case()
    data = {k: (f.pdf_stream(), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    response = _upload(as_user(client, case.applicant), case, data)
    assert response.status_code == 422 and field in error_of(response)["details"]["fields"], response.get_json()


def test_evidence_is_frozen_once_submitted(app, client):
    case = Case().submit()
    response = _upload(as_user(client, case.applicant), case, {"file": (f.pdf_stream(), "a.pdf"),
                                                                "indicators": case.essential[0]})  # fmt: skip
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"


@pytest.mark.parametrize("role", ("facilitator", "admin"))
def test_staff_may_not_upload(app, client, role):
    case = Case()
    response = _upload(as_user(client, f.user(role)), case, {"file": (f.pdf_stream(), "a.pdf"),
                                                              "indicators": case.essential[0]})  # fmt: skip
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_the_evidence_list_and_the_download(app, client):
    case = Case().submit()
    invitations = case.assign()
    reviews.accept_assignment(case.reviewers[0], invitations[0].id, True)  # an invitation alone shows nothing
    invited = as_user(client, case.reviewers[1])
    assert invited.get(f"/applications/{case.id}/evidence").status_code == 404
    for user in (case.applicant, case.facilitator, case.reviewers[0]):
        api = as_user(client, user)
        listed = api.get(f"/applications/{case.id}/evidence").get_json()
        assert listed["total"] == 1 and listed["items"][0]["indicators"] == case.essential
        evidence_id = listed["items"][0]["id"]
        response = api.get(f"/evidence/{evidence_id}/content")
        assert response.status_code == 200 and response.get_data() == f.PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    missing = as_user(client, case.facilitator).get("/evidence/987654/content")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
