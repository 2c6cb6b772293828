"""An invited reviewer decides on a conflict of interest from the organisation, its country, the seal and the due
date alone: the application's content (self-assessment, evidence, history, scores) opens only once they accept,
on every page and every API read. Declined and withdrawn reviewers see nothing of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.evidence.models import Evidence
from certification.extensions import db
from certification.reviews import services as reviews
from tests import factories as f
from tests.api.helpers import Case, as_user, error_of
from tests.web.helpers import fresh_client

MISSING = 987654
EXPLANATION = "Política aprobada."  # what Case.self_assess writes for every indicator


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _invited():
    case = Case().submit()
    case.assignments = case.assign()
    case.evidence_id = db.session.scalar(select(Evidence.id).where(Evidence.application_id == case.id))
    return case


def _content_pages(case) -> list[str]:
    code = case.indicators[0].code
    return [
        f"/applications/{case.id}",
        f"/applications/{case.id}/self-assessment/{code}",
        f"/evidence/{case.evidence_id}",
        f"/applications/{case.id}/result",
    ]


def _api_reads(case) -> list[tuple[str, str]]:
    """(path of the object, the same path with an id of nothing)."""
    paths = ["/applications/{}", "/applications/{}/evidence", "/applications/{}/history", "/applications/{}/score"]
    rows = [(p.format(case.id), p.format(MISSING)) for p in paths]
    return rows + [(f"/evidence/{case.evidence_id}/content", f"/evidence/{MISSING}/content")]


def test_the_invitation_page_shows_organisation_country_seal_and_due_date_but_no_content(app):
    case = _invited()
    reviewer, assignment = case.reviewers[0], case.assignments[0]
    client = fresh_client(app, reviewer)

    page = client.get(f"/assignments/{assignment.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in (case.org.name, case.org.country, case.standard.version, assignment.due_on.isoformat(),
                  case.standard.title("es")):  # fmt: skip
        assert shown in text, shown
    assert EXPLANATION not in text and "/evidence/" not in text and case.indicators[0].text("es") not in text
    assert f'action="/assignments/{assignment.id}/accept"' in text
    listing = client.get("/assignments").get_data(as_text=True)
    assert case.org.name in listing and case.org.country in listing


def test_the_api_invitation_names_organisation_country_and_seal_before_acceptance(app, client):
    case = _invited()
    api = as_user(client, case.reviewers[0])
    [invitation] = api.get("/assignments").get_json()["items"]
    assert invitation["status"] == "invited" and invitation["application_id"] == case.id
    assert (invitation["organization"], invitation["country"]) == (case.org.name, case.org.country)
    assert (invitation["standard_code"], invitation["standard_version"]) == (case.standard.code, case.standard.version)
    accepted = api.post(f"/assignments/{invitation['id']}/accept", json={"no_conflict": True}).get_json()
    assert accepted["status"] == "accepted" and accepted["organization"] == case.org.name


def test_an_invited_reviewer_gets_404_on_every_content_page_like_a_missing_id(app):
    case = _invited()
    client = fresh_client(app, case.reviewers[0])
    for url in _content_pages(case):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/assignments/{MISSING}").status_code == 404
    assert case.application.reference not in client.get("/applications").get_data(as_text=True)


def test_an_invited_reviewer_gets_404_on_every_api_read_like_a_missing_id(app, client):
    case = _invited()
    api = as_user(client, case.reviewers[0])
    for path, missing in _api_reads(case):
        hidden, absent = api.get(path), api.get(missing)
        assert hidden.status_code == 404, path
        assert error_of(hidden)["code"] == "not_found"
        assert hidden.get_json() == absent.get_json(), path
    listed = api.get("/applications").get_json()
    assert case.id not in [row["id"] for row in listed["items"]]


def test_accepting_opens_the_content_on_the_pages_and_the_api(app, client):
    case = _invited()
    reviewer, assignment = case.reviewers[0], case.assignments[0]
    web = fresh_client(app, reviewer)
    accepted = web.post(f"/assignments/{assignment.id}/accept", data={"no_conflict": "y"})
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith(f"/assignments/{assignment.id}")

    score_page = web.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert EXPLANATION in score_page and f"/evidence/{case.evidence_id}" in score_page
    for url in _content_pages(case)[:3]:
        assert web.get(url).status_code == 200, url
    api = as_user(client, reviewer)
    for path, _missing in _api_reads(case):
        if path.endswith("/score"):
            continue  # the score is for facilitators and, once decided, the applicant: 403 for a reviewer
        assert api.get(path).status_code == 200, path


@pytest.mark.parametrize("ending", ["declined", "withdrawn"])
def test_a_declined_or_withdrawn_reviewer_loses_every_read(app, client, ending):
    case = _invited()
    reviewer, assignment = case.reviewers[0], case.assignments[0]
    if ending == "declined":
        reviews.decline_assignment(reviewer, assignment.id, "Sin disponibilidad.")
    else:
        reviews.accept_assignment(reviewer, assignment.id, True)
        reviews.withdraw_assignment(case.facilitator, assignment.id, "Reasignada.")
    web = fresh_client(app, reviewer)
    for url in [*_content_pages(case), f"/assignments/{assignment.id}"]:
        assert web.get(url).status_code == 404, url
    api = as_user(client, reviewer)
    for path, _missing in _api_reads(case):
        assert api.get(path).status_code == 404, path
