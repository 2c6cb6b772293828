"""Who is told of what: one table from each event to the notification kinds it writes and their recipients.

Called by the services inside the unit of work of the event itself, so the notifications, their mails and
the outbox rows that send them commit (or roll back) with the event. Each notice carries a key naming the
event: a recipient gets one notification per event, however often the writer runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, false, func, null, or_, select, union

from certification.accounts.models import Role, User
from certification.applications.models import Application
from certification.extensions import db
from certification.notifications.models import NotificationPreference
from certification.notifications.services import Notice, notify_all
from certification.organizations.models import Organization
from certification.pilots.models import PilotRound
from certification.reviews.models import Assignment, AssignmentStatus
from certification.seals.models import Standard
from workflows.application import APPEAL_WINDOW

MFI, FACILITATORS, REVIEWERS = "mfi", "facilitators", "reviewers"

# lifecycle event → ((kind, recipients), …). MFI: every active applicant user of the organisation (the one
# who acted included: it is their receipt). FACILITATORS: who assigned its reviewers and its pilot round's
# facilitator, or every facilitator when nobody is yet (never the person who acted).
LIFECYCLE: dict[str, tuple[tuple[str, str], ...]] = {
    "submit": (("application_submitted", MFI), ("submission_received", FACILITATORS)),
    "return_to_applicant": (("application_returned", MFI),),
    "start_review": (("application_review_started", MFI),),
    "request_changes": (("application_changes_requested", MFI),),
    "resubmit": (("application_resubmitted", FACILITATORS),),  # + rescore_requested to the reviewers
    "complete_pilot": (("application_piloted", MFI),),
    "certify": (("application_certified", MFI),),
    "reject": (("application_rejected", MFI),),
    "withdraw": (("application_withdrawn", MFI), ("application_withdrawn", FACILITATORS)),
    "suspend": (("application_suspended", MFI),),
    "reinstate": (("application_reinstated", MFI),),
    "revoke": (("application_revoked", MFI),),
    "expire": (("application_expired", MFI),),
    "appeal": (("appeal_received", MFI), ("appeal_filed", FACILITATORS)),
    "uphold": (("appeal_upheld", MFI),),
    "overturn": (("appeal_overturned", MFI),),
}


def label(application, organization_name: str) -> str:
    return f"{application.reference or f'#{application.id}'} · {organization_name}"


def mfi_staff(organization_id: int) -> list[int]:
    return list(db.session.scalars(
        select(User.id).where(User.organization_id == organization_id, User.role == Role.APPLICANT,
                              User.active.is_(True)).order_by(User.id)
    ))  # fmt: skip


def facilitators_of(application_id: int, *, assigned_by: int | None = None) -> list[int]:
    """Who assigned (this assignment, or any of the application's) and the pilot round's facilitator;
    when that is nobody active, every active facilitator (then every admin)."""

    if assigned_by is not None:
        ids = {assigned_by}
    else:
        ids = set(
            db.session.scalars(select(Assignment.assigned_by_id).where(Assignment.application_id == application_id))
        )
    ids |= set(db.session.scalars(
        select(PilotRound.created_by_id).join(Application, Application.pilot_round_id == PilotRound.id)
        .where(Application.id == application_id)
    ))  # fmt: skip
    staff = (Role.FACILITATOR, Role.ADMIN)
    found = list(db.session.scalars(
        select(User.id).where(User.id.in_(ids), User.role.in_(staff), User.active.is_(True)).order_by(User.id)
    )) if ids else []  # fmt: skip
    return found or all_facilitators()


def all_facilitators() -> list[int]:
    for role in (Role.FACILITATOR, Role.ADMIN):
        found = list(db.session.scalars(
            select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)
        ))  # fmt: skip
        if found:
            return found
    return []


def _codes(indicators) -> str:
    return ", ".join(indicators) if indicators else "—"


def _linked_staff(application_id: int):
    """Who assigned the application's reviewers, and its pilot round's facilitator (ids, as a subquery)."""
    return union(
        select(Assignment.assigned_by_id).where(Assignment.application_id == application_id),
        select(PilotRound.created_by_id)
        .join(Application, Application.pilot_round_id == PilotRound.id)
        .where(Application.id == application_id),
    )


def _recipients(application, groups: set[str], reviewer_ids=(), kinds=()) -> tuple[dict[str, list[User]], dict, dict]:
    """Everyone an event tells, in one query: group → people (MFI, FACILITATORS as `facilitators_of` chooses
    them, REVIEWERS among `reviewer_ids`), their chosen delivery of `kinds` (as `deliveries`), and the names
    the notices show (the organisation's, the pilot round's)."""
    staff = (Role.FACILITATOR, Role.ADMIN)
    is_mfi = and_(User.organization_id == application.organization_id, User.role == Role.APPLICANT)
    is_reviewer = User.id.in_(list(reviewer_ids)) if reviewer_ids else false()
    # The facilitators' fallback in SQL: the linked staff (0), else every facilitator (1), else every admin (2).
    staff_rank = (
        case(
            (User.role.not_in(staff), None),
            (User.id.in_(_linked_staff(application.id)), 0),
            (User.role == Role.FACILITATOR, 1),
            else_=2,
        )
        if FACILITATORS in groups
        else null()
    )
    wanted = [is_reviewer]
    if MFI in groups:
        wanted.append(is_mfi)
    if FACILITATORS in groups:
        wanted.append(User.role.in_(staff))
    ranked = (
        select(
            User.id.label("user_id"),
            is_mfi.label("is_mfi"),
            is_reviewer.label("is_reviewer"),
            staff_rank.label("staff_rank"),
            func.min(staff_rank).over().label("best"),
        )
        .where(User.active.is_(True), or_(*wanted))
        .subquery()
    )
    organization_name = select(Organization.name).where(Organization.id == application.organization_id)
    round_name = select(PilotRound.name).where(PilotRound.id == application.pilot_round_id)
    query = (
        select(
            User, ranked.c.is_mfi, ranked.c.is_reviewer, ranked.c.staff_rank, ranked.c.best,
            NotificationPreference.kind, NotificationPreference.delivery,
            organization_name.scalar_subquery(), round_name.scalar_subquery(),
        )
        .join(ranked, ranked.c.user_id == User.id)
        .outerjoin(NotificationPreference, and_(NotificationPreference.user_id == User.id,
                                                NotificationPreference.kind.in_(list(kinds) or [""])))
        .order_by(User.id)
    )  # fmt: skip
    people: dict[str, dict[int, User]] = {MFI: {}, FACILITATORS: {}, REVIEWERS: {}}
    chosen: dict[tuple[int, str], str] = {}
    names: dict = {}
    for user, mfi, reviewer, rank, best, kind, delivery, organization, round_ in db.session.execute(query):
        names = {"organization": organization, "round": round_}
        if mfi and MFI in groups:
            people[MFI][user.id] = user
        if reviewer:
            people[REVIEWERS][user.id] = user
        if FACILITATORS in groups and rank is not None and rank == best:
            people[FACILITATORS][user.id] = user
        if kind is not None:
            chosen[(user.id, kind)] = delivery
    return {group: list(found.values()) for group, found in people.items()}, chosen, names


def on_lifecycle_event(application, entry, actor_id: int | None, *, certificate=None, reopened=()) -> None:
    """The notifications of one fired lifecycle event (`entry`: its history row, flushed), and the reviewers'
    whose scores a resubmission `reopened` ((reviewer_id, assignment_id, codes) each). A constant number of
    statements whatever the number of recipients: one query finds them all (with their preferences), then
    `notify_all` writes everything in one INSERT per table."""
    rules = LIFECYCLE.get(entry.event, ())
    if not rules and not reopened:
        return
    kinds = {kind for kind, _ in rules} | ({"rescore_requested"} if reopened else set())
    people, chosen, names = _recipients(
        application, {who for _, who in rules}, [reviewer_id for reviewer_id, _, _ in reopened], kinds
    )
    if not names:  # nobody to tell
        return
    label_ = label(application, names["organization"])
    params = {
        "application": label_,
        "reason": entry.reason or "",
        "indicators": _codes(entry.details.get("indicators") or entry.details.get("reopened", {}).get("indicators")),
    }
    link = f"/applications/{application.id}"
    if entry.event in ("reject", "uphold"):
        decided: datetime = application.decided_at or entry.at
        params["appeal_until"] = (decided + APPEAL_WINDOW).date().isoformat()
    if certificate is not None:
        params["certificate"] = certificate.number
        link = f"/verify/{certificate.verification_code}"
    if application.pilot_round_id:
        params["round"] = names["round"]
    notices = []
    subject = f"application:{application.id}"
    for kind, who in rules:
        recipients = [u.id for u in people[who] if who == MFI or u.id != actor_id]
        notices += [Notice(u, kind, params, link, key=f"history:{entry.id}:{kind}", subject=subject)
                    for u in recipients]  # fmt: skip
    notices += [
        Notice(reviewer_id, "rescore_requested", {"application": label_, "indicators": _codes(codes)},
               f"/assignments/{assignment_id}", key=f"history:{entry.id}:rescore_requested",
               subject=f"assignment:{assignment_id}")
        for reviewer_id, assignment_id, codes in reopened
    ]  # fmt: skip
    users = {u.id: u for group in people.values() for u in group}
    notify_all(notices, users, chosen)


def _assignment_context(assignment) -> tuple[dict, object]:
    application = db.session.get(Application, assignment.application_id)
    organization = db.session.get(Organization, application.organization_id)
    standard = db.session.get(Standard, application.standard_id)
    reviewer = db.session.get(User, assignment.reviewer_id)
    return {
        "application": label(application, organization.name), "organization": organization.name,
        "country": organization.country, "seal": f"{standard.code} v{standard.version}",
        "due_on": assignment.due_on.isoformat() if assignment.due_on else "—", "reviewer": reviewer.name,
        "reason": "",
    }, application  # fmt: skip


def on_assignment(assignment, kind: str, key: str, *, reason: str = "") -> None:
    """An assignment's event: the reviewer is told (invited, withdrawn, due date changed) or the
    facilitators who assigned are (accepted, declined, review submitted; then maybe all reviews are in)."""
    params, application = _assignment_context(assignment)
    params["reason"] = reason
    subject = f"assignment:{assignment.id}"
    if kind in ("assignment_invited", "assignment_withdrawn", "assignment_due_changed"):
        # The invitation's accept and decline forms are on the reviewer's list of assignments.
        link = {"assignment_invited": f"/assignments#assignment-{assignment.id}",
                "assignment_withdrawn": "/assignments"}.get(kind, f"/assignments/{assignment.id}")  # fmt: skip
        notify_all([Notice(assignment.reviewer_id, kind, params, link, key=f"{subject}:{key}", subject=subject)])
        return
    recipients = facilitators_of(application.id, assigned_by=assignment.assigned_by_id)
    link = f"/applications/{application.id}"
    notices = [Notice(u, kind, params, link, key=f"{subject}:{key}", subject=subject) for u in recipients]
    if kind == "review_submitted" and reviews_complete(application):
        about = f"application:{application.id}"
        notices += [Notice(u, "reviews_complete", params, link, key=f"{about}:complete:{key}", subject=about)
                    for u in facilitators_of(application.id)]  # fmt: skip
    notify_all(notices)


def reviews_complete(application) -> bool:
    """Every accepted review is submitted, and at least the standard's minimum of them."""

    statuses = list(db.session.scalars(select(Assignment.status).where(Assignment.application_id == application.id)))
    submitted = sum(1 for s in statuses if s == AssignmentStatus.SUBMITTED)
    pending = sum(1 for s in statuses if s == AssignmentStatus.ACCEPTED)
    return pending == 0 and submitted >= db.session.get(Standard, application.standard_id).min_reviewers


def on_enrolled(application, pilot_round, enrolled: int) -> None:
    """The MFI is told of the enrolment; the round's facilitator when it took its last seat."""
    organization = db.session.get(Organization, application.organization_id)
    params = {"application": label(application, organization.name), "round": pilot_round.name,
              "capacity": pilot_round.capacity}  # fmt: skip
    notices = [Notice(u, "application_enrolled", params, f"/applications/{application.id}",
                      key=f"round:{pilot_round.id}:enrolled:{application.id}", subject=f"application:{application.id}")
               for u in mfi_staff(application.organization_id)]  # fmt: skip
    if enrolled >= pilot_round.capacity:
        owners = list(db.session.scalars(select(User.id).where(
            User.id == pilot_round.created_by_id, User.active.is_(True), User.role.in_((Role.FACILITATOR, Role.ADMIN))
        ))) or all_facilitators()  # fmt: skip
        notices += [Notice(u, "pilot_round_full", params, f"/pilot-rounds/{pilot_round.id}",
                           key=f"round:{pilot_round.id}:full:{pilot_round.capacity}", subject=f"round:{pilot_round.id}")
                    for u in owners]  # fmt: skip
    notify_all(notices)
