"""Pilot rounds over the API: create, read with counts, status steps, enrolment, auto-assign."""

from __future__ import annotations

from datetime import date

import pytest

from certification.pilots import services as pilots
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of

ROUND = {"name": "Piloto Perú género 2026", "country": "pe", "area": "gender", "opens_on": "2026-01-01",
         "closes_on": "2026-12-31", "capacity": 2}  # fmt: skip


@pytest.mark.parametrize("role", ("facilitator", "admin"))
def test_staff_create_and_read_a_round(app, client, role):
    api = as_user(client, f.user(role))
    response = api.post("/pilot-rounds", {**ROUND, "budget_note": "Fondos 2026"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["country"], body["capacity"], body["counts_by_state"]) == ("planned", "PE", 2, {})
    assert api.get(f"/pilot-rounds/{body['id']}").get_json() == body


@pytest.mark.parametrize("role", ("applicant", "reviewer"))
def test_others_may_not_create_or_see_rounds(app, client, role):
    api = as_user(client, f.applicant() if role == "applicant" else f.user(role))
    response = api.post("/pilot-rounds", ROUND)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    existing = pilots.create_round(f.user("facilitator"), **{**ROUND, "opens_on": date(2026, 1, 1),
                                                             "closes_on": date(2026, 12, 31)})  # fmt: skip
    for path in (f"/pilot-rounds/{existing.id}", "/pilot-rounds/987654"):
        response = api.get(path)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = api.post(f"/pilot-rounds/{existing.id}/status", {"status": "open"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [({"closes_on": "2025-12-31"}, "closes_on"), ({"area": "health"}, "area"), ({"capacity": 0}, "capacity"),
     ({"country": "Peru"}, "country"), ({"opens_on": "2026-02-30"}, "opens_on")],
)  # fmt: skip
def test_a_round_with_invalid_values_answers_422(app, client, change, field):
    response = as_user(client, f.user("facilitator")).post("/pilot-rounds", {**ROUND, **change})
    assert response.status_code == 422 and field in error_of(response)["details"]["fields"], response.get_json()


def test_a_round_moves_one_step_at_a_time(app, client):
    api = as_user(client, f.user("facilitator"))
    round_id = api.post("/pilot-rounds", ROUND).get_json()["id"]
    response = api.post(f"/pilot-rounds/{round_id}/status", {"status": "closed"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    assert error_of(response)["details"] == {"state": "planned", "allowed_events": ["open"]}
    response = api.post(f"/pilot-rounds/{round_id}/status", {"status": "paused"})
    assert response.status_code == 422 and "status" in error_of(response)["details"]["fields"]
    for status in ("open", "in_progress", "closed"):
        response = api.post(f"/pilot-rounds/{round_id}/status", {"status": status})
        assert response.status_code == 200 and response.get_json()["status"] == status


def test_enrolment_within_area_country_status_and_capacity(app, client):
    api = as_user(client, f.user("facilitator"))
    round_id = api.post("/pilot-rounds", ROUND).get_json()["id"]
    first, second, third = Case().submit(), Case(), Case()
    response = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": first.id})
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable", "the round is not open"
    api.post(f"/pilot-rounds/{round_id}/status", {"status": "open"})
    response = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": first.id})
    assert response.status_code == 201 and response.get_json()["pilot_round_id"] == round_id
    again = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": first.id})
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate"
    for other in (Case("poverty"), Case(country="BO")):
        response = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": other.id})
        assert response.status_code == 422 and "application_id" in error_of(response)["details"]["fields"]
    response = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": 987654})
    assert response.status_code == 422 and "application_id" in error_of(response)["details"]["fields"]
    assert api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": second.id}).status_code == 201
    full = api.post(f"/pilot-rounds/{round_id}/applications", {"application_id": third.id})
    assert full.status_code == 409 and error_of(full)["code"] == "capacity_full"
    counts = api.get(f"/pilot-rounds/{round_id}").get_json()["counts_by_state"]
    assert counts == {"submitted": 1, "draft": 1}


def test_auto_assign_fills_submitted_applications_and_reports_the_rest(app, client):
    case = Case().submit()
    case.enrol()
    api = as_user(client, case.facilitator)
    response = api.post(f"/pilot-rounds/{case.round.id}/auto-assign")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert sorted(a["reviewer_id"] for a in body["assigned"]) == sorted(r.id for r in case.reviewers)
    assert all(a["application_id"] == case.id for a in body["assigned"]) and body["unfilled"] == []
    assert api.get(f"/assignments?application_id={case.id}").get_json()["total"] == 2
    again = api.post(f"/pilot-rounds/{case.round.id}/auto-assign").get_json()
    assert again == {"assigned": [], "unfilled": []}, "nothing left to fill"


def test_auto_assign_reports_what_it_cannot_fill(app, client):
    case = Case("rural").submit()
    for reviewer in case.reviewers:  # the only rural reviewers sit on the MFI's board
        f.affiliation(reviewer, case.org, "board")
    case.enrol()
    body = as_user(client, case.facilitator).post(f"/pilot-rounds/{case.round.id}/auto-assign").get_json()
    assert body["assigned"] == [] and [u["application_id"] for u in body["unfilled"]] == [case.id]
    assert body["unfilled"][0]["missing"] == case.standard.min_reviewers
    assert body["unfilled"][0]["code"] == "conflict" and body["unfilled"][0]["reason"]


def test_auto_assign_refuses_a_closed_round(app, client):
    case = Case().submit()
    case.enrol("in_progress")
    pilots.change_status(case.facilitator, case.round.id, "closed")
    response = as_user(client, case.facilitator).post(f"/pilot-rounds/{case.round.id}/auto-assign")
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"
