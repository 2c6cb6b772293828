"""The error contract: every error is {"error": {"code", "message", "details"}}, with the status the README's
API section gives."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.orm.exc import StaleDataError

from tests import factories as f
from tests.api.helpers import PREFIX, Api, Case, as_user, error_of


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1", "/api/v1/applications/abc", "/api/v1/applications/0",
                                  "/api/v1/applications/99999999999"])  # fmt: skip
def test_an_unknown_api_path_answers_404_in_json(app, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_unknown_paths_outside_the_api_keep_the_html_page(app, client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_wrong_method_answers_405_with_allow(app, client):
    response = client.patch(PREFIX + "/me")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def applicant_api(app, client):
    return as_user(client, f.applicant())


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"", b"[1, 2]", b'"text"', b'{"standard_id": "1"}', b'{"standard_id": 1.5}',
     b'{"standard_id": true}', b'{"standard_id": null}'],
)  # fmt: skip
def test_malformed_json_or_a_wrong_type_answers_400(applicant_api, data):
    response = applicant_api.post("/applications", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.get_json()
    assert error_of(response)["code"] == "bad_request"


def test_a_body_that_is_not_json_answers_400(applicant_api):
    response = applicant_api.post("/applications", data={"standard_id": "1"})  # a form post
    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"


def test_a_missing_field_answers_422_naming_it(applicant_api):
    response = applicant_api.post("/applications", json={})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and list(error["details"]["fields"]) == ["standard_id"]


def test_values_out_of_range_answer_422(applicant_api):
    response = applicant_api.post("/applications", json={"standard_id": 2**40})
    assert response.status_code == 422 and "standard_id" in error_of(response)["details"]["fields"]
    response = applicant_api.get("/applications?per_page=101")
    assert response.status_code == 422 and "per_page" in error_of(response)["details"]["fields"]
    response = applicant_api.get("/applications?state=nonsense")
    assert response.status_code == 422 and "state" in error_of(response)["details"]["fields"]
    response = applicant_api.get("/applications?page=two")
    assert response.status_code == 400 and "page" in error_of(response)["details"]["fields"]


def test_text_with_a_nul_character_is_refused_not_a_500(app, client):
    case = Case()
    api = as_user(client, case.applicant)
    code = case.indicators[0].code
    response = api.put(f"/applications/{case.id}/self-assessment/{code}", json={"rating": 3, "explanation": "a\x00b"})
    assert response.status_code == 422 and "explanation" in error_of(response)["details"]["fields"]
    # A control character in a path segment names no resource: the same 404 on every database.
    response = api.put(f"/applications/{case.id}/self-assessment/G%00", json={"rating": 3, "explanation": "ok"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert Api(client).get("/certificates/abc%00def").status_code == 404


def test_a_json_body_over_the_limit_answers_413(app, applicant_api):
    previous = app.config["API_MAX_JSON_BYTES"]
    app.config["API_MAX_JSON_BYTES"] = 1000
    try:
        response = applicant_api.post("/applications", json={"standard_id": 1, "padding": "x" * 2000})
    finally:
        app.config["API_MAX_JSON_BYTES"] = previous
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"


def test_a_file_over_the_limit_answers_413_and_one_of_another_type_415(app, client):
    case = Case()
    api = as_user(client, case.applicant)
    codes = ",".join(case.essential)
    previous = app.config["EVIDENCE_MAX_FILE_BYTES"]
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 10
    try:
        response = api.post(f"/applications/{case.id}/evidence", data={"file": (f.pdf_stream(), "a.pdf"),
                            "indicators": codes}, content_type="multipart/form-data")  # fmt: skip
    finally:
        app.config["EVIDENCE_MAX_FILE_BYTES"] = previous
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"
    response = api.post(f"/applications/{case.id}/evidence", data={"file": (io.BytesIO(b"MZ\x90\x00 binary"), "a.pdf"),
                        "indicators": codes}, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_type"
    assert api.get(f"/applications/{case.id}/evidence").get_json()["total"] == 0, "nothing stored"


def test_an_event_not_allowed_now_answers_409_with_the_state_and_the_allowed_events(app, client):
    case = Case()
    api = as_user(client, case.applicant)
    response = api.post(f"/applications/{case.id}/events", json={"event": "certify"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "invalid_transition"
    assert error["details"] == {"state": "draft", "allowed_events": ["submit", "withdraw"]}


def test_a_failed_guard_answers_409_with_one_message_per_unmet_guard(app, client):
    case = Case()
    api = as_user(client, case.applicant)
    response = api.post(f"/applications/{case.id}/events", json={"event": "submit"})
    error = error_of(response)
    assert response.status_code == 409 and error["code"] == "guard_failed"
    assert len(error["details"]["unmet"]) == 2  # self-assessment incomplete, essential evidence missing


def test_the_api_needs_no_csrf_token_while_the_ui_does(app, client):
    user = f.user("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(PREFIX + "/auth/tokens", json={"email": user.email, "password": f.PASSWORD})
        ui = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 201
    assert ui.status_code == 400, "CSRF was really on"


def test_messages_follow_the_callers_language(app, client):
    english = f.user("facilitator", locale="en")
    spanish = f.user("facilitator", locale="es")
    en = as_user(client, english).get("/applications/12345")
    es = as_user(client, spanish).get("/applications/12345")
    assert error_of(en)["code"] == error_of(es)["code"] == "not_found"
    assert error_of(en)["message"] == "Not found."
    assert error_of(es)["message"] != error_of(en)["message"]


def test_two_people_changing_an_application_at_once_get_409_concurrent_update(app, client, monkeypatch):
    case = Case().self_assess()
    case.upload()

    def lost_race():
        raise StaleDataError("the other request committed first")

    monkeypatch.setattr("certification.applications.services.commit", lost_race)
    response = as_user(client, case.applicant).post(f"/applications/{case.id}/events", json={"event": "submit"})
    assert response.status_code == 409 and error_of(response)["code"] == "concurrent_update"
    monkeypatch.undo()
    assert as_user(client, case.applicant).get(f"/applications/{case.id}").get_json()["state"] == "draft"


def test_a_stale_write_anywhere_answers_409_concurrent_update_in_json(app, client, monkeypatch):
    api = as_user(client, f.user("admin"))

    def stale():
        raise StaleDataError("row changed")

    monkeypatch.setattr("certification.organizations.services.commit", stale)
    response = api.post("/organizations", json={"name": "Caja Huancayo", "country": "PE"})
    assert response.status_code == 409 and error_of(response)["code"] == "concurrent_update"
