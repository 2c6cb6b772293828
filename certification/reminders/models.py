"""The ledger of reminders sent: its unique key is what makes every reminder go out at most once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.types import UTCDateTime, utcnow


class SentReminder(db.Model):
    """One reminder sent: (recipient, kind, subject, period) is unique, so two sweeps — or two workers —
    that find the same due reminder insert one row between them, and only the one that inserted sends."""

    __tablename__ = "sent_reminders"
    __table_args__ = (sa.UniqueConstraint("recipient_id", "kind", "subject", "period", name="uq_sent_reminders_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(60))  # e.g. "assignment:12", "certificate:3"
    period: Mapped[str] = mapped_column(sa.String(60))  # e.g. "once", "2026-05-04", "d90:2026-08-01"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
