"""Standards (seals) as loaded from standards/*.yaml: standard → dimensions → indicators."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from certification.errors import NotEditable
from certification.extensions import db
from certification.records import ChainedRecord
from certification.types import UTCDateTime, enum_column, utcnow
from workflows.messages import N_


class StandardStatus(enum.StrEnum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    PILOT = "pilot"
    PUBLISHED = "published"
    RETIRED = "retired"


class Area(enum.StrEnum):
    GENDER = "gender"
    POVERTY = "poverty"
    RURAL = "rural"


def _language(locale: str | None) -> str:
    return (locale or "es")[:2].lower()


def _translated(translations: dict | None, locale: str | None, key: str) -> str | None:
    """The overlay text `key` in `locale` (a language added after the version was written), or None."""
    entry = (translations or {}).get(_language(locale)) or {}
    value = entry.get(key)
    return value if isinstance(value, str) and value else None


# Texts in the overlay languages (standards/translations/<language>/): {"fr": {...}}. Not normative
# content: outside the version's digest, and the frozen rule below lets them be added to a published
# version. Spanish and English are never read from here.
TRANSLATIONS_COLUMN = "translations"


class Standard(db.Model):
    __tablename__ = "standards"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_standards_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10))
    area: Mapped[Area] = mapped_column(enum_column(Area))
    version: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[StandardStatus] = mapped_column(enum_column(StandardStatus))
    title_es: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    description_es: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    pass_threshold: Mapped[float]
    dimension_minimum: Mapped[float]
    essential_minimum: Mapped[float]
    levels: Mapped[list] = mapped_column(sa.JSON)  # [{code, minimum, name: {es, en}}] ascending
    validity_months: Mapped[int]
    min_reviewers: Mapped[int]
    disagreement_gap: Mapped[float]
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"fr": {"title", "description", "levels": {code: name}}}
    translations: Mapped[dict | None] = mapped_column(sa.JSON)

    dimensions = relationship("Dimension", back_populates="standard", lazy="raise", order_by="Dimension.position")

    def title(self, locale: str) -> str:
        if _language(locale) == "en":
            return self.title_en
        return _translated(self.translations, locale, "title") or self.title_es

    def description(self, locale: str) -> str:
        if _language(locale) == "en":
            return self.description_en
        return _translated(self.translations, locale, "description") or self.description_es

    def level_name(self, code: str | None, locale: str) -> str:
        language = _language(locale)
        for level in self.levels:
            if level["code"] == code:
                overlay = ((self.translations or {}).get(language) or {}).get("levels") or {}
                return overlay.get(code) or level["name"].get(language) or level["name"]["es"]
        return ""


class Dimension(db.Model):
    __tablename__ = "dimensions"
    __table_args__ = (sa.UniqueConstraint("standard_id", "code", name="uq_dimensions_standard_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(30))
    position: Mapped[int]
    weight: Mapped[float]
    title_es: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    translations: Mapped[dict | None] = mapped_column(sa.JSON)  # {"fr": {"title"}}

    standard = relationship("Standard", back_populates="dimensions", lazy="raise")
    indicators = relationship("Indicator", back_populates="dimension", lazy="raise", order_by="Indicator.position")

    def title(self, locale: str) -> str:
        if _language(locale) == "en":
            return self.title_en
        return _translated(self.translations, locale, "title") or self.title_es


class Indicator(db.Model):
    __tablename__ = "indicators"
    __table_args__ = (sa.UniqueConstraint("standard_id", "code", name="uq_indicators_standard_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    dimension_id: Mapped[int] = mapped_column(sa.ForeignKey("dimensions.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(30))
    position: Mapped[int]
    weight: Mapped[float]
    essential: Mapped[bool]
    allows_na: Mapped[bool]
    scale_min: Mapped[int]
    scale_max: Mapped[int]
    text_es: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text)
    guidance_es: Mapped[str] = mapped_column(sa.Text, default="")
    guidance_en: Mapped[str] = mapped_column(sa.Text, default="")
    descriptors: Mapped[dict] = mapped_column(sa.JSON)  # {"1": {"es": ..., "en": ...}, ...}
    evidence_kinds: Mapped[list] = mapped_column(sa.JSON, default=list)
    framework: Mapped[str] = mapped_column(sa.String(200), default="")
    # {"fr": {"text", "guidance", "descriptors": {"1": ...}}}
    translations: Mapped[dict | None] = mapped_column(sa.JSON)

    dimension = relationship("Dimension", back_populates="indicators", lazy="raise")

    def text(self, locale: str) -> str:
        if _language(locale) == "en":
            return self.text_en
        return _translated(self.translations, locale, "text") or self.text_es

    def guidance(self, locale: str) -> str:
        if _language(locale) == "en":
            return self.guidance_en
        return _translated(self.translations, locale, "guidance") or self.guidance_es

    def descriptor(self, level: int, locale: str) -> str:
        language = _language(locale)
        overlay = ((self.translations or {}).get(language) or {}).get("descriptors") or {}
        if overlay.get(str(level)):
            return overlay[str(level)]
        entry = self.descriptors.get(str(level), {})
        return entry.get(language) or entry.get("es", "")

    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


# Frozen versions: their content never changes again. Only `status` may still move on.
FROZEN_STATUSES = (StandardStatus.PUBLISHED, StandardStatus.RETIRED)


class StandardHistory(ChainedRecord, db.Model):
    """Append-only and hash-chained per version: one row per status change (who, when, from, to, why)."""

    __tablename__ = "standard_history"
    __table_args__ = (sa.UniqueConstraint("standard_id", "prev_hash", name="uq_standard_history_chain"),)
    __chain__ = "standard_id"
    __hashed__ = ("standard_id", "from_status", "to_status", "actor_id", "reason", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    from_status: Mapped[StandardStatus] = mapped_column(enum_column(StandardStatus, name="from_status"))
    to_status: Mapped[StandardStatus] = mapped_column(enum_column(StandardStatus, name="to_status"))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="raise")


class CommentStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ANSWERED = "answered"


class IndicatorComment(db.Model):
    """A consultation comment on one indicator, optionally proposing a rewording, and its resolution."""

    __tablename__ = "indicator_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    proposed_text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CommentStatus] = mapped_column(enum_column(CommentStatus), default=CommentStatus.OPEN)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator = relationship("Indicator", lazy="raise")
    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], lazy="raise")


class Calibration(ChainedRecord, db.Model):
    """One saved pilot calibration: every changed weight or threshold with its old and new value.

    `changes` is a list of {"target": "settings"|"level"|"dimension"|"indicator", "code", "field", "old",
    "new"}; `rescore_job_id` is the bulk re-scoring it started (certification.rescoring). Append-only and
    hash-chained per version (certification.records).
    """

    __tablename__ = "standard_calibrations"
    __table_args__ = (sa.UniqueConstraint("standard_id", "prev_hash", name="uq_standard_calibrations_chain"),)
    __chain__ = "standard_id"
    __hashed__ = ("standard_id", "actor_id", "reason", "changes", "rescore_job_id", "at")

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"), index=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    changes: Mapped[list] = mapped_column(sa.JSON)
    rescore_job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rescore_jobs.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="raise")


def _committed_status(session: Session, standard_id: int) -> StandardStatus | None:
    """The status as stored before this flush (a status change in the same flush does not count)."""
    with session.no_autoflush:
        standard = session.get(Standard, standard_id)
    if standard is None:
        return None
    history = sa.inspect(standard).attrs.status.history
    return history.deleted[0] if history.deleted else standard.status


def _changed_columns(obj) -> list[str]:
    """The changed normative columns: an overlay translation is not content the freeze protects."""
    state = sa.inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key != TRANSLATIONS_COLUMN and state.attrs[attr.key].history.has_changes()
    ]


@sa.event.listens_for(Session, "before_flush")
def _refuse_edits_of_frozen_versions(session: Session, flush_context, instances) -> None:
    """Last line of the frozen rule: whatever code path tries it, a published or retired version's
    content is never updated or deleted (only its status moves on, published → retired)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Standard):
            changed = [key for key in _changed_columns(obj) if key != "status"]
            if (changed or obj in session.deleted) and _committed_status(session, obj.id) in FROZEN_STATUSES:
                raise NotEditable(N_("A published version is frozen: any change needs a new version."))
        elif isinstance(obj, Dimension | Indicator):
            if (obj in session.deleted or _changed_columns(obj)) and _committed_status(
                session, obj.standard_id
            ) in FROZEN_STATUSES:
                raise NotEditable(N_("A published version is frozen: any change needs a new version."))
