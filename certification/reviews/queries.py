"""Reads for reviews: assignments, conflicts, score inputs and snapshots."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from certification.accounts.models import Affiliation, Role, User
from certification.extensions import db
from certification.reviews.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    DeclaredConflict,
    Moderation,
    ReviewScore,
    ScoreSnapshot,
)
from certification.reviews.policies import affiliation_conflicts
from certification.seals.models import Indicator
from certification.seals.queries import scoring_rules


def assignments_with_reviewers(application_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.application_id == application_id)
            .options(joinedload(Assignment.reviewer))
            .order_by(Assignment.id)
        )
    )


def conflicted_reviewer_ids(reviewer_ids: list[int], organization_id: int, today: date) -> set[int]:
    """Reviewers among `reviewer_ids` in conflict with the organisation: affiliation rule or declared."""
    if not reviewer_ids:
        return set()
    rows = db.session.scalars(
        select(Affiliation).where(Affiliation.user_id.in_(reviewer_ids), Affiliation.organization_id == organization_id)
    )
    declared = db.session.scalars(
        select(DeclaredConflict.reviewer_id).where(
            DeclaredConflict.reviewer_id.in_(reviewer_ids), DeclaredConflict.organization_id == organization_id
        )
    )
    return {a.user_id for a in rows if affiliation_conflicts(a, today)} | set(declared)


def declared_organization_ids(reviewer_ids: list[int]) -> dict[int, set[int]]:
    """Organisations each reviewer declared a conflict with, in one query."""
    out: dict[int, set[int]] = {}
    if reviewer_ids:
        rows = db.session.execute(
            select(DeclaredConflict.reviewer_id, DeclaredConflict.organization_id).where(
                DeclaredConflict.reviewer_id.in_(reviewer_ids)
            )
        )
        for reviewer_id, organization_id in rows:
            out.setdefault(reviewer_id, set()).add(organization_id)
    return out


def declared_conflicts_of(reviewer_id: int) -> list[DeclaredConflict]:
    return list(
        db.session.scalars(
            select(DeclaredConflict)
            .where(DeclaredConflict.reviewer_id == reviewer_id)
            .options(joinedload(DeclaredConflict.organization))
            .order_by(DeclaredConflict.id)
        )
    )


def active_counts(reviewer_ids: list[int] | None = None) -> dict[int, int]:
    """Active (invited or accepted) assignments per reviewer, in one query."""
    query = select(Assignment.reviewer_id, func.count()).where(Assignment.status.in_(ACTIVE_ASSIGNMENT))
    if reviewer_ids is not None:
        query = query.where(Assignment.reviewer_id.in_(reviewer_ids))
    return dict(db.session.execute(query.group_by(Assignment.reviewer_id)).all())


def reviewers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.REVIEWER, User.active.is_(True))
            .options(joinedload(User.affiliations))
            .order_by(User.name)
        ).unique()
    )


def scores_by_assignment(assignment_id: int) -> dict[int, ReviewScore]:
    rows = db.session.scalars(select(ReviewScore).where(ReviewScore.assignment_id == assignment_id))
    return {r.indicator_id: r for r in rows}


def score_inputs(application) -> dict:
    """What the §4 formula reads for this application, as JSON-ready data."""
    reviewer_rows = db.session.execute(
        select(Indicator.code, Assignment.reviewer_id, ReviewScore.score)
        .join(ReviewScore, ReviewScore.indicator_id == Indicator.id)
        .join(Assignment, ReviewScore.assignment_id == Assignment.id)
        .where(Assignment.application_id == application.id, Assignment.status == AssignmentStatus.SUBMITTED)
        .order_by(Indicator.code, Assignment.reviewer_id)
    ).all()
    reviewer_scores: dict[str, list] = {}
    for code, _reviewer, score in reviewer_rows:
        reviewer_scores.setdefault(code, []).append(score)
    moderated = dict(
        db.session.execute(
            select(Indicator.code, Moderation.score)
            .join(Moderation, Moderation.indicator_id == Indicator.id)
            .where(Moderation.application_id == application.id)
        ).all()
    )
    from certification.applications.models import SelfAssessment

    self_ratings = dict(
        db.session.execute(
            select(Indicator.code, SelfAssessment.rating)
            .join(SelfAssessment, SelfAssessment.indicator_id == Indicator.id)
            .where(SelfAssessment.application_id == application.id)
        ).all()
    )
    return {"reviewer_scores": reviewer_scores, "moderated": moderated, "self_ratings": self_ratings}


def digest(inputs: dict, rules: dict) -> str:
    payload = json.dumps({"inputs": inputs, "rules": rules}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def current_digest(application, standard) -> str:
    return digest(score_inputs(application), scoring_rules(standard).to_dict())


def latest_snapshot(application_id: int) -> ScoreSnapshot | None:
    return db.session.scalar(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.application_id == application_id)
        .order_by(ScoreSnapshot.id.desc())
        .limit(1)
    )
