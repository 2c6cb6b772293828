"""People: users with one role, reviewer profiles and their affiliations."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.records import ChainedRecord
from certification.types import UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class AffiliationKind(enum.StrEnum):
    EMPLOYEE = "employee"
    BOARD = "board"
    CONSULTANT = "consultant"
    AUDITOR = "auditor"
    FUNDER = "funder"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="es")
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session's identity (get_id): raising it ends every browser session of this person at once.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Reviewer profile (empty for other roles).
    areas: Mapped[list] = mapped_column(sa.JSON, default=list)
    countries: Mapped[list] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    max_active_assignments: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization = relationship("Organization", lazy="raise")
    affiliations = relationship("Affiliation", back_populates="user", lazy="raise")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session and a remember-me cookie store: a cookie of an earlier epoch names nobody."""
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Affiliation(db.Model):
    """A tie between a person and an organisation that may be a conflict of interest."""

    __tablename__ = "affiliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[AffiliationKind] = mapped_column(enum_column(AffiliationKind))
    since: Mapped[date] = mapped_column(sa.Date)
    until: Mapped[date | None] = mapped_column(sa.Date)

    user = relationship("User", back_populates="affiliations", lazy="raise")
    organization = relationship("Organization", lazy="raise")


class PersonChange(ChainedRecord, db.Model):
    """An admin's change to a person (role, active, organisation, invitation): who, when, old → new.
    Append-only and hash-chained per person, written in the same transaction as the change (certification.records)."""

    __tablename__ = "person_changes"
    __table_args__ = (sa.UniqueConstraint("person_id", "prev_hash", name="uq_person_changes_chain"),)
    __chain__ = "person_id"
    __hashed__ = ("person_id", "actor_id", "field", "old", "new", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(sa.String(20))
    old: Mapped[str] = mapped_column(sa.String(200), default="")
    new: Mapped[str] = mapped_column(sa.String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
