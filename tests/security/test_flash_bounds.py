"""A message never grows with the input it refuses: at most five items are named, then "and N more", and an
echoed value is cut short. The original request (40,000 unknown indicator codes with an upload) made a 116 KB
session cookie; its answer now stays far under the 4 KB a browser keeps per cookie."""

from __future__ import annotations

import io

import pytest

from certification.echo import LIST_LIMIT, VALUE_LIMIT, listing, shorten
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of
from tests.web.helpers import fresh_client

COOKIE_CEILING = 4096
CODES = [f"X{n:05d}" for n in range(40_000)]


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _cookie_bytes(response) -> int:
    return sum(len(value) for value in response.headers.getlist("Set-Cookie"))


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


def test_forty_thousand_unknown_codes_on_an_upload_give_a_small_cookie(app):
    case = Case()
    client = fresh_client(app, case.applicant)
    response = client.post(f"/applications/{case.id}/evidence",
                           data={"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": ",".join(CODES)},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303
    assert 0 < _cookie_bytes(response) < COOKIE_CEILING
    [message] = _flashes(client)
    # The codes are counted before any is looked up or repeated: the answer names the cap, not the codes.
    assert "200 indicadores como máximo" in message, message
    assert "X00000" not in message


def test_up_to_the_cap_unknown_codes_on_an_upload_are_named_five_then_counted(app):
    case = Case()
    client = fresh_client(app, case.applicant)
    response = client.post(f"/applications/{case.id}/evidence",
                           data={"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": ",".join(CODES[:200])},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303
    assert 0 < _cookie_bytes(response) < COOKIE_CEILING
    [message] = _flashes(client)
    assert "X00000, X00001, X00002, X00003, X00004 y 195 más" in message, message
    assert "X00005" not in message


def test_the_api_error_for_unknown_codes_is_bounded_and_translated(app, client):
    case = Case()
    api = as_user(client, case.applicant)
    codes = ",".join(CODES[:60])  # what the API's request schema lets through (it bounds the line's length)
    response = api.call("POST", f"/applications/{case.id}/evidence?lang=en", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": codes})  # fmt: skip
    assert response.status_code == 422
    error = error_of(response)
    assert len(response.get_data()) < 1024
    assert error["details"]["fields"]["indicators"] == [
        "Unknown indicators: X00000, X00001, X00002, X00003, X00004 and 55 more."
    ]


def test_a_long_unknown_code_is_cut_in_the_message(app):
    case = Case().under_review()
    client = fresh_client(app, case.reviewers[0])
    code = "Z" * 5000
    for data in ({"score": "3", "comment": "Visto."}, {"score": "3"}):  # the service's refusal, the form's
        response = client.post(f"/assignments/{case.assignments[0].id}/scores/{code}", data=data)
        assert response.status_code == 303
        [message] = _flashes(client)
        assert "Z" * (VALUE_LIMIT - 1) + "…" in message and len(message) < 300, message


def test_a_reviewer_profile_with_thousands_of_bad_areas_gives_a_small_cookie(app):
    facilitator, reviewer = f.user("facilitator"), f.reviewer()
    client = fresh_client(app, facilitator)
    areas = [f"area-{n}-" + "x" * 40 for n in range(900)]  # under the form parser's 1000-part limit
    response = client.post(f"/reviewers/{reviewer.id}", data={"areas": areas, "max_active_assignments": "3"})
    assert response.status_code == 303
    assert _cookie_bytes(response) < COOKIE_CEILING
    assert all(len(message) < 400 for message in _flashes(client))


def test_request_changes_with_unknown_indicators_names_five_of_them(app):
    case = Case().under_review()
    client = fresh_client(app, case.facilitator)
    codes = [f"NOPE{n}" for n in range(700)]
    data = {"event": "request_changes", "reason": "Falta el acta.", "indicators": codes}
    response = client.post(f"/applications/{case.id}/events", data=data)
    assert response.status_code == 303
    assert _cookie_bytes(response) < COOKIE_CEILING
    [message] = _flashes(client)
    assert "NOPE0, NOPE1, NOPE2, NOPE3, NOPE4 y 695 más" in message, message


def test_listing_and_shorten_bound_what_they_repeat():
    assert listing(["a", "b"]) == "a, b"
    assert listing([str(n) for n in range(LIST_LIMIT + 1)]) == "0, 1, 2, 3, 4 and 1 more"
    assert len(shorten("y" * 10_000)) == VALUE_LIMIT
    assert listing(["y" * 10_000] * 3).count("…") == 3
