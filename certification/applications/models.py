"""Applications (one organisation × one standard version), their self-assessment and history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.records import ChainedRecord
from certification.types import UTCDateTime, enum_column, utcnow
from workflows.application import State


class Application(db.Model):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    # Only workflows.application.fire (through applications.services.fire_event) changes this.
    state: Mapped[State] = mapped_column(enum_column(State), default=State.DRAFT, index=True)
    version: Mapped[int] = mapped_column(default=1)
    pilot_round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pilot_rounds.id"), index=True)
    previous_certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    flagged_indicators: Mapped[list] = mapped_column(sa.JSON, default=list)
    changes_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Optimistic lock: two transitions on one row cannot both commit.
    __mapper_args__ = {"version_id_col": version}

    organization = relationship("Organization", lazy="raise")
    standard = relationship("Standard", lazy="raise")
    pilot_round = relationship("PilotRound", lazy="raise")
    self_assessments = relationship("SelfAssessment", back_populates="application", lazy="raise")


class SelfAssessment(db.Model):
    """The MFI's own rating of one indicator, with its explanation ("Explique su respuesta")."""

    __tablename__ = "self_assessments"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "indicator_id", name="uq_self_assessments_application_indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id"))
    rating: Mapped[int | None]  # None = N/A where the indicator allows it
    explanation: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application = relationship("Application", back_populates="self_assessments", lazy="raise")
    indicator = relationship("Indicator", lazy="raise")


class HistoryEntry(ChainedRecord, db.Model):
    """Append-only and hash-chained per application: one row per fired event, written in the same
    transaction as the state change (certification.records)."""

    __tablename__ = "application_history"
    __table_args__ = (sa.UniqueConstraint("application_id", "prev_hash", name="uq_application_history_chain"),)
    __chain__ = "application_id"
    __hashed__ = ("application_id", "event", "from_state", "to_state", "actor_id", "reason", "details", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[State | None] = mapped_column(enum_column(State, name="from_state"))
    to_state: Mapped[State] = mapped_column(enum_column(State, name="to_state"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="raise")
