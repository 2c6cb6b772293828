"""Reads for reviews: assignments, suggestions and auto-assign inputs, score inputs and snapshots, agreement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from certification.accounts.models import User
from certification.applications.models import Application, SelfAssessment
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import paginate
from certification.reviewers import queries as reviewer_queries
from certification.reviewers.policies import (
    affiliation_conflicts,
    conflict_rule,
    language_of_country,
    unavailability_rule,
)
from certification.reviews.agreement import agreement
from certification.reviews.auto_assign import Candidate, Need
from certification.reviews.models import (
    ACTIVE_ASSIGNMENT,
    LIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    Moderation,
    ReviewScore,
    ScoreSnapshot,
)
from certification.reviews.policies import ASSIGNABLE_STATES
from certification.scoring.pipeline import digest, inputs_of
from certification.seals.models import Standard
from certification.seals.queries import indicators_of, scoring_rules
from standards.scoring import compute_score
from workflows.messages import N_, Unmet


def assignments_with_reviewers(application_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.application_id == application_id)
            .options(joinedload(Assignment.reviewer))
            .order_by(Assignment.id)
        )
    )


def scores_by_assignment(assignment_id: int) -> dict[int, ReviewScore]:
    rows = db.session.scalars(select(ReviewScore).where(ReviewScore.assignment_id == assignment_id))
    return {r.indicator_id: r for r in rows}


def score_inputs(application) -> dict:
    """What the §4 formula reads for this application, as JSON-ready data (the scoring pipeline's query)."""
    return inputs_of([application.id])[application.id]


def current_digest(application, standard) -> str:
    return digest(score_inputs(application), scoring_rules(standard).to_dict())


def latest_snapshot(application_id: int) -> ScoreSnapshot | None:
    return db.session.scalar(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.application_id == application_id)
        .order_by(ScoreSnapshot.id.desc())
        .limit(1)
    )


def reopened_scores(application_id: int) -> int:
    """Scores of this application reopened by a resubmission and not yet scored again."""
    return db.session.scalar(
        select(func.count(ReviewScore.id))
        .join(Assignment, Assignment.id == ReviewScore.assignment_id)
        .where(Assignment.application_id == application_id, ReviewScore.reopened_at.is_not(None),
               Assignment.status.in_(ACTIVE_ASSIGNMENT))
    )  # fmt: skip


def involved_reviewer_ids(application_id: int) -> set[int]:
    """Everyone ever assigned to review this application, whatever became of the assignment.

    Separation of duties is strict: a person once invited (even if they declined or were withdrawn)
    has seen the file, so they never moderate, decide or judge its appeal.
    """
    return set(db.session.scalars(select(Assignment.reviewer_id).where(Assignment.application_id == application_id)))


# --- auto-assign and suggestions ---------------------------------------------------------------------------


def auto_assign_inputs(round_id: int, today: date, *, lock: bool = False):
    """The planner's inputs for a pilot round: (needs, candidates) as plain dataclasses.

    An application counts the live assignments (invited, accepted, submitted) of reviewers without a conflict
    towards `min_reviewers`; every reviewer it ever had is excluded (never re-invited automatically).
    """
    query = (
        select(Application.id, Application.organization_id, Standard.min_reviewers, Standard.area, Organization.country)
        .join(Standard, Application.standard_id == Standard.id)
        .join(Organization, Application.organization_id == Organization.id)
        .where(Application.pilot_round_id == round_id, Application.state.in_(ASSIGNABLE_STATES))
        .order_by(Application.id)
    )
    if lock:
        query = query.with_for_update(of=Application)
    rows = db.session.execute(query).all()
    people, loads, declared = reviewer_queries.candidates(lock=lock)
    candidates = [
        Candidate(
            id=p.id,
            capacity=p.max_active_assignments,
            load=loads.get(p.id, 0),
            areas=frozenset(p.areas or ()),
            countries=frozenset(p.countries or ()),
            languages=frozenset(p.languages or ()),
            active=p.active,
            conflicts=frozenset(
                {a.organization_id for a in p.affiliations if affiliation_conflicts(a, today)}
                | declared.get(p.id, set())
            ),
        )  # fmt: skip
        for p in people
    ]
    conflicts = {c.id: c.conflicts for c in candidates}
    existing: dict[int, list[tuple[int, AssignmentStatus]]] = {}
    if rows:
        for application_id, reviewer_id, status in db.session.execute(
            select(Assignment.application_id, Assignment.reviewer_id, Assignment.status).where(
                Assignment.application_id.in_([r.id for r in rows])
            )
        ):
            existing.setdefault(application_id, []).append((reviewer_id, status))
    needs = []
    for row in rows:
        mine = existing.get(row.id, [])
        live = sum(
            1
            for reviewer_id, status in mine
            if status in LIVE_ASSIGNMENT and row.organization_id not in conflicts.get(reviewer_id, frozenset())
        )
        needs.append(
            Need(
                application_id=row.id,
                organization_id=row.organization_id,
                area=row.area.value,
                country=row.country,
                language=language_of_country(row.country),
                missing=max(0, row.min_reviewers - live),
                excluded=frozenset(reviewer_id for reviewer_id, _status in mine),
            )  # fmt: skip
        )
    return needs, candidates


@dataclass
class Suggestion:
    """One reviewer as a candidate for an application: eligible with the reasons, or greyed with the rule."""

    reviewer: User
    load: int
    eligible: bool
    country_match: bool
    language_match: bool
    rule: Unmet | None  # why not eligible

    @property
    def rank_key(self) -> tuple:
        return (not self.eligible, self.load, not self.country_match, not self.language_match,
                self.reviewer.name.lower(), self.reviewer.id)  # fmt: skip


def suggestions(application, today: date) -> list[Suggestion]:
    """Every reviewer for `application`: eligible ones first, ranked by load, then country match, then
    language match; ineligible ones after, each with the conflict or availability rule that excludes them.
    Five queries."""
    standard = db.session.get(Standard, application.standard_id)
    country = db.session.get(Organization, application.organization_id).country
    language = language_of_country(country)
    people, loads, declared = reviewer_queries.candidates()
    on_it = {
        reviewer_id: status
        for reviewer_id, status in db.session.execute(
            select(Assignment.reviewer_id, Assignment.status).where(
                Assignment.application_id == application.id, Assignment.status.in_(LIVE_ASSIGNMENT)
            )
        )
    }
    out = []
    for person in people:
        load = loads.get(person.id, 0)
        if person.id in on_it:
            rule = Unmet("already_assigned", N_("Already assigned (%(status)s)."), {"status": on_it[person.id].value})
        else:
            rule = conflict_rule(
                person.affiliations, application.organization_id, today, declared.get(person.id, ())
            ) or unavailability_rule(person, standard.area.value, load)
        out.append(Suggestion(reviewer=person, load=load, eligible=rule is None,
                              country_match=country in (person.countries or ()),
                              language_match=language in (person.languages or ()), rule=rule))  # fmt: skip
    out.sort(key=lambda s: s.rank_key)
    return out


# --- the facilitator's comparison, the MFI's result, agreement statistics ------------------------------------


@dataclass
class ReviewerColumn:
    assignment: Assignment  # with .reviewer loaded
    scores: dict[int, ReviewScore]  # by indicator id


@dataclass
class Comparison:
    """Every submitted review side by side with the self-assessment, and the live score computed from them."""

    columns: list[ReviewerColumn]
    pending: list[Assignment]  # accepted or invited, not submitted yet
    self_assessments: dict  # indicator id -> SelfAssessment
    moderations: dict[int, Moderation]  # by indicator id
    result: object  # standards.scoring.ScoreResult of the submitted reviews (and moderations)


def comparison(application) -> Comparison:
    """Reviews of `application` side by side; a fixed number of queries whatever the number of reviewers."""
    assignments = assignments_with_reviewers(application.id)
    submitted = [a for a in assignments if a.status == AssignmentStatus.SUBMITTED]
    by_assignment: dict[int, dict[int, ReviewScore]] = {a.id: {} for a in submitted}
    if submitted:
        for row in db.session.scalars(select(ReviewScore).where(ReviewScore.assignment_id.in_(list(by_assignment)))):
            by_assignment[row.assignment_id][row.indicator_id] = row
    moderations = {
        m.indicator_id: m
        for m in db.session.scalars(
            select(Moderation).where(Moderation.application_id == application.id).order_by(Moderation.id)
        )  # a history: the latest row per indicator wins
    }
    own = {
        s.indicator_id: s
        for s in db.session.scalars(select(SelfAssessment).where(SelfAssessment.application_id == application.id))
    }
    standard = db.session.get(Standard, application.standard_id)
    inputs = score_inputs(application)
    result = compute_score(scoring_rules(standard), inputs["reviewer_scores"], inputs["moderated"])
    return Comparison(
        columns=[ReviewerColumn(a, by_assignment[a.id]) for a in submitted],
        pending=[a for a in assignments if a.status in ACTIVE_ASSIGNMENT],
        self_assessments=own,
        moderations=moderations,
        result=result,
    )


def anonymous_comments(application_id: int) -> dict[int, list[tuple[int | None, str]]]:
    """Submitted reviewers' (score, comment) per indicator id, without who wrote them, in a stable order
    that does not follow the reviewers (sorted by score, then text)."""
    rows = db.session.execute(
        select(ReviewScore.indicator_id, ReviewScore.score, ReviewScore.comment)
        .join(Assignment, ReviewScore.assignment_id == Assignment.id)
        .where(Assignment.application_id == application_id, Assignment.status == AssignmentStatus.SUBMITTED)
    ).all()
    out: dict[int, list[tuple[int | None, str]]] = {}
    for indicator_id, score, comment in rows:
        out.setdefault(indicator_id, []).append((score, comment))
    for comments in out.values():
        comments.sort(key=lambda sc: (sc[0] is None, sc[0] or 0, sc[1]))
    return out


# Fewer organisations than this and a median would let a reader guess another organisation's scores.
COMPARISON_MINIMUM = 5


@dataclass
class SealComparison:
    """The median dimension scores of a seal's decided applications, and how many organisations they come from.
    `medians` holds only the dimensions scored for at least COMPARISON_MINIMUM organisations."""

    organizations: int
    medians: dict[str, float]

    @property
    def enough(self) -> bool:
        return self.organizations >= COMPARISON_MINIMUM


def seal_comparison(standard_code: str) -> SealComparison:
    """The latest score of every decided application of any version of the seal `standard_code`, as medians per
    dimension; one statement, whatever the number of applications."""
    latest = (
        select(func.max(ScoreSnapshot.id).label("snapshot_id"))
        .join(Application, ScoreSnapshot.application_id == Application.id)
        .join(Standard, Application.standard_id == Standard.id)
        .where(Standard.code == standard_code, Application.decided_at.is_not(None))
        .group_by(ScoreSnapshot.application_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Application.organization_id, ScoreSnapshot.result["dimensions"])
        .join(ScoreSnapshot, ScoreSnapshot.application_id == Application.id)
        .where(ScoreSnapshot.id.in_(select(latest.c.snapshot_id)))
    ).all()
    scores: dict[str, list[float]] = {}
    organizations: dict[str, set[int]] = {}
    for organization_id, dimensions in rows:
        for code, value in (dimensions or {}).items():
            if value is not None:
                scores.setdefault(code, []).append(value)
                organizations.setdefault(code, set()).add(organization_id)
    medians = {code: median(values) for code, values in scores.items()
               if len(organizations[code]) >= COMPARISON_MINIMUM}  # fmt: skip
    return SealComparison(len({organization_id for organization_id, _d in rows}), medians)


@dataclass
class AgreementReport:
    """Per-indicator agreement over a set of applications of one standard version, and pooled."""

    standard: object
    applications: int
    rows: list  # [(Indicator, Agreement)] in the standard's order
    overall: object  # Agreement pooled over every indicator


def agreement_report(standard_id: int, *, round_id: int | None = None) -> AgreementReport:
    """Agreement among submitted reviews of the standard's applications (those of `round_id` if given)."""
    where = [Application.standard_id == standard_id, Assignment.status == AssignmentStatus.SUBMITTED]
    if round_id is not None:
        where.append(Application.pilot_round_id == round_id)
    rows = db.session.execute(
        select(ReviewScore.indicator_id, Assignment.application_id, ReviewScore.score)
        .join(Assignment, ReviewScore.assignment_id == Assignment.id)
        .join(Application, Assignment.application_id == Application.id)
        .where(*where)
    ).all()
    units: dict[int, dict[int, list]] = {}
    applications = set()
    for indicator_id, application_id, score in rows:
        units.setdefault(indicator_id, {}).setdefault(application_id, []).append(score)
        applications.add(application_id)
    indicators = indicators_of(standard_id)
    report_rows = [(i, agreement(list(units.get(i.id, {}).values()))) for i in indicators]
    pooled = [unit for by_app in units.values() for unit in by_app.values()]
    return AgreementReport(
        standard=db.session.get(Standard, standard_id),
        applications=len(applications),
        rows=report_rows,
        overall=agreement(pooled),
    )


def round_agreement(round_id: int) -> list[AgreementReport]:
    """One agreement report per standard version used by the round's applications."""
    standard_ids = db.session.scalars(
        select(Application.standard_id).where(Application.pilot_round_id == round_id).distinct()
    )
    return [agreement_report(standard_id, round_id=round_id) for standard_id in sorted(set(standard_ids))]


def auto_assign_names(plan) -> dict:
    """Display names for a plan: {"applications": {id: (reference, organisation)}, "reviewers": {id: name}}."""
    application_ids = {p["application_id"] for p in plan.assigned} | {u["application_id"] for u in plan.unfilled}
    reviewer_ids = {p["reviewer_id"] for p in plan.assigned}
    applications = {}
    if application_ids:
        rows = db.session.execute(
            select(Application.id, Application.reference, Organization.name)
            .join(Organization, Application.organization_id == Organization.id)
            .where(Application.id.in_(application_ids))
        )
        applications = {row.id: (row.reference, row.name) for row in rows}
    reviewers = {}
    if reviewer_ids:
        reviewers = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(reviewer_ids))).all())
    return {"applications": applications, "reviewers": reviewers}


def own_assignment(reviewer_id: int, assignment_id: int) -> Assignment | None:
    """A reviewer's own assignment with what an invitation may show before they accept: the application's
    reference, organisation (name, country) and seal version. Nothing of its content is loaded here."""
    return db.session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id, Assignment.reviewer_id == reviewer_id)
        .options(
            joinedload(Assignment.application).joinedload(Application.organization),
            joinedload(Assignment.application).joinedload(Application.standard),
        )
    )


def assignment_page(*, reviewer_id: int | None, status, q: str | None, page: int, per_page: int):
    """One page of assignments, newest first: a reviewer's own (reviewer_id) or everyone's; three queries.

    `q` is a LIKE pattern (certification.validation.search_pattern) matched against the application's
    reference, its organisation's name and the reviewer's name."""
    where = []
    if reviewer_id is not None:
        where.append(Assignment.reviewer_id == reviewer_id)
    if status is not None:
        where.append(Assignment.status == status)
    if q:
        matching_applications = (
            select(Application.id)
            .join(Organization, Application.organization_id == Organization.id)
            .where(or_(Application.reference.ilike(q, escape="\\"), Organization.name.ilike(q, escape="\\")))
        )
        where.append(
            or_(
                Assignment.application_id.in_(matching_applications),
                Assignment.reviewer_id.in_(select(User.id).where(User.name.ilike(q, escape="\\"))),
            )
        )
    return paginate(
        select(Assignment).where(*where), (Assignment.id.desc(),), page, per_page,
        options=(
            joinedload(Assignment.application).joinedload(Application.organization),
            joinedload(Assignment.application).joinedload(Application.standard),
            joinedload(Assignment.reviewer),
        ),
    )  # fmt: skip


def assignments_page(reviewer_id: int | None, page: int, per_page: int, *, status=None, application_id=None):
    """Assignments of one reviewer (`reviewer_id`), or all of them (`None`, for facilitators), by id."""
    query = select(Assignment)
    if reviewer_id is not None:
        query = query.where(Assignment.reviewer_id == reviewer_id)
    if status is not None:
        query = query.where(Assignment.status == status)
    if application_id is not None:
        query = query.where(Assignment.application_id == application_id)
    return paginate(query, (Assignment.id,), page, per_page)
