"""The receipts of changes a device made offline: each change's idempotency key is applied once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.types import UTCDateTime, utcnow


class OfflineChange(db.Model):
    """A synced change, kept so that the same change sent again (a retry after a lost answer) is answered
    with its first outcome and never applied twice. Keys are the device's, unique per reviewer."""

    __tablename__ = "offline_changes"
    __table_args__ = (sa.UniqueConstraint("reviewer_id", "key", name="uq_offline_changes_reviewer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(64))
    # The score's version this change produced: the answer to a replay.
    version: Mapped[int]
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
