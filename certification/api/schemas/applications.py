"""Applications: their lifecycle events, self-assessment and history."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certification.api.schemas.certificates import CertificateRef
from certification.api.schemas.common import Body, Filter, Out, PageQuery, page
from certification.api.schemas.fields import Code, Id, Int, Note, Text, text
from certification.seals.models import Area
from workflows.application import State


class ApplicationFilters(PageQuery):
    state: State = Filter()
    area: Area = Filter(description="the seal's area")


class NewApplication(Body):
    standard_id: Id


class SelfAssessmentIn(Body):
    rating: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    explanation: Note


class EventIn(Body):
    event: text(40, single_line=True, required=True) = Field(
        description="a lifecycle event, e.g. submit, start_review, certify"
    )
    reason: Text = ""
    indicators: list[Code] = Field(default_factory=list, max_length=500, description="for request_changes")


class ApplicationSummary(Out):
    id: int
    reference: str | None
    state: State
    organization_id: int
    standard_id: int
    pilot_round_id: int | None
    created_at: datetime
    updated_at: datetime


class ApplicationOut(ApplicationSummary):
    allowed_events: list[str] = Field(description="the events this caller may fire now (guards may still fail)")
    flagged_indicators: list[str]
    decided_at: datetime | None
    previous_certificate_id: int | None
    certificate: CertificateRef | None


class SelfAssessmentOut(Out):
    indicator: str
    rating: int | None
    explanation: str
    updated_at: datetime


class HistoryOut(Out):
    event: str
    from_state: State | None
    to_state: State
    actor_id: int | None
    reason: str
    at: datetime
    hash: str = Field(description="SHA-256 (hex) of this row's canonical content, prev_hash included")
    prev_hash: str = Field(description="hash of the previous row of this application's history; empty for the first")


ApplicationPage = page(ApplicationSummary)


HistoryPage = page(HistoryOut)
