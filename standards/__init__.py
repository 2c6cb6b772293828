"""Seals (standards) declared in YAML, their loader/validator and the scoring engine.

Pure Python plus PyYAML: nothing here imports Flask or SQLAlchemy, so the unit tests and the
pilot re-scoring can use it without an application or a database.
"""

from standards.loader import SEALS_DIR, Problem, StandardFileError, load_directory, load_file, parse_standard
from standards.scoring import (
    IndicatorResult,
    IndicatorRule,
    ScoreResult,
    ScoringRules,
    compute_score,
    compute_self_assessment,
)
from standards.spec import (
    AREAS,
    EVIDENCE_KINDS,
    STATUSES,
    DimensionSpec,
    IndicatorSpec,
    Level,
    Settings,
    StandardSpec,
    Text,
)

__all__ = [
    "AREAS",
    "EVIDENCE_KINDS",
    "SEALS_DIR",
    "STATUSES",
    "DimensionSpec",
    "IndicatorResult",
    "IndicatorRule",
    "IndicatorSpec",
    "Level",
    "Problem",
    "ScoreResult",
    "ScoringRules",
    "Settings",
    "StandardFileError",
    "StandardSpec",
    "Text",
    "compute_score",
    "compute_self_assessment",
    "load_directory",
    "load_file",
    "parse_standard",
]
