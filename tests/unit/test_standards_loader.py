"""The seal loader refuses every malformed standard, naming the file, the path inside it and why."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from standards.loader import Problem, StandardFileError, load_directory, load_file, parse_standard
from standards.spec import DimensionSpec, IndicatorSpec, Level, Settings, StandardSpec, Text


def _text(label: str) -> dict:
    return {"es": f"{label} (es)", "en": f"{label} (en)"}


def _indicator(code: str, *, essential: bool = False) -> dict:
    return {
        "code": code,
        "weight": 2,
        "essential": essential,
        "allows_na": False,
        "text": _text(f"text {code}"),
        "guidance": _text(f"guidance {code}"),
        "scale": {"min": 1, "max": 3, "levels": {1: _text("one"), 2: _text("two"), 3: _text("three")}},
        "evidence": ["policy", "mis_report"],
        "framework": "WWB Select Five",
    }


def minimal_standard() -> dict:
    """A small valid standard: 2 dimensions, 3 indicators (content rules are not the loader's job)."""
    return {
        "code": "TST",
        "area": "gender",
        "version": "1.0",
        "status": "pilot",
        "title": _text("title"),
        "description": _text("description"),
        "settings": {
            "pass": 60,
            "dimension_minimum": 40,
            "essential_minimum": 2,
            "levels": [
                {"code": "bronze", "minimum": 60, "name": {"es": "Bronce", "en": "Bronze"}},
                {"code": "silver", "minimum": 70, "name": {"es": "Plata", "en": "Silver"}},
            ],
            "validity_months": 36,
            "min_reviewers": 2,
            "disagreement_gap": 2,
        },
        "dimensions": [
            {
                "code": "TST.A",
                "weight": 1,
                "title": _text("dimension A"),
                "indicators": [_indicator("TST.A.1", essential=True), _indicator("TST.A.2")],
            },
            {
                "code": "TST.B",
                "weight": 1.5,
                "title": _text("dimension B"),
                "indicators": [_indicator("TST.B.1")],
            },
        ],
    }


def _write(directory: Path, name: str, data: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _problems(data: dict, source: str = "test-1.0.yaml") -> list[Problem]:
    with pytest.raises(StandardFileError) as caught:
        parse_standard(data, source)
    return caught.value.problems


def test_valid_minimal_standard_parses_into_the_dataclasses():
    spec = parse_standard(minimal_standard(), "test-1.0.yaml")

    assert isinstance(spec, StandardSpec)
    assert (spec.code, spec.area, spec.version, spec.status, spec.source) == (
        "TST",
        "gender",
        "1.0",
        "pilot",
        "test-1.0.yaml",
    )
    assert spec.title == Text(es="title (es)", en="title (en)")
    assert spec.settings == Settings(
        pass_threshold=60.0,
        dimension_minimum=40.0,
        essential_minimum=2.0,
        levels=(
            Level(code="bronze", minimum=60.0, name=Text(es="Bronce", en="Bronze")),
            Level(code="silver", minimum=70.0, name=Text(es="Plata", en="Silver")),
        ),
        validity_months=36,
        min_reviewers=2,
        disagreement_gap=2.0,
    )
    assert [dimension.code for dimension in spec.dimensions] == ["TST.A", "TST.B"]
    assert all(isinstance(dimension, DimensionSpec) for dimension in spec.dimensions)
    assert spec.dimensions[1].weight == 1.5
    first = spec.dimensions[0].indicators[0]
    assert isinstance(first, IndicatorSpec)
    assert (first.code, first.weight, first.essential, first.allows_na) == ("TST.A.1", 2.0, True, False)
    assert (first.scale_min, first.scale_max) == (1, 3)
    assert first.descriptors == {
        1: Text("one (es)", "one (en)"),
        2: Text("two (es)", "two (en)"),
        3: Text("three (es)", "three (en)"),
    }
    assert first.evidence == ("policy", "mis_report")
    assert first.framework == "WWB Select Five"
    assert [indicator.code for indicator in spec.indicators()] == ["TST.A.1", "TST.A.2", "TST.B.1"]


def test_text_get_falls_back_to_spanish_for_any_locale_but_english():
    text = Text(es="hola", en="hello")
    assert text.get("en") == "hello"
    assert text.get("en_US") == "hello"
    assert text.get("es") == "hola"
    assert text.get("fr") == "hola"
    assert text.get(None) == "hola"


def test_missing_translation_is_refused_with_its_path():
    data = minimal_standard()
    del data["dimensions"][1]["indicators"][0]["text"]["en"]

    problems = _problems(data)

    assert problems == [Problem("test-1.0.yaml", "dimensions[1].indicators[0].text.en", "translation is missing")]


def test_empty_translation_is_refused():
    data = minimal_standard()
    data["title"]["es"] = "   "

    assert [(p.path, p.message) for p in _problems(data)] == [("title.es", "translation must be a non-empty string")]


def test_scale_level_without_a_descriptor_is_refused():
    data = minimal_standard()
    del data["dimensions"][0]["indicators"][1]["scale"]["levels"][2]

    problems = _problems(data)

    assert [(p.path, p.message) for p in problems] == [
        ("dimensions[0].indicators[1].scale.levels.2", "no descriptor for scale level 2")
    ]


def test_descriptor_outside_the_scale_is_refused():
    data = minimal_standard()
    data["dimensions"][0]["indicators"][0]["scale"]["levels"][4] = _text("four")

    assert [(p.path, p.message) for p in _problems(data)] == [
        ("dimensions[0].indicators[0].scale.levels.4", "level 4 is outside the scale 1–3")
    ]


def test_descriptor_missing_one_language_names_the_level_and_language():
    data = minimal_standard()
    data["dimensions"][1]["indicators"][0]["scale"]["levels"][3] = {"es": "tres"}

    assert [p.path for p in _problems(data)] == ["dimensions[1].indicators[0].scale.levels.3.en"]


def test_scale_min_not_below_max_is_refused():
    data = minimal_standard()
    data["dimensions"][0]["indicators"][1]["scale"]["min"] = 3

    assert ("dimensions[0].indicators[1].scale", "min (3) must be less than max (3)") in [
        (p.path, p.message) for p in _problems(data)
    ]


def test_duplicate_indicator_code_is_refused_across_dimensions():
    data = minimal_standard()
    data["dimensions"][1]["indicators"][0]["code"] = "TST.A.2"

    assert [(p.path, p.message) for p in _problems(data)] == [
        (
            "dimensions[1].indicators[0].code",
            "duplicate indicator code 'TST.A.2' (first at dimensions[0].indicators[1])",
        )
    ]


def test_duplicate_dimension_code_is_refused():
    data = minimal_standard()
    data["dimensions"][1]["code"] = "TST.A"

    assert [p.path for p in _problems(data)] == ["dimensions[1].code"]


@pytest.mark.parametrize("weight", [0, -1, "heavy", True])
def test_indicator_weight_that_is_not_a_positive_number_is_refused(weight):
    data = minimal_standard()
    data["dimensions"][0]["indicators"][0]["weight"] = weight

    assert [p.path for p in _problems(data)] == ["dimensions[0].indicators[0].weight"]


def test_dimension_weight_zero_is_refused():
    data = minimal_standard()
    data["dimensions"][1]["weight"] = 0

    assert [(p.path, p.message) for p in _problems(data)] == [("dimensions[1].weight", "must be greater than 0, got 0")]


def test_unknown_evidence_kind_is_refused():
    data = minimal_standard()
    data["dimensions"][0]["indicators"][1]["evidence"] = ["policy", "gut_feeling"]

    problems = _problems(data)

    assert [p.path for p in problems] == ["dimensions[0].indicators[1].evidence[1]"]
    assert "unknown evidence kind 'gut_feeling'" in problems[0].message


def test_unknown_area_is_refused():
    data = minimal_standard()
    data["area"] = "housing"

    problems = _problems(data)

    assert [p.path for p in problems] == ["area"]
    assert problems[0].message.startswith("unknown area 'housing'")


def test_unknown_status_is_refused():
    data = minimal_standard()
    data["status"] = "final"

    assert [p.path for p in _problems(data)] == ["status"]


def test_missing_required_key_and_unknown_key_are_refused():
    data = minimal_standard()
    del data["dimensions"][0]["indicators"][0]["framework"]
    data["dimensions"][0]["indicators"][0]["essentail"] = True  # a typo must not pass silently

    assert sorted((p.path, p.message) for p in _problems(data)) == [
        ("dimensions[0].indicators[0].essentail", "unknown key"),
        ("dimensions[0].indicators[0].framework", "required key is missing"),
    ]


def test_levels_out_of_order_or_outside_0_100_are_refused():
    data = minimal_standard()
    data["settings"]["levels"][1]["minimum"] = 55
    data["settings"]["levels"].append({"code": "gold", "minimum": 120, "name": _text("gold")})

    assert sorted(p.path for p in _problems(data)) == [
        "settings.levels[1].minimum",
        "settings.levels[2].minimum",
    ]


def test_thresholds_and_counts_outside_their_ranges_are_refused():
    data = minimal_standard()
    data["settings"]["pass"] = 101
    data["settings"]["dimension_minimum"] = -1
    data["settings"]["validity_months"] = 0
    data["settings"]["min_reviewers"] = 1.5
    data["settings"]["disagreement_gap"] = 0

    assert sorted(p.path for p in _problems(data)) == [
        "settings.dimension_minimum",
        "settings.disagreement_gap",
        "settings.min_reviewers",
        "settings.pass",
        "settings.validity_months",
    ]


def test_essential_minimum_outside_an_essential_indicators_scale_is_refused():
    data = minimal_standard()
    data["settings"]["essential_minimum"] = 4  # TST.A.1 is essential on a 1–3 scale

    problems = _problems(data)

    assert [p.path for p in problems] == ["settings.essential_minimum"]
    assert "TST.A.1" in problems[0].message


def test_standard_without_dimensions_or_dimension_without_indicators_is_refused():
    no_dimensions = minimal_standard()
    no_dimensions["dimensions"] = []
    empty_dimension = minimal_standard()
    empty_dimension["dimensions"][1]["indicators"] = []

    assert [p.path for p in _problems(no_dimensions)] == ["dimensions"]
    assert [p.path for p in _problems(empty_dimension)] == ["dimensions[1].indicators"]


def test_every_problem_is_reported_not_only_the_first():
    data = minimal_standard()
    data["area"] = "housing"
    del data["description"]["es"]
    data["dimensions"][0]["indicators"][0]["weight"] = 0
    data["dimensions"][1]["indicators"][0]["evidence"] = ["rumour"]

    with pytest.raises(StandardFileError) as caught:
        parse_standard(data, "bad-1.0.yaml")

    assert sorted(p.path for p in caught.value.problems) == [
        "area",
        "description.es",
        "dimensions[0].indicators[0].weight",
        "dimensions[1].indicators[0].evidence[0]",
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    assert "bad-1.0.yaml: description.es: translation is missing" in lines


def test_load_file_names_the_file_in_each_problem(tmp_path):
    data = minimal_standard()
    del data["dimensions"][0]["indicators"][0]["guidance"]["es"]
    path = _write(tmp_path, "gender-9.9.yaml", data)

    with pytest.raises(StandardFileError) as caught:
        load_file(path)

    assert str(caught.value) == "gender-9.9.yaml: dimensions[0].indicators[0].guidance.es: translation is missing"


def test_bad_yaml_syntax_becomes_a_problem_with_the_line(tmp_path):
    path = tmp_path / "broken-1.0.yaml"
    path.write_text("code: TST\ntitle: {es: 'a', en: 'b'\narea: gender\n", encoding="utf-8")

    with pytest.raises(StandardFileError) as caught:
        load_file(path)

    [problem] = caught.value.problems
    assert problem.file == "broken-1.0.yaml"
    assert problem.message.startswith("invalid YAML:")
    assert "line" in problem.message


def test_duplicate_yaml_key_is_refused_instead_of_silently_overwritten(tmp_path):
    text = yaml.safe_dump(minimal_standard(), sort_keys=False).replace(
        "version: '1.0'\n", "version: '1.0'\nversion: '2.0'\n"
    )
    path = tmp_path / "dup-1.0.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(StandardFileError) as caught:
        load_file(path)

    assert "duplicate key 'version'" in str(caught.value)


def test_load_file_reads_a_valid_file(tmp_path):
    spec = load_file(_write(tmp_path, "gender-1.0.yaml", minimal_standard()))

    assert spec.source == "gender-1.0.yaml"
    assert len(list(spec.indicators())) == 3


def test_load_directory_returns_every_standard_sorted_by_file_name(tmp_path):
    poverty = copy.deepcopy(minimal_standard())
    poverty.update(code="TSP", area="poverty")
    _write(tmp_path, "poverty-1.0.yaml", poverty)
    _write(tmp_path, "gender-1.0.yaml", minimal_standard())
    (tmp_path / "notes.txt").write_text("not a standard", encoding="utf-8")

    standards = load_directory(tmp_path)

    assert [spec.source for spec in standards] == ["gender-1.0.yaml", "poverty-1.0.yaml"]


def test_one_bad_file_makes_load_directory_raise_with_every_bad_files_problems(tmp_path):
    _write(tmp_path, "gender-1.0.yaml", minimal_standard())
    bad_area = minimal_standard()
    bad_area["area"] = "housing"
    _write(tmp_path, "housing-1.0.yaml", bad_area)
    (tmp_path / "zz-broken.yaml").write_text("code: [unclosed\n", encoding="utf-8")

    with pytest.raises(StandardFileError) as caught:
        load_directory(tmp_path)

    assert [(p.file, p.path) for p in caught.value.problems] == [
        ("housing-1.0.yaml", "area"),
        ("zz-broken.yaml", ""),
    ]


def test_two_files_with_the_same_area_and_version_are_refused(tmp_path):
    _write(tmp_path, "gender-1.0.yaml", minimal_standard())
    _write(tmp_path, "gender-copy.yaml", minimal_standard())

    with pytest.raises(StandardFileError) as caught:
        load_directory(tmp_path)

    assert [(p.file, p.path) for p in caught.value.problems] == [("gender-copy.yaml", "version")]
