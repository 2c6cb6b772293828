"""Reviewers' scores, moderation, and an application's computed score."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import Id, Int, Note


class ScoreIn(Body):
    score: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    comment: Note
    evidence_ids: list[Id] = Field(default_factory=list, max_length=500)


class ModerationIn(Body):
    score: float = Field(allow_inf_nan=False, description="on the indicator's scale")
    justification: Note


class ReviewScoreOut(Out):
    indicator: str
    score: int | None
    comment: str
    evidence_ids: list[int]
    updated_at: datetime


class ModerationOut(Out):
    indicator: str
    score: float
    justification: str
    moderator_id: int
    at: datetime


class DimensionScore(Out):
    code: str
    score: float | None


class IndicatorScore(Out):
    code: str
    consensus: float | None
    disagreement: bool
    moderated: bool


class SelfAssessmentScore(Out):
    overall: float | None


class ScoreOut(Out):
    overall: float | None
    level: str | None
    eligible: bool
    dimensions: list[DimensionScore]
    indicators: list[IndicatorScore]
    essential_failures: list[str]
    self_assessment: SelfAssessmentScore
    computed_at: datetime
