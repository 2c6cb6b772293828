"""Every shipped seal file (the three published 1.0 seals and the gender 1.1 in consultation) meets the
content rules of standards/spec.py."""

from __future__ import annotations

import re

import pytest

from standards.loader import SEALS_DIR, load_directory
from standards.scoring import ScoringRules, compute_score
from standards.spec import AREAS, EVIDENCE_KINDS, StandardSpec, Text

SEALS = load_directory(SEALS_DIR)
BY_FILE = {seal.source: seal for seal in SEALS}
FILES = sorted(BY_FILE)
PUBLISHED = [seal for seal in SEALS if seal.status == "published"]


def _texts(seal: StandardSpec):
    """Every user-facing text of a seal, with where it is."""
    yield "title", seal.title
    yield "description", seal.description
    for level in seal.settings.levels:
        yield f"level {level.code}", level.name
    for dimension in seal.dimensions:
        yield dimension.code, dimension.title
        for indicator in dimension.indicators:
            yield f"{indicator.code} text", indicator.text
            yield f"{indicator.code} guidance", indicator.guidance
            for score, descriptor in indicator.descriptors.items():
                yield f"{indicator.code} level {score}", descriptor


def test_one_published_version_1_0_seal_per_area_is_shipped():
    assert sorted(seal.area for seal in PUBLISHED) == sorted(AREAS)
    assert len(PUBLISHED) == 3
    assert {(seal.code, seal.area) for seal in PUBLISHED} == {
        ("GEN", "gender"),
        ("POV", "poverty"),
        ("RUR", "rural"),
    }
    assert all(seal.version == "1.0" for seal in PUBLISHED)
    assert all(seal.source == f"{seal.area}-{seal.version}.yaml" for seal in SEALS)


def test_a_gender_1_1_is_shipped_in_consultation_beside_the_published_1_0():
    draft = BY_FILE["gender-1.1.yaml"]
    assert (draft.code, draft.area, draft.version, draft.status) == ("GEN", "gender", "1.1", "consultation")
    assert [seal.source for seal in SEALS if seal.status != "published"] == ["gender-1.1.yaml"]


@pytest.mark.parametrize("source", FILES)
def test_seal_has_3_to_5_dimensions_and_at_least_12_indicators(source):
    seal = BY_FILE[source]

    assert 3 <= len(seal.dimensions) <= 5
    assert len(list(seal.indicators())) >= 12


@pytest.mark.parametrize("source", FILES)
def test_seal_has_between_2_and_4_essential_indicators_and_some_allow_na(source):
    seal = BY_FILE[source]

    essentials = [indicator for indicator in seal.indicators() if indicator.essential]
    assert 2 <= len(essentials) <= 4
    assert any(indicator.allows_na for indicator in seal.indicators())
    assert not any(indicator.essential and indicator.allows_na for indicator in seal.indicators())


@pytest.mark.parametrize("source", FILES)
def test_every_indicator_traces_to_a_framework_and_expects_evidence(source):
    for indicator in BY_FILE[source].indicators():
        assert indicator.framework.strip(), indicator.code
        assert indicator.evidence, indicator.code
        assert set(indicator.evidence) <= set(EVIDENCE_KINDS), indicator.code


@pytest.mark.parametrize("source", FILES)
def test_every_text_is_non_empty_in_both_languages_and_actually_translated(source):
    for where, text in _texts(BY_FILE[source]):
        assert isinstance(text, Text)
        assert text.es.strip() and text.en.strip(), where
    # Guidance and indicator texts are real translations, not a copy of the Spanish.
    for indicator in BY_FILE[source].indicators():
        assert indicator.text.es != indicator.text.en, indicator.code
        assert indicator.guidance.es != indicator.guidance.en, indicator.code


@pytest.mark.parametrize("source", FILES)
def test_every_scale_level_has_its_own_descriptor(source):
    for indicator in BY_FILE[source].indicators():
        assert sorted(indicator.descriptors) == list(range(indicator.scale_min, indicator.scale_max + 1))
        spanish = [descriptor.es for descriptor in indicator.descriptors.values()]
        assert len(set(spanish)) == len(spanish), f"{indicator.code} repeats a descriptor"


def test_indicator_and_dimension_codes_are_unique_across_seals_and_carry_their_prefix():
    # Unique across seals; the versions of one seal share their codes (that is how versions are diffed).
    codes = [indicator.code for seal in PUBLISHED for indicator in seal.indicators()]
    codes += [dimension.code for seal in PUBLISHED for dimension in seal.dimensions]

    assert len(codes) == len(set(codes))
    for seal in SEALS:
        own = [indicator.code for indicator in seal.indicators()] + [d.code for d in seal.dimensions]
        assert len(own) == len(set(own))
        for dimension in seal.dimensions:
            assert re.fullmatch(rf"{seal.code}\.[A-E]", dimension.code)
            for indicator in dimension.indicators:
                assert re.fullmatch(rf"{re.escape(dimension.code)}\.\d+", indicator.code)


@pytest.mark.parametrize("source", FILES)
def test_settings_follow_the_documented_thresholds(source):
    settings = BY_FILE[source].settings

    assert settings.pass_threshold == 60
    assert 40 <= settings.dimension_minimum <= 50
    assert settings.essential_minimum == 3
    assert [(level.code, level.minimum) for level in settings.levels] == [
        ("bronze", 60),
        ("silver", 70),
        ("gold", 80),
    ]
    assert settings.validity_months == 36
    assert settings.min_reviewers == 2
    assert settings.disagreement_gap == 2


@pytest.mark.parametrize("source", FILES)
def test_an_all_level_3_review_does_not_pass_but_all_level_4_reaches_silver(source):
    # Level 3 is "documented and applied, with gaps" (50%): not enough for a seal; a consistent 4 is.
    rules = ScoringRules.from_spec(BY_FILE[source])

    all_three = compute_score(rules, {rule.code: [3, 3] for rule in rules.indicators})
    all_four = compute_score(rules, {rule.code: [4, 4] for rule in rules.indicators})

    assert all_three.eligible is False
    assert all_four.eligible is True
    assert all_four.level == "silver"
