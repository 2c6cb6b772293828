"""Reads of standards: the tree for display and the scoring rules of a version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from certification.errors import NotFound
from certification.extensions import db
from certification.pagination import Page, paginate
from certification.seals import policies
from certification.seals.models import (
    FROZEN_STATUSES,
    Calibration,
    CommentStatus,
    Dimension,
    Indicator,
    IndicatorComment,
    Standard,
    StandardHistory,
    StandardStatus,
)
from standards.scoring import IndicatorRule, ScoringRules

MAX_ID = 2**31 - 1  # an id beyond the database's INTEGER is simply not there


def standard_tree(standard_id: int) -> Standard | None:
    """A standard with its dimensions and indicators loaded (three queries, whatever the size)."""
    if not 0 < standard_id <= MAX_ID:
        return None
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


# Scoring rules of frozen (published, retired) versions, per process: their content never changes again
# (seals.models refuses any edit), so every process may keep its own copy without asking the others. The key
# names the row's whole life and its own thresholds, so a database rebuilt with the same ids never meets
# another row's rules.
_FROZEN_RULES: dict[tuple, ScoringRules] = {}


def scoring_rules(standard: Standard) -> ScoringRules:
    """The rules the scoring formula (standards.scoring) uses, from the database copy (which pilot calibration
    may change); read once per process for a frozen version."""
    frozen = standard.status in FROZEN_STATUSES and not sa.inspect(standard).modified
    key = (
        standard.id, standard.code, standard.version, standard.source_sha256, standard.loaded_at,
        standard.pass_threshold, standard.dimension_minimum, standard.essential_minimum, standard.disagreement_gap,
        json.dumps(standard.levels, sort_keys=True),
    )  # fmt: skip
    if frozen and (rules := _FROZEN_RULES.get(key)) is not None:
        return rules
    rules = _rules_of(standard)
    if frozen:
        _FROZEN_RULES[key] = rules
    return rules


def forget_frozen_rules() -> None:
    """Drop the copies: only for a database whose frozen versions were rewritten behind the product's back
    (a test putting the shipped standards back as they were), never needed otherwise."""
    _FROZEN_RULES.clear()


def _rules_of(standard: Standard) -> ScoringRules:
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


def visible_standards(user) -> list[Standard]:
    """The versions `user` may see, by area, code and version (one query)."""
    return list(
        db.session.scalars(
            select(Standard)
            .where(Standard.status.in_(policies.visible_statuses(user)))
            .order_by(Standard.area, Standard.code, Standard.version)
        )
    )


def standards_page(user, page: int, per_page: int) -> Page:
    """One page of the standard versions `user` may see (seals policy), by id."""
    query = select(Standard).where(Standard.status.in_(policies.visible_statuses(user)))
    return paginate(query, (Standard.id,), page, per_page)


def get_visible(user, standard_id: int, *, for_update: bool = False) -> Standard:
    """The standard if `user` may see it; NotFound otherwise (the same answer as a missing one)."""
    if not 0 < standard_id <= MAX_ID:
        raise NotFound("standard")
    query = select(Standard).where(Standard.id == standard_id, Standard.status.in_(policies.visible_statuses(user)))
    if for_update:
        query = query.with_for_update()
    standard = db.session.scalar(query)
    if standard is None:
        raise NotFound("standard")
    return standard


def visible_tree(user, standard_id: int) -> Standard:
    """The standard with its dimensions and indicators, if `user` may see it; NotFound otherwise."""
    standard = standard_tree(standard_id)
    if not policies.may_see(user, standard):
        raise NotFound("standard")
    return standard


def status_history(standard_id: int) -> list[StandardHistory]:
    return list(
        db.session.scalars(
            select(StandardHistory)
            .where(StandardHistory.standard_id == standard_id)
            .options(joinedload(StandardHistory.actor))
            .order_by(StandardHistory.id)
        )
    )


def open_comments_by_indicator(standard_id: int) -> dict[int, list[IndicatorComment]]:
    """Open consultation comments of a version, grouped by indicator id (one query)."""
    grouped: dict[int, list[IndicatorComment]] = {}
    rows = db.session.scalars(
        select(IndicatorComment)
        .where(IndicatorComment.standard_id == standard_id, IndicatorComment.status == CommentStatus.OPEN)
        .options(joinedload(IndicatorComment.author))
        .order_by(IndicatorComment.id)
    )
    for comment in rows:
        grouped.setdefault(comment.indicator_id, []).append(comment)
    return grouped


def comment_counts(standard_id: int) -> dict[str, int]:
    """Comments of a version by status (one query)."""
    rows = db.session.execute(
        select(IndicatorComment.status, func.count())
        .where(IndicatorComment.standard_id == standard_id)
        .group_by(IndicatorComment.status)
    ).all()
    return {status.value: count for status, count in rows}


def all_comments(standard_id: int) -> list[IndicatorComment]:
    """Every comment of a version with its indicator, author and resolver, in indicator order (one query)."""
    return list(
        db.session.scalars(
            select(IndicatorComment)
            .join(Indicator, IndicatorComment.indicator_id == Indicator.id)
            .join(Dimension, Indicator.dimension_id == Dimension.id)
            .where(IndicatorComment.standard_id == standard_id)
            .options(
                joinedload(IndicatorComment.indicator),
                joinedload(IndicatorComment.author),
                joinedload(IndicatorComment.resolved_by),
            )
            .order_by(Dimension.position, Indicator.position, IndicatorComment.id)
        )
    )


def calibrations(standard_id: int) -> list[Calibration]:
    return list(
        db.session.scalars(
            select(Calibration)
            .where(Calibration.standard_id == standard_id)
            .options(joinedload(Calibration.actor))
            .order_by(Calibration.id.desc())
        )
    )


def versions_of(code: str, statuses) -> list[Standard]:
    """Every version of one seal among `statuses`, oldest first."""
    return list(
        db.session.scalars(
            select(Standard).where(Standard.code == code, Standard.status.in_(statuses)).order_by(Standard.id)
        )
    )


# --- side-by-side diff of two versions ----------------------------------------------------------------------

TEXT_FIELDS = ("text_es", "text_en", "guidance_es", "guidance_en")


@dataclass
class IndicatorDiff:
    """One indicator code across two versions; `left` or `right` is None when it was added or removed."""

    code: str
    left: Indicator | None
    right: Indicator | None
    left_dimension: Dimension | None
    right_dimension: Dimension | None
    changes: list[str] = field(default_factory=list)  # added, removed, reworded, reweighted, moved, ...

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class VersionDiff:
    left: Standard
    right: Standard
    indicators: list[IndicatorDiff]
    dimensions: list[tuple[str, float | None, float | None]]  # (code, left weight, right weight) that differ
    settings: list[tuple[str, object, object]]  # (setting, left, right) that differ

    def codes(self, change: str) -> list[str]:
        return [row.code for row in self.indicators if change in row.changes]


def _indicator_changes(left: Indicator, right: Indicator, left_dim: Dimension, right_dim: Dimension) -> list[str]:
    changes = []
    texts_differ = any(getattr(left, name) != getattr(right, name) for name in TEXT_FIELDS)
    if texts_differ or left.descriptors != right.descriptors:
        changes.append("reworded")
    if left.weight != right.weight:
        changes.append("reweighted")
    if left_dim.code != right_dim.code:
        changes.append("moved")
    if left.essential != right.essential or left.allows_na != right.allows_na:
        changes.append("rules")
    if (left.scale_min, left.scale_max) != (right.scale_min, right.scale_max):
        changes.append("scale")
    if list(left.evidence_kinds) != list(right.evidence_kinds) or left.framework != right.framework:
        changes.append("evidence")
    return changes


def version_diff(left: Standard, right: Standard) -> VersionDiff:
    """Indicators added, removed, reworded and reweighted between two loaded trees (matched by code)."""
    left_rows = {i.code: (i, d) for d in left.dimensions for i in d.indicators}
    right_rows = {i.code: (i, d) for d in right.dimensions for i in d.indicators}
    order = [i.code for d in right.dimensions for i in d.indicators]
    order += [code for code in (i.code for d in left.dimensions for i in d.indicators) if code not in right_rows]
    rows = []
    for code in order:
        l_ind, l_dim = left_rows.get(code, (None, None))
        r_ind, r_dim = right_rows.get(code, (None, None))
        if l_ind is None:
            changes = ["added"]
        elif r_ind is None:
            changes = ["removed"]
        else:
            changes = _indicator_changes(l_ind, r_ind, l_dim, r_dim)
        rows.append(IndicatorDiff(code, l_ind, r_ind, l_dim, r_dim, changes))
    left_dims = {d.code: d.weight for d in left.dimensions}
    right_dims = {d.code: d.weight for d in right.dimensions}
    dimensions = [
        (code, left_dims.get(code), right_dims.get(code))
        for code in dict.fromkeys([*left_dims, *right_dims])
        if left_dims.get(code) != right_dims.get(code)
    ]
    names = ("pass_threshold", "dimension_minimum", "essential_minimum", "levels", "validity_months",
             "min_reviewers", "disagreement_gap")  # fmt: skip
    settings = [(n, getattr(left, n), getattr(right, n)) for n in names if getattr(left, n) != getattr(right, n)]
    return VersionDiff(left, right, rows, dimensions, settings)
