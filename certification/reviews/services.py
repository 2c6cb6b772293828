"""Writes for reviews: assignment lifecycle (and auto-assign), indicator scores, moderation and score recalculation."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from certification.accounts.models import Role, User
from certification.applications import queries as application_queries
from certification.applications.models import Application, HistoryEntry
from certification.echo import shorten
from certification.errors import (
    ConcurrentUpdate,
    ConflictOfInterest,
    Duplicate,
    Forbidden,
    GuardFailed,
    NotEditable,
    NotFound,
    ReviewerUnavailable,
    StateConflict,
    ValidationFailed,
)
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.notifications import events
from certification.outbox.services import commit, enqueue
from certification.pilots.models import RoundStatus
from certification.pilots.services import get_round
from certification.reviewers import queries as reviewer_queries
from certification.reviewers import services as reviewer_services
from certification.reviewers.policies import conflict_rule, unavailability_rule
from certification.reviews import queries
from certification.reviews.auto_assign import AutoAssignPlan, plan_assignments
from certification.reviews.models import (
    ACTIVE_ASSIGNMENT,
    LIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    Moderation,
    ReviewScore,
    ScoreSnapshot,
)
from certification.reviews.policies import (
    ASSIGNABLE_STATES,
    MODERATION_STATES,
    SCORING_STATES,
    may_manage_assignments,
    may_moderate,
    may_see_assignment,
)
from certification.scoring.pipeline import rescore_applications
from certification.seals.models import Indicator, Standard
from certification.seals.queries import indicators_of, scoring_rules
from certification.types import utcnow
from certification.validation import DATE_OUT_OF_WINDOW, MAX_ID, date_in_window
from workflows.messages import N_, Message, Unmet

MAX_TEXT = 5000
DEFAULT_REVIEW_DAYS = 21
MAX_REVIEW_DAYS = 366


UNAVAILABILITY_RULES = {"inactive", "no_expertise", "at_capacity"}


def _refusal(rule: Unmet) -> StateConflict:
    """The 409 error for a broken assignment rule (certification.reviewers.policies); the rule travels with it
    so the UI and the API can name it."""
    if rule.code == "already_assigned":
        error_class = Duplicate
    else:
        error_class = ReviewerUnavailable if rule.code in UNAVAILABILITY_RULES else ConflictOfInterest
    error = error_class(rule.render())
    error.rule = rule
    return error


def eligibility(reviewer: User, application, area: str, today: date, active_count: int,
                declared_organization_ids=()) -> Unmet | None:  # fmt: skip
    """The conflict or availability rule that makes `reviewer` ineligible for `application` (conflicts first),
    or None."""
    rule = conflict_rule(reviewer.affiliations, application.organization_id, today, declared_organization_ids)
    return rule or unavailability_rule(reviewer, area, active_count)


def _check_due_on(due_on: date | None, today: date) -> date:
    if due_on is None:
        return today + timedelta(days=DEFAULT_REVIEW_DAYS)
    if not isinstance(due_on, date):
        raise ValidationFailed({"due_on": [N_("Give the due date as YYYY-MM-DD.")]})
    if not date_in_window(due_on):
        raise ValidationFailed({"due_on": [DATE_OUT_OF_WINDOW]})
    if due_on < today:
        raise ValidationFailed({"due_on": [N_("The due date cannot be in the past.")]})
    if due_on > today + timedelta(days=MAX_REVIEW_DAYS):
        raise ValidationFailed({"due_on": [N_("The due date must be within a year.")]})
    return due_on


def _check_assignable(application, reviewer_id: int, today: date, *, ignoring: int | None = None) -> User:
    """Load (and lock) the reviewer and check every assignment rule (conflicts, availability, not already on
    it); raise the broken one.

    `ignoring`: an assignment being withdrawn in the same unit of work (its seat is freed).
    """
    reviewer = db.session.scalar(
        select(User).where(User.id == reviewer_id, User.role == Role.REVIEWER).with_for_update()
    )  # the lock keeps two assignments from both taking a reviewer's last free seat
    if reviewer is None:
        raise ValidationFailed({"reviewer_id": [N_("Unknown reviewer.")]})
    db.session.refresh(reviewer, ["affiliations"])
    live = db.session.scalar(
        select(Assignment.id).where(
            Assignment.application_id == application.id,
            Assignment.reviewer_id == reviewer.id,
            Assignment.status.in_(LIVE_ASSIGNMENT),
        )
    )
    if live and live != ignoring:
        raise _refusal(Unmet("already_assigned", N_("This reviewer is already assigned to the application.")))
    standard = db.session.get(Standard, application.standard_id)
    load = reviewer_queries.active_counts([reviewer.id]).get(reviewer.id, 0)
    if ignoring is not None:
        withdrawn = db.session.get(Assignment, ignoring)
        if withdrawn.reviewer_id == reviewer.id and withdrawn.status in ACTIVE_ASSIGNMENT:
            load -= 1
    declared = reviewer_queries.declared_organization_ids([reviewer.id]).get(reviewer.id, set())
    rule = eligibility(reviewer, application, standard.area.value, today, load, declared)
    if rule:
        raise _refusal(rule)
    return reviewer


def assign_reviewer(user, application_id: int, reviewer_id: int, due_on: date | None = None) -> Assignment:
    """Invite an eligible reviewer; a conflicted or unavailable one is refused with the rule it breaks.

    The due date defaults to three weeks from today; it may not be in the past or more than a year away.
    """
    if not may_manage_assignments(user):
        raise Forbidden(N_("Only a facilitator may assign reviewers."))
    application = application_queries.get_visible(user, application_id, for_update=True)
    if application.state not in ASSIGNABLE_STATES:
        raise NotEditable(N_("Reviewers are assigned once the application is submitted and before a decision."))
    today = utcnow().date()
    due_on = _check_due_on(due_on, today)
    reviewer = _check_assignable(application, reviewer_id, today)
    assignment = Assignment(
        application_id=application.id, reviewer_id=reviewer.id, due_on=due_on, assigned_by_id=user.id
    )
    db.session.add(assignment)
    db.session.flush()
    events.on_assignment(assignment, "assignment_invited", "invited")
    commit()
    return assignment


def auto_assign(user, round_id: int, *, apply: bool, expected_digest: str | None = None) -> AutoAssignPlan:
    """Plan (and with `apply=True` write) the invitations that fill the round's submitted applications.

    Facilitators and admins only (others: NotFound, like the round itself). A closed round is refused.
    With `expected_digest` (the preview's), applying is refused if the plan changed since the preview.
    """
    pilot_round = get_round(user, round_id, for_update=apply)
    if pilot_round.status == RoundStatus.CLOSED:
        raise NotEditable(N_("The pilot round is closed."))
    today = utcnow().date()
    needs, candidates = queries.auto_assign_inputs(round_id, today, lock=apply)
    plan = plan_assignments(needs, candidates)
    if not apply:
        return plan
    if expected_digest is not None and expected_digest != plan.digest:
        raise StateConflict(N_("Assignments changed since the preview; look at the new preview and apply again."))
    due_on: date = today + timedelta(days=DEFAULT_REVIEW_DAYS)
    created = [Assignment(application_id=pair["application_id"], reviewer_id=pair["reviewer_id"], due_on=due_on,
                          assigned_by_id=user.id) for pair in plan.assigned]  # fmt: skip
    db.session.add_all(created)
    db.session.flush()
    for assignment in created:
        events.on_assignment(assignment, "assignment_invited", "invited")
    commit()
    plan.applied = True
    return plan


def _own_assignment(user, assignment_id: int, *, for_update: bool = False) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if for_update:
        query = query.with_for_update()
    assignment = db.session.scalar(query)
    if assignment is None or not may_see_assignment(user, assignment):
        raise NotFound("assignment")
    if assignment.reviewer_id != user.id:
        raise Forbidden(N_("Only the assigned reviewer may do this."))
    return assignment


def accept_assignment(user, assignment_id: int, no_conflict: bool) -> Assignment:
    """Accept with the declaration of no conflict; the conflict rules are checked again now."""
    assignment = _own_assignment(user, assignment_id, for_update=True)
    if assignment.status != AssignmentStatus.INVITED:
        raise NotEditable(N_("Only an open invitation can be accepted."))
    if no_conflict is not True:
        raise ValidationFailed({"no_conflict": [N_("Declare that you have no conflict of interest to accept.")]})
    application = db.session.get(Application, assignment.application_id)
    if application.state not in ASSIGNABLE_STATES:
        raise NotEditable(N_("The application is no longer open for review."))
    db.session.refresh(user, ["affiliations"])
    declared = reviewer_queries.declared_organization_ids([user.id]).get(user.id, set())
    rule = conflict_rule(user.affiliations, application.organization_id, utcnow().date(), declared)
    if rule:
        raise _refusal(rule)
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.no_conflict_declared = True
    assignment.responded_at = utcnow()
    events.on_assignment(assignment, "assignment_accepted", "accepted")
    commit()
    return assignment


def decline_assignment(user, assignment_id: int, reason: str, conflict: bool = False) -> Assignment:
    """Decline an invitation with a reason; `conflict` also declares a conflict with the organisation,
    so the reviewer is never suggested or assigned to it again."""
    assignment = _own_assignment(user, assignment_id, for_update=True)
    if assignment.status != AssignmentStatus.INVITED:
        raise NotEditable(N_("Only an open invitation can be declined."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("Say why you decline.")]})
    assignment.status = AssignmentStatus.DECLINED
    assignment.decline_reason = reason[:MAX_TEXT]
    assignment.conflict_declared = bool(conflict)
    assignment.responded_at = utcnow()
    if conflict:
        application = db.session.get(Application, assignment.application_id)
        reviewer_services.add_declared_conflict(user.id, application.organization_id, reason)
    events.on_assignment(assignment, "assignment_declined", "declined", reason=assignment.decline_reason)
    commit()
    return assignment


def withdraw_assignment(user, assignment_id: int, reason: str = "", replacement_id: int | None = None,
                        due_on: date | None = None) -> Assignment:  # fmt: skip
    """A facilitator withdraws an open or accepted assignment and, optionally, invites a replacement in the
    same unit of work (the replacement must pass every assignment rule, or nothing changes).

    Returns the replacement's assignment when one is invited, else the withdrawn one.
    """
    if not may_manage_assignments(user):
        raise Forbidden(N_("Only a facilitator may withdraw an assignment."))
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise NotFound("assignment")
    if assignment.status not in ACTIVE_ASSIGNMENT:
        raise NotEditable(N_("Only an open or accepted assignment can be withdrawn."))
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT:
        raise ValidationFailed({"reason": [Message(N_("At most %(max)d characters."), max=MAX_TEXT)]})
    replacement = None
    if replacement_id is not None:
        if replacement_id == assignment.reviewer_id:
            raise ValidationFailed({"reviewer_id": [N_("Choose another reviewer as the replacement.")]})
        application = application_queries.get_visible(user, assignment.application_id, for_update=True)
        if application.state not in ASSIGNABLE_STATES:
            raise NotEditable(N_("Reviewers are assigned once the application is submitted and before a decision."))
        today = utcnow().date()
        due_on = _check_due_on(due_on, today)
        reviewer = _check_assignable(application, replacement_id, today, ignoring=assignment.id)
        replacement = Assignment(application_id=application.id, reviewer_id=reviewer.id, due_on=due_on,
                                 assigned_by_id=user.id, replaces_id=assignment.id)  # fmt: skip
    # Every check passed: only now change anything.
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.withdrawn_at = utcnow()
    assignment.withdraw_reason = reason
    events.on_assignment(assignment, "assignment_withdrawn", "withdrawn", reason=reason)
    if replacement is not None:
        db.session.add(replacement)
        db.session.flush()
        events.on_assignment(replacement, "assignment_invited", "invited")
    commit()
    return replacement or assignment


def change_due_date(user, assignment_id: int, due_on: date) -> Assignment:
    """A facilitator moves the due date of an open or accepted assignment."""
    if not may_manage_assignments(user):
        raise Forbidden(N_("Only a facilitator may change a due date."))
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise NotFound("assignment")
    if assignment.status not in ACTIVE_ASSIGNMENT:
        raise NotEditable(N_("Only an open or accepted assignment has a due date to change."))
    if due_on is None:
        raise ValidationFailed({"due_on": [N_("Give the due date as YYYY-MM-DD.")]})
    new_due_on = _check_due_on(due_on, utcnow().date())
    if new_due_on != assignment.due_on:
        assignment.due_on = new_due_on
        events.on_assignment(
            assignment, "assignment_due_changed", f"due:{new_due_on.isoformat()}:{utcnow().isoformat()}"
        )
    commit()
    return assignment


def _editable_assignment(user, assignment_id: int) -> Assignment:
    assignment = _own_assignment(user, assignment_id)
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise NotEditable(N_("This review is submitted; scores can no longer change."))
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise NotEditable(N_("Accept the assignment before scoring."))
    application = application_queries.get_visible(user, assignment.application_id)
    if application.state not in SCORING_STATES:
        raise NotEditable(N_("Scores can be entered while the application is under review."))
    return assignment


def save_score(user, assignment_id: int, code: str, score, comment: str, evidence_ids=(), *,
               expected_version: int | None = None, on_saved=None) -> ReviewScore:  # fmt: skip
    """Save one indicator's score (None = N/A where allowed) with its comment; save-as-you-go.

    `expected_version` (0: no score yet) is the version the caller last saw: a score saved meanwhile is
    refused with ConcurrentUpdate (carrying the current row as `current`) instead of being overwritten.
    `on_saved(row)` runs inside the same transaction, before the commit (e.g. a sync receipt).
    """
    assignment = _editable_assignment(user, assignment_id)
    app_obj = application_queries.get_visible(user, assignment.application_id)
    indicator = application_queries.indicator_by_code(app_obj.standard_id, code)
    if indicator is None:
        raise ValidationFailed({"indicator": [Message(N_("Unknown indicator %(code)s."), code=shorten(code))]})
    errors: dict[str, list[str]] = {}
    if score is None:
        if not indicator.allows_na:
            errors["score"] = [N_("This indicator needs a score; N/A is not allowed.")]
    elif isinstance(score, bool) or not isinstance(score, int) or score not in indicator.scale():
        errors["score"] = [
            Message(
                N_("Choose a whole number from %(min)d to %(max)d."), min=indicator.scale_min, max=indicator.scale_max
            )
        ]
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = [N_("A comment is required.")]
    elif len(comment) > MAX_TEXT:
        errors["comment"] = [Message(N_("At most %(max)d characters."), max=MAX_TEXT)]
    whole = all(str(e).isascii() and str(e).isdigit() for e in evidence_ids or ())
    cited = sorted({int(e) for e in evidence_ids or ()}) if whole else None
    if cited is None:
        errors["evidence_ids"] = [N_("Evidence ids must be whole numbers.")]
    elif cited and cited[-1] > MAX_ID:  # names no row: refused before the database sees a number it cannot hold
        errors["evidence_ids"] = [N_("Cite only evidence files of this application.")]
    elif cited:
        found = set(db.session.scalars(
            select(Evidence.id).where(Evidence.id.in_(cited), Evidence.application_id == app_obj.id)
        ))  # fmt: skip
        if found != set(cited):
            errors["evidence_ids"] = [N_("Cite only evidence files of this application.")]
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(  # locked: two devices saving the same score at once are checked one after the other
        select(ReviewScore)
        .where(ReviewScore.assignment_id == assignment.id, ReviewScore.indicator_id == indicator.id)
        .with_for_update()
    )
    if row is not None and row.reopened_at is None and assignment.submitted_at is not None:
        # Reopened after a resubmission: the indicators the applicant did not change keep their scores.
        raise NotEditable(N_("Only the indicators reopened by the resubmission can be scored again."))
    if expected_version is not None and expected_version != (row.version if row is not None else 0):
        conflict = ConcurrentUpdate(N_("This score was changed elsewhere since this device last saw it."))
        conflict.current = row
        raise conflict
    if row is None:
        row = ReviewScore(assignment_id=assignment.id, indicator_id=indicator.id, version=0)
        db.session.add(row)
    row.score, row.comment, row.evidence_ids, row.updated_at = score, comment, cited, utcnow()
    row.version = (row.version or 0) + 1
    row.reopened_at = None
    if on_saved is not None:
        on_saved(row)
    commit()
    return row


def submit_review(user, assignment_id: int) -> Assignment:
    """Submit a complete review; refused with the list of unscored indicators. Re-scores after commit."""
    assignment = _editable_assignment(user, assignment_id)
    # The application row is locked so that of two reviewers submitting at once, the second sees the
    # first's review: exactly one of them completes "all reviews are in".
    application = application_queries.get_visible(user, assignment.application_id, for_update=True)
    indicators = indicators_of(application.standard_id)
    scored = queries.scores_by_assignment(assignment.id)
    missing = [i.code for i in indicators if i.id not in scored or scored[i.id].reopened_at is not None]
    if missing:
        raise GuardFailed(
            "submit_review",
            [Unmet("unscored", N_("Score these indicators first: %(codes)s"), {"codes": ", ".join(missing)})],
        )
    now = utcnow()
    if assignment.submitted_at is not None:
        db.session.add(HistoryEntry(
            application_id=application.id, event="review_resubmitted", from_state=application.state,
            to_state=application.state, actor_id=user.id, details={"assignment": assignment.id}, at=now,
        ))  # fmt: skip
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = now
    enqueue("recalculate_score", application_id=assignment.application_id)
    db.session.flush()
    events.on_assignment(assignment, "review_submitted", f"submitted:{now.isoformat()}")
    commit()
    return assignment


def reopen_flagged(application, codes: list[str], now) -> list[tuple[int, int, list[str]]]:
    """After a resubmission, reopen the reviewers' scores of the indicators the change request flagged
    (the others stay): a submitted review goes back to accepted until the reviewer scores them again and
    submits. Part of the caller's unit of work. Returns (reviewer_id, assignment_id, codes) per reopened review.
    """
    if not codes:
        return []
    # One query for every live review's scores of those indicators, whatever the number of reviewers; the
    # changed rows are then written together at the next flush.
    rows = db.session.execute(
        select(ReviewScore, Assignment, Indicator.code)
        .join(Assignment, Assignment.id == ReviewScore.assignment_id)
        .join(Indicator, Indicator.id == ReviewScore.indicator_id)
        .where(Assignment.application_id == application.id,
               Assignment.status.in_((AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)),
               Indicator.standard_id == application.standard_id, Indicator.code.in_(codes))
        .order_by(Assignment.id, ReviewScore.id)
        .with_for_update(of=Assignment)
    ).all()  # fmt: skip
    by_assignment: dict[int, tuple[Assignment, list[str]]] = {}
    for score, assignment, code in rows:
        score.reopened_at = now
        by_assignment.setdefault(assignment.id, (assignment, []))[1].append(code)
    reopened = []
    for assignment, reopened_codes in by_assignment.values():
        if assignment.status == AssignmentStatus.SUBMITTED:
            assignment.status = AssignmentStatus.ACCEPTED
        reopened.append((assignment.reviewer_id, assignment.id, sorted(reopened_codes)))
    return reopened


def moderate(user, application_id: int, code: str, score, justification: str) -> Moderation:
    """A facilitator who does not review this application replaces an indicator's consensus."""
    if not may_moderate(user):
        raise Forbidden(N_("Only a facilitator may moderate."))
    # Locked: the application's moderation chain is extended by one writer at a time.
    application = application_queries.get_visible(user, application_id, for_update=True)
    if user.id in queries.involved_reviewer_ids(application.id):
        raise Forbidden(N_("A reviewer of this application cannot moderate it."))
    if application.state not in MODERATION_STATES:
        raise NotEditable(N_("Scores can be moderated while under review or piloted."))
    indicator = application_queries.indicator_by_code(application.standard_id, code)
    if indicator is None:
        raise ValidationFailed({"indicator": [Message(N_("Unknown indicator %(code)s."), code=shorten(code))]})
    errors: dict[str, list[str]] = {}
    if (
        isinstance(score, bool)
        or not isinstance(score, int | float)
        or not (indicator.scale_min <= score <= indicator.scale_max)
    ):
        errors["score"] = [
            Message(N_("Choose a number from %(min)d to %(max)d."), min=indicator.scale_min, max=indicator.scale_max)
        ]
    justification = (justification or "").strip()
    if not justification:
        errors["justification"] = [N_("A justification is required.")]
    if errors:
        raise ValidationFailed(errors)
    # A new row each time: earlier moderations stay on record; the latest is the current one.
    row = Moderation(application_id=application.id, indicator_id=indicator.id, moderator_id=user.id,
                     score=float(score), justification=justification[:MAX_TEXT], at=utcnow())  # fmt: skip
    db.session.add(row)
    enqueue("recalculate_score", application_id=application.id)
    try:
        commit()
    except IntegrityError as exc:  # a concurrent moderation took this chain position (no row locks on SQLite)
        raise ConcurrentUpdate(N_("Someone else moderated this application at the same time; try again.")) from exc
    return row


def recalculate_score(application_id: int) -> ScoreSnapshot | None:
    """Pure recompute of the §4 score through the scoring pipeline the bulk re-scoring uses. Idempotent:
    unchanged inputs and rules add no new snapshot. Returns the latest snapshot (None: no such application)."""
    standard_id = db.session.scalar(select(Application.standard_id).where(Application.id == application_id))
    if standard_id is None:
        return None
    rescore_applications([application_id], scoring_rules(db.session.get(Standard, standard_id)))
    commit()
    return queries.latest_snapshot(application_id)
