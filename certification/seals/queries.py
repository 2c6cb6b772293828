"""Reads of standards: the tree for display and the scoring rules of a version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from certification.extensions import db
from certification.seals.models import Dimension, Indicator, Standard, StandardStatus
from standards.scoring import IndicatorRule, ScoringRules


def standard_tree(standard_id: int) -> Standard | None:
    """A standard with its dimensions and indicators loaded (three queries, whatever the size)."""
    return db.session.scalar(
        select(Standard)
        .where(Standard.id == standard_id)
        .options(selectinload(Standard.dimensions).selectinload(Dimension.indicators))
    )


def indicators_of(standard_id: int) -> list[Indicator]:
    return list(
        db.session.scalars(
            select(Indicator)
            .join(Dimension, Indicator.dimension_id == Dimension.id)
            .where(Indicator.standard_id == standard_id)
            .order_by(Dimension.position, Indicator.position)
        )
    )


def applicable_standards() -> list[Standard]:
    """Versions an MFI may apply under: published ones, and those in pilot."""
    return list(
        db.session.scalars(
            select(Standard)
            .where(Standard.status.in_((StandardStatus.PUBLISHED, StandardStatus.PILOT)))
            .order_by(Standard.area, Standard.code, Standard.version)
        )
    )


def all_standards() -> list[Standard]:
    return list(db.session.scalars(select(Standard).order_by(Standard.area, Standard.code, Standard.version)))


def scoring_rules(standard: Standard) -> ScoringRules:
    """The rules the §4 formula uses, from the database copy (which pilot calibration may change)."""
    tree = standard_tree(standard.id)
    return ScoringRules(
        dimensions=tuple((d.code, d.weight) for d in tree.dimensions),
        indicators=tuple(
            IndicatorRule(
                code=i.code,
                dimension=d.code,
                weight=i.weight,
                essential=i.essential,
                scale_min=i.scale_min,
                scale_max=i.scale_max,
            )  # fmt: skip
            for d in tree.dimensions
            for i in d.indicators
        ),
        pass_threshold=standard.pass_threshold,
        dimension_minimum=standard.dimension_minimum,
        essential_minimum=standard.essential_minimum,
        levels=tuple((lv["code"], lv["minimum"]) for lv in standard.levels),
        disagreement_gap=standard.disagreement_gap,
    )
