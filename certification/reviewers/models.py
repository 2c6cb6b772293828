"""What a reviewer declares about themself: conflicts of interest with organisations.

A reviewer's areas, countries, languages and capacity are columns of `User`; their affiliations (ties an
organisation records about them) are `certification.accounts.models.Affiliation`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.types import UTCDateTime, utcnow


class DeclaredConflict(db.Model):
    """A conflict of interest a reviewer declares with an organisation: never assigned to it."""

    __tablename__ = "declared_conflicts"
    __table_args__ = (
        sa.UniqueConstraint("reviewer_id", "organization_id", name="uq_declared_conflicts_reviewer_organization"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization = relationship("Organization", lazy="raise")
