"""Writes on applications: each public function is one unit of work with one commit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from certification.accounts.models import Role
from certification.applications import queries
from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.applications.policies import is_member, may_edit_content, visible_filter
from certification.certificates import services as certificates
from certification.echo import listing, shorten
from certification.errors import (
    ConcurrentUpdate,
    DomainError,
    Duplicate,
    Forbidden,
    NotEditable,
    NotFound,
    ValidationFailed,
)
from certification.extensions import db
from certification.notifications import events
from certification.organizations.models import Organization
from certification.outbox.services import commit, keep_loaded, rollback
from certification.reviews import services as reviews
from certification.seals.models import Standard, StandardStatus
from certification.seals.queries import indicators_of
from certification.types import utcnow
from workflows import application as wf
from workflows.application import OPEN_STATES, State
from workflows.messages import N_, Message

MAX_TEXT = 5000


def _reference(standard: Standard, country: str, application_id: int) -> str:
    return f"{standard.code}-{country}-{datetime.now(UTC).year}-{application_id:05d}"


def create_application(user, standard_id: int) -> Application:
    """Start a draft for the user's organisation; pre-filled from its last certificate for that seal."""
    if user.role != Role.APPLICANT or user.organization_id is None:
        raise Forbidden(N_("Only an MFI's staff may apply."))
    standard = db.session.get(Standard, standard_id)
    if standard is None or standard.status not in (StandardStatus.PUBLISHED, StandardStatus.PILOT):
        raise ValidationFailed({"standard_id": [N_("Unknown standard, or not open for applications.")]})
    open_one = db.session.scalar(
        select(Application.id)
        .join(Standard, Application.standard_id == Standard.id)
        .where(
            Application.organization_id == user.organization_id,
            Standard.code == standard.code,
            Application.state.in_(OPEN_STATES),
        )
    )
    if open_one is not None:
        raise Duplicate(N_("Your organisation already has an open application for this seal."))
    organization = db.session.get(Organization, user.organization_id)
    application = Application(
        organization_id=user.organization_id, standard_id=standard.id, created_by_id=user.id, state=State.DRAFT
    )
    db.session.add(application)
    db.session.flush()
    application.reference = _reference(standard, organization.country, application.id)
    previous = queries.previous_certificate(user.organization_id, standard.code)
    if previous is not None:
        application.previous_certificate_id = previous.id
        _prefill_from(previous.application_id, application, user)
    db.session.add(
        HistoryEntry(
            application_id=application.id,
            event="create",
            from_state=None,
            to_state=State.DRAFT,
            actor_id=user.id,
            details={"renewal_of": previous.number if previous else None},
        )  # fmt: skip
    )
    commit()
    return application


def _prefill_from(old_application_id: int, application: Application, user) -> None:
    """Renewal: copy the previous self-assessment where the indicator code still exists."""
    by_code = {i.code: i for i in indicators_of(application.standard_id)}
    for old, code in queries.self_assessments_with_codes(old_application_id):
        indicator = by_code.get(code)
        if indicator is None:
            continue
        rating = old.rating if old.rating is None or old.rating in indicator.scale() else None
        if rating is None and not indicator.allows_na:
            continue
        db.session.add(
            SelfAssessment(
                application_id=application.id,
                indicator_id=indicator.id,
                rating=rating,
                explanation=old.explanation,
                updated_by_id=user.id,
            )  # fmt: skip
        )


def save_self_assessment(user, application_id: int, code: str, rating, explanation: str) -> SelfAssessment:
    """Record the MFI's rating (on the indicator's scale, or None for N/A where allowed) and explanation."""
    application = queries.get_visible(user, application_id)
    if not is_member(user, application):
        raise Forbidden(N_("Only the applicant organisation's staff may self-assess."))
    if not may_edit_content(user, application):
        raise NotEditable(N_("The self-assessment can only be changed in draft or when changes are requested."))
    indicator = queries.indicator_by_code(application.standard_id, code)
    if indicator is None:
        raise ValidationFailed({"indicator": [Message(N_("Unknown indicator %(code)s."), code=shorten(code))]})
    errors: dict[str, list[str]] = {}
    if rating is None:
        if not indicator.allows_na:
            errors["rating"] = [N_("This indicator needs a rating; N/A is not allowed.")]
    elif isinstance(rating, bool) or not isinstance(rating, int) or rating not in indicator.scale():
        errors["rating"] = [
            Message(
                N_("Choose a whole number from %(min)d to %(max)d."), min=indicator.scale_min, max=indicator.scale_max
            )
        ]
    explanation = (explanation or "").strip()
    if not explanation:
        errors["explanation"] = [N_("Explain your answer.")]
    elif len(explanation) > MAX_TEXT:
        errors["explanation"] = [Message(N_("At most %(max)d characters."), max=MAX_TEXT)]
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(
        select(SelfAssessment).where(
            SelfAssessment.application_id == application.id, SelfAssessment.indicator_id == indicator.id
        )
    )
    if row is None:
        row = SelfAssessment(application_id=application.id, indicator_id=indicator.id, updated_by_id=user.id)
        db.session.add(row)
    row.rating, row.explanation, row.updated_by_id, row.updated_at = rating, explanation, user.id, utcnow()
    commit()
    return row


def fire(user, application_id: int, event: str, reason: str = "", indicators=()) -> queries.ApplicationView:
    """Fire a lifecycle event as `user` (see fire_event) and return the application as they now see it, from
    what the firing already read."""
    application = queries.get_visible(user, application_id, for_update=True)
    view = queries.ApplicationView(user, application)
    _fire(view.actor, application, event, reason, tuple(indicators), view.reads)
    return view


def fire_event(user, application_id: int, event: str, reason: str = "", indicators=()) -> Application:
    """Fire a lifecycle event as `user`: state, who and guards checked, history row written, one commit.

    Raises NotFound, InvalidTransition, Forbidden, GuardFailed, ValidationFailed or ConcurrentUpdate.
    """
    return fire(user, application_id, event, reason, indicators).application


def fire_system_event(application_id: int, event: str, reason: str) -> Application:
    """The periodic sweep's events (expire, automatic revocation)."""
    application = db.session.get(Application, application_id, with_for_update=True)
    if application is None:
        raise NotFound("application")
    return _fire(wf.Actor(None, wf.SYSTEM), application, event, reason, ())


def expire_due_certificates(today: date | None = None) -> int:
    """Fire `expire` for valid certificates past their date, and `revoke` after 6 months of suspension."""
    done = 0
    for event, reason, application_ids in certificates.due_for_lifecycle(today or utcnow().date()):
        for application_id in application_ids:
            try:
                fire_system_event(application_id, event, reason)
                done += 1
            except DomainError:  # changed meanwhile (e.g. reinstated): the next sweep looks again
                db.session.rollback()
    return done


def _fire(
    actor: wf.Actor,
    application: Application,
    event: str,
    reason: str,
    indicators: tuple,
    reads: queries.ApplicationReads | None = None,
) -> Application:
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT:
        raise ValidationFailed({"reason": [Message(N_("At most %(max)d characters."), max=MAX_TEXT)]})
    if event == "request_changes" or (event == "return_to_applicant" and indicators):
        known = {i.code for i in (reads.indicators if reads else indicators_of(application.standard_id))}
        unknown = [c for c in indicators if c not in known]
        if unknown:
            raise ValidationFailed(
                {"indicators": [Message(N_("Unknown indicators: %(codes)s."), codes=listing(dict.fromkeys(unknown)))]}
            )
        indicators = tuple(dict.fromkeys(indicators))
    reads = reads or queries.ApplicationReads(application, utcnow())
    now = reads.now
    # Who first: the guards' facts are gathered only for someone who may fire the event from this state.
    spec = wf.EVENTS.get(event)
    judged = [event] if spec is not None and application.state in spec.sources else wf.events_from(application.state)
    facts = queries.facts_for(application, now, wf.who_reads(judged), reads)
    if judged == [event] and wf.who_problem(event, actor, facts) is None:
        facts = queries.facts_for(application, now, wf.who_reads(judged) | wf.guard_reads(judged), reads)
    transition = wf.fire(event, actor, facts, wf.Request(reason=reason, indicators=indicators, now=now))
    # Every write of the transition is inside the try: an autoflush (certificate number, history) may be
    # where a concurrent change is detected first, not only the final commit.
    try:
        application.state = transition.to_state
        details: dict = {}
        certificate = None
        reopened: list = []
        if event in ("request_changes", "return_to_applicant"):
            application.flagged_indicators = list(indicators)
            application.changes_requested_at = now
            details["indicators"] = list(indicators)
        elif event == "resubmit":
            flagged = list(application.flagged_indicators or [])
            application.flagged_indicators = []
            reopened = reviews.reopen_flagged(application, flagged, now)
            details["reopened"] = {"indicators": flagged, "reviewers": len(reopened)}
        elif event in ("certify", "reject"):
            application.decided_at = now
        if event == "certify":
            certificate = certificates.issue(application, reads.standard, reads.snapshot, now)
            details["certificate"] = certificate.number
        elif event in ("suspend", "reinstate", "revoke", "expire"):
            certificates.follow_application(reads.certificate, event, now)
        entry = HistoryEntry(
            application_id=application.id,
            event=event,
            from_state=transition.from_state,
            to_state=transition.to_state,
            actor_id=actor.id,
            reason=reason,
            details=details,
            at=now,
        )  # fmt: skip
        db.session.add(entry)
        db.session.flush()  # seals the history row: its hash is known from here on
        if event == "certify":
            certificate.decision_hash = entry.hash
        events.on_lifecycle_event(application, entry, actor.id, certificate=certificate, reopened=reopened)
        # The answer is read from what this unit of work just wrote: nothing to read again after the commit.
        keep_loaded()
        commit()
    except (StaleDataError, IntegrityError) as exc:
        rollback()
        raise ConcurrentUpdate(
            N_("Someone else changed this application at the same time; reload it and try again.")
        ) from exc
    reads.transitioned(certificate)
    return application


def count_by_state(user) -> dict[str, int]:
    rows = db.session.execute(
        select(Application.state, func.count()).where(visible_filter(user)).group_by(Application.state)
    )
    return {state.value: n for state, n in rows}
