"""The §4 formula compiled once per set of rules, in exact integer arithmetic (design.md §4).

`standards.scoring.compute_score` is the reference: it reads as the formula and works in `Fraction`. Bulk
re-scoring runs it tens of thousands of times with the same rules, and most of that time goes to building
and normalising `Fraction`s. Here every rational stays an integer numerator over an integer denominator
(a float weight or threshold is the exact ratio `float.as_integer_ratio()` gives; a consensus is
sum / count), sums are taken over a common denominator, comparisons cross-multiply, and the only
conversion to float is Python's correctly rounded `int / int` — exactly what `float(Fraction)` does. So
the results are equal, float for float, to the reference's; tests compare the two on random rules and
inputs. Anything this fast path does not expect (an unknown code, a score outside its scale, an unusual
number type) is handed to the reference, which raises the same error it always raised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from math import lcm
from typing import Any

from standards.scoring import ScoringRules, compute_score

_JSON_BOOL = {False: "false", True: "true"}


def _ratio(value) -> tuple[int, int]:
    """An exact (numerator, positive denominator) of an int, float, Decimal or Fraction."""
    fraction = Fraction(value)
    return fraction.numerator, fraction.denominator


class CompiledRules:
    """`rules` prepared for many applications: integer weights, thresholds as exact ratios, levels sorted."""

    __slots__ = ("rules", "indicators", "codes", "dimensions", "gap", "pass_", "dim_min", "essential", "levels",
                 "quoted", "dimension_keys", "indicator_texts")  # fmt: skip

    def __init__(self, rules: ScoringRules) -> None:
        self.rules = rules
        # Only the ratios Σ w·v / Σ w matter, so the weights of one sum can be scaled to integers together.
        indicator_ratios = [_ratio(rule.weight) for rule in rules.indicators]
        scale = lcm(*(den for _, den in indicator_ratios)) if indicator_ratios else 1
        dimension_index = {code: position for position, (code, _) in enumerate(rules.dimensions)}
        # (code, dimension position, integer weight, essential, scale min, scale width)
        self.indicators = tuple(
            (rule.code, dimension_index[rule.dimension], num * (scale // den), rule.essential, rule.scale_min,
             rule.scale_max - rule.scale_min)
            for rule, (num, den) in zip(rules.indicators, indicator_ratios, strict=True)
        )  # fmt: skip
        self.codes = {rule.code: rule for rule in rules.indicators}
        dimension_ratios = [_ratio(weight) for _, weight in rules.dimensions]
        scale = lcm(*(den for _, den in dimension_ratios)) if dimension_ratios else 1
        self.dimensions = tuple(
            (code, num * (scale // den))
            for (code, _), (num, den) in zip(rules.dimensions, dimension_ratios, strict=True)
        )
        self.gap = rules.disagreement_gap  # int - int >= float compares exactly in Python
        self.pass_ = _ratio(rules.pass_threshold)
        self.dim_min = _ratio(rules.dimension_minimum)
        self.essential = _ratio(rules.essential_minimum)
        # Highest minimum first; among equal minimums the first listed, as the reference picks.
        ordered = sorted(enumerate(rules.levels), key=lambda item: (-Fraction(item[1][1]), item[0]))
        self.levels = tuple((code, *_ratio(minimum)) for _, (code, minimum) in ordered)
        # Codes as JSON string literals, written once for every result text.
        self.quoted = {code: json.dumps(code) for code in [*self.codes, *(code for code, _ in rules.levels)]}
        self.dimension_keys = tuple(json.dumps(code) for code, _ in rules.dimensions)
        # Per indicator: its text up to the consensus, and its whole text when N/A (without, with disagreement).
        self.indicator_texts = tuple(
            (f'{key}: {{"code": {key}, "consensus": ',
             tuple(f'{key}: {{"code": {key}, "consensus": null, "disagreement": {_JSON_BOOL[flag]}, '
                   f'"moderated": false, "value": null}}' for flag in (False, True)))
            for key in (json.dumps(rule.code) for rule in rules.indicators)
        )  # fmt: skip


class _Refused(Exception):
    """Input the fast path does not judge: the reference decides (and raises its own error)."""


def _evaluate(compiled: CompiledRules, reviewer_scores, moderated):
    """The formula: per indicator (consensus, disagreement, moderated, value) in rule order; per dimension
    its score or None; overall, level, essential failures (codes) and reasons (machine codes)."""
    codes = compiled.codes
    for code in reviewer_scores:
        if code not in codes:
            raise _Refused
    for code in moderated:
        if code not in codes:
            raise _Refused
    gap = compiled.gap
    ess_num, ess_den = compiled.essential
    # Per dimension: [Σ w·value numerator, its denominator, Σ w], all integers.
    sums: list[list | None] = [None] * len(compiled.dimensions)
    indicators: list[tuple] = []
    essential_failures: list[str] = []
    for code, dimension, weight, essential, low, width in compiled.indicators:
        given_sum = given_count = 0
        high_score = low_score = None
        for value in reviewer_scores.get(code, ()):
            if value is None:
                continue
            if type(value) is not int or not (low <= value <= low + width):
                raise _Refused
            given_sum += value
            given_count += 1
            if high_score is None or value > high_score:
                high_score = value
            if low_score is None or value < low_score:
                low_score = value
        disagreement = given_count >= 2 and (high_score - low_score) >= gap
        if code in moderated:
            moderated_score = moderated[code]
            if type(moderated_score) not in (int, float) or not (low <= moderated_score <= low + width):
                raise _Refused
            num, den = moderated_score.as_integer_ratio()
            is_moderated = True
        elif given_count:
            num, den = given_sum, given_count
            is_moderated = False
        else:
            indicators.append((None, disagreement, False, None))
            continue
        # value = (consensus - low) / width = (num - low·den) / (den·width)
        value_num, value_den = num - low * den, den * width
        indicators.append((num / den, disagreement, is_moderated, value_num / value_den))
        if essential and num * ess_den < ess_num * den:
            essential_failures.append(code)
        entry = sums[dimension]
        if entry is None:
            sums[dimension] = [weight * value_num, value_den, weight]
        else:  # a/b + c/d over the common denominator lcm(b, d)
            common = lcm(entry[1], value_den)
            entry[0] = entry[0] * (common // entry[1]) + weight * value_num * (common // value_den)
            entry[1] = common
            entry[2] += weight

    dimensions: list[float | None] = []
    reasons_dimension: list[str] = []
    dmin_num, dmin_den = compiled.dim_min
    overall_num, overall_den, total_weight = 0, 1, 0
    for (code, dimension_weight), entry in zip(compiled.dimensions, sums, strict=True):
        if entry is None:
            dimensions.append(None)
            continue
        # dimension = 100·Σw·v / Σw = 100·num / (den·Σw)
        num, den = 100 * entry[0], entry[1] * entry[2]
        dimensions.append(num / den)
        if num * dmin_den < dmin_num * den:
            reasons_dimension.append(f"dimension_below_minimum:{code}")
        common = lcm(overall_den, den)
        overall_num = overall_num * (common // overall_den) + dimension_weight * num * (common // den)
        overall_den = common
        total_weight += dimension_weight

    reasons: list[str] = []
    overall = level = None
    if not total_weight:
        reasons.append("no_score")
    else:
        overall_den *= total_weight
        overall = overall_num / overall_den
        pass_num, pass_den = compiled.pass_
        if overall_num * pass_den < pass_num * overall_den:
            reasons.append("overall_below_pass")
        for level_code, minimum_num, minimum_den in compiled.levels:
            if minimum_num * overall_den <= overall_num * minimum_den:
                level = level_code
                break
    reasons.extend(reasons_dimension)
    reasons.extend(f"essential_failure:{code}" for code in essential_failures)
    return indicators, dimensions, overall, level, essential_failures, reasons


def score(compiled: CompiledRules, reviewer_scores: Mapping[str, Sequence[int | None]],
          moderated: Mapping[str, float] | None = None) -> dict[str, Any]:  # fmt: skip
    """`compute_score(rules, reviewer_scores, moderated).to_dict()`, equal value for value."""
    moderated = moderated or {}
    try:
        indicators, dimensions, overall, level, essential_failures, reasons = _evaluate(
            compiled, reviewer_scores, moderated
        )
    except _Refused:
        return compute_score(compiled.rules, reviewer_scores, moderated).to_dict()
    return {
        "overall": overall,
        "level": level,
        "eligible": not reasons,
        "dimensions": {code: value for (code, _), value in zip(compiled.dimensions, dimensions, strict=True)},
        "indicators": {
            rule[0]: {
                "code": rule[0],
                "consensus": consensus,
                "disagreement": disagreement,
                "moderated": moderated_,
                "value": value,
            }  # fmt: skip
            for rule, (consensus, disagreement, moderated_, value) in zip(compiled.indicators, indicators, strict=True)
        },
        "essential_failures": essential_failures,
        "ineligibility_reasons": reasons,
    }


def score_self_assessment(compiled: CompiledRules, ratings: Mapping[str, int | None]) -> dict[str, Any]:
    """`compute_self_assessment(rules, ratings).to_dict()`: each rating is the indicator's only score."""
    return score(compiled, {code: (rating,) for code, rating in ratings.items()})


def _number(value: float | None) -> str:
    return "null" if value is None else repr(value)  # what json.dumps writes for a float


def score_json(compiled: CompiledRules, reviewer_scores: Mapping[str, Sequence[int | None]],
               moderated: Mapping[str, float] | None = None) -> tuple[str, float | None, str | None, bool]:  # fmt: skip
    """(`json.dumps(score(...))`, overall, level, eligible): the snapshot's result text, written from the
    figures directly — the same text, character for character, without building the dict first."""
    moderated = moderated or {}
    try:
        indicators, dimensions, overall, level, essential_failures, reasons = _evaluate(
            compiled, reviewer_scores, moderated
        )
    except _Refused:
        result = compute_score(compiled.rules, reviewer_scores, moderated)
        return json.dumps(result.to_dict()), result.overall, result.level, result.eligible
    quoted = compiled.quoted
    text = "".join((
        '{"overall": ', _number(overall),
        ', "level": ', "null" if level is None else quoted[level],
        ', "eligible": ', "false" if reasons else "true",
        ', "dimensions": {', ", ".join(f"{key}: {_number(value)}" for key, value in zip(
            compiled.dimension_keys, dimensions, strict=True)),
        '}, "indicators": {', ", ".join(
            (not_applicable[disagreement] if consensus is None else
             f'{prefix}{consensus!r}, "disagreement": {_JSON_BOOL[disagreement]}, '
             f'"moderated": {_JSON_BOOL[moderated_]}, "value": {value!r}}}')
            for (prefix, not_applicable), (consensus, disagreement, moderated_, value) in zip(
                compiled.indicator_texts, indicators, strict=True)
        ),
        '}, "essential_failures": [', ", ".join(quoted[code] for code in essential_failures),
        '], "ineligibility_reasons": [', ", ".join(json.dumps(reason) for reason in reasons),
        "]}",
    ))  # fmt: skip
    return text, overall, level, not reasons


def self_assessment_json(compiled: CompiledRules, ratings: Mapping[str, int | None]):
    """`score_json` of the MFI's self-assessment."""
    return score_json(compiled, {code: (rating,) for code, rating in ratings.items()})
