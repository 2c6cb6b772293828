"""Pilot rounds: a country × area round of applications, limited by the funds available."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.seals.models import Area
from certification.types import UTCDateTime, enum_column, utcnow


class RoundStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


ROUND_STEPS = {
    RoundStatus.PLANNED: (RoundStatus.OPEN,),
    RoundStatus.OPEN: (RoundStatus.IN_PROGRESS,),
    RoundStatus.IN_PROGRESS: (RoundStatus.CLOSED,),
    RoundStatus.CLOSED: (),
}


class PilotRound(db.Model):
    __tablename__ = "pilot_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    area: Mapped[Area] = mapped_column(enum_column(Area))
    opens_on: Mapped[date] = mapped_column(sa.Date)
    closes_on: Mapped[date] = mapped_column(sa.Date)
    capacity: Mapped[int]
    budget_note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus), default=RoundStatus.PLANNED)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The round's summary as computed when it closed (certification.pilots.summary): frozen, so later changes
    # to its applications, reviews or the standard's comments never rewrite what the round reported.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict | None] = mapped_column(sa.JSON)

    # Enrolment counts against capacity: the version check keeps two enrolments from both taking the last seat.
    __mapper_args__ = {"version_id_col": version}
