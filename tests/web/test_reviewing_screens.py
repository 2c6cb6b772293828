"""The reviewing screens through the web UI: scoring on a phone, suggestions and replacements, reviews side by
side, the MFI's result, auto-assign preview/apply and agreement statistics."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import escape
from sqlalchemy import select

from certification.applications.services import fire_event
from certification.extensions import db
from certification.organizations.models import Organization
from certification.reviews import services
from certification.reviews.models import Assignment, AssignmentStatus, ReviewScore
from certification.types import utcnow
from tests import factories as f
from tests.reviewing import assignment_of, english, reviewed_application, submitted_application, under_review
from tests.web.helpers import login as _login


def login(client, user):
    english(user)
    return _login(client, user)


def test_the_scoring_screen_shows_rubric_self_rating_evidence_progress_and_saves_as_you_go(app, client):
    std = f.standard("gender")
    indicators = f.indicators(std)
    application, _applicant = submitted_application(std)
    facilitator = f.user("facilitator")
    reviewer, other = f.reviewer("gender"), f.reviewer("gender")
    under_review(facilitator, application.id, [reviewer, other])
    assignment = assignment_of(reviewer, application.id)
    login(client, reviewer)
    page = client.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    first, second = indicators[0], indicators[1]
    essential = next(i for i in indicators if i.essential and i.id not in (first.id, second.id))
    assert f"0 / {len(indicators)} scored" in page
    for level in (first.scale_min, first.scale_max):
        assert str(escape(first.descriptor(level, "en"))) in page, "rubric descriptors beside the scale"
    assert f"Explicación de {first.code}." in page, "the MFI's explanation is beside the scale"
    assert "politica.pdf" in page and f'id="ind-{essential.code}"' in page
    na_allowed = [i for i in indicators if i.allows_na]
    assert page.count('value="na"') == len(na_allowed), "N/A only where the indicator allows it"

    r = client.post(
        f"/assignments/{assignment.id}/scores/{first.code}",
        data={"score": str(first.scale_max), "comment": "Política aprobada en acta 12.", "next": second.code},
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#ind-{second.code}"), "on to the next indicator"
    evidence_id = db.session.scalar(select(db.text("id")).select_from(db.text("evidence")))
    client.post(
        f"/assignments/{assignment.id}/scores/{essential.code}",
        data={"score": str(essential.scale_max), "comment": "Visto.", "evidence_ids": str(evidence_id)},
    )
    saved = db.session.scalars(select(ReviewScore).where(ReviewScore.assignment_id == assignment.id)).all()
    assert {s.indicator_id for s in saved} == {first.id, essential.id}
    assert next(s for s in saved if s.indicator_id == essential.id).evidence_ids == [evidence_id]
    page = client.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert f"2 / {len(indicators)} scored" in page

    r = client.post(
        f"/assignments/{assignment.id}/scores/{second.code}", data={"score": "3", "comment": ""}, follow_redirects=True
    )
    assert f"{second.code}: A comment is required." in r.get_data(as_text=True)
    assert (
        db.session.scalar(select(db.func.count(ReviewScore.id)).where(ReviewScore.assignment_id == assignment.id)) == 2
    )
    r = client.post(f"/assignments/{assignment.id}/submit", follow_redirects=True)
    text = r.get_data(as_text=True)
    assert second.code in text and indicators[-1].code in text, "submit refused with the list of what is missing"
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == AssignmentStatus.ACCEPTED

    login(client, other)
    assert client.get(f"/assignments/{assignment.id}").status_code == 404, "another reviewer's screen is hidden"


def test_the_reviewers_page_ranks_suggestions_greys_the_ineligible_and_replaces_a_reviewer(app, client):
    application, _ = submitted_application()
    org = db.session.get(Organization, application.organization_id)
    facilitator = f.user("facilitator")
    eligible = f.user("reviewer", areas=["gender"], countries=["PE"], languages=["es"], max_active_assignments=3)
    spare = f.user("reviewer", areas=["gender"], countries=["BO"], languages=["es"], max_active_assignments=3)
    conflicted = f.reviewer("gender")
    f.affiliation(conflicted, org, "auditor", since=date(2020, 1, 1), until=utcnow().date() - timedelta(days=90))
    login(client, facilitator)
    page = client.get(f"/applications/{application.id}/reviewers").get_data(as_text=True)
    assert page.index(eligible.name) < page.index(spare.name) < page.index(conflicted.name)
    assert "ineligible" in page and "less than 24 months ago" in page, "greyed with the rule"
    assert "works in PE" in page, "the reason it is eligible"

    r = client.post(
        f"/applications/{application.id}/assignments", data={"reviewer_id": conflicted.id}, follow_redirects=True
    )
    assert "Conflict of interest" in r.get_data(as_text=True)
    due = (utcnow().date() + timedelta(days=10)).isoformat()
    assert (
        client.post(
            f"/applications/{application.id}/assignments", data={"reviewer_id": eligible.id, "due_on": due}
        ).status_code
        == 303
    )
    assignment = assignment_of(eligible, application.id)
    assert assignment.due_on.isoformat() == due
    assignment.due_on = utcnow().date() - timedelta(days=2)
    db.session.commit()
    assert "overdue" in client.get(f"/applications/{application.id}/reviewers").get_data(as_text=True)

    r = client.post(
        f"/assignments/{assignment.id}/withdraw",
        data={"reason": "Sin respuesta.", "replacement_id": spare.id},
        follow_redirects=True,
    )
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == AssignmentStatus.WITHDRAWN
    assert assignment_of(spare, application.id).replaces_id == assignment.id

    login(client, eligible)
    assert client.get(f"/applications/{application.id}/reviewers").status_code == 404
    login(client, spare)
    assert client.get(f"/applications/{application.id}/reviewers").status_code == 404, "invited: sees nothing yet"
    services.accept_assignment(spare, assignment_of(spare, application.id).id, True)
    assert client.get(f"/applications/{application.id}/reviewers").status_code == 403, "sees it, may not manage it"


def test_reviews_side_by_side_show_every_score_and_comment_with_disagreements_highlighted(app, client):
    application, _applicant, facilitator, (low, high), std = reviewed_application(
        [lambda i: i.scale_min, lambda i: i.scale_max]
    )
    login(client, facilitator)
    page = client.get(f"/applications/{application.id}/reviews").get_data(as_text=True)
    first = f.indicators(std)[0]
    assert low.name in page and high.name in page
    assert f"Visto: {first.code}." in page and f"Explicación de {first.code}." in page
    assert 'class="disagree"' in page, "scores from min to max differ by at least the gap"
    r = client.post(
        f"/applications/{application.id}/moderation/{first.code}",
        data={"score": "3", "justification": "Visita de campo: aplicada a medias."},
    )
    assert r.status_code == 303
    page = client.get(f"/applications/{application.id}/reviews").get_data(as_text=True)
    assert "Visita de campo: aplicada a medias." in page
    login(client, low)
    assert client.get(f"/applications/{application.id}/reviews").status_code == 403


def test_after_the_decision_the_mfi_sees_its_result_gaps_and_anonymous_comments(app, client):
    application, applicant, facilitator, reviewers, std = reviewed_application(
        [lambda i: i.scale_max - 1, lambda i: i.scale_max - 2], pilot=True
    )
    login(client, applicant)
    assert client.get(f"/applications/{application.id}/result").status_code == 403, "not before the decision"
    fire_event(facilitator, application.id, "reject", "Por debajo del umbral en la dimensión B.")
    page = client.get(f"/applications/{application.id}/result").get_data(as_text=True)
    first = f.indicators(std)[0]
    assert "/ 100" in page and "Score by dimension" in page
    assert f"Visto: {first.code}." in page, "the reviewers' comments"
    assert all(r.name not in page for r in reviewers), "without reviewer names"
    gap = first.scale_max - (first.scale_max - 1.5)
    assert f"+{gap:.2f}" in page, "self (max) minus consensus (max − 1.5)"
    detail = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f"/applications/{application.id}/result" in detail

    login(client, reviewers[0])
    assert client.get(f"/applications/{application.id}/result").status_code == 403
    login(client, f.applicant())
    assert client.get(f"/applications/{application.id}/result").status_code == 404


def test_auto_assign_preview_changes_nothing_and_apply_invites(app, client):
    facilitator = f.user("facilitator")
    application, _ = submitted_application()
    first, second = f.reviewer("gender"), f.reviewer("gender")
    login(client, facilitator)
    r = client.post(
        "/pilot-rounds",
        data={
            "name": "Piloto Perú",
            "country": "PE",
            "area": "gender",
            "opens_on": "2026-01-01",
            "closes_on": "2026-12-31",
            "capacity": 5,
        },
    )
    round_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    client.post(f"/pilot-rounds/{round_id}/status", data={"status": "open"})
    client.post(f"/pilot-rounds/{round_id}/applications", data={"application_id": application.id})
    page = client.get(f"/pilot-rounds/{round_id}/auto-assign").get_data(as_text=True)
    assert first.name in page and second.name in page and application.reference in page
    assert db.session.scalar(select(db.func.count(Assignment.id))) == 0, "GET changes nothing"
    r = client.post(f"/pilot-rounds/{round_id}/auto-assign", data={"digest": "stale"}, follow_redirects=True)
    assert db.session.scalar(select(db.func.count(Assignment.id))) == 0, "a stale preview is not applied"
    digest = page.split('name="digest" value="')[1].split('"')[0]
    assert client.post(f"/pilot-rounds/{round_id}/auto-assign", data={"digest": digest}).status_code == 303
    rows = db.session.scalars(select(Assignment)).all()
    assert {a.reviewer_id for a in rows} == {first.id, second.id} and {a.application_id for a in rows} == {
        application.id
    }
    login(client, first)
    assert client.get(f"/pilot-rounds/{round_id}/auto-assign").status_code == 404


def test_agreement_statistics_per_round_and_per_standard(app, client):
    application, _applicant, facilitator, _reviewers, std = reviewed_application(
        [lambda i: i.scale_max, lambda i: i.scale_max if i.position % 2 else i.scale_max - 1], pilot=True
    )
    login(client, facilitator)
    round_id = db.session.get(type(application), application.id).pilot_round_id
    page = client.get(f"/pilot-rounds/{round_id}/agreement").get_data(as_text=True)
    first = f.indicators(std)[0]
    assert first.code in page and "Krippendorff" in page and "100 %" in page and "0 %" in page
    page = client.get(f"/standards/{std.id}/agreement").get_data(as_text=True)
    assert first.code in page and "1 applications" in page
    login(client, f.reviewer("gender"))
    assert client.get(f"/standards/{std.id}/agreement").status_code == 404
    assert client.get(f"/pilot-rounds/{round_id}/agreement").status_code == 404


def test_the_assignments_list_shows_the_overdue_badge_and_paginates(app, client):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
    assignment.due_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    login(client, reviewer)
    page = client.get("/assignments").get_data(as_text=True)
    assert application.reference in page and "overdue" in page
    assert client.get("/assignments?page=2").status_code == 200
