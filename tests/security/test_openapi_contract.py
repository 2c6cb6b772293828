"""The OpenAPI document is as strict as the server, and the server refuses the same bad input on every database.

Schemathesis found valid-by-the-document requests the server refused (`POST /pilot-rounds {"capacity": 0,
"country": ""}` → 422); SQLite stored NUL bytes PostgreSQL refused; ids ≥ 2³¹ and dates in year 1 or 9999
went through. Each rule below is now one pydantic type that both parses the request and writes the document.
"""

from __future__ import annotations

import re

import pytest

from certification.api import schemas as s
from certification.api.schemas import fields
from certification.validation import (
    CONTROL_CHARACTERS,
    DATE_MAX,
    DATE_MIN,
    DATE_OUT_OF_WINDOW,
    LINE_CONTROL_CHARACTERS,
    MAX_ID,
    has_control_characters,
)
from tests import factories as f
from tests.api.helpers import Api, as_user, error_of

ROUND = {"name": "Piloto Cusco", "country": "PE", "area": "gender", "opens_on": "2026-01-01",
         "closes_on": "2026-12-31", "capacity": 5}  # fmt: skip


@pytest.fixture
def document(app, client):
    return Api(client).get("/openapi.json").get_json()


def schema_of(document, name: str) -> dict:
    return document["components"]["schemas"][name]


def fields_of(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    error = error_of(response)
    assert error["code"] == "validation_error"
    return error["details"]["fields"]


# --- the original finding: a round with no capacity and no country --------------------------------------------


def test_a_round_without_capacity_or_country_is_refused_and_the_document_says_so(app, client, document):
    facilitator = as_user(client, f.user("facilitator"))
    fields = fields_of(facilitator.post("/pilot-rounds", {**ROUND, "capacity": 0, "country": ""}))
    assert {"capacity", "country"} <= set(fields)
    round_schema = schema_of(document, "NewPilotRound")["properties"]
    assert round_schema["capacity"]["minimum"] == 1 and round_schema["capacity"]["maximum"] == s.MAX_ROUND_CAPACITY
    assert not re.search(round_schema["country"]["pattern"], "") and re.search(round_schema["country"]["pattern"], "PE")
    assert round_schema["name"]["minLength"] == 1 and round_schema["name"]["maxLength"] == s.MAX_NAME
    assert facilitator.post("/pilot-rounds", {**ROUND, "capacity": 1}).status_code == 201


def test_every_string_a_request_body_takes_is_bounded_and_refuses_nul_in_the_document(document):
    """No request body in the document takes an unbounded string or one that may hold a NUL character."""
    bodies = {
        operation["requestBody"]["content"][media]["schema"]["$ref"].rsplit("/", 1)[1]
        for item in document["paths"].values()
        for operation in item.values()
        if "requestBody" in operation
        for media in operation["requestBody"]["content"]
    }
    assert len(bodies) >= 15
    checked = 0
    for name in sorted(bodies):
        for field, prop in schema_of(document, name)["properties"].items():
            for variant in [prop, prop.get("items", {}), *prop.get("anyOf", [])]:
                if variant.get("type") != "string" or variant.get("format") == "binary" or "enum" in variant:
                    continue
                checked += 1
                assert "pattern" in variant, (name, field)
                assert not re.search(variant["pattern"], "ab\x00c"), (name, field)
                # Bounded by maxLength, by a whole-value pattern of bounded length (e.g. ^[A-Z]{2}$) or a format.
                bounded = re.search(r"^\^\[[^\]]+\]\{\d+(,\d+)?\}\$$", variant["pattern"]) is not None
                assert "maxLength" in variant or bounded or "format" in variant, (name, field)
    assert checked >= 25


# --- control characters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/organizations", {"name": "Caja\x00Andina", "country": "PE"}, "name"),
        ("/organizations", {"name": "Caja Andina", "country": "PE", "network": "Red\x1b[31m"}, "network"),
        ("/pilot-rounds", {**ROUND, "budget_note": "Fondos\x00"}, "budget_note"),
        ("/pilot-rounds", {**ROUND, "name": "Piloto\nCusco"}, "name"),
        ("/applications/1/events", {"event": "submit", "reason": "ok\x00"}, "reason"),
        ("/assignments/1/decline", {"reason": "\x00"}, "reason"),
    ],
)
def test_a_control_character_in_a_json_text_is_a_422_naming_the_field(app, client, path, body, field):
    """The same answer on SQLite (which would store the NUL) and PostgreSQL (which would refuse it)."""
    admin = as_user(client, f.user("facilitator"))
    fields = fields_of(admin.post(path, body))
    assert list(fields) == [field]
    assert "control" in " ".join(fields[field]).lower() or "NUL" in " ".join(fields[field])


def test_a_multi_line_text_keeps_its_line_breaks_and_tabs(app, client):
    facilitator = as_user(client, f.user("facilitator"))
    response = facilitator.post("/pilot-rounds", {**ROUND, "budget_note": "Fondo A:\t10\r\nFondo B:\t20"})
    assert response.status_code == 201 and response.get_json()["budget_note"] == "Fondo A:\t10\r\nFondo B:\t20"


def test_a_blank_required_text_is_refused_by_the_parser(app, client):
    facilitator = as_user(client, f.user("facilitator"))
    assert set(fields_of(facilitator.post("/pilot-rounds", {**ROUND, "name": " \u3000 "}))) == {"name"}


# --- ids ------------------------------------------------------------------------------------------------------


def test_an_id_beyond_the_database_integer_is_a_422_in_a_body_and_a_404_in_a_path(app, client, document):
    facilitator = as_user(client, f.user("facilitator"))
    assert set(fields_of(facilitator.post("/applications", {"standard_id": MAX_ID + 1}))) == {"standard_id"}
    assert set(fields_of(facilitator.get(f"/assignments?application_id={2**63}"))) == {"application_id"}
    assert error_of(facilitator.get(f"/applications/{MAX_ID + 1}"))["code"] == "not_found"
    assert schema_of(document, "NewApplication")["properties"]["standard_id"]["maximum"] == MAX_ID
    path = document["paths"]["/api/v1/applications/{application_id}"]["get"]["parameters"][0]
    assert path["schema"]["maximum"] == MAX_ID


# --- dates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", "2026-02-30"])
def test_a_date_outside_the_window_is_a_422_with_a_clear_message(app, client, document, day):
    facilitator = as_user(client, f.user("facilitator", locale="en"))
    fields = fields_of(facilitator.post("/pilot-rounds", {**ROUND, "opens_on": day}))
    assert fields == {"opens_on": [DATE_OUT_OF_WINDOW]} and DATE_MIN.isoformat() in DATE_OUT_OF_WINDOW
    pattern = schema_of(document, "NewPilotRound")["properties"]["opens_on"]["pattern"]
    assert not re.search(pattern, day)


def test_the_first_and_last_day_of_the_window_and_leap_days_are_accepted(app, client):
    facilitator = as_user(client, f.user("facilitator"))
    for opens, closes in ((DATE_MIN, DATE_MAX), ("2024-02-29", "2096-02-29")):
        response = facilitator.post("/pilot-rounds", {**ROUND, "opens_on": str(opens), "closes_on": str(closes)})
        assert response.status_code == 201, response.get_data(as_text=True)
    assert set(fields_of(facilitator.post("/pilot-rounds", {**ROUND, "opens_on": "2100-02-29"}))) == {"opens_on"}


# --- the document's patterns and the parser's checks are the same rule ------------------------------------------


SAMPLE = [*range(0x3100), 0xFEFF, 0xFFFD, 0x1F600, 0x10FFFF]


@pytest.mark.parametrize("single_line", [True, False])
@pytest.mark.parametrize("required", [True, False])
def test_the_text_pattern_in_the_document_accepts_exactly_what_the_parser_accepts(single_line, required):
    pattern = re.compile(fields._text_pattern(LINE_CONTROL_CHARACTERS if single_line else CONTROL_CHARACTERS,
                                              single_line=single_line, required=required))  # fmt: skip
    check = fields._checked_text(single_line=single_line, required=required)

    def parser_accepts(value: str) -> bool:
        try:
            check(value)
        except ValueError:
            return False
        return True

    for code in SAMPLE:
        for value in (chr(code), f"a{chr(code)}", f"{chr(code)} "):
            assert bool(pattern.fullmatch(value)) == parser_accepts(value), (hex(code), value)
            if not required:
                assert bool(pattern.fullmatch(value)) == (not has_control_characters(value, single_line=single_line))


def test_the_date_pattern_in_the_document_is_exactly_the_window():
    from datetime import date, timedelta

    pattern = re.compile(s.DATE_PATTERN)
    day, checked = DATE_MIN - timedelta(days=3), 0
    while day <= DATE_MAX + timedelta(days=3):
        assert bool(pattern.fullmatch(day.isoformat())) == (DATE_MIN <= day <= DATE_MAX), day
        day += timedelta(days=1)
        checked += 1
    assert checked > 36_000 and pattern.fullmatch(date(2000, 2, 29).isoformat())
