"""Each role's dashboard says what needs them now: progress, next step and deadlines, queues to act on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from certification.applications.models import Application
from certification.applications.policies import visible_filter
from certification.extensions import db
from certification.main import queries as main_queries
from certification.main.queries import staff_work
from certification.notifications.models import MailMessage, MailStatus
from certification.pilots.services import create_round
from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore
from certification.reviews.services import assign_reviewer, moderate, save_score, submit_review
from certification.seals.models import Standard
from tests import factories as f
from tests.web.helpers import fresh_client
from workflows.application import State


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _dashboard(app, person) -> str:
    response = fresh_client(app, person).get("/dashboard?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _card(html: str, reference: str) -> str:
    return html.split(f">{reference}</a>")[1].split("</article>")[0]


def test_an_institution_sees_each_applications_progress_next_step_and_deadlines(app):
    from certification.applications.services import save_self_assessment

    org = f.organization("Caja Progreso")
    rejected = f.Walk(org=org).reject()  # one open application per seal: the rejected one comes first
    draft = f.Walk(org=org)

    for indicator in draft.indicators[:2]:
        save_self_assessment(draft.applicant, draft.id, indicator.code, indicator.scale_max, "Política vigente.")
    html = _dashboard(app, draft.applicant)

    card = _card(html, draft.application.reference)
    assert f"<strong>2 / {len(draft.indicators)}</strong>" in card, "self-assessed n / N"
    assert f"<strong>0 / {len(draft.essential)}</strong>" in card, "essential evidence present / essential"
    assert f"Self-assess the remaining {len(draft.indicators) - 2} indicator(s)." in card
    card = _card(html, rejected.application.reference)
    appeal_until = (date.today() + timedelta(days=30)).isoformat()
    assert f"you may appeal until {appeal_until}" in card
    assert "Read the result" in card


def test_a_complete_draft_says_submit_and_a_certified_one_says_until_when(app):
    org = f.organization("Caja Lista")
    certified = f.Walk(org=org).certify()
    ready = f.Walk(org=org).self_assess().upload_evidence()
    html = _dashboard(app, ready.applicant)
    assert "Everything is in: submit the application." in _card(html, ready.application.reference)
    assert "Certified until " in _card(html, certified.application.reference)


def test_another_institutions_applications_are_not_on_my_dashboard(app):
    mine, theirs = f.Walk(), f.Walk()
    html = _dashboard(app, mine.applicant)
    assert mine.application.reference in html and theirs.application.reference not in html


def test_a_reviewer_sees_invitations_to_answer_and_reviews_due_with_their_progress(app):
    person = f.reviewer(capacity=5)
    walk = f.Walk().start_review(people=[person, f.reviewer(capacity=5)])
    accepted = db.session.get(Assignment, walk.assignment_ids[0])
    accepted.due_on = date.today() + timedelta(days=3)
    db.session.commit()
    invited = f.Walk().submit()
    invitation = assign_reviewer(walk.facilitator, invited.id, person.id, date.today() + timedelta(days=20))
    save_score(person, accepted.id, walk.indicators[0].code, 3, "Actas revisadas.")
    html = _dashboard(app, person)

    invitations = html.split('id="invitations"')[1].split("</section>")[0]
    assert invited.application.reference in invitations and f"/assignments/{invitation.id}" in invitations
    due = html.split('id="reviews-due"')[1].split("</section>")[0]
    assert walk.application.reference in due and "due in 3 day(s)" in due
    assert f"1 of {len(walk.indicators)} scored" in due

    db.session.get(Assignment, accepted.id).due_on = date.today() - timedelta(days=2)
    db.session.commit()
    due = _dashboard(app, person).split('id="reviews-due"')[1].split("</section>")[0]
    assert f"overdue since {(date.today() - timedelta(days=2)).isoformat()}" in due


def test_a_facilitator_sees_submissions_decisions_overdue_reviews_disagreements_and_rounds_closing(app):
    facilitator = f.user("facilitator")
    waiting = f.Walk(facilitator=facilitator).submit()
    decided = f.Walk(facilitator=facilitator).pilot()
    split = f.Walk(facilitator=facilitator).start_review()
    apart = split.indicators[0].code  # the first reviewer rates it the highest, everyone else the lowest
    for n, (person, assignment_id) in enumerate(zip(split.reviewers, split.assignment_ids, strict=True)):
        for indicator in split.indicators:
            score = indicator.scale_max if indicator.code == apart and n == 0 else indicator.scale_min
            save_score(person, assignment_id, indicator.code, score, "Visto en actas.")
        submit_review(person, assignment_id)
    late = f.Walk(facilitator=facilitator).submit().assign(count=1)
    db.session.get(Assignment, late.assignment_ids[0]).due_on = date.today() - timedelta(days=1)
    db.session.commit()
    closing = create_round(
        facilitator, name="Ronda que cierra pronto", country="PE", area="gender",
        opens_on=date.today(), closes_on=date.today() + timedelta(days=5), capacity=3,
    )  # fmt: skip
    from certification.pilots.services import change_status

    change_status(facilitator, closing.id, "open")
    html = _dashboard(app, facilitator)

    def section(name):
        return html.split(f'id="{name}"')[-1].split("</section>")[0]

    assert waiting.application.reference in section("submitted")
    assert decided.application.reference in section("to-decide")
    assert late.application.reference in section("overdue") and late.reviewers[0].name in section("overdue")
    assert split.application.reference in section("disagreements")
    assert waiting.application.reference not in section("disagreements")
    assert "Ronda que cierra pronto" in section("rounds")
    assert "Failed e-mails" not in html, "mail failures are the administrator's"


def test_an_administrator_also_sees_failed_mails(app):
    admin = f.user("admin")
    db.session.add(
        MailMessage(to_address="nadie@example.org", locale="es", kind="test", subject="x", body_text="x",
                    status=MailStatus.FAILED, last_error="550")
    )  # fmt: skip
    db.session.commit()
    html = _dashboard(app, admin)
    failed = html.split("/admin/mail?status=failed")[1].split("</a>")[0]
    assert "Failed e-mails" in failed and "<strong>0</strong>" not in failed


def test_a_draft_shows_its_self_assessment_scored_by_dimension_and_the_rules_it_would_fail(app):
    from certification.seals.queries import scoring_rules
    from standards.scoring import compute_score

    low = f.Walk(org=f.organization("Caja Modesta")).self_assess(rating_for=lambda i: i.scale_min)
    html = _dashboard(app, low.applicant)
    card = _card(html, low.application.reference)
    assert "Readiness preview" in card and "would not pass yet" in card
    expected = compute_score(scoring_rules(low.std), {i.code: [i.scale_min] for i in low.indicators})
    assert f"{expected.overall:.1f} / 100" in card, "the standard's own formula"
    for code in expected.dimensions:
        assert f"<span>{code}</span>" in card
    assert "overall score below the pass threshold" in card

    high = f.Walk(org=f.organization("Caja Segura")).self_assess()
    assert "would pass" in _card(_dashboard(app, high.applicant), high.application.reference)


def _disagreements_from_every_score(user) -> tuple[list[tuple[int, int]], int]:
    """The definition the dashboard answers, straight from the scores: per live application, the indicators
    whose submitted scores lie the standard's gap apart or more and that nobody moderated; most first."""
    live = sa.and_(
        Assignment.status == AssignmentStatus.SUBMITTED,
        Application.state.in_((State.UNDER_REVIEW, State.PILOTED)),
        visible_filter(user),
    )
    moderated = select(Moderation.id).where(
        Moderation.application_id == Assignment.application_id, Moderation.indicator_id == ReviewScore.indicator_id
    )
    spread = (
        select(Assignment.application_id.label("application_id"), ReviewScore.indicator_id)
        .join(ReviewScore, ReviewScore.assignment_id == Assignment.id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Standard, Standard.id == Application.standard_id)
        .where(live, ReviewScore.score.is_not(None), ~sa.exists(moderated))
        .group_by(Assignment.application_id, ReviewScore.indicator_id, Standard.disagreement_gap)
        .having(func.max(ReviewScore.score) - func.min(ReviewScore.score) >= Standard.disagreement_gap)
        .subquery()
    )
    rows = db.session.execute(
        select(spread.c.application_id, func.count())
        .group_by(spread.c.application_id)
        .order_by(func.count().desc(), spread.c.application_id)
    ).all()
    return [tuple(row) for row in rows], len(rows)


def test_the_dashboards_disagreements_are_those_every_submitted_score_gives(app, monkeypatch):
    facilitator = f.user("facilitator")

    def reviewed(apart: int, *, submit_all: bool = True):
        """An application under review whose first reviewer rates its first `apart` indicators the highest."""
        walk = f.Walk(facilitator=facilitator).start_review()
        for n, (person, assignment_id) in enumerate(zip(walk.reviewers, walk.assignment_ids, strict=True)):
            for k, indicator in enumerate(walk.indicators):
                high = n == 0 and k < apart
                save_score(person, assignment_id, indicator.code, indicator.scale_max if high else indicator.scale_min,
                           "Visto en actas.")  # fmt: skip
            if submit_all or n == 0:
                submit_review(person, assignment_id)
        return walk

    three, one, agreeing, moderated = reviewed(3), reviewed(1), reviewed(0), reviewed(2)
    unsubmitted = reviewed(4, submit_all=False)  # one review still to come: nothing to compare yet
    moderate(facilitator, moderated.id, moderated.indicators[0].code, moderated.indicators[0].scale_max, "Acta")
    piloted = f.Walk(facilitator=facilitator).pilot(
        score_for=lambda i: i.scale_min if i.code == "G1.1" else i.scale_max
    )  # every reviewer agrees
    db.session.expire_all()

    expected, total = _disagreements_from_every_score(facilitator)
    listed = staff_work(facilitator, date.today(), admin=False)["disagreements"]

    assert [(a.id, n) for a, n in listed.rows] == expected
    assert listed.total == total
    assert expected == [(three.id, 3), (one.id, 1), (moderated.id, 1)]
    assert not {agreeing.id, unsubmitted.id, piloted.id} & {a.id for a, _ in listed.rows}
    # Counted up to a bound: beyond it the card says so.
    monkeypatch.setattr(main_queries, "DISAGREEMENTS_COUNTED", 2)
    capped = staff_work(facilitator, date.today(), admin=False)["disagreements"]
    assert (capped.total, capped.more, len(capped.rows)) == (2, True, 3)
    assert "<strong>2+</strong>" in _dashboard(app, facilitator)
