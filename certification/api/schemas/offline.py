"""Offline scoring: what a device may keep, and the changes it made offline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import Code, Id, Int, Note, integer
from certification.validation import MAX_ID

IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class ScoreState(Out):
    score: int | None = Field(description="null = N/A")
    comment: str
    evidence_ids: list[int]
    version: int = Field(description="counts the saves of this score; send it back as base_version")
    updated_at: datetime


class ScoringRules(Out):
    scale_min: int
    scale_max: int
    allows_na: bool
    comment_required: bool
    comment_max: int


class RubricLevel(Out):
    level: int
    descriptor: str


class SelfRating(Out):
    rating: int | None
    explanation: str


class OfflineIndicator(Out):
    code: str
    text: str
    guidance: str
    essential: bool
    rules: ScoringRules = Field(description="what the server checks a score against, for the device to check first")
    rubric: list[RubricLevel]
    self_assessment: SelfRating | None
    evidence_ids: list[int] = Field(description="evidence files linked to this indicator")
    score: ScoreState | None = Field(description="the reviewer's saved score, null while unscored")


class OfflineDimension(Out):
    code: str
    title: str
    indicators: list[OfflineIndicator]


class OfflineEvidence(Out):
    id: int
    filename: str
    size: int
    sha256: str


class OfflineAssignmentSummary(Out):
    id: int
    application_id: int
    reference: str
    organization: str
    standard_code: str
    standard_version: str
    due_on: date | None
    editable: bool = Field(description="scores can be saved now (accepted, application under review)")


class OfflineAssignmentList(Out):
    items: list[OfflineAssignmentSummary] = Field(
        description="every assignment a device may keep for this reviewer; anything else is removed from it"
    )


class OfflineAssignment(OfflineAssignmentSummary):
    dimensions: list[OfflineDimension]
    evidence: list[OfflineEvidence]


class OfflineChangeIn(Body):
    key: IdempotencyKey = Field(description="the device's id of this change: sent again, it is applied once")
    indicator_code: Code
    score: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    comment: Note
    evidence_ids: list[Id] = Field(default_factory=list, max_length=500)
    base_version: integer(ge=0, le=MAX_ID) = Field(description="the score's version this change started from; 0: none")


class OfflineChangeOut(Out):
    key: str
    indicator_code: str
    version: int = Field(description="the score's version this change produced")
    replayed: bool = Field(description="true when this key had been applied before: nothing changed now")
