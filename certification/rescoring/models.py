"""A bulk re-scoring job: one row per request, progress committed chunk by chunk."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.types import UTCDateTime, enum_column, utcnow


class RescoreStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RescoreJob(db.Model):
    """Re-scoring of every application of one standard version; `done` of `total` is the progress bar."""

    __tablename__ = "rescore_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    status: Mapped[RescoreStatus] = mapped_column(enum_column(RescoreStatus), default=RescoreStatus.QUEUED)
    # {"changed": [{application_id, reference, before: {eligible, level, overall}, after: {...}}], ...}
    report: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, (100 * self.done) // self.total)

    @property
    def finished(self) -> bool:
        return self.status in (RescoreStatus.DONE, RescoreStatus.FAILED)


class RescoreItem(db.Model):
    """One application of a job, with the outcome before and after; `done_at` set in the chunk's commit.

    The items are the job's work list: a re-delivered task continues with the items not done yet.
    """

    __tablename__ = "rescore_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("rescore_jobs.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"))
    # The outcome before and after ({overall, level, eligible}), kept for the report.
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    changed: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("job_id", "application_id", name="uq_rescore_items_job_application"),
        sa.Index("ix_rescore_items_job_pending", "job_id", "done_at"),
    )
