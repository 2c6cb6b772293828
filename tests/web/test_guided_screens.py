"""The screens guide the decision: the expected action is primary, destructive ones are confirmed, blocked ones
say why with a link to the fix; lists search; the self-assessment moves on; enrolment picks, never types, an id."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _action(html: str, event: str) -> str:
    match = re.search(rf'<div class="action-card[^"]*" id="action-{event}">(.*?)\n  </div>', html, re.S)
    assert match, f"no action card for {event}"
    return match[1]


def test_a_draft_offers_submit_as_the_primary_action_and_withdraw_only_behind_a_confirmation(app):
    walk = f.Walk()
    client = fresh_client(app, walk.applicant)
    html = client.get(f"/applications/{walk.id}").get_data(as_text=True)
    submit = _action(html, "submit")
    assert "<button disabled" in submit, "incomplete: submit is disabled"
    # the reason links to the first indicator still to self-assess
    assert f'href="/applications/{walk.id}/self-assessment/{walk.indicators[0].code}"' in submit
    withdraw = _action(html, "withdraw")
    assert '<details class="confirm">' in withdraw and 'class="danger"' in withdraw

    walk.self_assess().upload_evidence()
    html = client.get(f"/applications/{walk.id}").get_data(as_text=True)
    submit = _action(html, "submit")
    assert "<button>" in submit and "disabled" not in submit, "complete: submit is the one filled button"


def test_a_facilitator_sees_why_a_decision_is_blocked_without_a_stale_score_warning_before_any_review(app):
    walk = f.Walk().start_review()
    client = fresh_client(app, walk.facilitator)
    html = client.get(f"/applications/{walk.id}").get_data(as_text=True)
    blocked = _action(html, "complete_pilot")
    assert "<button disabled" in blocked
    assert "recalcul" not in blocked, "no score is being recalculated while reviews are still to come"
    assert f'href="/applications/{walk.id}/reviewers"' in blocked
    assert '<details class="confirm">' in _action(html, "reject")


def test_a_piloted_application_shows_the_score_before_the_decision_and_certify_as_primary(app):
    walk = f.Walk()
    walk.pilot()
    html = fresh_client(app, walk.facilitator).get(f"/applications/{walk.id}").get_data(as_text=True)
    assert html.index('id="score"') < html.index('id="actions"'), "the facts come first"
    certify = _action(html, "certify")
    assert "<button>" in certify or "<button disabled" in certify
    assert '<details class="confirm">' in _action(html, "reject")


def test_save_and_next_moves_to_the_next_indicator_without_a_self_assessment(app):
    walk = f.Walk()
    first, second = walk.indicators[0].code, walk.indicators[1].code
    client = fresh_client(app, walk.applicant)
    page = client.get(f"/applications/{walk.id}/self-assessment/{first}").get_data(as_text=True)
    assert f"0 / {len(walk.indicators)}" in page
    response = client.post(
        f"/applications/{walk.id}/self-assessment/{first}",
        data={"rating": "4", "explanation": "Política aprobada.", "then": "next"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/self-assessment/{second}")
    assert f"1 / {len(walk.indicators)}" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_evidence_is_linked_with_one_checkbox_per_indicator(app):
    walk = f.Walk()
    html = fresh_client(app, walk.applicant).get(f"/applications/{walk.id}").get_data(as_text=True)
    assert '<select name="indicators" multiple' not in html
    for indicator in walk.indicators:
        assert f'<input type="checkbox" name="indicators" value="{indicator.code}">' in html


def test_the_applications_list_searches_by_reference_and_organisation(app):
    facilitator = f.user("facilitator")
    wanted = f.Walk(org=f.organization("Caja Rural Los Andes"), facilitator=facilitator)
    other = f.Walk(org=f.organization("Financiera del Sur"), facilitator=facilitator)
    client = fresh_client(app, facilitator)
    html = client.get("/applications?q=los andes").get_data(as_text=True)
    assert wanted.application.reference in html and other.application.reference not in html
    html = client.get(f"/applications?q={other.application.reference}").get_data(as_text=True)
    assert other.application.reference in html and wanted.application.reference not in html
    # a LIKE wildcard is searched for literally
    assert "No application matches." in client.get("/applications?q=%25&lang=en").get_data(as_text=True)


def test_the_assignments_list_filters_by_status_and_searches_by_reviewer(app):
    walk = f.Walk().submit().assign(count=1, accept=False)
    reviewer = walk.reviewers[0]
    client = fresh_client(app, walk.facilitator)
    assert walk.application.reference in client.get(f"/assignments?q={reviewer.name}").get_data(as_text=True)
    assert walk.application.reference in client.get("/assignments?status=invited").get_data(as_text=True)
    assert walk.application.reference not in client.get("/assignments?status=accepted").get_data(as_text=True)
    assert client.get("/assignments?status=nonsense").status_code == 400


def test_enrolment_lists_the_eligible_applications_by_name_not_by_database_id(app):
    facilitator = f.user("facilitator")
    enrolled = f.Walk(facilitator=facilitator).submit().open_round(capacity=5)
    candidate = f.Walk(org=f.organization("Cooperativa San José"), facilitator=facilitator)
    elsewhere = f.Walk(country="EC", facilitator=facilitator)
    client = fresh_client(app, facilitator)
    html = client.get(f"/pilot-rounds/{enrolled.round_id}").get_data(as_text=True)
    assert 'type="number" name="application_id"' not in html
    assert f'name="application_id" value="{candidate.id}"' in html and "Cooperativa San José" in html
    assert f'value="{elsewhere.id}"' not in html, "another country's application is not offered"
    assert f'name="application_id" value="{enrolled.id}"' not in html, "already enrolled"
    html = client.get(f"/pilot-rounds/{enrolled.round_id}?q=nadie&lang=en").get_data(as_text=True)
    assert "No eligible application matches." in html


def test_every_page_links_the_app_icon_and_favicon_ico_answers(app):
    client = fresh_client(app)
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data


def test_the_registry_searches_by_organisation_or_certificate_number(app):
    wanted = f.Walk(org=f.organization("Caja Rural Los Andes"))
    other = f.Walk(org=f.organization("Financiera del Sur"))
    wanted_number = f.registry_certificate(wanted.id).number
    other_number = f.registry_certificate(other.id).number
    client = fresh_client(app)
    html = client.get("/registry?q=andes").get_data(as_text=True)
    assert wanted_number in html and other_number not in html
    html = client.get(f"/registry?q={other_number}").get_data(as_text=True)
    assert other_number in html and wanted_number not in html


def test_the_registry_offers_its_search_box_and_labels_each_cell_for_the_phone_cards(app):
    walk = f.Walk(org=f.organization("Caja Rural Los Andes"))
    number = f.registry_certificate(walk.id).number
    client = fresh_client(app)
    html = client.get("/registry?q=andes&area=gender&lang=en").get_data(as_text=True)
    assert 'role="search"' in html and 'name="q" value="andes"' in html
    assert 'name="area" value="gender"' in html, "the chosen area rides along with a new search"
    assert 'class="table cards-on-phone"' in html and 'data-label="Expires"' in html and number in html
    html = client.get("/registry?q=nadie&lang=en").get_data(as_text=True)
    assert "No certified institution matches." in html and "Show the whole registry" in html


def test_closing_a_pilot_round_asks_first_without_javascript_and_other_steps_do_not(app):
    from certification.pilots.services import change_status

    facilitator = f.user("facilitator")
    walk = f.Walk(facilitator=facilitator).submit().open_round()
    client = fresh_client(app, facilitator)
    html = client.get(f"/pilot-rounds/{walk.round_id}?lang=en").get_data(as_text=True)
    assert 'name="status" value="in_progress"' in html
    assert 'id="close-round"' not in html, "starting the round needs no confirmation"
    change_status(facilitator, walk.round_id, "in_progress")
    html = client.get(f"/pilot-rounds/{walk.round_id}?lang=en").get_data(as_text=True)
    close = html.split('id="close-round"')[1].split("</details>")[0]
    assert '<details class="confirm">' in close and "Close the round?" in close
    assert 'type="hidden" name="status" value="closed"' in close and 'class="danger"' in close
    assert 'name="status" value="closed"' not in html.split('id="close-round"')[0], "no one-click close"
    with client.get("/static/sello.js") as script:
        assert b"window.confirm" not in script.data
