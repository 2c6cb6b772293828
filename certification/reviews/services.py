"""Writes for reviews: assignment lifecycle, indicator scores, moderation and score recalculation."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from certification.accounts.models import Role, User
from certification.applications import queries as application_queries
from certification.applications.models import Application
from certification.applications.policies import is_staff
from certification.errors import (
    ConflictOfInterest,
    Forbidden,
    GuardFailed,
    NotEditable,
    NotFound,
    ReviewerUnavailable,
    StateConflict,
    ValidationFailed,
)
from certification.extensions import db
from certification.outbox.services import commit, enqueue
from certification.reviews import queries
from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore, ScoreSnapshot
from certification.reviews.policies import conflict_reason, unavailability_reason
from certification.seals.models import Standard
from certification.seals.queries import indicators_of, scoring_rules
from certification.types import utcnow
from standards.scoring import compute_score, compute_self_assessment
from workflows.application import State
from workflows.messages import N_, Unmet

MAX_TEXT = 5000
ASSIGNABLE_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)


def eligibility(reviewer: User, application, area: str, today: date, active_count: int) -> tuple[str, str] | None:
    """(error code, reason) when `reviewer` may not review `application`, else None."""
    reason = conflict_reason(reviewer.affiliations, application.organization_id, today)
    if reason:
        return "conflict_of_interest", reason
    reason = unavailability_reason(reviewer, area, active_count)
    if reason:
        return "reviewer_unavailable", reason
    return None


def assign_reviewer(user, application_id: int, reviewer_id: int, due_on: date | None = None) -> Assignment:
    """Invite an eligible reviewer; a conflicted or unavailable one is refused with the rule it breaks."""
    if not is_staff(user):
        raise Forbidden("Only a facilitator may assign reviewers.")
    application = application_queries.get_visible(user, application_id, for_update=True)
    if application.state not in ASSIGNABLE_STATES:
        raise NotEditable("Reviewers are assigned once the application is submitted and before a decision.")
    reviewer = db.session.scalar(select(User).where(User.id == reviewer_id, User.role == Role.REVIEWER))
    if reviewer is None:
        raise ValidationFailed({"reviewer_id": ["Unknown reviewer."]})
    db.session.refresh(reviewer, ["affiliations"])
    already = db.session.scalar(
        select(Assignment.id).where(
            Assignment.application_id == application.id,
            Assignment.reviewer_id == reviewer.id,
            Assignment.status.in_((AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)),
        )
    )
    if already:
        raise StateConflict("This reviewer is already assigned to the application.")
    standard = db.session.get(Standard, application.standard_id)
    today = utcnow().date()
    problem = eligibility(reviewer, application, standard.area.value, today,
                          queries.active_counts([reviewer.id]).get(reviewer.id, 0))  # fmt: skip
    if problem:
        code, reason = problem
        raise (ConflictOfInterest if code == "conflict_of_interest" else ReviewerUnavailable)(reason)
    if due_on is not None and due_on < today:
        raise ValidationFailed({"due_on": ["The due date cannot be in the past."]})
    assignment = Assignment(
        application_id=application.id, reviewer_id=reviewer.id, due_on=due_on, assigned_by_id=user.id
    )
    db.session.add(assignment)
    commit()
    return assignment


def _own_assignment(user, assignment_id: int, *, for_update: bool = False) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if for_update:
        query = query.with_for_update()
    assignment = db.session.scalar(query)
    if assignment is None or (assignment.reviewer_id != user.id and not is_staff(user)):
        raise NotFound("assignment")
    if assignment.reviewer_id != user.id:
        raise Forbidden("Only the assigned reviewer may do this.")
    return assignment


def accept_assignment(user, assignment_id: int, no_conflict: bool) -> Assignment:
    """Accept with the declaration of no conflict; the conflict rules are checked again now."""
    assignment = _own_assignment(user, assignment_id, for_update=True)
    if assignment.status != AssignmentStatus.INVITED:
        raise NotEditable("Only an open invitation can be accepted.")
    if no_conflict is not True:
        raise ValidationFailed({"no_conflict": ["Declare that you have no conflict of interest to accept."]})
    application = db.session.get(Application, assignment.application_id)
    db.session.refresh(user, ["affiliations"])
    reason = conflict_reason(user.affiliations, application.organization_id, utcnow().date())
    if reason:
        raise ConflictOfInterest(reason)
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.no_conflict_declared = True
    assignment.responded_at = utcnow()
    commit()
    return assignment


def decline_assignment(user, assignment_id: int, reason: str, conflict: bool = False) -> Assignment:
    """Decline an invitation with a reason; `conflict` records a declared conflict of interest."""
    assignment = _own_assignment(user, assignment_id, for_update=True)
    if assignment.status != AssignmentStatus.INVITED:
        raise NotEditable("Only an open invitation can be declined.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Say why you decline."]})
    assignment.status = AssignmentStatus.DECLINED
    assignment.decline_reason = reason[:MAX_TEXT]
    assignment.conflict_declared = bool(conflict)
    assignment.responded_at = utcnow()
    commit()
    return assignment


def withdraw_assignment(user, assignment_id: int) -> Assignment:
    """A facilitator withdraws an assignment (to replace the reviewer)."""
    if not is_staff(user):
        raise Forbidden("Only a facilitator may withdraw an assignment.")
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise NotFound("assignment")
    if assignment.status not in (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED):
        raise NotEditable("Only an open or accepted assignment can be withdrawn.")
    assignment.status = AssignmentStatus.WITHDRAWN
    commit()
    return assignment


def _editable_assignment(user, assignment_id: int) -> Assignment:
    assignment = _own_assignment(user, assignment_id)
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise NotEditable("This review is submitted; scores can no longer change.")
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise NotEditable("Accept the assignment before scoring.")
    application = application_queries.get_visible(user, assignment.application_id)
    if application.state != State.UNDER_REVIEW:
        raise NotEditable("Scores can be entered while the application is under review.")
    return assignment


def save_score(user, assignment_id: int, code: str, score, comment: str, evidence_ids=()) -> ReviewScore:
    """Save one indicator's score (None = N/A where allowed) with its comment; save-as-you-go."""
    assignment = _editable_assignment(user, assignment_id)
    app_obj = application_queries.get_visible(user, assignment.application_id)
    indicator = application_queries.indicator_by_code(app_obj.standard_id, code)
    if indicator is None:
        raise ValidationFailed({"indicator": [f"Unknown indicator {code!r}."]})
    errors: dict[str, list[str]] = {}
    if score is None:
        if not indicator.allows_na:
            errors["score"] = ["This indicator needs a score; N/A is not allowed."]
    elif isinstance(score, bool) or not isinstance(score, int) or score not in indicator.scale():
        errors["score"] = [f"Choose a whole number from {indicator.scale_min} to {indicator.scale_max}."]
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = ["A comment is required."]
    elif len(comment) > MAX_TEXT:
        errors["comment"] = [f"At most {MAX_TEXT} characters."]
    cited = sorted({int(e) for e in evidence_ids or ()}) if all(str(e).isdigit() for e in evidence_ids or ()) else None
    if cited is None:
        errors["evidence_ids"] = ["Evidence ids must be whole numbers."]
    elif cited:
        from certification.evidence.models import Evidence

        found = set(db.session.scalars(
            select(Evidence.id).where(Evidence.id.in_(cited), Evidence.application_id == app_obj.id)
        ))  # fmt: skip
        if found != set(cited):
            errors["evidence_ids"] = ["Cite only evidence files of this application."]
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(
        select(ReviewScore).where(ReviewScore.assignment_id == assignment.id, ReviewScore.indicator_id == indicator.id)
    )
    if row is None:
        row = ReviewScore(assignment_id=assignment.id, indicator_id=indicator.id)
        db.session.add(row)
    row.score, row.comment, row.evidence_ids, row.updated_at = score, comment, cited, utcnow()
    commit()
    return row


def submit_review(user, assignment_id: int) -> Assignment:
    """Submit a complete review; refused with the list of unscored indicators. Re-scores after commit."""
    assignment = _editable_assignment(user, assignment_id)
    application = application_queries.get_visible(user, assignment.application_id)
    indicators = indicators_of(application.standard_id)
    scored = queries.scores_by_assignment(assignment.id)
    missing = [i.code for i in indicators if i.id not in scored]
    if missing:
        raise GuardFailed(
            "submit_review",
            [Unmet("unscored", N_("Score these indicators first: %(codes)s"), {"codes": ", ".join(missing)})],
        )
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = utcnow()
    enqueue("recalculate_score", application_id=assignment.application_id)
    commit()
    return assignment


def moderate(user, application_id: int, code: str, score, justification: str) -> Moderation:
    """A facilitator who does not review this application replaces an indicator's consensus."""
    if not is_staff(user):
        raise Forbidden("Only a facilitator may moderate.")
    application = application_queries.get_visible(user, application_id)
    reviewer_ids = {a.reviewer_id for a in queries.assignments_with_reviewers(application.id)
                    if a.status != AssignmentStatus.WITHDRAWN}  # fmt: skip
    if user.id in reviewer_ids:
        raise Forbidden("A reviewer of this application cannot moderate it.")
    if application.state not in (State.UNDER_REVIEW, State.PILOTED):
        raise NotEditable("Scores can be moderated while under review or piloted.")
    indicator = application_queries.indicator_by_code(application.standard_id, code)
    if indicator is None:
        raise ValidationFailed({"indicator": [f"Unknown indicator {code!r}."]})
    errors: dict[str, list[str]] = {}
    if (
        isinstance(score, bool)
        or not isinstance(score, int | float)
        or not (indicator.scale_min <= score <= indicator.scale_max)
    ):
        errors["score"] = [f"Choose a number from {indicator.scale_min} to {indicator.scale_max}."]
    justification = (justification or "").strip()
    if not justification:
        errors["justification"] = ["A justification is required."]
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(
        select(Moderation).where(Moderation.application_id == application.id, Moderation.indicator_id == indicator.id)
    )
    if row is None:
        row = Moderation(application_id=application.id, indicator_id=indicator.id, moderator_id=user.id)
        db.session.add(row)
    row.score, row.justification, row.moderator_id, row.at = float(score), justification[:MAX_TEXT], user.id, utcnow()
    enqueue("recalculate_score", application_id=application.id)
    commit()
    return row


def recalculate_score(application_id: int) -> ScoreSnapshot | None:
    """Pure recompute of the §4 score. Idempotent: unchanged inputs and rules add no new snapshot."""
    application = db.session.get(Application, application_id)
    if application is None:
        return None
    standard = db.session.get(Standard, application.standard_id)
    rules = scoring_rules(standard)
    inputs = queries.score_inputs(application)
    rules_dict = rules.to_dict()
    digest = queries.digest(inputs, rules_dict)
    latest = queries.latest_snapshot(application.id)
    if latest is not None and latest.inputs_digest == digest:
        return latest
    result = compute_score(rules, inputs["reviewer_scores"], inputs["moderated"])
    self_result = compute_self_assessment(rules, inputs["self_ratings"])
    snapshot = ScoreSnapshot(
        application_id=application.id, inputs_digest=digest, inputs=inputs, rules=rules_dict,
        result=result.to_dict(), self_result=self_result.to_dict(), overall=result.overall,
        level=result.level, eligible=result.eligible,
    )  # fmt: skip
    db.session.add(snapshot)
    commit()
    return snapshot
