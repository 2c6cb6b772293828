"""API bearer tokens: only a SHA-256 of each token is stored; tokens expire and can be revoked."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.types import UTCDateTime, utcnow


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # hex SHA-256 of the token: the token itself is shown once, when issued, and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="raise")

    def usable_at(self, now: datetime) -> bool:
        return usable(self.expires_at, self.revoked_at, now)


def usable(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    """A token works until it expires or is revoked, whichever comes first."""
    return revoked_at is None and now < expires_at
