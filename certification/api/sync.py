"""Offline scoring over the API: what a device may keep, and the changes it made offline.

The offline scoring screen calls these with the reviewer's web session (and CSRF token); other clients with
a bearer token. Every change goes through the same `save_score` as the online scoring screen.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated

from pydantic import Field, StringConstraints

from certification.api import schemas as s
from certification.api.errors import ApiError, api_locale
from certification.api.openapi import ID, operation
from certification.api.views import bp
from certification.errors import ConcurrentUpdate, NotFound
from certification.offline import queries
from certification.offline import services as offline
from certification.validation import MAX_ID

op = partial(operation, bp)
ASSIGNMENT = f"/assignments/<{ID}:assignment_id>"
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class ScoreState(s.Out):
    score: int | None = Field(description="null = N/A")
    comment: str
    evidence_ids: list[int]
    version: int = Field(description="counts the saves of this score; send it back as base_version")
    updated_at: datetime


class ScoringRules(s.Out):
    scale_min: int
    scale_max: int
    allows_na: bool
    comment_required: bool
    comment_max: int


class RubricLevel(s.Out):
    level: int
    descriptor: str


class SelfRating(s.Out):
    rating: int | None
    explanation: str


class OfflineIndicator(s.Out):
    code: str
    text: str
    guidance: str
    essential: bool
    rules: ScoringRules = Field(description="what the server checks a score against, for the device to check first")
    rubric: list[RubricLevel]
    self_assessment: SelfRating | None
    evidence_ids: list[int] = Field(description="evidence files linked to this indicator")
    score: ScoreState | None = Field(description="the reviewer's saved score, null while unscored")


class OfflineDimension(s.Out):
    code: str
    title: str
    indicators: list[OfflineIndicator]


class OfflineEvidence(s.Out):
    id: int
    filename: str
    size: int
    sha256: str


class OfflineAssignmentSummary(s.Out):
    id: int
    application_id: int
    reference: str
    organization: str
    standard_code: str
    standard_version: str
    due_on: date | None
    editable: bool = Field(description="scores can be saved now (accepted, application under review)")


class OfflineAssignmentList(s.Out):
    items: list[OfflineAssignmentSummary] = Field(
        description="every assignment a device may keep for this reviewer; anything else is removed from it"
    )


class OfflineAssignment(OfflineAssignmentSummary):
    dimensions: list[OfflineDimension]
    evidence: list[OfflineEvidence]


class OfflineChangeIn(s.Body):
    key: IdempotencyKey = Field(description="the device's id of this change: sent again, it is applied once")
    indicator_code: s.Code
    score: s.Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    comment: s.Note
    evidence_ids: list[s.Id] = Field(default_factory=list, max_length=500)
    base_version: s.integer(ge=0, le=MAX_ID) = Field(
        description="the score's version this change started from; 0: none"
    )


class OfflineChangeOut(s.Out):
    key: str
    indicator_code: str
    version: int = Field(description="the score's version this change produced")
    replayed: bool = Field(description="true when this key had been applied before: nothing changed now")


def _summary(assignment) -> dict:
    application = assignment.application
    return dict(id=assignment.id, application_id=application.id, reference=application.reference or "",
                organization=application.organization.name, standard_code=application.standard.code,
                standard_version=application.standard.version, due_on=assignment.due_on,
                editable=queries.editable(assignment))  # fmt: skip


@op("GET", "/offline/assignments", returns=OfflineAssignmentList, browser=True, tag="offline")
def offline_assignments(user):
    """The assignments your device may keep offline

    Your accepted assignments. A device removes what it holds of any other (submitted, withdrawn, declined).
    """
    return OfflineAssignmentList(items=[OfflineAssignmentSummary(**_summary(a))
                                        for a in queries.offline_assignments(user.id)])  # fmt: skip


@op("GET", "/offline" + ASSIGNMENT, returns=OfflineAssignment, errors=(404,), browser=True, tag="offline")
def offline_assignment(user, assignment_id: int):
    """One accepted assignment with everything its scoring needs offline

    Indicators with their rubric and scoring rules, the MFI's self-assessment, the evidence files' metadata
    (their content: GET /api/v1/evidence/{id}/content) and your saved scores with their versions.
    """
    assignment = queries.offline_assignment(user.id, assignment_id)
    if assignment is None:
        raise NotFound("assignment")
    return OfflineAssignment.model_validate(queries.package(assignment, api_locale()))


@op("POST", "/offline" + ASSIGNMENT + "/changes", body=OfflineChangeIn, returns=OfflineChangeOut,
    errors=(403, 404, 409), browser=True, tag="offline")  # fmt: skip
def offline_change(user, assignment_id: int, body: OfflineChangeIn):
    """Sync one change made offline

    Send a device's changes one at a time, in the order they were made. A key already applied answers its
    first outcome with `replayed: true` and changes nothing. A score saved since `base_version` answers 409
    `concurrent_update` with the server's score in `details.current`: nothing is overwritten. Validation and
    the other errors are those of PUT /assignments/{id}/scores/{code}.
    """
    try:
        applied = offline.apply_change(user, assignment_id, key=body.key, code=body.indicator_code, score=body.score,
                                       comment=body.comment, evidence_ids=body.evidence_ids,
                                       base_version=body.base_version)  # fmt: skip
    except ConcurrentUpdate as exc:
        row = getattr(exc, "current", None)
        current = None if row is None else ScoreState.model_validate(row).model_dump(mode="json")
        raise ApiError(409, "concurrent_update", exc.message, {"current": current}) from None
    return OfflineChangeOut(key=body.key, indicator_code=body.indicator_code, version=applied.version,
                            replayed=applied.replayed)  # fmt: skip
