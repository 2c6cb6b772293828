"""Pilot rounds: their enrolment, status and closing summary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import CountryCode, DateInWindow, Id, Name, Text, integer
from certification.seals.models import Area

MAX_ROUND_CAPACITY = 10000


class NewPilotRound(Body):
    name: Name
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    area: Area
    opens_on: DateInWindow
    closes_on: DateInWindow = Field(description="not before `opens_on`")
    capacity: integer(ge=1, le=MAX_ROUND_CAPACITY, description="how many MFIs the funds allow")
    budget_note: Text = ""


class RoundStatusIn(Body):
    status: Literal["open", "in_progress", "closed"]


class EnrolmentIn(Body):
    application_id: Id


class PilotRoundOut(Out):
    id: int
    name: str
    country: str
    area: Area
    opens_on: date
    closes_on: date
    capacity: int
    budget_note: str
    status: str
    counts_by_state: dict[str, int] = Field(description="enrolled applications by state")


class RoundOutcomes(Out):
    by_state: dict[str, int] = Field(description="applications by state")
    by_level: dict[str, int] = Field(
        description="scored applications by the level of their latest score (`none`: no level reached)"
    )
    by_country: dict[str, dict[str, int]] | None = Field(
        None, description="applications by country, then state: only when the round spans several countries"
    )


class IndicatorSummary(Out):
    code: str
    applications: int = Field(description="applications with a consensus on it")
    mean_self: float | None
    mean_consensus: float | None
    mean_gap: float | None = Field(description="mean of self-rating − consensus")
    disagreements: int
    alpha: float | None = Field(description="Krippendorff's alpha (ordinal); null where undefined")
    flagged: bool = Field(description="alpha below 0.667")
    comments: int = Field(description="consultation comments raised on this indicator in any version of the seal")


class RoundSummaryOut(Out):
    round_id: int
    status: str
    closed_at: datetime | None
    outcomes: RoundOutcomes
    indicators: list[IndicatorSummary]
