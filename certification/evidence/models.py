"""Evidence files uploaded by an applicant and linked to indicators."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.types import UTCDateTime, utcnow

evidence_indicators = sa.Table(
    "evidence_indicators",
    db.metadata,
    sa.Column("evidence_id", sa.ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("indicator_id", sa.ForeignKey("indicators.id"), primary_key=True),
)


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random; never the user's name
    filename: Mapped[str] = mapped_column(sa.String(200))  # sanitised original name, for display only
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(120))  # sniffed from the content
    description: Mapped[str] = mapped_column(sa.Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # In the standard's order (ids follow the YAML), so every page and API answer lists them the same way.
    indicators = relationship("Indicator", secondary=evidence_indicators, lazy="raise", order_by="Indicator.id")
