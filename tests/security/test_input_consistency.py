"""The same bad input gets the same answer on SQLite and PostgreSQL (each test runs on both):

- a NUL or another control character in any web form is refused with a field error, and nothing is stored
  (SQLite would store it, PostgreSQL would refuse it with a database error);
- an id beyond the database's integer (2**31, 2**63) in a URL is a 404 like any missing one, in the UI and the
  API; in a form it is refused like an unknown one;
- dates outside 2000-01-01..2099-12-31 are refused with a message that says so, in forms, API and services.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from certification.accounts.models import Affiliation
from certification.applications.models import SelfAssessment
from certification.errors import ValidationFailed
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.pilots import services as pilots
from certification.pilots.models import PilotRound
from certification.reviewers import services as reviewers
from certification.reviewers.models import DeclaredConflict
from certification.reviews import services as reviews
from certification.reviews.models import Assignment, AssignmentStatus
from certification.seals.models import Indicator, IndicatorComment, Standard
from certification.validation import DATE_MAX, DATE_MIN, DATE_OUT_OF_WINDOW
from certification.web import decimal_up_to
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of
from tests.web.helpers import fresh_client, is_api, rules, url_of

NUL = "Acta\x00firmada"
REFUSED_ES = "Quite los caracteres de control"
HUGE_IDS = (2**31, 2**63)


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


def _round_form(**overrides) -> dict:
    return {"name": "Piloto Perú", "country": "PE", "area": "gender", "opens_on": "2026-01-01",
            "closes_on": "2026-12-31", "capacity": "5", **overrides}  # fmt: skip


# --- control characters ----------------------------------------------------------------------------------


def test_a_nul_in_a_self_assessment_is_an_inline_error_and_nothing_is_stored(app):
    case = Case()
    client = fresh_client(app, case.applicant)
    code = case.indicators[0].code
    response = client.post(f"/applications/{case.id}/self-assessment/{code}",
                           data={"rating": "3", "explanation": NUL})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert REFUSED_ES in page and 'class="field-error"' in page
    assert "\x00" not in page, "the form is shown again without the control character"
    assert count(SelfAssessment) == 0


@pytest.mark.parametrize("name", [NUL, "Piloto\tPerú", "Piloto\nPerú", "Piloto\x1b[2J"])
def test_a_control_character_in_a_single_line_field_is_an_inline_error(app, name):
    client = fresh_client(app, f.user("facilitator"))
    response = client.post("/pilot-rounds", data=_round_form(name=name))
    assert response.status_code == 422
    assert REFUSED_ES in response.get_data(as_text=True)
    assert count(PilotRound) == 0


def test_line_breaks_stay_allowed_in_multi_line_fields(app):
    case = Case()
    client = fresh_client(app, case.applicant)
    code = case.indicators[0].code
    response = client.post(f"/applications/{case.id}/self-assessment/{code}",
                           data={"rating": "3", "explanation": "Primera línea.\r\n\tSegunda línea."})  # fmt: skip
    assert response.status_code == 303
    assert count(SelfAssessment) == 1


def test_a_nul_in_forms_answered_by_a_redirect_is_refused_with_a_message_and_nothing_stored(app):
    case = Case().submit()
    invited = case.assign()[0]
    reviewer = case.reviewers[0]
    client = fresh_client(app, reviewer)

    response = client.post(f"/assignments/{invited.id}/decline", data={"reason": NUL})
    assert response.status_code == 303 and any(REFUSED_ES in m for m in _flashes(client))
    db.session.expire_all()
    assert db.session.get(Assignment, invited.id).status == AssignmentStatus.INVITED

    other = f.organization()
    response = client.post("/profile/conflicts", data={"organization_id": str(other.id), "reason": NUL})
    assert response.status_code == 303 and any(REFUSED_ES in m for m in _flashes(client))
    assert count(DeclaredConflict) == 0


def test_a_nul_in_fields_a_view_reads_directly_is_refused_before_any_service(app):
    draft = Case()
    member = fresh_client(app, draft.applicant)
    response = member.post(f"/applications/{draft.id}/evidence", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": draft.essential[0],
                                 "description": NUL})  # fmt: skip
    assert response.status_code == 303 and any(REFUSED_ES in m for m in _flashes(member))
    assert count(Evidence) == 0

    consultation = db.session.scalar(select(Standard).where(Standard.status == "consultation"))
    code = db.session.scalar(select(Indicator.code).where(Indicator.standard_id == consultation.id))
    response = member.post(f"/standards/{consultation.id}/indicators/{code}/comments", data={"comment": NUL})
    assert response.status_code == 303 and any(REFUSED_ES in m for m in _flashes(member))
    assert count(IndicatorComment) == 0


# --- ids beyond the database's integer ----------------------------------------------------------------------


def test_ids_beyond_the_database_integer_in_any_url_are_404_in_the_ui_and_the_api(app):
    world = f.World()
    staff = fresh_client(app, world.facilitator)
    token = {"Authorization": f"Bearer {as_user(staff, world.facilitator).token}"}
    checked = 0
    for rule, method in rules(app, "GET", "POST", "PUT", "DELETE"):
        names = [n for n in rule.arguments if n.endswith("_id")]
        for huge in HUGE_IDS if names else ():
            url = url_of(app, rule, world, **dict.fromkeys(names, huge))
            response = staff.open(url, method=method, headers=token if is_api(rule) else {})
            assert response.status_code == 404, (method, url, response.status_code)
            if is_api(rule):
                assert error_of(response)["code"] == "not_found"
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("limit", [1, 9, 10, 305, 7000, 2**31 - 1])
def test_the_url_id_pattern_matches_exactly_one_to_its_limit(limit):
    pattern = re.compile(decimal_up_to(limit) + "$")
    around = [*range(0, 1200), limit - 1, limit, limit + 1, limit * 10, 2**63]
    assert [n for n in around if bool(pattern.match(str(n))) != (1 <= n <= limit)] == []
    assert not pattern.match("01") and not pattern.match("-1")


def test_ids_beyond_the_database_integer_in_forms_are_refused_like_unknown_ones(app):
    case = Case().submit()
    facilitator = fresh_client(app, case.facilitator)
    for huge in HUGE_IDS:
        response = facilitator.post(f"/applications/{case.id}/assignments", data={"reviewer_id": str(huge)})
        assert response.status_code == 303 and _flashes(facilitator)
        response = facilitator.post("/rescoring", data={"standard_id": str(huge), "reason": "Prueba"})
        assert response.status_code == 303 and _flashes(facilitator)
    assert count(Assignment) == 0
    round_ = pilots.create_round(case.facilitator, name="Piloto", country="PE", area="gender",
                                 opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31), capacity=5)  # fmt: skip
    response = facilitator.post(f"/pilot-rounds/{round_.id}/applications", data={"application_id": str(2**63)})
    assert response.status_code == 303 and _flashes(facilitator)


def test_a_control_character_in_a_text_segment_of_a_url_is_404_in_the_ui_and_the_api(app):
    case = Case()
    member = fresh_client(app, case.applicant)
    token = {"Authorization": f"Bearer {as_user(member, case.applicant).token}"}
    for method, url, headers in (
        ("GET", f"/applications/{case.id}/self-assessment/G%001", {}),
        ("POST", f"/applications/{case.id}/self-assessment/G%001", {}),
        ("GET", "/verify/abc%00def", {}),
        ("GET", "/verify?code=abc%00def", {}),
        ("PUT", f"/api/v1/applications/{case.id}/self-assessment/G%1B1", token),
        ("GET", "/api/v1/certificates/abc%00def", {}),
    ):
        response = member.open(url, method=method, headers=headers, follow_redirects=True)
        assert response.status_code == 404, (method, url, response.status_code)
    assert count(SelfAssessment) == 0


# --- dates in a window ------------------------------------------------------------------------------------


def test_the_date_message_names_the_window_it_enforces():
    assert DATE_MIN.isoformat() in DATE_OUT_OF_WINDOW and DATE_MAX.isoformat() in DATE_OUT_OF_WINDOW


@pytest.mark.parametrize("opens_on, closes_on", [("0001-01-01", "2026-12-31"), ("2026-01-01", "9999-12-31")])
def test_a_pilot_round_dated_out_of_the_window_is_refused_with_a_clear_message(app, client, opens_on, closes_on):
    facilitator = f.user("facilitator")
    web = fresh_client(app, facilitator)
    response = web.post("/pilot-rounds", data=_round_form(opens_on=opens_on, closes_on=closes_on))
    assert response.status_code == 422
    assert "Indique una fecha entre 2000-01-01 y 2099-12-31." in response.get_data(as_text=True)

    api = as_user(client, facilitator)
    body = {"name": "Piloto", "country": "PE", "area": "gender", "opens_on": opens_on, "closes_on": closes_on,
            "capacity": 5}  # fmt: skip
    response = api.post("/pilot-rounds?lang=en", body)
    assert response.status_code == 422
    wrong = "opens_on" if opens_on.startswith("0001") else "closes_on"
    assert wrong in error_of(response)["details"]["fields"]
    assert count(PilotRound) == 0


def test_the_services_refuse_dates_out_of_the_window_for_web_and_api_alike(app):
    facilitator = f.user("facilitator")
    for opens_on, closes_on in ((date(1, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(9999, 12, 31))):
        with pytest.raises(ValidationFailed) as refused:
            pilots.create_round(facilitator, name="Piloto", country="PE", area="gender", opens_on=opens_on,
                                closes_on=closes_on, capacity=5)  # fmt: skip
        assert DATE_OUT_OF_WINDOW in sum(refused.value.fields.values(), [])

    case = Case().submit()
    with pytest.raises(ValidationFailed) as refused:
        reviews.assign_reviewer(facilitator, case.id, case.reviewers[0].id, date(9999, 12, 31))
    assert refused.value.fields == {"due_on": [DATE_OUT_OF_WINDOW]}

    reviewer = f.reviewer()
    with pytest.raises(ValidationFailed) as refused:
        reviewers.add_affiliation(facilitator, reviewer.id, organization_id=case.org.id, kind="board",
                                since=date(1, 1, 1))  # fmt: skip
    assert refused.value.fields == {"since": [DATE_OUT_OF_WINDOW]}
    row = reviewers.add_affiliation(facilitator, reviewer.id, organization_id=case.org.id, kind="board",
                                  since=date.today() - timedelta(days=400))  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        reviewers.end_affiliation(facilitator, row.id, date(9999, 12, 31))
    assert refused.value.fields == {"until": [DATE_OUT_OF_WINDOW]}
    assert count(PilotRound) == 0 and count(Assignment) == 0 and count(Affiliation) == 1
