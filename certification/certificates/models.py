"""Certificates issued on certification, publicly verifiable by an unguessable code."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.records import ChainedRecord
from certification.types import UTCDateTime, enum_column, utcnow


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", use_alter=True), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"))
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    verification_code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    level: Mapped[str] = mapped_column(sa.String(30))
    overall: Mapped[float]
    issued_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus), default=CertificateStatus.VALID, index=True
    )
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The hash of the application history row that issued it: a printed certificate pins its history.
    decision_hash: Mapped[str | None] = mapped_column(sa.String(64))

    organization = relationship("Organization", lazy="raise")
    standard = relationship("Standard", lazy="raise")


class CertificateStatusChange(ChainedRecord, db.Model):
    """Append-only and hash-chained per certificate: its issue and every later status change, written in
    the transaction of the application event that caused it (certification.records)."""

    __tablename__ = "certificate_status_changes"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "prev_hash", name="uq_certificate_status_changes_chain"),)
    __chain__ = "certificate_id"
    __hashed__ = ("certificate_id", "event", "from_status", "to_status", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[CertificateStatus | None] = mapped_column(enum_column(CertificateStatus, name="from_status"))
    to_status: Mapped[CertificateStatus] = mapped_column(enum_column(CertificateStatus, name="to_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
