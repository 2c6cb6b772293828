"""Loading standards from YAML into the database (idempotent; a published version never changes)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from certification.extensions import db
from certification.outbox.services import commit
from certification.seals.models import Area, Dimension, Indicator, Standard, StandardStatus
from standards.loader import SEALS_DIR, load_directory
from standards.spec import StandardSpec


class PublishedVersionChanged(Exception):
    """A published standard's file was edited: that needs a new version, not an edit."""


@dataclass
class LoadReport:
    created: list[str]
    unchanged: list[str]


def _digest(spec: StandardSpec) -> str:
    def encode(obj):
        if hasattr(obj, "__dataclass_fields__"):
            return {k: encode(getattr(obj, k)) for k in obj.__dataclass_fields__}
        if isinstance(obj, dict):
            return {str(k): encode(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [encode(v) for v in obj]
        return obj

    return hashlib.sha256(json.dumps(encode(spec), sort_keys=True).encode()).hexdigest()


def _build(spec: StandardSpec, digest: str) -> Standard:
    s = spec.settings
    standard = Standard(
        code=spec.code, area=Area(spec.area), version=spec.version, status=StandardStatus(spec.status),
        title_es=spec.title.es, title_en=spec.title.en,
        description_es=spec.description.es, description_en=spec.description.en,
        pass_threshold=s.pass_threshold, dimension_minimum=s.dimension_minimum,
        essential_minimum=s.essential_minimum,
        levels=[{"code": lv.code, "minimum": lv.minimum, "name": {"es": lv.name.es, "en": lv.name.en}}
                for lv in s.levels],
        validity_months=s.validity_months, min_reviewers=s.min_reviewers,
        disagreement_gap=s.disagreement_gap, source_sha256=digest,
    )  # fmt: skip
    db.session.add(standard)
    db.session.flush()
    for d_pos, d in enumerate(spec.dimensions):
        dimension = Dimension(
            standard_id=standard.id, code=d.code, position=d_pos, weight=d.weight,
            title_es=d.title.es, title_en=d.title.en,
        )  # fmt: skip
        db.session.add(dimension)
        db.session.flush()
        db.session.add_all(
            Indicator(
                standard_id=standard.id,
                dimension_id=dimension.id,
                code=i.code,
                position=i_pos,
                weight=i.weight,
                essential=i.essential,
                allows_na=i.allows_na,
                scale_min=i.scale_min,
                scale_max=i.scale_max,
                text_es=i.text.es,
                text_en=i.text.en,
                guidance_es=i.guidance.es,
                guidance_en=i.guidance.en,
                descriptors={str(k): {"es": v.es, "en": v.en} for k, v in i.descriptors.items()},
                evidence_kinds=list(i.evidence),
                framework=i.framework,
            )  # fmt: skip
            for i_pos, i in enumerate(d.indicators)
        )
    return standard


def load_standards(directory: str | Path = SEALS_DIR) -> LoadReport:
    """Validate every YAML file in `directory`, then add the versions not yet loaded, all in one transaction.

    Raises standards.loader.StandardFileError (nothing loaded) for a bad file, and PublishedVersionChanged
    when a loaded version's file now says something else.
    """
    specs = load_directory(directory)
    report = LoadReport(created=[], unchanged=[])
    for spec in specs:
        digest = _digest(spec)
        label = f"{spec.code} {spec.version}"
        existing = db.session.scalar(
            select(Standard).where(Standard.code == spec.code, Standard.version == spec.version)
        )
        if existing is None:
            _build(spec, digest)
            report.created.append(label)
        elif existing.source_sha256 == digest:
            report.unchanged.append(label)
        else:
            db.session.rollback()
            raise PublishedVersionChanged(
                f"{spec.source}: {label} is already loaded and its content changed; "
                "give the file a new version instead of editing a loaded one."
            )
    commit()
    return report
