"""Reads on applications: scoped loads, lists with a constant number of queries, the guard facts and the one
read model of an application (ApplicationView) that the web page, the API and the lifecycle service share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import joinedload

from certification.accounts.policies import is_staff
from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.applications.policies import actor_of, may_see_score, visible_filter
from certification.certificates.models import Certificate
from certification.errors import NotFound
from certification.evidence.models import Evidence, evidence_indicators
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import Page, paginate
from certification.pilots.models import PilotRound, RoundStatus
from certification.reviewers import queries as reviewer_queries
from certification.reviews import queries as review_queries
from certification.reviews.models import Assignment, AssignmentStatus
from certification.seals.models import Dimension, Indicator, Standard
from certification.seals.queries import indicators_of
from certification.types import utcnow
from workflows import application as wf
from workflows.messages import N_, Unmet

# The states an application can only reach by having been certified: the others have no certificate.
CERTIFIED_STATES = frozenset({wf.State.CERTIFIED, wf.State.SUSPENDED, wf.State.REVOKED, wf.State.EXPIRED})


def get_visible(user, application_id: int, *, for_update: bool = False) -> Application:
    """The application if `user` may see it; NotFound otherwise (the same as a missing one)."""
    query = select(Application).where(Application.id == application_id, visible_filter(user))
    if for_update:
        query = query.with_for_update(of=Application)
    application = db.session.scalar(query)
    if application is None:
        raise NotFound("application")
    return application


def load_for_page(user, application_id: int) -> Application:
    application = db.session.scalar(
        select(Application)
        .where(Application.id == application_id, visible_filter(user))
        .options(
            joinedload(Application.organization),
            joinedload(Application.standard).selectinload(Standard.dimensions).joinedload(Dimension.indicators),
            joinedload(Application.pilot_round),
        )
    )
    if application is None:
        raise NotFound("application")
    return application


def list_visible(
    user, *, state: str | None = None, area: str | None = None, q: str | None = None, page: int = 1, per_page: int = 25
):
    """One page of the applications `user` may see: two queries whatever the number of rows.

    `q` is a LIKE pattern (certification.validation.search_pattern) matched against the reference and the
    organisation's name, case-insensitively."""
    where = [visible_filter(user)]
    if q:
        where.append(
            or_(
                Application.reference.ilike(q, escape="\\"),
                Application.organization_id.in_(select(Organization.id).where(Organization.name.ilike(q, escape="\\"))),
            )
        )
    if state:
        where.append(Application.state == wf.State(state))
    if area:
        where.append(Application.standard_id.in_(select(Standard.id).where(Standard.area == area)))
    return paginate(
        select(Application).where(*where), (Application.id,), page, per_page,
        options=(joinedload(Application.organization), joinedload(Application.standard)),
    )  # fmt: skip


def indicator_by_code(standard_id: int, code: str) -> Indicator | None:
    return db.session.scalar(select(Indicator).where(Indicator.standard_id == standard_id, Indicator.code == code))


def self_assessments(application_id: int) -> dict[int, SelfAssessment]:
    rows = db.session.scalars(select(SelfAssessment).where(SelfAssessment.application_id == application_id))
    return {row.indicator_id: row for row in rows}


def self_assessments_with_codes(application_id: int):
    return db.session.execute(
        select(SelfAssessment, Indicator.code)
        .join(Indicator, SelfAssessment.indicator_id == Indicator.id)
        .where(SelfAssessment.application_id == application_id)
    ).all()


def indicators_with_evidence(application_id: int, since: datetime | None = None) -> set[int]:
    """Indicators with at least one evidence file (uploaded after `since`, when given)."""
    query = (
        select(evidence_indicators.c.indicator_id)
        .join(Evidence, Evidence.id == evidence_indicators.c.evidence_id)
        .where(Evidence.application_id == application_id)
    )
    if since is not None:
        query = query.where(Evidence.uploaded_at > since)
    return set(db.session.scalars(query))


def history(application_id: int) -> list[HistoryEntry]:
    return list(
        db.session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.application_id == application_id)
            .options(joinedload(HistoryEntry.actor))
            .order_by(HistoryEntry.id)
        )
    )


def history_page(application_id: int, page: int, per_page: int) -> Page:
    """One page of the lifecycle history, oldest first."""
    query = select(HistoryEntry).where(HistoryEntry.application_id == application_id)
    return paginate(query, (HistoryEntry.id,), page, per_page)


def invitation_context(application_ids) -> dict[int, tuple[str, str, str, str]]:
    """application id → (organisation, country, seal code, version): what a reviewer's invitation shows of
    each application, never its content; one query."""
    rows = db.session.execute(
        select(Application.id, Organization.name, Organization.country, Standard.code, Standard.version)
        .join(Organization, Application.organization_id == Organization.id)
        .join(Standard, Application.standard_id == Standard.id)
        .where(Application.id.in_(set(application_ids)))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def previous_certificate(organization_id: int, seal_code: str) -> Certificate | None:
    """The organisation's latest certificate for this seal (renewal), whatever its status."""
    return db.session.scalar(
        select(Certificate)
        .join(Standard, Certificate.standard_id == Standard.id)
        .where(Certificate.organization_id == organization_id, Standard.code == seal_code)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        .limit(1)
    )


def certificate_of(application_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.application_id == application_id))


INELIGIBILITY_MESSAGES = {
    "overall_below_pass": N_("overall score below the pass threshold"),
    "dimension_below_minimum": N_("dimension %(code)s below the minimum"),
    "essential_failure": N_("essential indicator %(code)s below the minimum"),
    "no_score": N_("no score yet"),
}


def ineligibility_unmet(reasons) -> tuple[Unmet, ...]:
    out = []
    for reason in reasons:
        key, _, code = reason.partition(":")
        out.append(Unmet(key, INELIGIBILITY_MESSAGES.get(key, key), {"code": code} if code else {}))
    return tuple(out)


class ApplicationReads:
    """What one request reads about one application, each at most once: the guards, the page and the API answer
    share it. A page that already loaded the standard's tree, the self-assessments or the evidence seeds it."""

    def __init__(self, application: Application, now: datetime):
        self.application, self.now = application, now
        self.evidence: list[Evidence] | None = None  # with their indicators, when the caller loaded them
        # Guard facts gathered so far, as plain values (they outlive the commit that expires the rows).
        self.facts: dict = {"organization_id": application.organization_id}

    def transitioned(self, certificate: Certificate | None = None) -> None:
        """After a lifecycle event: what it may have changed is gathered again when asked for. Who was ever
        assigned does not change with the state, and a certificate just issued is already known.

        The event's unit of work commits without expiring what it loaded, so the assignments read before are
        still current (a resubmission reopens reviews on those very rows); an application never certified
        has no certificate to look up."""
        self.facts = {k: v for k, v in self.facts.items() if k in ("organization_id", "reviewer_ids")}
        for name in ("snapshot", "deciders", "live_assignments", "conflicted"):
            self.__dict__.pop(name, None)
        if certificate is not None:
            self.certificate = certificate
        elif self.application.state not in CERTIFIED_STATES:
            self.certificate = None

    @cached_property
    def standard(self) -> Standard:
        return db.session.get(Standard, self.application.standard_id)

    @cached_property
    def indicators(self) -> list[Indicator]:
        return indicators_of(self.application.standard_id)

    @cached_property
    def assessed(self) -> dict[int, SelfAssessment]:
        return self_assessments(self.application.id)

    def indicators_with_evidence(self, since: datetime | None = None) -> set[int]:
        if self.evidence is None:
            return indicators_with_evidence(self.application.id, since)
        return {
            indicator.id
            for item in self.evidence
            if since is None or item.uploaded_at > since
            for indicator in item.indicators
        }

    @cached_property
    def assignments(self) -> list[Assignment]:
        """Every assignment, whatever became of it, with its reviewer."""
        return review_queries.assignments_with_reviewers(self.application.id)

    @cached_property
    def live_assignments(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status in (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)]

    @cached_property
    def conflicted(self) -> set[int]:
        return reviewer_queries.conflicted_reviewer_ids(
            [a.reviewer_id for a in self.live_assignments], self.application.organization_id, self.now.date()
        )

    @cached_property
    def snapshot(self):
        return review_queries.latest_snapshot(self.application.id)

    @cached_property
    def certificate(self) -> Certificate | None:
        return certificate_of(self.application.id)

    @cached_property
    def deciders(self) -> frozenset[int]:
        return frozenset(
            db.session.scalars(
                select(HistoryEntry.actor_id).where(
                    HistoryEntry.application_id == self.application.id,
                    HistoryEntry.event.in_(("reject", "uphold")),
                    HistoryEntry.actor_id.is_not(None),
                )
            )
        )

    def pilot_round(self) -> PilotRound | None:
        round_id = self.application.pilot_round_id
        return db.session.get(PilotRound, round_id) if round_id else None  # the identity map when already loaded


def _reviewer_ids(reads: ApplicationReads) -> dict:
    """Separation of duties: anyone ever assigned (even declined or withdrawn) has seen the file. When the
    assignments are not loaded anyway (the API answer, which lists who may fire, not who reviews), one column
    is read instead of every assignment with its reviewer's row."""
    if "assignments" in reads.__dict__:
        ids = (a.reviewer_id for a in reads.assignments)
    else:
        ids = review_queries.involved_reviewer_ids(reads.application.id)
    return {"reviewer_ids": frozenset(ids)}


def _missing_self_assessment(reads: ApplicationReads) -> dict:
    assessed = reads.assessed
    return {
        "missing_self_assessment": tuple(
            i.code
            for i in reads.indicators
            if (row := assessed.get(i.id)) is None
            or not row.explanation.strip()
            or (row.rating is None and not i.allows_na)
        )
    }


def _essential_without_evidence(reads: ApplicationReads) -> dict:
    with_evidence = reads.indicators_with_evidence()
    return {
        "essential_without_evidence": tuple(
            i.code for i in reads.indicators if i.essential and i.id not in with_evidence
        )
    }


def _flagged_not_updated(reads: ApplicationReads) -> dict:
    application = reads.application
    if not (application.flagged_indicators and application.changes_requested_at):
        return {"flagged_not_updated": ()}
    since = application.changes_requested_at
    by_code = {i.code: i for i in reads.indicators}
    assessed = reads.assessed
    # New evidence linked to a flagged indicator counts as updating it, as does its self-assessment.
    new_evidence = reads.indicators_with_evidence(since)
    return {
        "flagged_not_updated": tuple(
            code
            for code in application.flagged_indicators
            if (ind := by_code.get(code)) is None
            or (ind.id not in new_evidence and ((row := assessed.get(ind.id)) is None or row.updated_at <= since))
        )
    }


def _reviewers(reads: ApplicationReads) -> dict:
    live, conflicted = reads.live_assignments, reads.conflicted
    return {
        "accepted_assignments": sum(1 for a in live if a.reviewer_id not in conflicted),
        "conflicted_assignments": sum(1 for a in live if a.reviewer_id in conflicted or a.conflict_declared),
        "pending_reviews": sum(1 for a in live if a.status == AssignmentStatus.ACCEPTED),
    }


def _score_up_to_date(reads: ApplicationReads) -> dict:
    snapshot = reads.snapshot
    # Scores reopened by a resubmission leave the score out of date until their reviewers submit again.
    return {
        "score_up_to_date": snapshot is not None
        and snapshot.inputs_digest == review_queries.current_digest(reads.application, reads.standard)
        and not review_queries.reopened_scores(reads.application.id)
    }


def _eligibility(reads: ApplicationReads) -> dict:
    snapshot = reads.snapshot
    reasons = ["no_score"] if snapshot is None else snapshot.result.get("ineligibility_reasons", [])
    return {"eligibility_problems": ineligibility_unmet(reasons)}


def _pilot_round(reads: ApplicationReads) -> dict:
    round_ = reads.pilot_round()
    return {
        "enrolled": reads.application.pilot_round_id is not None,
        "pilot_round_in_progress": round_ is not None and round_.status == RoundStatus.IN_PROGRESS,
    }


# Each guard fact and how it is gathered: a gatherer may answer several facts from the same reads.
_GATHERERS = {
    "organization_id": lambda reads: {"organization_id": reads.application.organization_id},
    "decided_at": lambda reads: {"decided_at": reads.application.decided_at},
    "missing_self_assessment": _missing_self_assessment,
    "essential_without_evidence": _essential_without_evidence,
    "flagged_not_updated": _flagged_not_updated,
    "min_reviewers": lambda reads: {"min_reviewers": reads.standard.min_reviewers},
    "accepted_assignments": _reviewers,
    "conflicted_assignments": _reviewers,
    "pending_reviews": _reviewers,
    "score_up_to_date": _score_up_to_date,
    "eligibility_problems": _eligibility,
    "enrolled": _pilot_round,
    "pilot_round_in_progress": _pilot_round,
    "reviewer_ids": _reviewer_ids,
    "decider_ids": lambda reads: {"decider_ids": reads.deciders},
    "certificate_expired": lambda reads: {
        "certificate_expired": reads.certificate is not None and reads.certificate.expires_on < reads.now.date()
    },
}
ALL_FACTS = frozenset(_GATHERERS)


def facts_for(
    application: Application, now: datetime, fields=ALL_FACTS, reads: ApplicationReads | None = None
) -> wf.Facts:
    """The lifecycle guards' facts named in `fields` (workflows.application.READS says which each rule reads),
    gathered from `reads` so that nothing is loaded twice in one request; all of them by default."""
    reads = reads or ApplicationReads(application, now)
    for gather in dict.fromkeys(_GATHERERS[name] for name in fields if name not in reads.facts):
        reads.facts.update(gather(reads))
    return wf.Facts(state=application.state, **reads.facts, gathered=frozenset(reads.facts))


@dataclass(frozen=True)
class Action:
    """An event this person may fire now, with what still blocks it (nothing: it can go ahead)."""

    event: wf.EventSpec
    unmet: tuple[Unmet, ...] = ()


class ApplicationView:
    """One application as one person sees it: what they may do now and why not, the latest score, the
    assignments and the certificate. The web page, the API answer and `services.fire_event` read it alike, so
    the UI and the API always agree. Each part is read when first asked for: an answer that lists the events
    but does not explain them gathers no guard facts, and who may fire is judged before any guard fact."""

    def __init__(self, user, application: Application, reads: ApplicationReads | None = None):
        self.user, self.application = user, application
        self.reads = reads or ApplicationReads(application, utcnow())
        self.actor = actor_of(user)

    @property
    def now(self) -> datetime:
        return self.reads.now

    @property
    def allowed_events(self) -> list[str]:
        """The events this person may fire from the current state (their guards may still fail)."""
        candidates = wf.events_from(self.application.state)
        return wf.allowed_events(
            self.actor, facts_for(self.application, self.now, wf.who_reads(candidates), self.reads)
        )

    @cached_property
    def actions(self) -> list[Action]:
        """The allowed events with the conditions on the application that do not hold yet."""
        events = self.allowed_events
        facts = facts_for(self.application, self.now, wf.who_reads(events) | wf.guard_reads(events), self.reads)
        actions = []
        for name in events:
            unmet = wf.unmet_conditions(name, facts, self.now)
            if any(u.code in ("no_reviews", "reviews_pending") for u in unmet):
                # with reviews still to come there is no score to wait for: "being recalculated" would mislead
                unmet = [u for u in unmet if u.code != "score_stale"]
            actions.append(Action(wf.EVENTS[name], tuple(unmet)))
        return actions

    @cached_property
    def missing_self_assessment(self) -> frozenset[str]:
        """Indicator codes without a complete self-assessment (rating where needed and explanation)."""
        return frozenset(_missing_self_assessment(self.reads)["missing_self_assessment"])

    @cached_property
    def snapshot(self):
        """The latest score, for those who may see it."""
        return self.reads.snapshot if may_see_score(self.user, self.application) else None

    @cached_property
    def assignments(self) -> list[Assignment]:
        return self.reads.assignments if is_staff(self.user) else []

    @property
    def certificate(self) -> Certificate | None:
        return self.reads.certificate


def application_view(user, application_id: int, *, page: bool = False) -> ApplicationView:
    """The application `user` may see, as ApplicationView; NotFound otherwise. `page` also loads what the web
    page shows with it (organisation, pilot round, the standard's tree) and lets the guards read the tree."""
    if not page:
        # One statement: the certificate (at most one per application) joined, and the ids of everyone ever
        # assigned, which every viewer's `allowed_events` reads (separation of duties), as one text column.
        ever_assigned = (
            select(func.aggregate_strings(cast(Assignment.reviewer_id, String), ","))
            .where(Assignment.application_id == Application.id)
            .scalar_subquery()
        )
        row = db.session.execute(
            select(Application, Certificate, ever_assigned)
            .outerjoin(Certificate, Certificate.application_id == Application.id)
            .where(Application.id == application_id, visible_filter(user))
        ).first()
        if row is None:
            raise NotFound("application")
        application, certificate, reviewer_ids = row
        view = ApplicationView(user, application)
        view.reads.certificate = certificate
        view.reads.facts["reviewer_ids"] = (
            frozenset(int(i) for i in reviewer_ids.split(",")) if reviewer_ids else frozenset()
        )
        return view
    application = load_for_page(user, application_id)
    view = ApplicationView(user, application)
    view.reads.standard = application.standard
    view.reads.indicators = [i for d in application.standard.dimensions for i in d.indicators]
    return view


def assignments_for_page(application_id: int) -> list[Assignment]:
    return review_queries.assignments_with_reviewers(application_id)
