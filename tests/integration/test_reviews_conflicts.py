"""Conflict-of-interest and availability rules, at assignment and again at acceptance.

Every refusal names the rule it applies (a machine code on the error, and a sentence saying it).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from certification.errors import ConflictOfInterest, Duplicate, Forbidden, ReviewerUnavailable, ValidationFailed
from certification.extensions import db
from certification.reviewers import services as reviewer_services
from certification.reviewers.models import DeclaredConflict
from certification.reviewers.policies import months_before
from certification.reviews import queries, services
from certification.reviews.models import Assignment, AssignmentStatus
from certification.types import utcnow
from tests import factories as f
from tests.reviewing import submitted_application

KINDS = ("employee", "board", "consultant", "auditor", "funder")


def _today() -> date:
    return utcnow().date()


def _organization(application):
    from certification.organizations.models import Organization

    return db.session.get(Organization, application.organization_id)


@pytest.mark.parametrize("kind", KINDS)
def test_an_open_affiliation_of_any_kind_is_refused_at_assignment_naming_the_rule(app, kind):
    application, _applicant = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    f.affiliation(reviewer, _organization(application), kind)
    with pytest.raises(ConflictOfInterest) as refused:
        services.assign_reviewer(facilitator, application.id, reviewer.id)
    assert refused.value.rule.code == "affiliation_open"
    assert kind in str(refused.value) and "ongoing" in str(refused.value)
    assert db.session.scalar(select(db.func.count(Assignment.id))) == 0, "nothing written"


def test_an_affiliation_ended_less_than_24_months_ago_is_a_conflict_and_one_ended_24_months_ago_is_not(app):
    application, _ = submitted_application()
    org = _organization(application)
    facilitator = f.user("facilitator")
    cutoff = months_before(_today(), 24)  # ended exactly 24 months ago: no longer a conflict
    recent = f.reviewer("gender")
    f.affiliation(recent, org, "auditor", since=date(2010, 1, 1), until=cutoff + timedelta(days=1))
    with pytest.raises(ConflictOfInterest) as refused:
        services.assign_reviewer(facilitator, application.id, recent.id)
    assert refused.value.rule.code == "affiliation_recent"
    assert "less than 24 months ago" in str(refused.value)
    assert (cutoff + timedelta(days=1)).isoformat() in str(refused.value)

    cooled = f.reviewer("gender")
    f.affiliation(cooled, org, "auditor", since=date(2010, 1, 1), until=cutoff)
    assert services.assign_reviewer(facilitator, application.id, cooled.id).status == AssignmentStatus.INVITED


def test_an_affiliation_with_another_organisation_is_no_conflict(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    f.affiliation(reviewer, f.organization(), "board")
    assert services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id).id


def test_a_declared_conflict_is_refused_at_assignment(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    reviewer_services.declare_conflict(
        reviewer, application.organization_id, "Mi hermana dirige la agencia de Cajamarca."
    )
    with pytest.raises(ConflictOfInterest) as refused:
        services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    assert refused.value.rule.code == "declared_conflict"
    assert "declared a conflict" in str(refused.value)


def test_acceptance_checks_the_rules_again_an_affiliation_recorded_after_the_invitation(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    f.affiliation(reviewer, _organization(application), "consultant", since=date(2024, 1, 1))
    with pytest.raises(ConflictOfInterest) as refused:
        services.accept_assignment(reviewer, assignment.id, True)
    assert refused.value.rule.code == "affiliation_open"
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == AssignmentStatus.INVITED


def test_acceptance_checks_the_rules_again_a_recently_ended_affiliation(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    f.affiliation(
        reviewer, _organization(application), "funder", since=date(2020, 1, 1), until=_today() - timedelta(days=200)
    )
    with pytest.raises(ConflictOfInterest) as refused:
        services.accept_assignment(reviewer, assignment.id, True)
    assert refused.value.rule.code == "affiliation_recent"


def test_acceptance_checks_the_rules_again_a_conflict_declared_after_the_invitation(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    reviewer_services.declare_conflict(reviewer, application.organization_id, "Fui consultora de su directorio.")
    with pytest.raises(ConflictOfInterest) as refused:
        services.accept_assignment(reviewer, assignment.id, True)
    assert refused.value.rule.code == "declared_conflict"


def test_acceptance_needs_the_no_conflict_declaration(app):
    application, _ = submitted_application()
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(f.user("facilitator"), application.id, reviewer.id)
    with pytest.raises(ValidationFailed) as refused:
        services.accept_assignment(reviewer, assignment.id, False)
    assert "no_conflict" in refused.value.fields
    accepted = services.accept_assignment(reviewer, assignment.id, True)
    assert accepted.status == AssignmentStatus.ACCEPTED and accepted.no_conflict_declared


def test_declining_with_a_conflict_declares_it_for_the_organisation_so_it_is_never_assigned_again(app):
    application, applicant = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
    services.decline_assignment(reviewer, assignment.id, "Audité esta institución.", conflict=True)
    declared = db.session.scalars(select(DeclaredConflict).where(DeclaredConflict.reviewer_id == reviewer.id)).all()
    assert [d.organization_id for d in declared] == [application.organization_id]
    with pytest.raises(ConflictOfInterest) as refused:
        services.assign_reviewer(facilitator, application.id, reviewer.id)
    assert refused.value.rule.code == "declared_conflict"


def test_unavailable_reviewers_are_refused_with_their_rule(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    no_expertise = f.reviewer("rural")
    with pytest.raises(ReviewerUnavailable) as refused:
        services.assign_reviewer(facilitator, application.id, no_expertise.id)
    assert refused.value.rule.code == "no_expertise"

    inactive = f.reviewer("gender")
    reviewer_services.update_reviewer_profile(
        facilitator,
        inactive.id,
        areas=["gender"],
        countries=["PE"],
        languages=["es"],
        max_active_assignments=3,
        active=False,
    )
    with pytest.raises(ReviewerUnavailable) as refused:
        services.assign_reviewer(facilitator, application.id, inactive.id)
    assert refused.value.rule.code == "inactive"

    busy = f.reviewer("gender", capacity=1)
    other, _ = submitted_application()
    services.assign_reviewer(facilitator, other.id, busy.id)
    with pytest.raises(ReviewerUnavailable) as refused:
        services.assign_reviewer(facilitator, application.id, busy.id)
    assert refused.value.rule.code == "at_capacity" and "1 of 1" in str(refused.value)


def test_the_same_reviewer_cannot_be_assigned_twice(app):
    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    services.assign_reviewer(facilitator, application.id, reviewer.id)
    with pytest.raises(Duplicate):
        services.assign_reviewer(facilitator, application.id, reviewer.id)


def test_only_staff_assign_and_an_unknown_reviewer_is_a_validation_error(app):
    application, applicant = submitted_application()
    reviewer = f.reviewer("gender")
    with pytest.raises(Forbidden):
        services.assign_reviewer(reviewer, application.id, reviewer.id)
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(f.user("facilitator"), application.id, applicant.id)


def test_a_conflict_that_appears_after_acceptance_blocks_start_review(app):
    from certification.applications.services import fire_event
    from certification.errors import GuardFailed

    application, _ = submitted_application()
    facilitator = f.user("facilitator")
    first, second = f.reviewer("gender"), f.reviewer("gender")
    for reviewer in (first, second):
        assignment = services.assign_reviewer(facilitator, application.id, reviewer.id)
        services.accept_assignment(reviewer, assignment.id, True)
    reviewer_services.declare_conflict(second, application.organization_id, "Me ofrecieron un puesto en el directorio.")
    with pytest.raises(GuardFailed) as refused:
        fire_event(facilitator, application.id, "start_review")
    assert {u.code for u in refused.value.unmet} >= {"not_enough_reviewers", "reviewer_conflict"}


def test_suggestions_rank_eligible_reviewers_by_load_then_country_then_language_and_grey_the_others(app):
    application, _ = submitted_application(country="PE")
    org = _organization(application)
    facilitator = f.user("facilitator")
    busy_local = f.user("reviewer", areas=["gender"], countries=["PE"], languages=["es"], max_active_assignments=5)
    idle_foreign = f.user("reviewer", areas=["gender"], countries=["BO"], languages=["es"], max_active_assignments=5)
    idle_local_quechua = f.user(
        "reviewer", areas=["gender"], countries=["PE"], languages=["qu"], max_active_assignments=5
    )
    idle_local = f.user("reviewer", areas=["gender"], countries=["PE"], languages=["es"], max_active_assignments=5)
    conflicted = f.reviewer("gender")
    f.affiliation(conflicted, org, "employee")
    rural = f.reviewer("rural")
    other, _ = submitted_application()
    services.assign_reviewer(facilitator, other.id, busy_local.id)

    ranked = queries.suggestions(application, _today())
    eligible = [s.reviewer.id for s in ranked if s.eligible]
    assert eligible == [idle_local.id, idle_local_quechua.id, idle_foreign.id, busy_local.id]
    greyed = {s.reviewer.id: s.rule.code for s in ranked if not s.eligible}
    assert greyed == {conflicted.id: "affiliation_open", rural.id: "no_expertise"}
    assert ranked[-1].eligible is False and ranked[0].load == 0 and ranked[0].country_match and ranked[0].language_match
