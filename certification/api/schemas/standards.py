"""Standards (seals): their settings, dimensions and indicators."""

from __future__ import annotations

from certification.api.schemas.common import Out, page
from certification.seals.models import Area


class StandardSummary(Out):
    id: int
    code: str
    area: Area
    version: str
    status: str
    title: str


class LevelOut(Out):
    code: str
    minimum: float
    name: str


class StandardSettings(Out):
    pass_threshold: float
    dimension_minimum: float
    essential_minimum: float
    levels: list[LevelOut]
    validity_months: int
    min_reviewers: int
    disagreement_gap: float


class IndicatorOut(Out):
    code: str
    weight: float
    essential: bool
    scale_min: int
    scale_max: int
    allows_na: bool
    text: str


class DimensionOut(Out):
    code: str
    weight: float
    title: str
    indicators: list[IndicatorOut]


class StandardOut(StandardSummary):
    description: str
    settings: StandardSettings
    dimensions: list[DimensionOut]


StandardPage = page(StandardSummary)
