"""What a reviewer's device may hold: the accepted assignments and, for each, everything its scoring needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certification.applications import queries as application_queries
from certification.applications.models import Application
from certification.evidence.queries import evidence_of
from certification.extensions import db
from certification.offline.models import OfflineChange
from certification.reviews import queries as review_queries
from certification.reviews.models import Assignment, AssignmentStatus
from certification.reviews.services import MAX_TEXT
from certification.seals.queries import standard_tree
from workflows.application import State


def offline_assignments(reviewer_id: int) -> list[Assignment]:
    """The reviewer's accepted assignments: the only ones a device may keep (submitted, withdrawn and
    declined ones are removed from it at the next sync)."""
    return list(db.session.scalars(
        select(Assignment)
        .where(Assignment.reviewer_id == reviewer_id, Assignment.status == AssignmentStatus.ACCEPTED)
        .options(joinedload(Assignment.application).joinedload(Application.organization),
                 joinedload(Assignment.application).joinedload(Application.standard))
        .order_by(Assignment.id)
    ))  # fmt: skip


def offline_assignment(reviewer_id: int, assignment_id: int) -> Assignment | None:
    """One of the reviewer's accepted assignments, or None (anyone else's, or no longer accepted)."""
    return next((a for a in offline_assignments(reviewer_id) if a.id == assignment_id), None)


def editable(assignment: Assignment) -> bool:
    return assignment.status == AssignmentStatus.ACCEPTED and assignment.application.state == State.UNDER_REVIEW


def package(assignment: Assignment, locale: str) -> dict:
    """Everything the scoring screen shows for one assignment, with the rules the server checks a score
    against (scale, N/A, comment), so that the device validates each change exactly as the server will."""
    application = assignment.application
    tree = standard_tree(application.standard_id)
    scores = review_queries.scores_by_assignment(assignment.id)
    assessed = application_queries.self_assessments(application.id)
    files = evidence_of(application.id)
    dimensions = []
    for dimension in tree.dimensions:
        indicators = []
        for i in dimension.indicators:
            row, own = scores.get(i.id), assessed.get(i.id)
            indicators.append({
                "code": i.code, "text": i.text(locale), "guidance": i.guidance(locale), "essential": i.essential,
                "rules": {"scale_min": i.scale_min, "scale_max": i.scale_max, "allows_na": i.allows_na,
                          "comment_required": True, "comment_max": MAX_TEXT},
                "rubric": [{"level": level, "descriptor": i.descriptor(level, locale)} for level in i.scale()],
                "self_assessment": None if own is None else {"rating": own.rating, "explanation": own.explanation},
                "evidence_ids": [e.id for e in files if any(x.id == i.id for x in e.indicators)],
                "score": None if row is None else {
                    "score": row.score, "comment": row.comment, "evidence_ids": list(row.evidence_ids or []),
                    "version": row.version, "updated_at": row.updated_at,
                },
            })  # fmt: skip
        dimensions.append({"code": dimension.code, "title": dimension.title(locale), "indicators": indicators})
    return {
        "id": assignment.id, "application_id": application.id, "reference": application.reference or "",
        "organization": application.organization.name, "standard_code": application.standard.code,
        "standard_version": application.standard.version, "due_on": assignment.due_on,
        "editable": editable(assignment), "dimensions": dimensions,
        "evidence": [{"id": e.id, "filename": e.filename, "size": e.size, "sha256": e.sha256} for e in files],
    }  # fmt: skip


def receipt(reviewer_id: int, key: str) -> OfflineChange | None:
    return db.session.scalar(select(OfflineChange).where(OfflineChange.reviewer_id == reviewer_id,
                                                         OfflineChange.key == key))  # fmt: skip
