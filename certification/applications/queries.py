"""Reads on applications: scoped loads, lists with a constant number of queries, and guard facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.applications.policies import visible_filter
from certification.certificates.models import Certificate
from certification.errors import NotFound
from certification.evidence.models import Evidence, evidence_indicators
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import Page, paginate  # noqa: F401 - Page re-exported
from certification.pilots.models import PilotRound, RoundStatus
from certification.reviewers import queries as reviewer_queries
from certification.reviews import queries as review_queries
from certification.reviews.models import Assignment, AssignmentStatus
from certification.seals.models import Indicator, Standard
from certification.seals.queries import indicators_of
from workflows import application as wf
from workflows.messages import N_, Unmet


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
            joinedload(Application.standard),
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


def facts_for(application: Application, now: datetime) -> wf.Facts:
    """Everything the lifecycle guards need, gathered in a fixed handful of queries."""
    standard = db.session.get(Standard, application.standard_id)
    indicators = indicators_of(application.standard_id)
    assessed = self_assessments(application.id)
    with_evidence = indicators_with_evidence(application.id)
    missing = tuple(
        i.code
        for i in indicators
        if (row := assessed.get(i.id)) is None
        or not row.explanation.strip()
        or (row.rating is None and not i.allows_na)
    )
    essential_missing = tuple(i.code for i in indicators if i.essential and i.id not in with_evidence)
    assignments = review_queries.assignments_with_reviewers(application.id)
    live = [a for a in assignments if a.status in (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)]
    conflicted = reviewer_queries.conflicted_reviewer_ids(
        [a.reviewer_id for a in live], application.organization_id, now.date()
    )
    flagged_not_updated = ()
    if application.flagged_indicators and application.changes_requested_at:
        by_code = {i.code: i for i in indicators}
        # New evidence linked to a flagged indicator counts as updating it, as does its self-assessment.
        new_evidence = indicators_with_evidence(application.id, since=application.changes_requested_at)
        flagged_not_updated = tuple(
            code
            for code in application.flagged_indicators
            if (ind := by_code.get(code)) is None
            or (
                ind.id not in new_evidence
                and ((row := assessed.get(ind.id)) is None or row.updated_at <= application.changes_requested_at)
            )
        )
    snapshot = review_queries.latest_snapshot(application.id)
    # Scores reopened by a resubmission leave the score out of date until their reviewers submit again.
    up_to_date = (
        snapshot is not None
        and snapshot.inputs_digest == review_queries.current_digest(application, standard)
        and not review_queries.reopened_scores(application.id)
    )
    if snapshot is None:
        problems = ineligibility_unmet(["no_score"])
    else:
        problems = ineligibility_unmet(snapshot.result.get("ineligibility_reasons", []))
    round_ = db.session.get(PilotRound, application.pilot_round_id) if application.pilot_round_id else None
    deciders = frozenset(
        db.session.scalars(
            select(HistoryEntry.actor_id).where(
                HistoryEntry.application_id == application.id,
                HistoryEntry.event.in_(("reject", "uphold")),
                HistoryEntry.actor_id.is_not(None),
            )
        )
    )
    certificate = certificate_of(application.id)
    return wf.Facts(
        state=application.state,
        organization_id=application.organization_id,
        missing_self_assessment=missing,
        essential_without_evidence=essential_missing,
        min_reviewers=standard.min_reviewers,
        accepted_assignments=sum(1 for a in live if a.reviewer_id not in conflicted),
        conflicted_assignments=sum(1 for a in live if a.reviewer_id in conflicted or a.conflict_declared),
        pilot_round_in_progress=round_ is not None and round_.status == RoundStatus.IN_PROGRESS,
        enrolled=application.pilot_round_id is not None,
        pending_reviews=sum(1 for a in live if a.status == AssignmentStatus.ACCEPTED),
        score_up_to_date=up_to_date,
        eligibility_problems=problems,
        flagged_not_updated=flagged_not_updated,
        # Separation of duties: anyone ever assigned (even declined or withdrawn) has seen the file.
        reviewer_ids=frozenset(a.reviewer_id for a in assignments),
        decider_ids=deciders,
        decided_at=application.decided_at,
        certificate_expired=certificate is not None and certificate.expires_on < now.date(),
    )


def assignments_for_page(application_id: int) -> list[Assignment]:
    return review_queries.assignments_with_reviewers(application_id)
