"""Who may see and do what with an application — functions of (user, object, state)."""

from __future__ import annotations

import sqlalchemy as sa

from certification.accounts.models import Role
from certification.accounts.policies import is_staff
from certification.applications.models import Application
from certification.reviews.models import Assignment, AssignmentStatus
from workflows.application import EDITABLE_STATES, Actor

# A reviewer reads an application's content (self-assessment, evidence, history, scores) only once they declared
# no conflict of interest by accepting, and keeps it after submitting. An invitation shows only what the
# decision needs (reviews.queries.invitation: organisation, country, seal, due date); declined and withdrawn
# reviewers see nothing.
REVIEWER_READS = (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)


def actor_of(user) -> Actor:
    return Actor(id=user.id, role=user.role.value, organization_id=user.organization_id)


def visible_filter(user):
    """A WHERE clause selecting the applications `user` may read (the one rule behind every read of an
    application and its content: lists, single loads, evidence, history, scores — UI and API alike)."""
    if is_staff(user):
        return sa.true()
    if user.role == Role.APPLICANT:
        return Application.organization_id == (user.organization_id or -1)
    if user.role == Role.REVIEWER:
        return Application.id.in_(
            sa.select(Assignment.application_id).where(
                Assignment.reviewer_id == user.id, Assignment.status.in_(REVIEWER_READS)
            )
        )
    return sa.false()


def may_edit_content(user, application: Application) -> bool:
    """Self-assessment and evidence: the applicant's staff, while the application is editable."""
    return (
        user.role == Role.APPLICANT
        and user.organization_id == application.organization_id
        and application.state in EDITABLE_STATES
    )


def is_member(user, application: Application) -> bool:
    return user.role == Role.APPLICANT and user.organization_id == application.organization_id


def may_see_score(user, application: Application) -> bool:
    """Facilitators and admins always; the applicant only once a decision has been taken."""
    if is_staff(user):
        return True
    return is_member(user, application) and application.decided_at is not None
