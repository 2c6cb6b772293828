"""Assignments, reviewer scores, submission and moderation over the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from certification.reviews import services as reviews
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of


def test_a_facilitator_invites_an_eligible_reviewer(app, client):
    case = Case().submit()
    due = (date.today() + timedelta(days=10)).isoformat()
    response = as_user(client, case.facilitator).post(
        f"/applications/{case.id}/assignments", {"reviewer_id": case.reviewers[0].id, "due_on": due}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["application_id"], body["reviewer_id"], body["status"], body["due_on"]) == (
        case.id,
        case.reviewers[0].id,
        "invited",
        due,
    )
    again = as_user(client, case.facilitator).post(
        f"/applications/{case.id}/assignments", {"reviewer_id": case.reviewers[0].id}
    )
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate"


def test_an_ineligible_reviewer_is_refused_with_the_rule_it_breaks(app, client):
    case = Case().submit()
    api = as_user(client, case.facilitator)
    conflicted, rural = f.reviewer(), f.reviewer("rural")
    f.affiliation(conflicted, case.org, "auditor")
    response = api.post(f"/applications/{case.id}/assignments", {"reviewer_id": conflicted.id})
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict_of_interest" and error_of(response)["details"]["rule"]
    response = api.post(f"/applications/{case.id}/assignments", {"reviewer_id": rural.id})
    assert response.status_code == 409 and error_of(response)["code"] == "reviewer_unavailable"
    response = api.post(f"/applications/{case.id}/assignments", {"reviewer_id": case.applicant.id})
    assert response.status_code == 422 and "reviewer_id" in error_of(response)["details"]["fields"]
    response = api.post(
        f"/applications/{case.id}/assignments", {"reviewer_id": case.reviewers[0].id, "due_on": "2000-01-01"}
    )
    assert response.status_code == 422 and "due_on" in error_of(response)["details"]["fields"]


def test_reviewers_are_not_assigned_to_a_draft(app, client):
    case = Case()
    response = as_user(client, case.facilitator).post(
        f"/applications/{case.id}/assignments", {"reviewer_id": case.reviewers[0].id}
    )
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"


def test_the_applicant_may_see_but_not_assign(app, client):
    case = Case().submit()
    response = as_user(client, case.applicant).post(
        f"/applications/{case.id}/assignments", {"reviewer_id": case.reviewers[0].id}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_assignments_lists_a_reviewers_own_and_everything_for_staff(app, client):
    first, second = Case().submit(), Case().submit()
    a1, _ = first.assign()
    b1, b2 = second.assign()
    reviewer = as_user(client, first.reviewers[0])
    assert [a["id"] for a in reviewer.get("/assignments").get_json()["items"]] == [a1.id]
    staff = as_user(client, f.user("admin"))
    assert staff.get("/assignments").get_json()["total"] == 4
    assert [a["id"] for a in staff.get(f"/assignments?application_id={second.id}").get_json()["items"]] == [
        b1.id,
        b2.id,
    ]
    reviews.accept_assignment(second.reviewers[0], b1.id, True)
    assert [a["id"] for a in staff.get("/assignments?status=accepted").get_json()["items"]] == [b1.id]
    response = as_user(client, first.applicant).get("/assignments")
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_a_reviewer_accepts_declaring_no_conflict(app, client):
    case = Case().submit()
    assignment = case.assign()[0]
    api = as_user(client, case.reviewers[0])
    response = api.post(f"/assignments/{assignment.id}/accept", {"no_conflict": False})
    assert response.status_code == 422 and "no_conflict" in error_of(response)["details"]["fields"]
    response = api.post(f"/assignments/{assignment.id}/accept", {"no_conflict": True})
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted" and response.get_json()["no_conflict_declared"] is True
    again = api.post(f"/assignments/{assignment.id}/accept", {"no_conflict": True})
    assert again.status_code == 409 and error_of(again)["code"] == "not_editable"


def test_accepting_despite_an_affiliation_recorded_since_the_invitation_is_refused(app, client):
    case = Case().submit()
    assignment = case.assign()[0]
    f.affiliation(case.reviewers[0], case.org, "employee")
    response = as_user(client, case.reviewers[0]).post(f"/assignments/{assignment.id}/accept", {"no_conflict": True})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict_of_interest"


def test_a_reviewer_declines_with_a_reason(app, client):
    case = Case().submit()
    assignment = case.assign()[0]
    api = as_user(client, case.reviewers[0])
    response = api.post(f"/assignments/{assignment.id}/decline", {"reason": "  "})
    assert response.status_code == 422 and "reason" in error_of(response)["details"]["fields"]
    response = api.post(f"/assignments/{assignment.id}/decline", {"reason": "Trabajé con ellos.", "conflict": True})
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "declined" and body["conflict_declared"] is True


@pytest.mark.parametrize("action, body", [("accept", {"no_conflict": True}), ("decline", {"reason": "No."})])
def test_staff_may_see_but_not_answer_an_invitation(app, client, action, body):
    case = Case().submit()
    assignment = case.assign()[0]
    response = as_user(client, case.facilitator).post(f"/assignments/{assignment.id}/{action}", body)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_scoring_and_submitting_a_review(app, client):
    case = Case().under_review()
    assignment = case.assignments[0]
    api = as_user(client, case.reviewers[0])
    first = case.indicators[0]
    response = api.post(f"/assignments/{assignment.id}/submit")
    assert response.status_code == 409 and error_of(response)["code"] == "guard_failed"
    assert case.indicators[-1].code in error_of(response)["details"]["unmet"][0]
    evidence_id = api.get(f"/applications/{case.id}/evidence").get_json()["items"][0]["id"]
    response = api.put(
        f"/assignments/{assignment.id}/scores/{first.code}",
        {"score": first.scale_max, "comment": "Acta 12/2024.", "evidence_ids": [evidence_id]},
    )
    assert response.status_code == 200
    assert response.get_json()["evidence_ids"] == [evidence_id] and response.get_json()["indicator"] == first.code
    for body, field in (
        ({"score": first.scale_max + 1, "comment": "x"}, "score"),
        ({"score": 1, "comment": ""}, "comment"),
        ({"score": 1, "comment": "x", "evidence_ids": [987654]}, "evidence_ids"),
    ):
        response = api.put(f"/assignments/{assignment.id}/scores/{first.code}", body)
        assert response.status_code == 422 and field in error_of(response)["details"]["fields"]
    for ind in case.indicators:
        assert (
            api.put(
                f"/assignments/{assignment.id}/scores/{ind.code}", {"score": ind.scale_max, "comment": "Bien."}
            ).status_code
            == 200
        )
    response = api.post(f"/assignments/{assignment.id}/submit")
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    response = api.put(f"/assignments/{assignment.id}/scores/{first.code}", {"score": 1, "comment": "Cambio."})
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"


def test_scoring_before_accepting_is_not_possible(app, client):
    case = Case().submit()
    assignment = case.assign()[0]
    response = as_user(client, case.reviewers[0]).put(
        f"/assignments/{assignment.id}/scores/{case.indicators[0].code}", {"score": 3, "comment": "x"}
    )
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"


def test_staff_may_see_but_not_score_or_submit(app, client):
    case = Case().under_review()
    api = as_user(client, case.facilitator)
    assignment = case.assignments[0]
    response = api.put(f"/assignments/{assignment.id}/scores/{case.indicators[0].code}", {"score": 3, "comment": "x"})
    assert response.status_code == 403
    assert api.post(f"/assignments/{assignment.id}/submit").status_code == 403


def test_a_facilitator_moderates_an_indicator(app, client):
    case = Case().reviewed()
    ind = case.indicators[0]
    api = as_user(client, f.user("facilitator"))
    response = api.put(
        f"/applications/{case.id}/moderation/{ind.code}",
        {"score": ind.scale_min + 0.5, "justification": "Las actas no lo sustentan."},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["score"] == ind.scale_min + 0.5
    score = api.get(f"/applications/{case.id}/score").get_json()
    moderated = next(i for i in score["indicators"] if i["code"] == ind.code)
    assert moderated["moderated"] is True and moderated["consensus"] == ind.scale_min + 0.5
    response = api.put(f"/applications/{case.id}/moderation/{ind.code}", {"score": 99, "justification": "x"})
    assert response.status_code == 422 and "score" in error_of(response)["details"]["fields"]
    response = api.put(f"/applications/{case.id}/moderation/{ind.code}", {"score": 1, "justification": ""})
    assert response.status_code == 422 and "justification" in error_of(response)["details"]["fields"]


def test_moderation_needs_review_and_staff(app, client):
    case = Case().submit()
    ind = case.indicators[0]
    body = {"score": 2, "justification": "x"}
    response = as_user(client, case.facilitator).put(f"/applications/{case.id}/moderation/{ind.code}", body)
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"
    response = as_user(client, case.applicant).put(f"/applications/{case.id}/moderation/{ind.code}", body)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
