"""Bulk, set-based test data: many reviewed applications of one standard, many due reminders.

Rows go in with multi-row INSERTs (not through the services, which would take minutes for 10,000
applications); the states and scores are valid for the scoring rules, so a recompute gives real results.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from certification.accounts.models import Role, User
from certification.applications.models import Application, SelfAssessment
from certification.extensions import db
from certification.organizations.models import Organization
from certification.reviews.models import Assignment, AssignmentStatus, ReviewScore
from certification.seals.models import Standard
from certification.seals.queries import indicators_of
from certification.types import utcnow
from workflows.application import State

BATCH = 5000
HASH = "pbkdf2:sha256:1000$bench$0"  # nobody logs in as these people


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])


def _ids(model, column, values) -> dict:
    wanted = list(values)
    found = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        found.update(dict(db.session.execute(select(column, model.id).where(column.in_(chunk))).all()))
    return found


def people(prefix: str, role: Role, count: int, **extra) -> list[int]:
    """`count` users of one role (emails `<prefix>-<n>@bench.example`); returns their ids in order."""
    emails = [f"{prefix}-{n}@bench.example" for n in range(count)]
    _insert(User, [{"email": e, "name": f"{prefix.title()} {n}", "role": role, "password_hash": HASH, **extra}
                   for n, e in enumerate(emails)])  # fmt: skip
    by_email = _ids(User, User.email, emails)
    return [by_email[e] for e in emails]


def reviewed_applications(standard_id: int, count: int, *, prefix: str = "bench", seed: int = 5,
                          reviewers_per_application: int = 2) -> list[int]:  # fmt: skip
    """`count` applications under review, each of its own organisation, self-assessed, with
    `reviewers_per_application` submitted reviews of random scores. Commits; returns application ids."""
    rng = random.Random(seed)
    standard = db.session.get(Standard, standard_id)
    indicators = indicators_of(standard.id)
    names = [f"{prefix.title()} Financiera {n:05d}" for n in range(count)]
    _insert(Organization, [{"name": name, "country": "PE"} for name in names])
    org_ids = _ids(Organization, Organization.name, names)
    facilitator = people(f"{prefix}-facilitator", Role.FACILITATOR, 1)[0]
    reviewers = people(f"{prefix}-reviewer", Role.REVIEWER, 8, areas=[standard.area.value], countries=["PE"],
                       languages=["es"], max_active_assignments=10**6)  # fmt: skip
    emails = [f"{prefix}-applicant-{n}@bench.example" for n in range(count)]
    pairs = enumerate(zip(emails, names, strict=True))
    _insert(User, [{"email": e, "name": f"Applicant {n}", "role": Role.APPLICANT, "password_hash": HASH,
                    "organization_id": org_ids[name]} for n, (e, name) in pairs])  # fmt: skip
    by_email = _ids(User, User.email, emails)
    applicants = [by_email[e] for e in emails]
    refs = [f"{prefix.upper()}-{n:06d}" for n in range(count)]
    _insert(Application, [
        {"reference": ref, "organization_id": org_ids[name], "standard_id": standard.id, "state": State.UNDER_REVIEW,
         "created_by_id": applicant, "flagged_indicators": []}
        for ref, name, applicant in zip(refs, names, applicants, strict=True)
    ])  # fmt: skip
    app_ids = _ids(Application, Application.reference, refs)
    ordered = [app_ids[ref] for ref in refs]
    ratings = []
    assignments = []
    now = utcnow()
    for app_id, applicant in zip(ordered, applicants, strict=True):
        for ind in indicators:
            rating = rng.randint(ind.scale_min, ind.scale_max)
            ratings.append({"application_id": app_id, "indicator_id": ind.id, "explanation": "bench",
                            "rating": rating, "updated_by_id": applicant})  # fmt: skip
        for reviewer in rng.sample(reviewers, reviewers_per_application):
            assignments.append({"application_id": app_id, "reviewer_id": reviewer, "assigned_by_id": facilitator,
                                "status": AssignmentStatus.SUBMITTED, "no_conflict_declared": True,
                                "submitted_at": now, "due_on": (now + timedelta(days=14)).date()})  # fmt: skip
    _insert(SelfAssessment, ratings)
    _insert(Assignment, assignments)
    assignment_rows = db.session.execute(
        select(Assignment.id).join(Application).where(Application.reference.like(f"{prefix.upper()}-%"))
    ).scalars()
    scores = []
    for assignment_id in assignment_rows:
        bias = rng.randint(-1, 1)
        for ind in indicators:
            value = min(ind.scale_max, max(ind.scale_min, rng.randint(ind.scale_min + 1, ind.scale_max) + bias))
            scores.append({"assignment_id": assignment_id, "indicator_id": ind.id, "score": value, "comment": "ok",
                           "evidence_ids": []})  # fmt: skip
    _insert(ReviewScore, scores)
    db.session.commit()
    return ordered


def overdue_assignments(standard_id: int, count: int, *, prefix: str = "late", days_overdue: int = 1) -> list[int]:
    """`count` accepted assignments, each due `days_overdue` days ago, each of its own reviewer (so each gives
    one due reminder). Commits; returns the reviewer ids."""
    app_ids = reviewed_applications(standard_id, count, prefix=prefix, reviewers_per_application=0)
    reviewers = people(f"{prefix}-late-reviewer", Role.REVIEWER, count)
    facilitator = db.session.scalar(select(User.id).where(User.email == f"{prefix}-facilitator-0@bench.example"))
    due_on = (utcnow() - timedelta(days=days_overdue)).date()
    _insert(Assignment, [
        {"application_id": app_id, "reviewer_id": reviewer, "assigned_by_id": facilitator, "due_on": due_on,
         "status": AssignmentStatus.ACCEPTED, "no_conflict_declared": True}
        for app_id, reviewer in zip(app_ids, reviewers, strict=True)
    ])  # fmt: skip
    db.session.commit()
    return reviewers
