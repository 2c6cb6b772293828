"""Assignment lifecycle (invited → accepted | declined → submitted; due dates; withdraw and replace; overdue)
and auto-assign for a pilot round on the database (preview, apply, hard constraints, report)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from certification.applications.services import fire_event
from certification.errors import (
    ConflictOfInterest,
    Forbidden,
    NotEditable,
    NotFound,
    ReviewerUnavailable,
    StateConflict,
    ValidationFailed,
)
from certification.extensions import db
from certification.pilots import services as pilots
from certification.reviewers import queries as reviewer_queries
from certification.reviewers import services as reviewer_services
from certification.reviewers.policies import affiliation_conflicts
from certification.reviews import services
from certification.reviews.models import Assignment, AssignmentStatus
from certification.reviews.services import DEFAULT_REVIEW_DAYS, auto_assign
from certification.types import utcnow
from tests import factories as f
from tests.reviewing import submitted_application


def _today() -> date:
    return utcnow().date()


def _count() -> int:
    return db.session.scalar(select(db.func.count(Assignment.id)))


def test_an_invitation_gets_a_due_date_and_a_due_date_in_the_past_or_too_far_is_refused(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    with pytest.raises(ValidationFailed) as refused:
        services.assign_reviewer(facilitator, application.id, reviewer.id, _today() - timedelta(days=1))
    assert "due_on" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(facilitator, application.id, reviewer.id, _today() + timedelta(days=400))
    assert _count() == 0
    assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
    assert assignment.due_on == _today() + timedelta(days=DEFAULT_REVIEW_DAYS)
    moved = services.change_due_date(facilitator, assignment.id, _today() + timedelta(days=5))
    assert moved.due_on == _today() + timedelta(days=5)


def test_an_assignment_is_overdue_only_while_still_to_do(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
    assert not assignment.overdue
    assignment.due_on = _today() - timedelta(days=1)  # time passes
    db.session.commit()
    assert assignment.overdue and assignment.is_overdue(_today())
    assert not assignment.is_overdue(_today() - timedelta(days=2))
    services.decline_assignment(reviewer, assignment.id, "De viaje.")
    assert not assignment.overdue, "a declined assignment is not overdue"


def test_decline_needs_a_reason_and_only_an_open_invitation_can_be_answered(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    with pytest.raises(ValidationFailed):
        services.decline_assignment(reviewer, assignment.id, "  ")
    services.decline_assignment(reviewer, assignment.id, "Sin disponibilidad.")
    with pytest.raises(NotEditable):
        services.accept_assignment(reviewer, assignment.id, True)


def test_an_invitation_to_a_withdrawn_application_cannot_be_accepted(app):
    application, applicant = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    fire_event(applicant, application.id, "withdraw", "Nos fusionamos con otra IMF.")
    with pytest.raises(NotEditable):
        services.accept_assignment(reviewer, assignment.id, True)


def test_withdraw_and_replace_in_one_step_frees_the_seat_and_records_what_it_replaces(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    slow, replacement = f.reviewer("gender", capacity=1), f.reviewer("gender")
    old = services.assign_reviewer(facilitator, application.id, slow.id)
    new = services.withdraw_assignment(facilitator, old.id, "No respondió en 10 días.", replacement.id)
    db.session.expire_all()
    old = db.session.get(Assignment, old.id)
    assert old.status == AssignmentStatus.WITHDRAWN and old.withdraw_reason == "No respondió en 10 días."
    assert new.reviewer_id == replacement.id and new.replaces_id == old.id and new.status == AssignmentStatus.INVITED
    other, _ = submitted_application()
    assert services.assign_reviewer(facilitator, other.id, slow.id).id, "the withdrawn reviewer's seat is free again"


def test_a_replacement_breaking_a_rule_is_refused_and_nothing_changes(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    first = f.reviewer("gender")
    conflicted = f.reviewer("gender")
    from certification.organizations.models import Organization

    f.affiliation(conflicted, db.session.get(Organization, application.organization_id), "board")
    old = services.assign_reviewer(facilitator, application.id, first.id)
    with pytest.raises(ConflictOfInterest):
        services.withdraw_assignment(facilitator, old.id, "Cambio.", conflicted.id)
    with pytest.raises(ReviewerUnavailable):
        services.withdraw_assignment(facilitator, old.id, "Cambio.", f.reviewer("rural").id)
    with pytest.raises(ValidationFailed):
        services.withdraw_assignment(facilitator, old.id, "Cambio.", first.id)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Assignment, old.id).status == AssignmentStatus.INVITED
    assert _count() == 1


def test_only_staff_withdraw_and_a_submitted_review_cannot_be_withdrawn(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
    with pytest.raises(Forbidden):
        services.withdraw_assignment(reviewer, assignment.id)
    with pytest.raises(NotFound):
        services.withdraw_assignment(facilitator, 10**9)
    services.withdraw_assignment(facilitator, assignment.id)
    with pytest.raises(NotEditable):
        services.withdraw_assignment(facilitator, assignment.id)


# --- auto-assign on the database ---------------------------------------------------------------------------


def _round_with(applications, facilitator):
    pilot_round = pilots.create_round(
        facilitator,
        name="Piloto Perú",
        country="PE",
        area="gender",
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
        capacity=10,
    )
    pilots.change_status(facilitator, pilot_round.id, "open")
    for application in applications:
        pilots.enrol(facilitator, pilot_round.id, application.id)
    return pilot_round


def _check_hard_constraints(today):
    """Every live assignment in the database respects capacity and conflicts, and none is duplicated."""
    from certification.accounts.models import User
    from certification.applications.models import Application

    live = list(
        db.session.scalars(
            select(Assignment).where(
                Assignment.status.in_((AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED))
            )
        )
    )
    pairs = [(a.application_id, a.reviewer_id) for a in live]
    assert len(pairs) == len(set(pairs))
    loads = reviewer_queries.active_counts()
    for reviewer_id, load in loads.items():
        assert load <= db.session.get(User, reviewer_id).max_active_assignments
    for assignment in live:
        application = db.session.get(Application, assignment.application_id)
        conflicted = reviewer_queries.conflicted_reviewer_ids(
            [assignment.reviewer_id], application.organization_id, today
        )
        assert not conflicted, (assignment.application_id, assignment.reviewer_id)


def test_auto_assign_previews_without_writing_then_applies_the_same_plan_within_every_rule(app):
    facilitator = f.user("facilitator")
    apps = [submitted_application()[0] for _ in range(3)]
    from certification.organizations.models import Organization

    reviewers = [f.reviewer("gender", capacity=2) for _ in range(3)]
    f.affiliation(reviewers[0], db.session.get(Organization, apps[0].organization_id), "board")
    reviewer_services.declare_conflict(reviewers[1], apps[1].organization_id, "Trabajé allí el año pasado.")
    f.reviewer("rural", capacity=5)  # no expertise: never used
    pilot_round = _round_with(apps, facilitator)
    already = services.assign_reviewer(facilitator, apps[2].id, reviewers[2].id)

    preview = auto_assign(facilitator, pilot_round.id, apply=False)
    assert _count() == 1, "a preview writes nothing"
    assert preview.applied is False
    plan_pairs = {(p["application_id"], p["reviewer_id"]) for p in preview.assigned}
    assert (apps[0].id, reviewers[0].id) not in plan_pairs and (apps[1].id, reviewers[1].id) not in plan_pairs
    assert (apps[2].id, reviewers[2].id) not in plan_pairs, "an existing assignment is kept, not duplicated"
    # 5 seats missing (2 + 2 + 1), 5 free seats (2 + 2 + 1); apps 0 and 1 both need reviewer 2, who has one
    # seat left: one of them stays a reviewer short, for lack of capacity.
    assert len(preview.assigned) == 4
    [gap] = preview.unfilled
    assert gap["application_id"] in (apps[0].id, apps[1].id) and gap["missing"] == 1 and gap["code"] == "capacity"

    applied = auto_assign(facilitator, pilot_round.id, apply=True, expected_digest=preview.digest)
    assert applied.applied and applied.assigned == preview.assigned
    rows = db.session.scalars(select(Assignment).where(Assignment.id != already.id)).all()
    assert {(a.application_id, a.reviewer_id) for a in rows} == plan_pairs
    assert all(
        a.due_on == _today() + timedelta(days=DEFAULT_REVIEW_DAYS) and a.assigned_by_id == facilitator.id for a in rows
    )
    _check_hard_constraints(_today())
    again = auto_assign(facilitator, pilot_round.id, apply=True)
    assert again.assigned == [] and _count() == 5, "nothing more to fill: applying twice adds nothing"


def test_auto_assign_refuses_a_stale_preview_a_closed_round_and_non_staff(app):
    facilitator = f.user("facilitator")
    application, applicant = submitted_application()
    f.reviewer("gender")
    f.reviewer("gender")
    pilot_round = _round_with([application], facilitator)
    preview = auto_assign(facilitator, pilot_round.id, apply=False)
    f.reviewer("gender")  # the situation changes: the plan may too
    extra = services.assign_reviewer(facilitator, application.id, preview.assigned[0]["reviewer_id"])
    with pytest.raises(StateConflict):
        auto_assign(facilitator, pilot_round.id, apply=True, expected_digest=preview.digest)
    assert _count() == 1 and extra.id
    for outsider in (applicant, f.reviewer("gender")):
        with pytest.raises(NotFound):
            auto_assign(outsider, pilot_round.id, apply=False)
    pilots.change_status(facilitator, pilot_round.id, "in_progress")
    pilots.change_status(facilitator, pilot_round.id, "closed")
    with pytest.raises(NotEditable):
        auto_assign(facilitator, pilot_round.id, apply=False)


def test_affiliation_conflict_rule_boundary_is_strictly_less_than_24_months():
    class Tie:
        def __init__(self, until):
            self.until = until

    today = date(2026, 3, 31)
    assert affiliation_conflicts(Tie(None), today)
    assert affiliation_conflicts(Tie(date(2024, 4, 1)), today)
    assert not affiliation_conflicts(Tie(date(2024, 3, 31)), today)
    assert not affiliation_conflicts(Tie(date(2026, 2, 28)), date(2028, 2, 29))
    assert affiliation_conflicts(Tie(date(2026, 3, 1)), date(2028, 2, 29))
