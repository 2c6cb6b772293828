"""Applications: create, list, read, self-assess, fire events, history and score — per role and per error."""

from __future__ import annotations

import pytest

from certification.applications import services as applications
from certification.reviews import services as reviews
from certification.seals.queries import standard_tree
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of


def test_an_applicant_starts_a_draft_once_per_seal(app, client):
    std = f.standard("gender")
    applicant = f.applicant(f.organization(country="BO"))
    api = as_user(client, applicant)
    response = api.post("/applications", {"standard_id": std.id})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["state"], body["organization_id"], body["standard_id"]) == ("draft", applicant.organization_id,
                                                                             std.id)  # fmt: skip
    assert body["reference"].startswith(f"{std.code}-BO-") and body["pilot_round_id"] is None
    again = api.post("/applications", {"standard_id": std.id})
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate"
    unknown = api.post("/applications", {"standard_id": 987654})
    assert unknown.status_code == 422 and "standard_id" in error_of(unknown)["details"]["fields"]


@pytest.mark.parametrize("role", ("reviewer", "facilitator", "admin"))
def test_only_applicants_start_applications(app, client, role):
    response = as_user(client, f.user(role)).post("/applications", {"standard_id": f.standard().id})
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_the_list_shows_only_what_the_caller_may_see_with_filters(app, client):
    mine, other = Case().submit(), Case("poverty")
    assigned = Case().submit()
    assigned.assignments = assigned.assign()
    mine_api = as_user(client, mine.applicant)
    assert [a["id"] for a in mine_api.get("/applications").get_json()["items"]] == [mine.id]
    staff = as_user(client, f.user("facilitator"))
    listed = staff.get("/applications").get_json()
    assert [a["id"] for a in listed["items"]] == [mine.id, other.id, assigned.id] and listed["total"] == 3
    assert [a["id"] for a in staff.get("/applications?state=submitted").get_json()["items"]] == [mine.id, assigned.id]
    assert [a["id"] for a in staff.get("/applications?area=poverty").get_json()["items"]] == [other.id]
    assert staff.get("/applications?state=certified&area=gender").get_json()["items"] == []
    # An invitation shows nothing of the application; accepting it does.
    invited = as_user(client, assigned.reviewers[1])
    assert invited.get("/applications").get_json()["items"] == []
    reviews.accept_assignment(assigned.reviewers[0], assigned.assignments[0].id, True)
    reviewer = as_user(client, assigned.reviewers[0])
    assert [a["id"] for a in reviewer.get("/applications").get_json()["items"]] == [assigned.id]
    assert as_user(client, f.reviewer()).get("/applications").get_json() == {"items": [], "page": 1, "per_page": 25,
                                                                             "total": 0}  # fmt: skip


def test_an_application_lists_the_events_each_caller_may_fire(app, client):
    case = Case().submit()
    assert as_user(client, case.applicant).get(f"/applications/{case.id}").get_json()["allowed_events"] == ["withdraw"]
    staff = as_user(client, case.facilitator).get(f"/applications/{case.id}").get_json()
    assert staff["allowed_events"] == ["return_to_applicant", "start_review"]
    assert staff["state"] == "submitted" and staff["certificate"] is None and staff["flagged_indicators"] == []


def test_self_assessing_an_indicator(app, client):
    case = Case()
    ind = case.indicators[0]
    api = as_user(client, case.applicant)
    response = api.put(
        f"/applications/{case.id}/self-assessment/{ind.code}",
        {"rating": ind.scale_min, "explanation": "  Tenemos metas de género.  "},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["indicator"], body["rating"], body["explanation"]) == (ind.code, ind.scale_min,
                                                                        "Tenemos metas de género.")  # fmt: skip


@pytest.mark.parametrize(
    "body, field",
    [({"rating": 99, "explanation": "x"}, "rating"), ({"rating": 3, "explanation": "   "}, "explanation"),
     ({"rating": None, "explanation": "x"}, "rating"), ({"explanation": "x"}, "rating")],
)  # fmt: skip
def test_self_assessment_values_out_of_range_answer_422(app, client, body, field):
    case = Case()
    ind = next(i for i in case.indicators if not i.allows_na)
    response = as_user(client, case.applicant).put(f"/applications/{case.id}/self-assessment/{ind.code}", body)
    assert response.status_code == 422 and field in error_of(response)["details"]["fields"]


def test_self_assessing_an_unknown_indicator_answers_422(app, client):
    case = Case()
    response = as_user(client, case.applicant).put(f"/applications/{case.id}/self-assessment/ZZ9.9",
                                                   {"rating": 3, "explanation": "x"})  # fmt: skip
    assert response.status_code == 422 and "indicator" in error_of(response)["details"]["fields"]


def test_the_self_assessment_is_not_editable_once_submitted(app, client):
    case = Case().submit()
    response = as_user(client, case.applicant).put(
        f"/applications/{case.id}/self-assessment/{case.indicators[0].code}", {"rating": 3, "explanation": "x"}
    )
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"


@pytest.mark.parametrize("role", ("facilitator", "admin"))
def test_staff_may_see_but_not_self_assess(app, client, role):
    case = Case()
    response = as_user(client, f.user(role)).put(
        f"/applications/{case.id}/self-assessment/{case.indicators[0].code}", {"rating": 3, "explanation": "x"}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_firing_events_answers_the_application_or_the_reason_it_cannot(app, client):
    case = Case().self_assess()
    case.upload()
    applicant, staff = as_user(client, case.applicant), as_user(client, case.facilitator)
    response = staff.post(f"/applications/{case.id}/events", {"event": "submit"})
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    response = applicant.post(f"/applications/{case.id}/events", {"event": "submit"})
    assert response.status_code == 200 and response.get_json()["state"] == "submitted"
    response = applicant.post(f"/applications/{case.id}/events", {"event": "withdraw"})
    assert response.status_code == 409 and error_of(response)["code"] == "guard_failed"
    assert len(error_of(response)["details"]["unmet"]) == 1, "the reason is missing"
    response = staff.post(f"/applications/{case.id}/events", {"event": "fly_away"})
    assert response.status_code == 409 and error_of(response)["code"] == "invalid_transition"
    response = staff.post(f"/applications/{case.id}/events", {"event": "return_to_applicant", "reason": "Falta acta",
                                                              "indicators": ["NOPE"]})  # fmt: skip
    assert response.status_code == 422 and "indicators" in error_of(response)["details"]["fields"]
    response = staff.post(f"/applications/{case.id}/events", {"event": "return_to_applicant", "reason": "Falta acta",
                                                              "indicators": [case.indicators[0].code]})  # fmt: skip
    body = response.get_json()
    assert response.status_code == 200 and body["state"] == "changes_requested"
    assert body["flagged_indicators"] == [case.indicators[0].code]


def test_history_is_oldest_first_with_who_and_why(app, client):
    case = Case().submit()
    applications.fire_event(case.applicant, case.id, "withdraw", "Nos retiramos este año.")
    body = as_user(client, case.facilitator).get(f"/applications/{case.id}/history").get_json()
    assert [(h["event"], h["from_state"], h["to_state"]) for h in body["items"]] == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("withdraw", "submitted", "withdrawn"),
    ]
    assert body["items"][-1]["actor_id"] == case.applicant.id
    assert body["items"][-1]["reason"] == "Nos retiramos este año." and body["items"][-1]["at"].endswith("Z")
    # Each row pins the one before it: a hash chain anyone holding the answer can check.
    items = body["items"]
    assert items[0]["prev_hash"] == ""
    assert [h["prev_hash"] for h in items[1:]] == [h["hash"] for h in items[:-1]]
    assert all(len(h["hash"]) == 64 for h in items)


def test_the_score_is_for_staff_and_for_the_applicant_after_the_decision(app, client):
    case = Case().piloted()
    staff = as_user(client, case.facilitator)
    score = staff.get(f"/applications/{case.id}/score").get_json()
    assert score["eligible"] is True and score["overall"] == 100.0
    assert [d["code"] for d in score["dimensions"]] == [d.code for d in standard_tree(case.standard.id).dimensions]
    assert all(d["score"] == 100.0 for d in score["dimensions"])
    assert [i["code"] for i in score["indicators"]] == [i.code for i in case.indicators]
    assert all(i["consensus"] == ind.scale_max for i, ind in zip(score["indicators"], case.indicators, strict=True))
    assert score["self_assessment"]["overall"] == 100.0 and score["essential_failures"] == []
    applicant = as_user(client, case.applicant)
    before = applicant.get(f"/applications/{case.id}/score")
    assert before.status_code == 403 and error_of(before)["code"] == "forbidden"
    assert as_user(client, case.reviewers[0]).get(f"/applications/{case.id}/score").status_code == 403
    applications.fire_event(case.facilitator, case.id, "certify")
    assert applicant.get(f"/applications/{case.id}/score").get_json() == score


def test_no_score_yet_answers_404(app, client):
    case = Case().submit()
    response = as_user(client, case.facilitator).get(f"/applications/{case.id}/score")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
