"""The people, organisation and account pages in a real browser, at phone and desktop width, in es and en:
accessible (axe), nothing wider than the screen, and the set-password page reached from an invitation."""

from __future__ import annotations

import pytest

from tests.browser.support import Visit, live_server

PASSWORD = "correct horse battery"


def _seed(app):
    from certification.accounts import links
    from certification.accounts.people import change_role, invite, set_active
    from certification.accounts.services import create_user
    from certification.organizations.services import create_organization

    org = create_organization(name="Financiera Andina de Crédito Rural", country="PE", network="Red Andina",
                              legal_form="Sociedad anónima")  # fmt: skip
    create_organization(name="Caja Solidaria del Altiplano", country="BO")
    admin = create_user(email="admin@example.org", name="Ana Admin", role="admin", password=PASSWORD)
    create_user(email="fac@example.org", name="Fabio Facilitador", role="facilitator", password=PASSWORD)
    person = invite(admin, email="rosa@example.org", name="Rosa Quispe Mamani", role="applicant",
                    organization_id=org.id, locale="es")  # fmt: skip
    reviewer = create_user(email="rev@example.org", name="Renata Revisora", role="reviewer", password=PASSWORD,
                           countries=["PE", "BO"], languages=["es", "qu"])  # fmt: skip
    change_role(admin, reviewer.id, "facilitator")
    change_role(admin, reviewer.id, "reviewer")
    set_active(admin, person.id, False)
    set_active(admin, person.id, True)
    app.config["SEED"] = {"person": person.id, "reviewer": reviewer.id, "org": org.id,
                          "welcome": "/welcome/" + links.make_token(person, links.INVITATION)}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url, app, stop = live_server(tmp_path_factory.mktemp("people"), _seed)
    yield url, app.config["SEED"]
    stop()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["es", "en"])
def test_people_organisation_and_account_pages_read_well(site, browser, screen, lang):
    url, seed = site
    visit = Visit(browser, url, screen, lang, "people")
    try:
        visit.goto(seed["welcome"])
        visit.goto("/password/forgot")
        visit.login("admin@example.org", PASSWORD)
        for path in ("/people", f"/people?role=applicant&organization_id={seed['org']}", "/people?q=nadie",
                     f"/people/{seed['person']}", f"/people/{seed['reviewer']}", "/people/new", "/organizations",
                     "/organizations/new", f"/organizations/{seed['org']}", f"/reviewers/{seed['reviewer']}",
                     "/reviewers?q=Ren", "/account"):  # fmt: skip
            visit.goto(path)
    finally:
        visit.close()
