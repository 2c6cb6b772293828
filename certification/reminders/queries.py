"""Which reminders are due now. One query per kind, whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from certification.accounts.models import Role, User
from certification.applications.models import Application, HistoryEntry
from certification.certificates.models import Certificate, CertificateStatus
from certification.certificates.services import SUSPENSION_MAX_DAYS
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pilots.models import PilotRound, RoundStatus
from certification.reviews.models import Assignment, AssignmentStatus
from workflows.application import State

INVITATION_ANSWER_DAYS = 3
DUE_SOON_DAYS = 3
OVERDUE_REMINDER_DAYS = 3  # daily reminders to the reviewer, then escalation to the facilitator(s)
CHANGE_REQUEST_WEEK = 7
ROUND_CLOSING_DAYS = 7
EXPIRY_NOTICES = (90, 30)
SUSPENSION_NOTICE_DAYS = 14
OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)


@dataclass(frozen=True)
class Due:
    """A reminder due now. `key` is what the ledger keeps unique: one per recipient, kind, subject, period."""

    recipient_id: int
    kind: str
    subject: str
    period: str
    params: dict = field(default_factory=dict, compare=False)
    link: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.recipient_id, self.kind, self.subject, self.period)


def _label(reference: str | None, application_id: int, organization: str) -> str:
    return f"{reference or f'#{application_id}'} · {organization}"


def _applicants_by_organization(organization_ids: set[int]) -> dict[int, list[int]]:
    """Active applicant users of these organisations, in one query."""
    if not organization_ids:
        return {}
    rows = db.session.execute(
        select(User.organization_id, User.id)
        .where(User.organization_id.in_(organization_ids), User.role == Role.APPLICANT, User.active.is_(True))
        .order_by(User.id)
    )
    found: dict[int, list[int]] = {}
    for organization_id, user_id in rows:
        found.setdefault(organization_id, []).append(user_id)
    return found


def _assignment_rows(*conditions):
    reviewer = aliased(User)
    return db.session.execute(
        select(Assignment.id, Assignment.reviewer_id, Assignment.assigned_by_id, Assignment.invited_at,
               Assignment.due_on, Application.id, Application.reference, Organization.name, reviewer.name,
               PilotRound.created_by_id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Organization, Organization.id == Application.organization_id)
        .join(reviewer, reviewer.id == Assignment.reviewer_id)
        .outerjoin(PilotRound, PilotRound.id == Application.pilot_round_id)
        .where(*conditions)
        .order_by(Assignment.id)
    ).all()  # fmt: skip


def invitations_unanswered(now: datetime) -> list[Due]:
    """Invited 3 days ago or more and not answered: once, to the reviewer."""
    rows = _assignment_rows(
        Assignment.status == AssignmentStatus.INVITED,
        Assignment.invited_at <= now - timedelta(days=INVITATION_ANSWER_DAYS),
    )
    return [
        Due(r[1], "invited_unanswered", f"assignment:{r[0]}", "once",
            {"application": _label(r[6], r[5], r[7]), "invited_on": r[3].date().isoformat()}, "/assignments")
        for r in rows
    ]  # fmt: skip


def reviews_due_soon(today: date) -> list[Due]:
    """An accepted review due within 3 days: once per due date, to the reviewer."""
    rows = _assignment_rows(
        Assignment.status == AssignmentStatus.ACCEPTED,
        Assignment.due_on >= today,
        Assignment.due_on <= today + timedelta(days=DUE_SOON_DAYS),
    )
    return [
        Due(r[1], "review_due_soon", f"assignment:{r[0]}", f"due:{r[4].isoformat()}",
            {"application": _label(r[6], r[5], r[7]), "due_on": r[4].isoformat()}, f"/assignments/{r[0]}")
        for r in rows
    ]  # fmt: skip


def reviews_overdue(today: date) -> list[Due]:
    """Overdue: daily to the reviewer for 3 days, then once to the facilitator(s) — the person who assigned
    the review and, for a pilot application, the round's facilitator."""
    rows = _assignment_rows(Assignment.status == AssignmentStatus.ACCEPTED, Assignment.due_on < today)
    due: list[Due] = []
    for r in rows:
        assignment_id, reviewer_id, assigned_by, due_on = r[0], r[1], r[2], r[4]
        label = _label(r[6], r[5], r[7])
        days = (today - due_on).days
        if days <= OVERDUE_REMINDER_DAYS:
            due.append(
                Due(
                    reviewer_id,
                    "review_overdue",
                    f"assignment:{assignment_id}",
                    f"day:{today.isoformat()}",
                    {"application": label, "due_on": due_on.isoformat()},
                    f"/assignments/{assignment_id}",
                )
            )
            continue
        for facilitator in dict.fromkeys(x for x in (assigned_by, r[9]) if x is not None):
            due.append(Due(facilitator, "review_overdue_escalated", f"assignment:{assignment_id}",
                           f"escalated:{due_on.isoformat()}",
                           {"application": label, "due_on": due_on.isoformat(), "reviewer": r[8]},
                           f"/applications/{r[5]}"))  # fmt: skip
    return due


def change_requests_pending(now: datetime) -> list[Due]:
    """Changes requested a week ago or more and not answered: weekly, to the organisation's applicants."""
    rows = db.session.execute(
        select(Application.id, Application.reference, Application.organization_id, Organization.name,
               Application.changes_requested_at)
        .join(Organization, Organization.id == Application.organization_id)
        .where(Application.state == State.CHANGES_REQUESTED,
               Application.changes_requested_at <= now - timedelta(days=CHANGE_REQUEST_WEEK))
        .order_by(Application.id)
    ).all()  # fmt: skip
    applicants = _applicants_by_organization({r[2] for r in rows})
    due = []
    for application_id, reference, organization_id, name, requested_at in rows:
        week = (now - requested_at).days // CHANGE_REQUEST_WEEK
        requested_on = requested_at.date().isoformat()
        for user_id in applicants.get(organization_id, ()):
            due.append(Due(user_id, "change_request_pending", f"application:{application_id}",
                           f"week:{requested_on}:{week}",
                           {"application": _label(reference, application_id, name), "requested_on": requested_on},
                           f"/applications/{application_id}"))  # fmt: skip
    return due


def rounds_closing(today: date) -> list[Due]:
    """A pilot round closing within 7 days: once, to its facilitator and to the applicants of its
    applications that are still open."""
    rounds = db.session.execute(
        select(PilotRound.id, PilotRound.name, PilotRound.closes_on, PilotRound.created_by_id).where(
            PilotRound.status.in_((RoundStatus.OPEN, RoundStatus.IN_PROGRESS)),
            PilotRound.closes_on >= today,
            PilotRound.closes_on <= today + timedelta(days=ROUND_CLOSING_DAYS),
        )
    ).all()
    if not rounds:
        return []
    enrolled = db.session.execute(
        select(Application.pilot_round_id, Application.organization_id).where(
            Application.pilot_round_id.in_([r[0] for r in rounds]), Application.state.in_(OPEN_STATES)
        )
    ).all()
    applicants = _applicants_by_organization({org for _, org in enrolled})
    due = []
    for round_id, name, closes_on, facilitator in rounds:
        people = [facilitator] + [u for rid, org in enrolled if rid == round_id for u in applicants.get(org, ())]
        for user_id in dict.fromkeys(people):
            link = f"/pilot-rounds/{round_id}" if user_id == facilitator else "/applications"
            due.append(Due(user_id, "pilot_round_closing", f"round:{round_id}", f"closes:{closes_on.isoformat()}",
                           {"round": name, "closes_on": closes_on.isoformat()}, link))  # fmt: skip
    return due


def certificates_expiring(today: date) -> list[Due]:
    """A valid certificate expiring within 90 days, and again within 30: to the organisation's applicants."""
    rows = db.session.execute(
        select(Certificate.id, Certificate.number, Certificate.expires_on, Certificate.organization_id,
               Certificate.application_id)
        .where(Certificate.status == CertificateStatus.VALID, Certificate.expires_on >= today,
               Certificate.expires_on <= today + timedelta(days=max(EXPIRY_NOTICES)))
        .order_by(Certificate.id)
    ).all()  # fmt: skip
    applicants = _applicants_by_organization({r[3] for r in rows})
    due = []
    for certificate_id, number, expires_on, organization_id, application_id in rows:
        left = (expires_on - today).days
        notice = min(n for n in EXPIRY_NOTICES if left <= n)
        for user_id in applicants.get(organization_id, ()):
            due.append(Due(user_id, "certificate_expiring", f"certificate:{certificate_id}",
                           f"d{notice}:{expires_on.isoformat()}",
                           {"number": number, "expires_on": expires_on.isoformat()},
                           f"/applications/{application_id}"))  # fmt: skip
    return due


def suspensions_ending(now: datetime) -> list[Due]:
    """A suspension ending within 14 days (then the certificate is revoked): once per suspension, to the
    organisation's applicants and the facilitator who suspended it."""
    latest_suspend = (
        select(HistoryEntry.application_id, func.max(HistoryEntry.id).label("entry_id"))
        .where(HistoryEntry.event == "suspend")
        .group_by(HistoryEntry.application_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Certificate.id, Certificate.number, Certificate.suspended_at, Certificate.organization_id,
               Certificate.application_id, HistoryEntry.actor_id)
        .outerjoin(latest_suspend, latest_suspend.c.application_id == Certificate.application_id)
        .outerjoin(HistoryEntry, HistoryEntry.id == latest_suspend.c.entry_id)
        .where(Certificate.status == CertificateStatus.SUSPENDED,
               Certificate.suspended_at <= now - timedelta(days=SUSPENSION_MAX_DAYS - SUSPENSION_NOTICE_DAYS),
               Certificate.suspended_at > now - timedelta(days=SUSPENSION_MAX_DAYS))
        .order_by(Certificate.id)
    ).all()  # fmt: skip
    applicants = _applicants_by_organization({r[3] for r in rows})
    due = []
    for certificate_id, number, suspended_at, organization_id, application_id, actor_id in rows:
        ends_on = (suspended_at + timedelta(days=SUSPENSION_MAX_DAYS)).date().isoformat()
        people = list(applicants.get(organization_id, ())) + ([actor_id] if actor_id else [])
        for user_id in dict.fromkeys(people):
            due.append(Due(user_id, "suspension_ending", f"certificate:{certificate_id}",
                           f"suspended:{suspended_at.date().isoformat()}", {"number": number, "ends_on": ends_on},
                           f"/applications/{application_id}"))  # fmt: skip
    return due


def due_reminders(now: datetime) -> list[Due]:
    """Every reminder due at `now`, sorted by key (two sweeps then lock ledger keys in the same order)."""
    today = now.date()
    found = (
        invitations_unanswered(now) + reviews_due_soon(today) + reviews_overdue(today)
        + change_requests_pending(now) + rounds_closing(today) + certificates_expiring(today)
        + suspensions_ending(now)
    )  # fmt: skip
    return sorted(dict.fromkeys(found), key=lambda d: d.key)
