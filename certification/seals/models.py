"""Standards (seals) as loaded from standards/*.yaml: standard → dimensions → indicators."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certification.extensions import db
from certification.types import UTCDateTime, enum_column, utcnow


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

    dimensions = relationship("Dimension", back_populates="standard", lazy="raise", order_by="Dimension.position")

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_es

    def level_name(self, code: str | None, locale: str) -> str:
        for level in self.levels:
            if level["code"] == code:
                return level["name"].get(locale) or level["name"]["es"]
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

    standard = relationship("Standard", back_populates="dimensions", lazy="raise")
    indicators = relationship("Indicator", back_populates="dimension", lazy="raise", order_by="Indicator.position")

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_es


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

    dimension = relationship("Dimension", back_populates="indicators", lazy="raise")

    def text(self, locale: str) -> str:
        return self.text_en if locale == "en" else self.text_es

    def guidance(self, locale: str) -> str:
        return self.guidance_en if locale == "en" else self.guidance_es

    def descriptor(self, level: int, locale: str) -> str:
        entry = self.descriptors.get(str(level), {})
        return entry.get(locale) or entry.get("es", "")

    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)
