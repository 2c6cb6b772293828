"""No existence leak: for someone who may not see an object, every object endpoint answers exactly what it
answers for an id that does not exist — 404 and the same body."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from certification.applications.models import HistoryEntry
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.reviews.models import Assignment
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of

MISSING = 987654


def _endpoints(case: Case, evidence_id: int, assignment_id: int, code: str):
    """(method, path with the object's id, the same path with a missing id, body) for every object endpoint."""
    a, r, o = case.id, case.round.id, case.org.id
    rows = [
        ("GET", "/organizations/{}", o, None),
        ("GET", "/applications/{}", a, None),
        ("PUT", "/applications/{}/self-assessment/" + code, a, {"rating": 3, "explanation": "x"}),
        ("POST", "/applications/{}/evidence", a, "upload"),
        ("GET", "/applications/{}/evidence", a, None),
        ("GET", "/evidence/{}/content", evidence_id, None),
        ("POST", "/applications/{}/events", a, {"event": "withdraw", "reason": "x"}),
        ("GET", "/applications/{}/history", a, None),
        ("GET", "/applications/{}/score", a, None),
        ("PUT", "/applications/{}/moderation/" + code, a, {"score": 3, "justification": "x"}),
        ("POST", "/applications/{}/assignments", a, {"reviewer_id": case.reviewers[0].id}),
        ("POST", "/assignments/{}/accept", assignment_id, {"no_conflict": True}),
        ("POST", "/assignments/{}/decline", assignment_id, {"reason": "x"}),
        ("PUT", "/assignments/{}/scores/" + code, assignment_id, {"score": 3, "comment": "x"}),
        ("POST", "/assignments/{}/submit", assignment_id, None),
        ("GET", "/offline/assignments/{}", assignment_id, None),
        (
            "POST",
            "/offline/assignments/{}/changes",
            assignment_id,
            {"key": "outsider-01", "indicator_code": code, "score": 3, "comment": "x", "base_version": 0},
        ),
        ("GET", "/pilot-rounds/{}", r, None),
        ("POST", "/pilot-rounds/{}/status", r, {"status": "closed"}),
        ("POST", "/pilot-rounds/{}/applications", r, {"application_id": a}),
        ("POST", "/pilot-rounds/{}/auto-assign", r, None),
    ]
    return [(method, path.format(real), path.format(MISSING), body) for method, path, real, body in rows]


def _call(api, method, path, body):
    if body == "upload":
        return api.call(method, path, data={"file": (io.BytesIO(f.PDF), "a.pdf"), "indicators": "G1"},
                        content_type="multipart/form-data")  # fmt: skip
    return api.call(method, path, json=body)


def _state():
    return [db.session.scalar(select(func.count()).select_from(t)) for t in (HistoryEntry, Evidence, Assignment)]


@pytest.mark.parametrize("outsider", ["applicant of another MFI", "reviewer not assigned"])
def test_every_object_endpoint_hides_what_the_caller_may_not_see(app, client, outsider):
    case = Case().under_review()
    evidence_id = db.session.scalar(select(Evidence.id).where(Evidence.application_id == case.id))
    code = case.indicators[0].code
    user = f.applicant() if outsider.startswith("applicant") else f.reviewer()
    api = as_user(client, user)
    before = _state()
    for method, path, missing, body in _endpoints(case, evidence_id, case.assignments[0].id, code):
        hidden, absent = _call(api, method, path, body), _call(api, method, missing, body)
        assert absent.status_code == 404, (method, missing, absent.get_json())
        assert hidden.status_code == 404, (method, path, hidden.get_json())
        assert hidden.get_json() == absent.get_json(), (method, path)
        assert error_of(hidden)["code"] == "not_found"
    assert _state() == before, "nothing changed"


def test_the_assigned_reviewer_sees_the_application_but_not_the_organization_or_the_round(app, client):
    case = Case().under_review()
    api = as_user(client, case.reviewers[0])
    assert api.get(f"/applications/{case.id}").status_code == 200
    for path, missing in ((f"/organizations/{case.org.id}", f"/organizations/{MISSING}"),
                          (f"/pilot-rounds/{case.round.id}", f"/pilot-rounds/{MISSING}")):  # fmt: skip
        hidden, absent = api.get(path), api.get(missing)
        assert hidden.status_code == 404 and hidden.get_json() == absent.get_json()
    other = as_user(client, case.reviewers[1])
    for action, body in (("accept", {"no_conflict": True}), ("submit", None)):
        hidden = other.post(f"/assignments/{case.assignments[0].id}/{action}", body)
        absent = other.post(f"/assignments/{MISSING}/{action}", body)
        assert hidden.status_code == 404 and hidden.get_json() == absent.get_json(), "another reviewer's assignment"
