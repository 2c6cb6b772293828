"""The compiled integer engine gives exactly what the reference formula (standards/scoring.py) gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certification.scoring.engine import CompiledRules, score, score_json, score_self_assessment, self_assessment_json
from standards.scoring import IndicatorRule, ScoringRules, compute_score, compute_self_assessment

# Floats a person types (1.5, 0.1, 70) and awkward ones (1/3 rounded, tiny, huge), all finite and > 0.
WEIGHTS = st.one_of(
    st.sampled_from([1.0, 2.0, 0.5, 0.1, 0.2, 0.3, 1.5, 3.0, 1 / 3, 2 / 3, 10.0]),
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=20),
)
THRESHOLDS = st.one_of(
    st.sampled_from([0.0, 50.0, 60.0, 66.66666666666667, 70.0, 75.0, 80.0, 100.0, 100 / 3, 200 / 3]),
    st.floats(min_value=-10, max_value=110, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=100),
)


@st.composite
def rules_and_inputs(draw):
    dimension_count = draw(st.integers(min_value=1, max_value=4))
    dimensions = tuple((f"D{n}", draw(WEIGHTS)) for n in range(dimension_count))
    indicators = []
    for n in range(draw(st.integers(min_value=1, max_value=10))):
        low = draw(st.integers(min_value=-2, max_value=3))
        high = low + draw(st.integers(min_value=1, max_value=6))
        indicators.append(IndicatorRule(code=f"I{n}", dimension=draw(st.sampled_from(dimensions))[0],
                                        weight=draw(WEIGHTS), essential=draw(st.booleans()), scale_min=low,
                                        scale_max=high))  # fmt: skip
    level_count = draw(st.integers(min_value=0, max_value=4))
    rules = ScoringRules(
        dimensions=dimensions,
        indicators=tuple(indicators),
        pass_threshold=draw(THRESHOLDS),
        dimension_minimum=draw(THRESHOLDS),
        essential_minimum=draw(st.one_of(st.floats(min_value=-3, max_value=10, allow_nan=False), st.integers(-3, 10))),
        levels=tuple((f"L{n}", draw(THRESHOLDS)) for n in range(level_count)),
        disagreement_gap=draw(st.one_of(st.floats(min_value=0, max_value=7, allow_nan=False), st.integers(0, 7))),
    )
    reviewers = draw(st.integers(min_value=0, max_value=4))
    reviewer_scores = {}
    moderated = {}
    ratings = {}
    for rule in indicators:
        score_of = st.one_of(st.none(), st.integers(rule.scale_min, rule.scale_max))
        if draw(st.integers(0, 9)):  # now and then an indicator nobody scored
            reviewer_scores[rule.code] = [draw(score_of) for _ in range(reviewers)]
        if not draw(st.integers(0, 3)):
            moderated[rule.code] = draw(st.one_of(
                st.integers(rule.scale_min, rule.scale_max).map(float),
                st.floats(min_value=rule.scale_min, max_value=rule.scale_max, allow_nan=False),
            ))  # fmt: skip
        if draw(st.integers(0, 9)):
            ratings[rule.code] = draw(score_of)
    return rules, reviewer_scores, moderated, ratings


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules_and_inputs())
def test_the_compiled_engine_equals_the_reference_on_random_rules_and_inputs(case):
    rules, reviewer_scores, moderated, ratings = case
    compiled = CompiledRules(rules)
    expected = compute_score(rules, reviewer_scores, moderated).to_dict()
    got = score(compiled, reviewer_scores, moderated)
    assert got == expected
    # Equal floats, and the same types (a stored snapshot's JSON text must not change either).
    assert repr(got) == repr(expected)
    # The snapshot's text is what json.dumps writes for the reference's result, character for character.
    reference = compute_score(rules, reviewer_scores, moderated)
    assert score_json(compiled, reviewer_scores, moderated) == (
        json.dumps(expected),
        reference.overall,
        reference.level,
        reference.eligible,
    )
    self_expected = compute_self_assessment(rules, ratings).to_dict()
    assert score_self_assessment(compiled, ratings) == self_expected
    assert self_assessment_json(compiled, ratings)[0] == json.dumps(self_expected)


def test_a_score_exactly_on_each_threshold_is_judged_like_the_reference():
    # One indicator 1..5 scored 4: value 3/4, overall exactly 75.
    rules = ScoringRules(dimensions=(("D", 0.1),), indicators=(IndicatorRule("I", "D", 0.3, True, 1, 5),),
                         pass_threshold=75.0, dimension_minimum=75.0, essential_minimum=4.0,
                         levels=(("low", 74.99), ("gold", 75.0), ("also", 75.0)), disagreement_gap=2.0)  # fmt: skip
    got = score(CompiledRules(rules), {"I": [3, 5]})
    assert got == compute_score(rules, {"I": [3, 5]}).to_dict()
    assert (got["overall"], got["level"], got["eligible"]) == (75.0, "gold", True)
    assert got["indicators"]["I"]["disagreement"] is True


@pytest.mark.parametrize(
    ("reviewer_scores", "moderated"),
    [({"I9": [3]}, {}), ({"I": [6]}, {}), ({"I": [True]}, {}), ({"I": [3.0]}, {}), ({}, {"I": 5.5}),
     ({}, {"I9": 3.0}), ({}, {"I": float("nan")})],
)  # fmt: skip
def test_inputs_the_reference_refuses_are_refused_with_the_same_error(reviewer_scores, moderated):
    rules = ScoringRules(dimensions=(("D", 1.0),), indicators=(IndicatorRule("I", "D", 1.0, False, 1, 5),),
                         pass_threshold=60.0, dimension_minimum=50.0, essential_minimum=3.0, levels=(),
                         disagreement_gap=2.0)  # fmt: skip
    with pytest.raises(ValueError) as expected:
        compute_score(rules, reviewer_scores, moderated)
    with pytest.raises(ValueError, match=str(expected.value).replace("(", r"\(").replace(")", r"\)")):
        score(CompiledRules(rules), reviewer_scores, moderated)
