"""Reviewer assignments, their indicator scores, moderation and score snapshots."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.records import ChainedRecord
from certification.types import UTCDateTime, enum_column, utcnow


class AssignmentStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


# Active: counts against the reviewer's capacity. Live: the reviewer is (or was, once submitted) on the application.
ACTIVE_ASSIGNMENT = (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED)
LIVE_ASSIGNMENT = (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[AssignmentStatus] = mapped_column(enum_column(AssignmentStatus), default=AssignmentStatus.INVITED)
    # Indexed: the staff dashboard lists the overdue ones (due_on < today), a few among many.
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    no_conflict_declared: Mapped[bool] = mapped_column(default=False)
    conflict_declared: Mapped[bool] = mapped_column(default=False)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The assignment this one replaces (withdraw and replace), for the record.
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignments.id"))

    application = relationship("Application", lazy="raise")
    reviewer = relationship("User", foreign_keys=[reviewer_id], lazy="raise")
    scores = relationship("ReviewScore", back_populates="assignment", lazy="raise")

    def is_overdue(self, today: date) -> bool:
        """Due date passed while the review is still to do (invited or accepted)."""
        return self.due_on is not None and self.due_on < today and self.status in ACTIVE_ASSIGNMENT

    @property
    def overdue(self) -> bool:
        """Overdue as of today (UTC): the badge the pages show."""
        return self.is_overdue(utcnow().date())


class ReviewScore(db.Model):
    __tablename__ = "review_scores"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "indicator_id", name="uq_review_scores_assignment_indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id"))
    score: Mapped[int | None]  # None = N/A where allowed
    comment: Mapped[str] = mapped_column(sa.Text)
    evidence_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the applicant's resubmission reopened this indicator; cleared when the reviewer scores it again.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts the saves of this score: a device that scored offline names the version it started from, and a
    # score changed meanwhile (another device, another tab) is never silently overwritten.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    assignment = relationship("Assignment", back_populates="scores", lazy="raise")


class Moderation(ChainedRecord, db.Model):
    """A facilitator's moderated score replacing an indicator's consensus, with its justification.

    Kept as a history, hash-chained per application: a new row per moderation; an indicator's current
    moderation is its latest row (highest id)."""

    __tablename__ = "moderations"
    __table_args__ = (sa.UniqueConstraint("application_id", "prev_hash", name="uq_moderations_chain"),)
    __chain__ = "application_id"
    __hashed__ = ("application_id", "indicator_id", "score", "justification", "moderator_id", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id"))
    score: Mapped[float]
    justification: Mapped[str] = mapped_column(sa.Text)
    moderator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoreSnapshot(db.Model):
    """A computed score with its inputs and the standard's rules at that time."""

    __tablename__ = "score_snapshots"
    # Whether a snapshot is its application's latest: one probe of this index.
    __table_args__ = (sa.Index("ix_score_snapshots_latest", "application_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    inputs_digest: Mapped[str] = mapped_column(sa.String(64))
    inputs: Mapped[dict] = mapped_column(sa.JSON)
    rules: Mapped[dict] = mapped_column(sa.JSON)
    result: Mapped[dict] = mapped_column(sa.JSON)
    self_result: Mapped[dict] = mapped_column(sa.JSON)
    overall: Mapped[float | None]
    level: Mapped[str | None] = mapped_column(sa.String(30))
    eligible: Mapped[bool]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many indicators of `result` show a reviewer disagreement nobody has moderated, written with the
    # snapshot (scoring.pipeline) so the staff dashboard ranks applications without reading any JSON.
    open_disagreements: Mapped[int] = mapped_column(default=0, server_default="0")


# The staff dashboard's order (most open disagreements first, then by application): its first rows are read
# from here without looking at the snapshots without any.
sa.Index("ix_score_snapshots_open_disagreements", ScoreSnapshot.open_disagreements.desc(), ScoreSnapshot.application_id)
