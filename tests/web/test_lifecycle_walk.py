"""Every role's path of the walking skeleton, through the web UI only: draft → certified → registry."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from certification.applications.models import Application, HistoryEntry
from certification.certificates.models import Certificate
from certification.extensions import db
from certification.reviews.models import Assignment
from tests import factories as f
from tests.web.helpers import login


def _self_assess_all(client, app_id, indicators, rating_for=lambda i: i.scale_max):
    for ind in indicators:
        data = {"rating": str(rating_for(ind)), "explanation": f"Evidencia de {ind.code}: política aprobada."}
        r = client.post(f"/applications/{app_id}/self-assessment/{ind.code}", data=data)
        assert r.status_code == 303, (ind.code, r.get_data(as_text=True)[:300])


def test_an_application_goes_from_draft_to_certified_through_every_role(app, client):
    std = f.standard("gender")
    org = f.organization("Asociación Los Andes de Cajamarca", "PE")
    applicant = f.applicant(org)
    facilitator = f.user("facilitator")
    rev1, rev2 = f.reviewer("gender"), f.reviewer("gender")
    conflicted = f.reviewer("gender")
    f.affiliation(conflicted, org, "board")
    indicators = f.indicators(std)

    # Applicant: create, self-assess, try to submit without evidence, upload, submit.
    login(client, applicant)
    r = client.post("/applications", data={"standard_id": std.id})
    assert r.status_code == 303
    app_id = db.session.scalar(select(Application.id).where(Application.organization_id == org.id))
    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    assert indicators[0].code in page
    _self_assess_all(client, app_id, indicators)
    r = client.post(f"/applications/{app_id}/events", data={"event": "submit"}, follow_redirects=True)
    essential = [i.code for i in indicators if i.essential]
    text = r.get_data(as_text=True)
    assert all(code in text for code in essential), "the failed guard names the essential indicators"
    assert db.session.get(Application, app_id).state.value == "draft"
    r = client.post(f"/applications/{app_id}/evidence",
                    data={"file": (f.pdf_stream(), "política de género.pdf"), "indicators": essential},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 303
    r = client.post(f"/applications/{app_id}/events", data={"event": "submit"})
    db.session.expire_all()
    assert db.session.get(Application, app_id).state.value == "submitted"

    # Facilitator: conflicted reviewer refused with the reason; two eligible ones invited; pilot round.
    login(client, facilitator)
    r = client.post(f"/applications/{app_id}/assignments", data={"reviewer_id": conflicted.id}, follow_redirects=True)
    assert "Conflict of interest" in r.get_data(as_text=True) or "Conflicto de inter" in r.get_data(as_text=True)
    for rev in (rev1, rev2):
        r = client.post(
            f"/applications/{app_id}/assignments",
            data={"reviewer_id": rev.id, "due_on": (date.today() + timedelta(days=14)).isoformat()},
        )
        assert r.status_code == 303
    assert db.session.scalar(select(db.func.count(Assignment.id))) == 2
    r = client.post(
        "/pilot-rounds",
        data={
            "name": "Piloto Perú género 2026",
            "country": "PE",
            "area": "gender",
            "opens_on": "2026-01-01",
            "closes_on": "2026-12-31",
            "capacity": 5,
        },
    )
    assert r.status_code == 303
    round_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/pilot-rounds/{round_id}/status", data={"status": "open"}).status_code == 303
    assert client.post(f"/pilot-rounds/{round_id}/applications", data={"application_id": app_id}).status_code == 303
    r = client.post(f"/applications/{app_id}/events", data={"event": "start_review"}, follow_redirects=True)
    assert "reviewers must have accepted" in r.get_data(as_text=True) or "revisores" in r.get_data(as_text=True)

    # Reviewers accept with a no-conflict declaration.
    for rev in (rev1, rev2):
        login(client, rev)
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.reviewer_id == rev.id))
        assert client.post(f"/assignments/{assignment_id}/accept", data={}).status_code == 303
        db.session.expire_all()
        assert db.session.get(Assignment, assignment_id).status.value == "invited", "acceptance needs the declaration"
        client.post(f"/assignments/{assignment_id}/accept", data={"no_conflict": "y"})
        db.session.expire_all()
        assert db.session.get(Assignment, assignment_id).status.value == "accepted"

    login(client, facilitator)
    client.post(f"/applications/{app_id}/events", data={"event": "start_review"})
    client.post(f"/pilot-rounds/{round_id}/status", data={"status": "in_progress"})
    db.session.expire_all()
    assert db.session.get(Application, app_id).state.value == "under_review"

    # Reviewers score every indicator with a comment and submit.
    for rev, score_for in ((rev1, lambda i: i.scale_max), (rev2, lambda i: i.scale_max - 1)):
        login(client, rev)
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.reviewer_id == rev.id))
        page = client.get(f"/assignments/{assignment_id}").get_data(as_text=True)
        assert indicators[0].descriptor(indicators[0].scale_max, "es")[:30] in page, "the rubric is on the screen"
        r = client.post(f"/assignments/{assignment_id}/submit", follow_redirects=True)
        assert indicators[-1].code in r.get_data(as_text=True), "submit is refused with what is missing"
        for ind in indicators:
            r = client.post(f"/assignments/{assignment_id}/scores/{ind.code}",
                            data={"score": str(score_for(ind)), "comment": "Verificado en actas."})  # fmt: skip
            assert r.status_code == 303
        client.post(f"/assignments/{assignment_id}/submit")
        db.session.expire_all()
        assert db.session.get(Assignment, assignment_id).status.value == "submitted"

    # Facilitator: complete the pilot, see the score, certify.
    login(client, facilitator)
    client.post(f"/applications/{app_id}/events", data={"event": "complete_pilot"})
    db.session.expire_all()
    assert db.session.get(Application, app_id).state.value == "piloted"
    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    assert "/ 100" in page
    r = client.post(f"/applications/{app_id}/events", data={"event": "certify"})
    db.session.expire_all()
    assert db.session.get(Application, app_id).state.value == "certified"
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == app_id))
    assert certificate.number.startswith(f"{std.code}-PE-")
    assert certificate.level in {lv["code"] for lv in std.levels}
    assert certificate.expires_on > certificate.issued_on

    # Public: registry and verify page without logging in.
    client.post("/logout")
    registry = client.get("/registry").get_data(as_text=True)
    assert "Asociación Los Andes de Cajamarca" in registry and certificate.number in registry
    verify = client.get(f"/verify/{certificate.verification_code}")
    assert verify.status_code == 200 and certificate.number in verify.get_data(as_text=True)
    assert certificate.decision_hash and certificate.decision_hash in verify.get_data(as_text=True)
    assert client.get("/verify/not-a-code").status_code == 404

    events = list(db.session.scalars(select(HistoryEntry.event).where(HistoryEntry.application_id == app_id)
                                     .order_by(HistoryEntry.id)))  # fmt: skip
    assert events == ["create", "submit", "start_review", "complete_pilot", "certify"]
