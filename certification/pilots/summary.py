"""What a pilot round reports: progress per application while it runs, and its summary (frozen at closing).

Summary figures, per indicator code over the round's applications:

- applications: applications with a consensus for it (the moderated score where there is one, else the mean
  of the submitted reviewers' scores; all N/A = no consensus);
- mean_self: mean self-rating over the applications that rated it (N/A left out);
- mean_consensus: mean consensus over those `applications`;
- mean_gap: mean of (self-rating − consensus) over the applications that have both;
- disagreements: applications whose submitted reviewer scores spread by at least the standard's
  `disagreement_gap` (max − min, N/A left out);
- alpha: Krippendorff's alpha (ordinal) of the submitted reviewer scores, one unit per application; None where
  undefined; `flagged` when below ALPHA_THRESHOLD;
- comments: consultation comments raised on that indicator code in any version of the round's seals.

Outcomes count the applications by state, by the level of their latest score (`none`: scored, no level
reached; unscored applications are left out) and, when the round spans several countries, by country.

Every read here is a fixed number of queries, whatever the number of applications or reviews.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from certification.accounts.models import User
from certification.applications.models import Application, SelfAssessment
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pilots.models import PilotRound, RoundStatus
from certification.reviews.agreement import krippendorff_alpha
from certification.reviews.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    Moderation,
    ReviewScore,
    ScoreSnapshot,
)
from certification.seals.models import Dimension, Indicator, IndicatorComment, Standard

ALPHA_THRESHOLD = 0.667  # Krippendorff's customary lowest acceptable reliability for tentative conclusions
SCORE_BINS = tuple(range(0, 100, 10))  # score distribution: [0, 10), [10, 20), … [90, 100]


def _mean(values: list) -> float | None:
    return sum(values) / len(values) if values else None


def _latest_snapshots(round_id: int) -> dict[int, ScoreSnapshot]:
    latest = (
        select(func.max(ScoreSnapshot.id))
        .join(Application, ScoreSnapshot.application_id == Application.id)
        .where(Application.pilot_round_id == round_id)
        .group_by(ScoreSnapshot.application_id)
    )
    rows = db.session.scalars(select(ScoreSnapshot).where(ScoreSnapshot.id.in_(latest)))
    return {row.application_id: row for row in rows}


def _applications(round_id: int):
    return db.session.execute(
        select(Application.id, Application.reference, Application.state, Application.standard_id,
               Organization.name.label("organization"), Organization.country)
        .join(Organization, Application.organization_id == Organization.id)
        .where(Application.pilot_round_id == round_id)
        .order_by(Application.id)
    ).all()  # fmt: skip


@dataclass
class ProgressRow:
    """One application of a round as its page shows it."""

    id: int
    reference: str | None
    organization: str
    state: str
    accepted: int
    submitted: int
    overdue: int
    overall: float | None
    level: str | None
    eligible: bool | None


def progress(round_id: int, today: date) -> list[ProgressRow]:
    """Every application of the round with its reviews (accepted, submitted, overdue) and latest score:
    three queries."""
    applications = _applications(round_id)
    counts = {
        row.application_id: row
        for row in db.session.execute(
            select(
                Assignment.application_id,
                func.sum(case((Assignment.status == AssignmentStatus.ACCEPTED, 1), else_=0)).label("accepted"),
                func.sum(case((Assignment.status == AssignmentStatus.SUBMITTED, 1), else_=0)).label("submitted"),
                func.sum(
                    case((Assignment.status.in_(ACTIVE_ASSIGNMENT) & (Assignment.due_on < today), 1), else_=0)
                ).label("overdue"),
            )
            .join(Application, Assignment.application_id == Application.id)
            .where(Application.pilot_round_id == round_id)
            .group_by(Assignment.application_id)
        )
    }
    snapshots = _latest_snapshots(round_id)
    out = []
    for app in applications:
        count, snapshot = counts.get(app.id), snapshots.get(app.id)
        out.append(ProgressRow(
            id=app.id, reference=app.reference, organization=app.organization, state=app.state.value,
            accepted=int(count.accepted or 0) if count else 0, submitted=int(count.submitted or 0) if count else 0,
            overdue=int(count.overdue or 0) if count else 0,
            overall=snapshot.overall if snapshot else None, level=snapshot.level if snapshot else None,
            eligible=snapshot.eligible if snapshot else None,
        ))  # fmt: skip
    return out


def score_distribution(scores: list[float]) -> list[tuple[str, int]]:
    """How many scores fall in each tenth of 0–100 (100 itself in the last)."""
    counts = Counter(min(int(score // 10) * 10, 90) for score in scores)
    return [(f"{low}–{low + 9 if low < 90 else 100}", counts.get(low, 0)) for low in SCORE_BINS]


def compute(pilot_round: PilotRound) -> dict:
    """The round's summary computed now from its applications (see the module docstring), JSON-ready."""
    round_id = pilot_round.id
    applications = _applications(round_id)
    standard_ids = sorted({a.standard_id for a in applications})
    standards = {s.id: s for s in db.session.scalars(select(Standard).where(Standard.id.in_(standard_ids)))}
    gap_of = {a.id: standards[a.standard_id].disagreement_gap for a in applications}

    reviewer_scores: dict[str, dict[int, list]] = {}
    for application_id, code, score in db.session.execute(
        select(Assignment.application_id, Indicator.code, ReviewScore.score)
        .join(ReviewScore, ReviewScore.assignment_id == Assignment.id)
        .join(Indicator, ReviewScore.indicator_id == Indicator.id)
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.pilot_round_id == round_id, Assignment.status == AssignmentStatus.SUBMITTED)
    ):
        reviewer_scores.setdefault(code, {}).setdefault(application_id, []).append(score)
    moderated: dict[str, dict[int, float]] = {}
    for application_id, code, score in db.session.execute(
        select(Moderation.application_id, Indicator.code, Moderation.score)
        .join(Indicator, Moderation.indicator_id == Indicator.id)
        .join(Application, Moderation.application_id == Application.id)
        .where(Application.pilot_round_id == round_id)
    ):
        moderated.setdefault(code, {})[application_id] = score
    self_ratings: dict[str, dict[int, int]] = {}
    for application_id, code, rating in db.session.execute(
        select(SelfAssessment.application_id, Indicator.code, SelfAssessment.rating)
        .join(Indicator, SelfAssessment.indicator_id == Indicator.id)
        .join(Application, SelfAssessment.application_id == Application.id)
        .where(Application.pilot_round_id == round_id, SelfAssessment.rating.is_not(None))
    ):
        self_ratings.setdefault(code, {})[application_id] = rating
    codes = list(dict.fromkeys(db.session.scalars(
        select(Indicator.code).join(Dimension, Indicator.dimension_id == Dimension.id)
        .where(Indicator.standard_id.in_(standard_ids))
        .order_by(Indicator.standard_id, Dimension.position, Indicator.position)
    )))  # fmt: skip
    seal_codes = sorted({s.code for s in standards.values()})
    comments = dict(
        db.session.execute(
            select(Indicator.code, func.count(IndicatorComment.id))
            .join(Indicator, IndicatorComment.indicator_id == Indicator.id)
            .join(Standard, IndicatorComment.standard_id == Standard.id)
            .where(Standard.code.in_(seal_codes))
            .group_by(Indicator.code)
        ).all()
    )

    indicators = []
    for code in codes:
        by_app = reviewer_scores.get(code, {})
        consensus: dict[int, float] = {}
        disagreements = 0
        for application_id, scores in by_app.items():
            present = [s for s in scores if s is not None]
            if present:
                consensus[application_id] = sum(present) / len(present)
                if max(present) - min(present) >= gap_of[application_id]:
                    disagreements += 1
        consensus.update(moderated.get(code, {}))
        own = self_ratings.get(code, {})
        gaps = [own[a] - value for a, value in consensus.items() if a in own]
        alpha = krippendorff_alpha(list(by_app.values()), "ordinal")
        indicators.append({
            "code": code, "applications": len(consensus), "mean_self": _mean(list(own.values())),
            "mean_consensus": _mean(list(consensus.values())), "mean_gap": _mean(gaps),
            "disagreements": disagreements, "alpha": alpha,
            "flagged": alpha is not None and alpha < ALPHA_THRESHOLD, "comments": comments.get(code, 0),
        })  # fmt: skip

    snapshots = _latest_snapshots(round_id)
    by_level = Counter(snapshots[a.id].level or "none" for a in applications if a.id in snapshots)
    outcomes: dict = {
        "by_state": dict(sorted(Counter(a.state.value for a in applications).items())),
        "by_level": dict(sorted(by_level.items())),
    }
    countries = {a.country for a in applications}
    if len(countries) > 1:
        by_country: dict[str, dict[str, int]] = {}
        for a in applications:
            by_country.setdefault(a.country, Counter())[a.state.value] += 1
        outcomes["by_country"] = {c: dict(sorted(n.items())) for c, n in sorted(by_country.items())}
    return {
        "round_id": round_id,
        "status": pilot_round.status.value,
        "closed_at": pilot_round.closed_at.isoformat() if pilot_round.closed_at else None,
        "applications": len(applications),
        "outcomes": outcomes,
        "scores": sorted(
            snapshots[a.id].overall for a in applications if a.id in snapshots and snapshots[a.id].overall is not None
        ),  # fmt: skip
        "standards": [{"id": s.id, "code": s.code, "version": s.version} for s in standards.values()],
        "alpha_threshold": ALPHA_THRESHOLD,
        "indicators": indicators,
    }


def summary_of(pilot_round: PilotRound) -> dict:
    """The frozen summary of a closed round; the live one of a round still running."""
    if pilot_round.status == RoundStatus.CLOSED and pilot_round.summary is not None:
        return pilot_round.summary
    return compute(pilot_round)


def outcomes_by_level(round_id: int, rows: list[ProgressRow], locale: str) -> list[tuple[str | None, int]]:
    """(level name in `locale`, applications) over the scored applications of the round, highest level first;
    None names the scored applications that reached no level. One query (the round's standards)."""
    standards = list(
        db.session.scalars(
            select(Standard)
            .where(Standard.id.in_(select(Application.standard_id).where(Application.pilot_round_id == round_id)))
            .order_by(Standard.id)
        )
    )
    order = {level["code"]: position for standard in standards for position, level in enumerate(standard.levels)}
    counts = Counter(row.level for row in rows if row.overall is not None)
    named = []
    for code, n in sorted(counts.items(), key=lambda item: (item[0] is None, -order.get(item[0], -1))):
        name = next((s.level_name(code, locale) for s in standards if code and s.level_name(code, locale)), code)
        named.append((name, n))
    return named


def reviewer_load(round_id: int) -> list[tuple[str, int]]:
    """Each reviewer of the round with the applications they hold (invited, accepted or submitted), busiest first:
    one query."""
    held = func.count(Assignment.id)
    rows = db.session.execute(
        select(User.name, held)
        .join(Assignment, Assignment.reviewer_id == User.id)
        .join(Application, Assignment.application_id == Application.id)
        .where(
            Application.pilot_round_id == round_id,
            Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.SUBMITTED)),
        )
        .group_by(User.id, User.name)
        .order_by(held.desc(), User.name)
    )
    return [(name, n) for name, n in rows]


def level_names(figures: dict) -> dict[str, dict[str, str]]:
    """Level code → its name per language, from the round's standards (one query)."""
    ids = [s["id"] for s in figures.get("standards", [])]
    names: dict[str, dict[str, str]] = {}
    if ids:
        for standard in db.session.scalars(select(Standard).where(Standard.id.in_(ids)).order_by(Standard.id)):
            for level in standard.levels:
                names.setdefault(level["code"], level["name"])
    return names
