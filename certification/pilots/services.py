"""Pilot rounds: creation, status steps and enrolment within capacity."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from certification.accounts.policies import is_staff
from certification.applications import queries as application_queries
from certification.applications.models import Application
from certification.errors import (
    CapacityFull,
    ConcurrentUpdate,
    Duplicate,
    Forbidden,
    InvalidTransition,
    NotEditable,
    NotFound,
    ValidationFailed,
)
from certification.extensions import db
from certification.notifications import events
from certification.organizations.models import Organization
from certification.outbox.services import commit, rollback
from certification.pilots.models import ROUND_STEPS, PilotRound, RoundStatus
from certification.pilots.summary import compute
from certification.seals.models import Area, Indicator, IndicatorComment, Standard, StandardStatus
from certification.types import utcnow
from certification.validation import DATE_OUT_OF_WINDOW, date_in_window
from workflows.application import State
from workflows.messages import N_, Message

ENROLLABLE_STATES = (State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)


def create_round(user, *, name: str, country: str, area: str, opens_on: date, closes_on: date, capacity: int,
                 budget_note: str = "") -> PilotRound:  # fmt: skip
    """Create a planned round; dates, country (ISO 3166 alpha-2), area and capacity are validated."""
    if not is_staff(user):
        raise Forbidden(N_("Only a facilitator may create pilot rounds."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [N_("A name of 1 to 200 characters is required.")]
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        errors["country"] = [N_("Use the two-letter ISO 3166 country code, e.g. PE.")]
    if area not in {a.value for a in Area}:
        errors["area"] = [N_("Choose gender, poverty or rural.")]
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10000:
        errors["capacity"] = [N_("Capacity must be a whole number from 1 to 10000.")]
    if not isinstance(opens_on, date) or not isinstance(closes_on, date):
        errors["opens_on"] = [N_("Give opening and closing dates.")]
    elif not date_in_window(opens_on) or not date_in_window(closes_on):
        for field, value in (("opens_on", opens_on), ("closes_on", closes_on)):
            if not date_in_window(value):
                errors[field] = [DATE_OUT_OF_WINDOW]
    elif closes_on < opens_on:
        errors["closes_on"] = [N_("The round cannot close before it opens.")]
    if errors:
        raise ValidationFailed(errors)
    pilot_round = PilotRound(
        name=name, country=country, area=Area(area), opens_on=opens_on, closes_on=closes_on,
        capacity=capacity, budget_note=(budget_note or "")[:5000], created_by_id=user.id,
    )  # fmt: skip
    db.session.add(pilot_round)
    commit()
    return pilot_round


def get_round(user, round_id: int, *, for_update: bool = False) -> PilotRound:
    if not is_staff(user):
        raise NotFound("pilot round")
    # Enrolment locks the round row so that two enrolments cannot both take its last seat.
    pilot_round = db.session.get(PilotRound, round_id, with_for_update=for_update)
    if pilot_round is None:
        raise NotFound("pilot round")
    return pilot_round


def change_status(user, round_id: int, status: str) -> PilotRound:
    """Move a round one step: planned → open → in_progress → closed."""
    pilot_round = get_round(user, round_id)
    try:
        target = RoundStatus(status)
    except ValueError as exc:
        raise ValidationFailed({"status": [N_("Choose open, in_progress or closed.")]}) from exc
    if target not in ROUND_STEPS[pilot_round.status]:
        # Like a lifecycle event: the API answers 409 invalid_transition with the steps possible now.
        steps = [step.value for step in ROUND_STEPS[pilot_round.status]]
        raise InvalidTransition(pilot_round.status.value, target.value, steps)
    pilot_round.status = target
    if target == RoundStatus.CLOSED:
        # The summary is computed in the closing transaction and kept: what the round reported stays as it was.

        pilot_round.closed_at = utcnow()
        pilot_round.summary = compute(pilot_round)
    try:
        commit()
    except StaleDataError as exc:
        rollback()
        raise ConcurrentUpdate(N_("The round changed meanwhile; reload and try again.")) from exc
    return pilot_round


def enrol(user, round_id: int, application_id: int) -> Application:
    """Enrol an application of the round's area and country while the round is open and has room."""
    pilot_round = get_round(user, round_id, for_update=True)
    application = application_queries.get_visible(user, application_id, for_update=True)
    if pilot_round.status != RoundStatus.OPEN:
        raise NotEditable(N_("Applications enrol only while the round is open."))
    if application.pilot_round_id is not None:
        raise Duplicate(N_("The application is already enrolled in a pilot round."))
    if application.state not in ENROLLABLE_STATES:
        raise NotEditable(N_("Only an application that is not yet decided can enrol."))
    standard = db.session.get(Standard, application.standard_id)
    organization = db.session.get(Organization, application.organization_id)
    errors = {}
    if standard.area != pilot_round.area:
        errors["application_id"] = [N_("The application's seal is not the round's area.")]
    elif organization.country != pilot_round.country:
        errors["application_id"] = [N_("The organisation is not in the round's country.")]
    if errors:
        raise ValidationFailed(errors)
    enrolled = _check_seat_left(pilot_round)
    application.pilot_round_id = pilot_round.id
    # Rewrite the round too, so its version check also guards the last seat where rows are not locked (SQLite).
    flag_modified(pilot_round, "capacity")
    try:
        events.on_enrolled(application, pilot_round, enrolled + 1)
        commit()
    except StaleDataError as exc:
        rollback()
        _check_seat_left(get_round(user, round_id))
        raise ConcurrentUpdate(N_("The round changed meanwhile; reload and try again.")) from exc
    return application


def _check_seat_left(pilot_round: PilotRound) -> int:
    """How many applications the round has; CapacityFull when that leaves no seat."""
    enrolled = db.session.scalar(select(func.count(Application.id)).where(Application.pilot_round_id == pilot_round.id))
    if enrolled >= pilot_round.capacity:
        raise CapacityFull(Message(N_("The round is full (capacity %(capacity)d)."), capacity=pilot_round.capacity))
    return enrolled


def counts_by_state(round_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Application.state, func.count())
        .where(Application.pilot_round_id == round_id)
        .group_by(Application.state)
    )
    return {state.value: n for state, n in rows}


def list_rounds() -> list[PilotRound]:
    return list(db.session.scalars(select(PilotRound).order_by(PilotRound.id.desc())))


def consultation_target(summary: dict) -> Standard | None:
    """The next version of the round's seal that takes comments now: the newest one in consultation."""
    seal_codes = sorted({s["code"] for s in summary.get("standards", [])})
    if not seal_codes:
        return None
    candidates = db.session.scalars(
        select(Standard).where(Standard.code.in_(seal_codes), Standard.status == StandardStatus.CONSULTATION)
    ).all()
    return max(candidates, key=lambda s: (tuple(int(p) if p.isdigit() else 0 for p in s.version.split(".")), s.id),
               default=None)  # fmt: skip


def indicator_codes(standard: Standard) -> set[str]:
    return set(db.session.scalars(select(Indicator.code).where(Indicator.standard_id == standard.id)))


def send_to_consultation(user, round_id: int, codes: list[str], summary_url: str) -> list:
    """Open one consultation comment per chosen flagged indicator on the next version of the round's seal, each
    quoting the round's figures and linking its summary. An indicator already sent from this round is skipped.
    Refused while the round is open (its figures are not final) or when no version is in consultation."""
    pilot_round = get_round(user, round_id)
    if pilot_round.status != RoundStatus.CLOSED or pilot_round.summary is None:
        raise NotEditable(N_("Close the round first: its summary is sent as it was at closing."))
    summary = pilot_round.summary
    target = consultation_target(summary)
    if target is not None:
        # Locked like any comment, so none slips in while an admin closes the consultation.
        target = db.session.get(Standard, target.id, with_for_update=True, populate_existing=True)
    if target is None or target.status.value != "consultation":
        raise NotEditable(N_("No version of this seal is in consultation; open one to send indicators to it."))
    flagged = {row["code"]: row for row in summary["indicators"] if row["flagged"]}
    chosen = list(dict.fromkeys(str(code) for code in codes or ()))
    unknown = [code for code in chosen if code not in flagged]
    if not chosen or unknown:
        raise ValidationFailed({"indicators": [N_("Choose among the indicators flagged for low agreement.")]})
    indicators = {
        i.code: i
        for i in db.session.scalars(select(Indicator).where(Indicator.standard_id == target.id,
                                                            Indicator.code.in_(chosen)))
    }  # fmt: skip
    missing = [code for code in chosen if code not in indicators]
    if missing:
        raise ValidationFailed({"indicators": [N_("These indicators are not in the version in consultation.")]})
    already = set(db.session.scalars(
        select(Indicator.code).join(IndicatorComment, IndicatorComment.indicator_id == Indicator.id)
        .where(IndicatorComment.standard_id == target.id, IndicatorComment.body.contains(summary_url, autoescape=True))
    ))  # fmt: skip
    created = []
    for code in chosen:
        if code in already:
            continue
        row = flagged[code]
        body = gettext(
            "Pilot round %(round)s (%(country)s, closed %(closed)s): Krippendorff's alpha %(alpha).2f, below "
            "%(threshold).3f; %(disagreements)d disagreements over %(applications)d applications scored; mean "
            "self-rating %(own)s, mean consensus %(consensus)s, mean gap %(gap)s. Reviewers read this indicator "
            "differently: please make it clearer. Figures: %(url)s",
            round=pilot_round.name, country=pilot_round.country, closed=(summary.get("closed_at") or "")[:10],
            alpha=row["alpha"], threshold=summary["alpha_threshold"], disagreements=row["disagreements"],
            applications=row["applications"], own=_figure(row["mean_self"]),
            consensus=_figure(row["mean_consensus"]), gap=_figure(row["mean_gap"]), url=summary_url,
        )  # fmt: skip
        comment = IndicatorComment(standard_id=target.id, indicator_id=indicators[code].id, author_id=user.id,
                                   body=body)  # fmt: skip
        db.session.add(comment)
        created.append(comment)
    commit()
    return created


def _figure(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def enrollable_applications(round_id: int, pattern: str | None = None, limit: int = 50) -> list[Application]:
    """Applications the round could take now: its area and country, not enrolled, not decided; one query.

    `pattern` (certification.validation.search_pattern) narrows by reference or organisation name."""
    pilot_round = db.session.get(PilotRound, round_id)
    if pilot_round is None or pilot_round.status != RoundStatus.OPEN:
        return []
    query = (
        select(Application)
        .join(Organization, Application.organization_id == Organization.id)
        .join(Standard, Application.standard_id == Standard.id)
        .where(
            Application.pilot_round_id.is_(None),
            Application.state.in_(ENROLLABLE_STATES),
            Standard.area == pilot_round.area,
            Organization.country == pilot_round.country,
        )
        .options(joinedload(Application.organization))
        .order_by(Organization.name, Application.id)
        .limit(limit)
    )
    if pattern:
        query = query.where(
            or_(Application.reference.ilike(pattern, escape="\\"), Organization.name.ilike(pattern, escape="\\"))
        )
    return list(db.session.scalars(query))
