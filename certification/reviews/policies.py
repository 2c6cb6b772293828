"""Who may do what in reviewing: assigning, moderating, reading the MFI's result."""

from __future__ import annotations

from certification.accounts.policies import is_staff
from certification.applications.policies import is_member
from certification.reviews.models import AssignmentStatus
from workflows.application import State

# Reviewers are assigned once the application is submitted and until a decision.
ASSIGNABLE_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)
# Reviewers enter scores while the application is under review; a facilitator moderates until the decision.
SCORING_STATES = (State.UNDER_REVIEW,)
MODERATION_STATES = (State.UNDER_REVIEW, State.PILOTED)


def may_manage_assignments(user) -> bool:
    """Inviting, withdrawing and replacing reviewers, moving due dates, auto-assigning: facilitators and admins."""
    return is_staff(user)


def may_see_assignment(user, assignment) -> bool:
    """Its reviewer, and facilitators and admins (who may know it exists but not act as its reviewer)."""
    return assignment.reviewer_id == user.id or is_staff(user)


def may_moderate(user) -> bool:
    """Replacing an indicator's consensus: facilitators and admins (and never a reviewer of the application,
    which the service checks against the assignments)."""
    return is_staff(user)


def may_see_result(user, application) -> bool:
    """The MFI's result page: its staff once a decision was taken; facilitators and admins always (to see
    what the MFI sees)."""
    return is_staff(user) or (is_member(user, application) and application.decided_at is not None)


def may_score(assignment, application) -> bool:
    """The reviewer enters scores once they accepted, while the application is under review."""
    return assignment.status == AssignmentStatus.ACCEPTED and application.state in SCORING_STATES


def may_moderate_application(user, application, involved_reviewer_ids) -> bool:
    """This application's consensus now: a facilitator who never reviewed it, while its scores may still change."""
    return may_moderate(user) and user.id not in involved_reviewer_ids and application.state in MODERATION_STATES
