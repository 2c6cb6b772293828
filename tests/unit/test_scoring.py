"""The scoring engine follows its rules exactly.

Hand-computed cases spell out the arithmetic in comments; a property test compares the engine with an
independent, straightforward re-implementation written here with fractions.Fraction.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards.scoring import (
    IndicatorRule,
    ScoreResult,
    ScoringRules,
    compute_score,
    compute_self_assessment,
)
from standards.spec import DimensionSpec, IndicatorSpec, Level, Settings, StandardSpec, Text

LEVELS = (("bronze", 60.0), ("silver", 70.0), ("gold", 80.0))


def make_rules(**overrides) -> ScoringRules:
    """D1 (weight 1): I1 (w 2, essential, 1–5), I2 (w 1, 1–5).
    D2 (weight 3): I3 (w 1, 1–5), I4 (w 1, 0–4)."""
    values = dict(
        dimensions=(("D1", 1.0), ("D2", 3.0)),
        indicators=(
            IndicatorRule("I1", "D1", 2.0, True, 1, 5),
            IndicatorRule("I2", "D1", 1.0, False, 1, 5),
            IndicatorRule("I3", "D2", 1.0, False, 1, 5),
            IndicatorRule("I4", "D2", 1.0, False, 0, 4),
        ),
        pass_threshold=60.0,
        dimension_minimum=40.0,
        essential_minimum=3.0,
        levels=LEVELS,
        disagreement_gap=2.0,
    )
    values.update(overrides)
    return ScoringRules(**values)


def single_indicator_rules(count: int = 1, weight: float = 1.0) -> ScoringRules:
    """One dimension of `count` indicators on a 0–10 scale, so a score of 7 is exactly 70%."""
    return make_rules(
        dimensions=(("D", 1.0),),
        indicators=tuple(IndicatorRule(f"X{i}", "D", weight, False, 0, 10) for i in range(count)),
    )


def test_consensus_is_the_simple_mean_and_feeds_the_weighted_formula():
    result = compute_score(make_rules(), {"I1": [4, 5], "I2": [3, 3], "I3": [5, 4], "I4": [3, 3]})

    # I1: mean 4.5 -> (4.5-1)/4 = 0.875     I2: mean 3 -> 0.5
    # D1 = 100 * (2*0.875 + 1*0.5) / 3 = 75
    # I3: 4.5 -> 0.875                       I4 (0–4): 3 -> 0.75
    # D2 = 100 * (0.875 + 0.75) / 2 = 81.25
    # overall = (1*75 + 3*81.25) / 4 = 79.6875 -> silver, eligible
    assert result.indicators["I1"].consensus == 4.5
    assert result.indicators["I1"].value == 0.875
    assert result.indicators["I4"].value == 0.75
    assert result.dimensions == {"D1": 75.0, "D2": 81.25}
    assert result.overall == 79.6875
    assert result.level == "silver"
    assert result.eligible is True
    assert result.ineligibility_reasons == ()
    assert result.essential_failures == ()


def test_na_scores_are_ignored_in_the_consensus():
    result = compute_score(make_rules(), {"I1": [4, 5], "I2": [None, 5], "I3": [5], "I4": [4]})

    # I2: only the 5 counts -> value 1.0; D1 = 100 * (2*0.875 + 1) / 3 = 91.666...
    assert result.indicators["I2"].consensus == 5.0
    assert result.indicators["I2"].value == 1.0
    assert result.dimensions["D1"] == pytest.approx(275 / 3)


def test_all_na_indicator_is_left_out_of_its_dimension():
    result = compute_score(make_rules(), {"I1": [4, 5], "I2": [None, None], "I3": [5], "I4": [4]})

    # I2 is N/A: D1 = 100 * (2*0.875) / 2 = 87.5
    assert result.indicators["I2"].consensus is None
    assert result.indicators["I2"].value is None
    assert result.dimensions["D1"] == 87.5


def test_indicator_without_any_score_is_na():
    result = compute_score(make_rules(), {"I1": [5], "I3": [5], "I4": [4]})

    assert result.indicators["I2"].consensus is None
    assert result.dimensions["D1"] == 100.0


def test_all_na_dimension_is_dropped_from_the_overall():
    result = compute_score(make_rules(), {"I1": [4, 5], "I2": [3, 3], "I3": [None], "I4": []})

    # D2 has no scored indicator: overall = D1 alone = 75 (not (75 + 3*0) / 4)
    assert result.dimensions["D2"] is None
    assert result.overall == 75.0
    assert result.eligible is True


def test_no_score_at_all_gives_no_overall_no_level_and_not_eligible():
    result = compute_score(make_rules(), {"I1": [None, None]})

    assert result.overall is None
    assert result.level is None
    assert result.eligible is False
    assert result.ineligibility_reasons == ("no_score",)


def test_moderated_score_replaces_the_consensus_but_disagreement_stays():
    result = compute_score(make_rules(), {"I1": [2, 5], "I2": [3, 3], "I3": [5], "I4": [4]}, moderated={"I1": 4})

    # reviewers 2 and 5 (gap 3 >= 2) disagree; the facilitator moderates to 4 -> value 0.75
    # D1 = 100 * (2*0.75 + 0.5) / 3 = 66.666...
    indicator = result.indicators["I1"]
    assert indicator.consensus == 4.0
    assert indicator.moderated is True
    assert indicator.disagreement is True
    assert indicator.value == 0.75
    assert result.dimensions["D1"] == pytest.approx(200 / 3)
    assert result.indicators["I2"].moderated is False


def test_moderated_score_decides_the_essential_check():
    # consensus of 2 and 2 would fail the essential minimum of 3; moderated to 3 it passes
    failing = compute_score(make_rules(), {"I1": [2, 2], "I2": [5], "I3": [5], "I4": [4]})
    moderated = compute_score(make_rules(), {"I1": [2, 2], "I2": [5], "I3": [5], "I4": [4]}, moderated={"I1": 3})

    assert failing.essential_failures == ("I1",)
    assert moderated.essential_failures == ()


def test_moderated_score_may_come_as_a_decimal_from_the_database():
    result = compute_score(make_rules(), {"I1": [2, 5]}, moderated={"I1": Decimal("3.5")})

    assert result.indicators["I1"].consensus == 3.5
    assert result.indicators["I1"].value == 0.625


def test_disagreement_starts_exactly_at_the_gap():
    result = compute_score(
        make_rules(),
        {"I1": [2, 4], "I2": [2, 3], "I3": [None, 1, 3, 2], "I4": [4]},
    )

    assert result.indicators["I1"].disagreement is True  # 4 - 2 = 2 = gap
    assert result.indicators["I2"].disagreement is False  # 3 - 2 = 1 < gap
    assert result.indicators["I3"].disagreement is True  # N/A ignored: 3 - 1 = 2
    assert result.indicators["I4"].disagreement is False  # a single score cannot disagree


def test_essential_failure_blocks_eligibility_even_with_a_high_overall():
    result = compute_score(make_rules(), {"I1": [2, 3], "I2": [5, 5], "I3": [5, 5], "I4": [4, 4]})

    # I1: 2.5 < 3 -> essential failure. value 0.375; D1 = 100 * (0.75 + 1) / 3 = 58.33
    # D2 = 100; overall = (58.33 + 300) / 4 = 89.58 -> gold, but not eligible
    assert result.overall == pytest.approx(89.583333333)
    assert result.level == "gold"
    assert result.essential_failures == ("I1",)
    assert result.eligible is False
    assert result.ineligibility_reasons == ("essential_failure:I1",)


def test_essential_indicator_exactly_at_the_minimum_passes():
    result = compute_score(make_rules(), {"I1": [2, 4], "I2": [5], "I3": [5], "I4": [4]})

    assert result.indicators["I1"].consensus == 3.0
    assert result.essential_failures == ()


def test_dimension_below_its_minimum_blocks_eligibility():
    result = compute_score(make_rules(), {"I1": [3, 3], "I2": [1, 1], "I3": [5], "I4": [4]})

    # D1 = 100 * (2*0.5 + 0) / 3 = 33.33 < 40; D2 = 100; overall = (33.33 + 300) / 4 = 83.33
    assert result.dimensions["D1"] == pytest.approx(100 / 3)
    assert result.overall == pytest.approx(250 / 3)
    assert result.level == "gold"
    assert result.eligible is False
    assert result.ineligibility_reasons == ("dimension_below_minimum:D1",)


def test_overall_below_pass_is_a_reason_and_reasons_come_in_a_fixed_order():
    result = compute_score(make_rules(), {"I1": [1, 1], "I2": [1], "I3": [3], "I4": [2]})

    # D1 = 0, D2 = 50, overall = 150 / 4 = 37.5
    assert result.overall == 37.5
    assert result.level is None
    assert result.ineligibility_reasons == (
        "overall_below_pass",
        "dimension_below_minimum:D1",
        "essential_failure:I1",
    )


@pytest.mark.parametrize(
    ("score", "overall", "level", "eligible"),
    [
        (5, 50.0, None, False),  # below the lowest level
        (6, 60.0, "bronze", True),  # exactly at pass and bronze
        (7, 70.0, "silver", True),  # exactly at 70 -> silver, not bronze
        (8, 80.0, "gold", True),
        (10, 100.0, "gold", True),
    ],
)
def test_level_is_the_highest_whose_minimum_is_reached(score, overall, level, eligible):
    result = compute_score(single_indicator_rules(), {"X0": [score]})

    assert result.overall == overall
    assert result.level == level
    assert result.eligible is eligible


def test_threshold_is_judged_in_exact_arithmetic():
    # Three indicators of weight 0.1, each 7/10: naive floats give 69.99999999999997 (bronze);
    # the exact value is 70 -> silver.
    result = compute_score(single_indicator_rules(count=3, weight=0.1), {"X0": [7], "X1": [7], "X2": [7]})

    assert result.overall == 70.0
    assert result.level == "silver"


def test_level_is_reported_even_when_not_eligible():
    rules = make_rules(pass_threshold=90.0)
    result = compute_score(rules, {"I1": [5], "I2": [5], "I3": [4], "I4": [3]})

    assert result.level == "gold"
    assert result.eligible is False


@pytest.mark.parametrize("bad", [0, 6, 3.5, True, "4"])
def test_reviewer_score_outside_the_scale_or_not_an_integer_raises(bad):
    with pytest.raises(ValueError, match="I1"):
        compute_score(make_rules(), {"I1": [3, bad]})


def test_unknown_indicator_code_raises():
    with pytest.raises(ValueError, match="unknown indicator code 'I9'"):
        compute_score(make_rules(), {"I9": [3]})
    with pytest.raises(ValueError, match="unknown indicator code 'I9'"):
        compute_score(make_rules(), {"I1": [3]}, moderated={"I9": 3})


@pytest.mark.parametrize("bad", [0.5, 5.5, float("nan")])
def test_moderated_score_outside_the_scale_raises(bad):
    with pytest.raises(ValueError, match="moderated score"):
        compute_score(make_rules(), {"I1": [3]}, moderated={"I1": bad})


def test_rules_with_an_indicator_in_an_unknown_dimension_are_refused():
    with pytest.raises(ValueError, match="unknown dimension"):
        make_rules(indicators=(IndicatorRule("I1", "D9", 1.0, False, 1, 5),))


def test_self_assessment_uses_the_same_formula_with_the_mfis_own_ratings():
    ratings = {"I1": 4, "I2": None, "I3": 5, "I4": 2}

    self_result = compute_self_assessment(make_rules(), ratings)
    as_reviews = compute_score(make_rules(), {code: [rating] for code, rating in ratings.items()})

    # I1: 4 -> 0.75; I2 N/A; D1 = 75.  I3: 1.0; I4 (0–4): 0.5; D2 = 75.  overall = 75
    assert self_result == as_reviews
    assert self_result.overall == 75.0
    assert self_result.indicators["I1"].consensus == 4.0
    assert self_result.indicators["I2"].value is None
    assert not any(indicator.disagreement for indicator in self_result.indicators.values())


def test_self_assessment_refuses_an_out_of_scale_rating():
    with pytest.raises(ValueError):
        compute_self_assessment(make_rules(), {"I4": 5})


def test_scoring_rules_round_trip_through_json():
    rules = make_rules()

    restored = ScoringRules.from_dict(json.loads(json.dumps(rules.to_dict())))

    assert restored == rules


def test_scoring_rules_from_spec_keep_order_weights_and_settings():
    def indicator(code: str, essential: bool) -> IndicatorSpec:
        text = Text("t", "t")
        return IndicatorSpec(
            code,
            2.0,
            essential,
            False,
            text,
            text,
            1,
            5,
            {i: text for i in range(1, 6)},
            ("policy",),
            "IMAGE",
        )

    text = Text("t", "t")
    spec = StandardSpec(
        code="TST",
        area="gender",
        version="1.0",
        status="pilot",
        title=text,
        description=text,
        settings=Settings(60.0, 50.0, 3.0, (Level("bronze", 60.0, text), Level("gold", 80.0, text)), 36, 2, 2.0),
        dimensions=(
            DimensionSpec("T.B", 1.5, text, (indicator("T.B.1", True),)),
            DimensionSpec("T.A", 1.0, text, (indicator("T.A.1", False), indicator("T.A.2", False))),
        ),
        source="test.yaml",
    )

    rules = ScoringRules.from_spec(spec)

    assert rules.dimensions == (("T.B", 1.5), ("T.A", 1.0))
    assert [(rule.code, rule.dimension, rule.essential) for rule in rules.indicators] == [
        ("T.B.1", "T.B", True),
        ("T.A.1", "T.A", False),
        ("T.A.2", "T.A", False),
    ]
    assert (rules.pass_threshold, rules.dimension_minimum, rules.essential_minimum) == (60.0, 50.0, 3.0)
    assert rules.levels == (("bronze", 60.0), ("gold", 80.0))
    assert rules.disagreement_gap == 2.0


# --- property test against an independent re-implementation -------------------------------------------------


def reference_score(rules: ScoringRules, scores: dict, moderated: dict) -> dict:
    """The scoring rules written out plainly with Fractions, sharing no code with standards.scoring."""
    out = {"indicators": {}, "dimensions": {}}
    consensus = {}
    values = {}
    for rule in rules.indicators:
        given = [s for s in scores.get(rule.code, []) if s is not None]
        if rule.code in moderated:
            c = Fraction(moderated[rule.code])
        elif given:
            c = Fraction(sum(given)) / len(given)
        else:
            c = None
        consensus[rule.code] = c
        values[rule.code] = None if c is None else (c - rule.scale_min) / (rule.scale_max - rule.scale_min)
        out["indicators"][rule.code] = {
            "consensus": c,
            "value": values[rule.code],
            "moderated": rule.code in moderated,
            "disagreement": len(given) >= 2 and max(given) - min(given) >= Fraction(rules.disagreement_gap),
        }
    for code, _ in rules.dimensions:
        members = [r for r in rules.indicators if r.dimension == code and values[r.code] is not None]
        if members:
            top = sum(Fraction(r.weight) * values[r.code] for r in members)
            out["dimensions"][code] = 100 * top / sum(Fraction(r.weight) for r in members)
        else:
            out["dimensions"][code] = None
    scored = [(code, Fraction(w)) for code, w in rules.dimensions if out["dimensions"][code] is not None]
    overall = sum(w * out["dimensions"][code] for code, w in scored) / sum(w for _, w in scored) if scored else None
    out["overall"] = overall
    failures = [
        r.code
        for r in rules.indicators
        if r.essential and consensus[r.code] is not None and consensus[r.code] < Fraction(rules.essential_minimum)
    ]
    out["essential_failures"] = failures
    low_dimensions = [
        code
        for code, _ in rules.dimensions
        if out["dimensions"][code] is not None and out["dimensions"][code] < Fraction(rules.dimension_minimum)
    ]
    out["eligible"] = (
        overall is not None and overall >= Fraction(rules.pass_threshold) and not low_dimensions and not failures
    )
    reached = [(Fraction(m), code) for code, m in rules.levels if overall is not None and Fraction(m) <= overall]
    out["level"] = max(reached)[1] if reached else None
    return out


def _as_float(value):
    return None if value is None else float(value)


@st.composite
def scoring_cases(draw):
    weights = st.one_of(st.sampled_from([0.5, 1, 1.5, 2, 3]), st.floats(0.01, 10, allow_nan=False))
    dimension_count = draw(st.integers(1, 4))
    dimensions = []
    indicators = []
    for d in range(dimension_count):
        dimensions.append((f"D{d}", float(draw(weights))))
        for i in range(draw(st.integers(1, 4))):
            low = draw(st.integers(-2, 3))
            high = low + draw(st.integers(1, 6))
            indicators.append(IndicatorRule(f"D{d}.{i}", f"D{d}", float(draw(weights)), draw(st.booleans()), low, high))
    minimums = sorted(set(draw(st.lists(st.integers(0, 100), max_size=3))))
    rules = ScoringRules(
        dimensions=tuple(dimensions),
        indicators=tuple(indicators),
        pass_threshold=float(draw(st.integers(0, 100))),
        dimension_minimum=float(draw(st.integers(0, 100))),
        essential_minimum=float(draw(st.integers(-2, 6))),
        levels=tuple((f"L{m}", float(m)) for m in minimums),
        disagreement_gap=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
    )
    scores = {}
    moderated = {}
    for rule in indicators:
        if draw(st.booleans()):
            score = st.one_of(st.none(), st.integers(rule.scale_min, rule.scale_max))
            scores[rule.code] = draw(st.lists(score, max_size=4))
        if draw(st.integers(0, 5)) == 0:
            moderated[rule.code] = draw(st.floats(rule.scale_min, rule.scale_max, allow_nan=False))
    return rules, scores, moderated


@settings(max_examples=300, deadline=None, database=None)
@given(scoring_cases())
def test_compute_score_matches_an_independent_exact_reimplementation(case):
    rules, scores, moderated = case

    result = compute_score(rules, scores, moderated)
    expected = reference_score(rules, scores, moderated)

    assert result.overall == _as_float(expected["overall"])
    assert result.level == expected["level"]
    assert result.eligible == expected["eligible"]
    assert list(result.essential_failures) == expected["essential_failures"]
    assert result.dimensions == {code: _as_float(v) for code, v in expected["dimensions"].items()}
    for code, item in expected["indicators"].items():
        got = result.indicators[code]
        assert got.consensus == _as_float(item["consensus"])
        assert got.value == _as_float(item["value"])
        assert got.moderated == item["moderated"]
        assert got.disagreement == item["disagreement"]
    assert (result.ineligibility_reasons == ()) == result.eligible


@settings(max_examples=100, deadline=None, database=None)
@given(scoring_cases())
def test_compute_score_is_deterministic_and_its_dict_is_json_ready(case):
    rules, scores, moderated = case

    first = compute_score(rules, scores, moderated).to_dict()
    second = compute_score(ScoringRules.from_dict(rules.to_dict()), scores, moderated).to_dict()

    assert first == second
    assert json.loads(json.dumps(first)) == first
    assert ScoreResult.from_dict(first).to_dict() == first
