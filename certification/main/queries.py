"""What each person's dashboard says needs them now, gathered in a fixed number of statements per role.

Every list is capped (`LIMIT`) and its size counted in the same aggregate, so the page costs the same with
ten rows or ten thousand; the lists link to the full, filterable pages for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from certification.applications.models import Application, SelfAssessment
from certification.applications.policies import visible_filter
from certification.applications.queries import ineligibility_unmet
from certification.certificates.models import Certificate
from certification.evidence.models import Evidence, evidence_indicators
from certification.extensions import db
from certification.notifications.models import MailMessage, MailStatus
from certification.outbox.models import OutboxMessage
from certification.pilots.models import PilotRound, RoundStatus
from certification.reviews.models import Assignment, AssignmentStatus, ReviewScore, ScoreSnapshot
from certification.seals.models import Indicator
from certification.seals.queries import scoring_rules
from standards.scoring import ScoreResult, compute_score
from workflows.application import APPEAL_WINDOW, EDITABLE_STATES, State
from workflows.messages import Unmet

LIMIT = 10
_latest = aliased(ScoreSnapshot, name="latest")
DISAGREEMENTS_COUNTED = 1000  # beyond, the dashboard says "1000+": the number no longer changes what to do
DUE_SOON = timedelta(days=7)
ROUND_CLOSING_SOON = timedelta(days=14)
CERTIFICATE_EXPIRING_SOON = timedelta(days=90)
# What the dashboard of an institution lists: all but the applications long since finished.
APPLICANT_SHOWS = (
    State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED, State.PILOTED, State.APPEALED,
    State.CERTIFIED, State.REJECTED, State.SUSPENDED,
)  # fmt: skip


@dataclass
class ApplicationProgress:
    application: Application
    assessed: int  # indicators self-assessed (rated, or N/A where allowed, and explained)
    indicators: int
    essential_with_evidence: int
    essential: int
    certificate: Certificate | None
    appeal_until: date | None  # a rejection may be appealed until this day
    today: date
    # While editable: the self-assessment scored with the standard's formula, and the rules it would fail.
    preview: ScoreResult | None = None
    preview_problems: tuple[Unmet, ...] = ()

    @property
    def complete(self) -> bool:
        return self.assessed >= self.indicators and self.essential_with_evidence >= self.essential

    @property
    def expiring_soon(self) -> bool:
        c = self.certificate
        return c is not None and c.expires_on - self.today <= CERTIFICATE_EXPIRING_SOON


@dataclass
class ReviewProgress:
    assignment: Assignment
    scored: int
    indicators: int
    today: date

    @property
    def overdue(self) -> bool:
        return self.assignment.due_on is not None and self.assignment.due_on < self.today

    @property
    def days_left(self) -> int | None:
        return None if self.assignment.due_on is None else (self.assignment.due_on - self.today).days


@dataclass
class Listed:
    """At most LIMIT rows and how many there are in all."""

    rows: list = field(default_factory=list)
    total: int = 0
    more: bool = False  # counted up to `total` only: there are more


def _indicator_totals(standard_ids: set[int]) -> dict[int, tuple[int, int]]:
    """standard id → (indicators, essential indicators): one statement."""
    if not standard_ids:
        return {}
    rows = db.session.execute(
        select(Indicator.standard_id, func.count(), func.sum(sa.case((Indicator.essential, 1), else_=0)))
        .where(Indicator.standard_id.in_(standard_ids))
        .group_by(Indicator.standard_id)
    )
    return {standard_id: (n, int(essential or 0)) for standard_id, n, essential in rows}


def applicant_progress(user, now: datetime) -> list[ApplicationProgress]:
    """The institution's applications with their progress and deadlines: five statements whatever their number."""
    applications = list(
        db.session.scalars(
            select(Application)
            .where(visible_filter(user), Application.state.in_(APPLICANT_SHOWS))
            .options(joinedload(Application.standard))
            .order_by(Application.id.desc())
            .limit(LIMIT)
        )
    )
    ids = [a.id for a in applications]
    if not ids:
        return []
    totals = _indicator_totals({a.standard_id for a in applications})
    answered = sa.and_(
        func.length(func.trim(SelfAssessment.explanation)) > 0,
        sa.or_(SelfAssessment.rating.is_not(None), Indicator.allows_na),
    )
    assessed = dict(
        db.session.execute(
            select(SelfAssessment.application_id, func.count())
            .join(Indicator, Indicator.id == SelfAssessment.indicator_id)
            .where(SelfAssessment.application_id.in_(ids), answered)
            .group_by(SelfAssessment.application_id)
        ).all()
    )
    with_evidence = dict(
        db.session.execute(
            select(Evidence.application_id, func.count(sa.distinct(evidence_indicators.c.indicator_id)))
            .join(evidence_indicators, evidence_indicators.c.evidence_id == Evidence.id)
            .join(Indicator, Indicator.id == evidence_indicators.c.indicator_id)
            .where(Evidence.application_id.in_(ids), Indicator.essential)
            .group_by(Evidence.application_id)
        ).all()
    )
    certificates = {
        c.application_id: c for c in db.session.scalars(select(Certificate).where(Certificate.application_id.in_(ids)))
    }
    previews = _readiness_previews([a for a in applications if a.state in EDITABLE_STATES])
    out = []
    for a in applications:
        n, essential = totals.get(a.standard_id, (0, 0))
        appeal_until = None
        if a.state == State.REJECTED and a.decided_at is not None and now - a.decided_at <= APPEAL_WINDOW:
            appeal_until = (a.decided_at + APPEAL_WINDOW).date()
        out.append(
            ApplicationProgress(
                a,
                assessed.get(a.id, 0),
                n,
                with_evidence.get(a.id, 0),
                essential,
                certificates.get(a.id),
                appeal_until,
                now.date(),
                *previews.get(a.id, (None, ())),
            )
        )
    return out


def _readiness_previews(drafts: list[Application]) -> dict[int, tuple[ScoreResult, tuple[Unmet, ...]]]:
    """Each editable application's self-ratings run through its standard's formula: one statement for the
    ratings, and the rules once per standard (an institution has at most one open application per seal)."""

    if not drafts:
        return {}
    ratings: dict[int, dict[str, list[int]]] = {a.id: {} for a in drafts}
    for application_id, code, rating in db.session.execute(
        select(SelfAssessment.application_id, Indicator.code, SelfAssessment.rating)
        .join(Indicator, Indicator.id == SelfAssessment.indicator_id)
        .where(SelfAssessment.application_id.in_(list(ratings)), SelfAssessment.rating.is_not(None))
    ):
        ratings[application_id][code] = [rating]
    rules = {a.standard_id: scoring_rules(a.standard) for a in drafts}
    out = {}
    for a in drafts:
        result = compute_score(rules[a.standard_id], ratings[a.id])
        out[a.id] = (result, ineligibility_unmet(result.ineligibility_reasons))
    return out


def _review_progress(assignments: list[Assignment], today: date) -> list[ReviewProgress]:
    if not assignments:
        return []
    scored = dict(
        db.session.execute(
            select(ReviewScore.assignment_id, func.count())
            .where(ReviewScore.assignment_id.in_([a.id for a in assignments]))
            .group_by(ReviewScore.assignment_id)
        ).all()
    )
    totals = _indicator_totals({a.application.standard_id for a in assignments})
    return [
        ReviewProgress(a, scored.get(a.id, 0), totals.get(a.application.standard_id, (0, 0))[0], today)
        for a in assignments
    ]


def _assignments(where, order) -> Listed:
    rows = list(
        db.session.scalars(
            select(Assignment)
            .where(*where)
            .options(
                joinedload(Assignment.application).joinedload(Application.organization),
                joinedload(Assignment.reviewer),
            )
            .order_by(*order)
            .limit(LIMIT)
        ).unique()
    )
    total = db.session.scalar(select(func.count()).select_from(Assignment).where(*where))
    return Listed(rows, total or 0)


def reviewer_work(user, today: date) -> dict:
    """Invitations to answer, and reviews in progress soonest due first, with how far each has got."""
    invitations = _assignments(
        (Assignment.reviewer_id == user.id, Assignment.status == AssignmentStatus.INVITED),
        (Assignment.due_on.is_(None), Assignment.due_on, Assignment.id),
    )
    in_progress = _assignments(
        (Assignment.reviewer_id == user.id, Assignment.status == AssignmentStatus.ACCEPTED),
        (Assignment.due_on.is_(None), Assignment.due_on, Assignment.id),
    )
    return {
        "invitations": invitations,
        "reviews": Listed(_review_progress(in_progress.rows, today), in_progress.total),
        "due_soon": today + DUE_SOON,
    }


def _applications(user, state: State) -> Listed:
    where = (visible_filter(user), Application.state == state)
    rows = list(
        db.session.scalars(
            select(Application)
            .where(*where)
            .options(joinedload(Application.organization), joinedload(Application.standard))
            .order_by(Application.updated_at, Application.id)
            .limit(LIMIT)
        )
    )
    return Listed(rows, db.session.scalar(select(func.count()).select_from(Application).where(*where)) or 0)


def _disagreements(user) -> Listed:
    """Applications under review where submitted scores on an indicator lie the standard's gap apart or more
    and nobody has moderated it: (application, indicators to moderate), most first; one statement.

    Read from each application's latest score snapshot, which counts exactly these indicators
    (ScoreSnapshot.open_disagreements): the scoring pipeline writes a new snapshot whenever a review is
    submitted, a score reopened or an indicator moderated. The rows are the first ones of an index in the
    list's order, and the total is counted up to DISAGREEMENTS_COUNTED (the card then says "1000+"), so the
    page costs the same however many applications are under review."""
    newer = (
        select(ScoreSnapshot.id)
        .where(ScoreSnapshot.application_id == _latest.application_id, ScoreSnapshot.id > _latest.id)
        .correlate(_latest)
    )
    candidates = (
        select(_latest.application_id, _latest.open_disagreements.label("n"))
        .join(Application, Application.id == _latest.application_id)
        .where(
            _latest.open_disagreements > 0,
            ~sa.exists(newer),
            Application.state.in_((State.UNDER_REVIEW, State.PILOTED)),
            visible_filter(user),
        )
    )
    top = candidates.order_by(_latest.open_disagreements.desc(), _latest.application_id).limit(LIMIT).subquery()
    counted = select(func.count()).select_from(candidates.limit(DISAGREEMENTS_COUNTED + 1).subquery())
    rows = db.session.execute(
        select(Application, top.c.n, counted.scalar_subquery())
        .join(top, top.c.application_id == Application.id)
        .options(joinedload(Application.organization))
        .order_by(top.c.n.desc(), Application.id)
    ).all()
    total = rows[0][2] if rows else 0
    return Listed([(a, n) for a, n, _total in rows], min(total, DISAGREEMENTS_COUNTED), total > DISAGREEMENTS_COUNTED)


def staff_work(user, today: date, *, admin: bool) -> dict:
    """What a facilitator (and an administrator) should act on; a fixed number of statements."""
    overdue_where = (
        Assignment.status.in_((AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED)),
        Assignment.due_on < today,
    )
    overdue = _assignments(overdue_where, (Assignment.due_on, Assignment.id))
    closing_where = (
        PilotRound.status.in_((RoundStatus.OPEN, RoundStatus.IN_PROGRESS)),
        PilotRound.closes_on <= today + ROUND_CLOSING_SOON,
    )
    rounds = list(
        db.session.scalars(select(PilotRound).where(*closing_where).order_by(PilotRound.closes_on).limit(LIMIT))
    )
    work = {
        "submitted": _applications(user, State.SUBMITTED),
        "to_decide": _applications(user, State.PILOTED),
        "appealed": _applications(user, State.APPEALED),
        "overdue": Listed(_review_progress(overdue.rows, today), overdue.total),
        "disagreements": _disagreements(user),
        "rounds": Listed(
            rounds, db.session.scalar(select(func.count()).select_from(PilotRound).where(*closing_where)) or 0
        ),
    }
    if admin:
        work["failed_mails"] = db.session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.status == MailStatus.FAILED)
        )
        work["failed_outbox"] = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))
        )
    return work
