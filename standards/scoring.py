"""The scoring engine: the rules below, exactly (tests/unit/test_scoring.py writes them out again).

For one application and its standard version:

- consensus of an indicator = mean of the reviewers' scores, N/A (None) ignored; all N/A or no
  score -> the indicator is N/A. A facilitator's moderated score replaces the consensus.
- disagreement = (max - min of the reviewers' non-N/A scores) >= disagreement_gap (needs 2 scores).
- value = (consensus - scale_min) / (scale_max - scale_min), in 0..1.
- dimension = 100 * sum(w * value) / sum(w) over its non-N/A indicators (None if all are N/A).
- overall = sum(W * dimension) / sum(W) over the dimensions that have a score (None if none).
- essential failure = an essential indicator whose consensus (moderated if moderated) is below
  essential_minimum.
- eligible = overall >= pass, every scored dimension >= dimension_minimum, no essential failure.
- level = the highest level whose minimum <= overall, reported even when not eligible.

Arithmetic is exact (fractions.Fraction) so that a score sitting exactly on a threshold is judged
on the right side of it; results are converted to float only at the end and never rounded (display
rounds). The functions are pure: the same inputs always give the same result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from standards.spec import StandardSpec


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    dimension: str
    weight: float
    essential: bool
    scale_min: int
    scale_max: int


@dataclass(frozen=True)
class ScoringRules:
    """Everything the formula needs from a standard version; stored with each score snapshot so a
    snapshot can be recomputed without the standard (and after pilot calibration)."""

    dimensions: tuple[tuple[str, float], ...]  # (code, weight) in order
    indicators: tuple[IndicatorRule, ...]
    pass_threshold: float
    dimension_minimum: float
    essential_minimum: float
    levels: tuple[tuple[str, float], ...]  # (code, minimum)
    disagreement_gap: float

    def __post_init__(self) -> None:
        dimension_codes = [code for code, _ in self.dimensions]
        if len(set(dimension_codes)) != len(dimension_codes):
            raise ValueError("duplicate dimension code in scoring rules")
        for code, weight in self.dimensions:
            _check_weight(weight, f"dimension {code}")
        seen: set[str] = set()
        for rule in self.indicators:
            if rule.code in seen:
                raise ValueError(f"duplicate indicator code {rule.code!r} in scoring rules")
            seen.add(rule.code)
            if rule.dimension not in dimension_codes:
                raise ValueError(f"indicator {rule.code} belongs to unknown dimension {rule.dimension!r}")
            _check_weight(rule.weight, f"indicator {rule.code}")
            if not (_is_int(rule.scale_min) and _is_int(rule.scale_max) and rule.scale_min < rule.scale_max):
                raise ValueError(f"indicator {rule.code} has an invalid scale {rule.scale_min}..{rule.scale_max}")
        for name in ("pass_threshold", "dimension_minimum", "essential_minimum", "disagreement_gap"):
            if not _is_finite_number(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        for code, minimum in self.levels:
            if not _is_finite_number(minimum):
                raise ValueError(f"level {code} minimum must be a finite number")

    @classmethod
    def from_spec(cls, spec: StandardSpec) -> ScoringRules:
        settings = spec.settings
        return cls(
            dimensions=tuple((dimension.code, float(dimension.weight)) for dimension in spec.dimensions),
            indicators=tuple(
                IndicatorRule(
                    code=indicator.code,
                    dimension=dimension.code,
                    weight=float(indicator.weight),
                    essential=indicator.essential,
                    scale_min=indicator.scale_min,
                    scale_max=indicator.scale_max,
                )
                for dimension in spec.dimensions
                for indicator in dimension.indicators
            ),
            pass_threshold=float(settings.pass_threshold),
            dimension_minimum=float(settings.dimension_minimum),
            essential_minimum=float(settings.essential_minimum),
            levels=tuple((level.code, float(level.minimum)) for level in settings.levels),
            disagreement_gap=float(settings.disagreement_gap),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy, stored in score snapshots."""
        return {
            "dimensions": [{"code": code, "weight": weight} for code, weight in self.dimensions],
            "indicators": [
                {
                    "code": rule.code,
                    "dimension": rule.dimension,
                    "weight": rule.weight,
                    "essential": rule.essential,
                    "scale_min": rule.scale_min,
                    "scale_max": rule.scale_max,
                }
                for rule in self.indicators
            ],
            "pass_threshold": self.pass_threshold,
            "dimension_minimum": self.dimension_minimum,
            "essential_minimum": self.essential_minimum,
            "levels": [{"code": code, "minimum": minimum} for code, minimum in self.levels],
            "disagreement_gap": self.disagreement_gap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringRules:
        return cls(
            dimensions=tuple((item["code"], float(item["weight"])) for item in data["dimensions"]),
            indicators=tuple(
                IndicatorRule(
                    code=item["code"],
                    dimension=item["dimension"],
                    weight=float(item["weight"]),
                    essential=bool(item["essential"]),
                    scale_min=int(item["scale_min"]),
                    scale_max=int(item["scale_max"]),
                )
                for item in data["indicators"]
            ),
            pass_threshold=float(data["pass_threshold"]),
            dimension_minimum=float(data["dimension_minimum"]),
            essential_minimum=float(data["essential_minimum"]),
            levels=tuple((item["code"], float(item["minimum"])) for item in data["levels"]),
            disagreement_gap=float(data["disagreement_gap"]),
        )

    def indicator(self, code: str) -> IndicatorRule:
        for rule in self.indicators:
            if rule.code == code:
                return rule
        raise KeyError(code)


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    consensus: float | None  # the moderated score when moderated
    disagreement: bool
    moderated: bool
    value: float | None  # normalised 0..1; None when N/A

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "consensus": self.consensus,
            "disagreement": self.disagreement,
            "moderated": self.moderated,
            "value": self.value,
        }


@dataclass(frozen=True)
class ScoreResult:
    overall: float | None
    level: str | None
    eligible: bool
    dimensions: dict[str, float | None]
    indicators: dict[str, IndicatorResult]
    essential_failures: tuple[str, ...]
    # Machine codes, in this order: "no_score", "overall_below_pass",
    # "dimension_below_minimum:<dimension>", "essential_failure:<indicator>".
    ineligibility_reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, unrounded."""
        return {
            "overall": self.overall,
            "level": self.level,
            "eligible": self.eligible,
            "dimensions": dict(self.dimensions),
            "indicators": {code: result.to_dict() for code, result in self.indicators.items()},
            "essential_failures": list(self.essential_failures),
            "ineligibility_reasons": list(self.ineligibility_reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        return cls(
            overall=data["overall"],
            level=data["level"],
            eligible=bool(data["eligible"]),
            dimensions=dict(data["dimensions"]),
            indicators={
                code: IndicatorResult(
                    code=item["code"],
                    consensus=item["consensus"],
                    disagreement=bool(item["disagreement"]),
                    moderated=bool(item["moderated"]),
                    value=item["value"],
                )
                for code, item in data["indicators"].items()
            },
            essential_failures=tuple(data["essential_failures"]),
            ineligibility_reasons=tuple(data["ineligibility_reasons"]),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    # Decimal and Fraction are accepted (a database Numeric column gives Decimal); Fraction() of each
    # is exact.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        return False
    return math.isfinite(value)


def _check_weight(weight: Any, what: str) -> None:
    if not _is_finite_number(weight) or weight <= 0:
        raise ValueError(f"{what} must have a weight > 0, got {weight!r}")


def _optional_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def compute_score(
    rules: ScoringRules,
    reviewer_scores: Mapping[str, Sequence[int | None]],
    moderated: Mapping[str, float] | None = None,
) -> ScoreResult:
    """Score one application from its reviewers' scores.

    `reviewer_scores` maps an indicator code to the scores of the submitted reviews (None = N/A); an
    indicator left out has no score and counts as N/A. `moderated` maps an indicator code to the
    facilitator's moderated score, which replaces the consensus. Raises ValueError for an unknown
    indicator code, a reviewer score that is not an integer in the indicator's scale, or a moderated
    score outside the scale.
    """
    moderated = moderated or {}
    rules_by_code = {rule.code: rule for rule in rules.indicators}
    for code in list(reviewer_scores) + list(moderated):
        if code not in rules_by_code:
            raise ValueError(f"unknown indicator code {code!r}")

    indicator_results: dict[str, IndicatorResult] = {}
    consensus_of: dict[str, Fraction | None] = {}
    value_of: dict[str, Fraction | None] = {}
    for rule in rules.indicators:
        scores = list(reviewer_scores.get(rule.code, ()))
        for score in scores:
            if score is None:
                continue
            if not _is_int(score):
                raise ValueError(f"{rule.code}: reviewer score {score!r} is not an integer")
            if not (rule.scale_min <= score <= rule.scale_max):
                raise ValueError(f"{rule.code}: score {score} is outside the scale {rule.scale_min}..{rule.scale_max}")
        given = [score for score in scores if score is not None]
        disagreement = len(given) >= 2 and (max(given) - min(given)) >= Fraction(rules.disagreement_gap)

        is_moderated = rule.code in moderated
        if is_moderated:
            moderated_score = moderated[rule.code]
            if not _is_finite_number(moderated_score) or not (rule.scale_min <= moderated_score <= rule.scale_max):
                raise ValueError(
                    f"{rule.code}: moderated score {moderated_score!r} is outside the scale "
                    f"{rule.scale_min}..{rule.scale_max}"
                )
            consensus: Fraction | None = Fraction(moderated_score)
        elif given:
            consensus = Fraction(sum(given), len(given))
        else:
            consensus = None

        value = None if consensus is None else (consensus - rule.scale_min) / (rule.scale_max - rule.scale_min)
        consensus_of[rule.code] = consensus
        value_of[rule.code] = value
        indicator_results[rule.code] = IndicatorResult(
            code=rule.code,
            consensus=_optional_float(consensus),
            disagreement=disagreement,
            moderated=is_moderated,
            value=_optional_float(value),
        )

    dimension_scores: dict[str, Fraction | None] = {}
    for dimension_code, _ in rules.dimensions:
        weighted = Fraction(0)
        total_weight = Fraction(0)
        for rule in rules.indicators:
            value = value_of[rule.code]
            if rule.dimension != dimension_code or value is None:
                continue
            weight = Fraction(rule.weight)
            weighted += weight * value
            total_weight += weight
        dimension_scores[dimension_code] = 100 * weighted / total_weight if total_weight else None

    weighted = Fraction(0)
    total_weight = Fraction(0)
    for dimension_code, dimension_weight in rules.dimensions:
        score = dimension_scores[dimension_code]
        if score is not None:
            weight = Fraction(dimension_weight)
            weighted += weight * score
            total_weight += weight
    overall = weighted / total_weight if total_weight else None

    essential_minimum = Fraction(rules.essential_minimum)
    essential_failures = tuple(
        rule.code
        for rule in rules.indicators
        if rule.essential and consensus_of[rule.code] is not None and consensus_of[rule.code] < essential_minimum
    )

    reasons: list[str] = []
    if overall is None:
        reasons.append("no_score")
    elif overall < Fraction(rules.pass_threshold):
        reasons.append("overall_below_pass")
    dimension_minimum = Fraction(rules.dimension_minimum)
    for dimension_code, _ in rules.dimensions:
        score = dimension_scores[dimension_code]
        if score is not None and score < dimension_minimum:
            reasons.append(f"dimension_below_minimum:{dimension_code}")
    reasons.extend(f"essential_failure:{code}" for code in essential_failures)

    level = None
    if overall is not None:
        best: Fraction | None = None
        for level_code, minimum in rules.levels:
            threshold = Fraction(minimum)
            if threshold <= overall and (best is None or threshold > best):
                level, best = level_code, threshold

    return ScoreResult(
        overall=_optional_float(overall),
        level=level,
        eligible=not reasons,
        dimensions={code: _optional_float(score) for code, score in dimension_scores.items()},
        indicators=indicator_results,
        essential_failures=essential_failures,
        ineligibility_reasons=tuple(reasons),
    )


def compute_self_assessment(rules: ScoringRules, ratings: Mapping[str, int | None]) -> ScoreResult:
    """Score the MFI's self-assessment with the same formula: each indicator's consensus is the MFI's
    own rating (None = N/A). Raises ValueError like `compute_score`."""
    return compute_score(rules, {code: [rating] for code, rating in ratings.items()})
