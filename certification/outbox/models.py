"""The transactional outbox: side effects written with the change that causes them, relayed after commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """One side effect to run at least once: `task(**payload)`, payload holding ids only.

    Life: created (in the business transaction) → sent (published to the broker) → claimed by a worker
    (`claimed_until`, a lease the worker extends while it runs) → done, or failed after too many attempts.
    A message whose lease ran out (worker killed) or that was never sent is re-published by the relay.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(120))  # handler name (certification/outbox/handlers.py)
    payload: Mapped[dict] = mapped_column(sa.JSON)  # ids only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
