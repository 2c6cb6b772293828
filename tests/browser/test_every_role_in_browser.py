"""Every role's main path in a real browser, on a phone (390 px) and a desktop (1280 px), in Spanish and English.

One live server on SQLite holds the demo data plus, for each screen and language, its own institutions and
applications, so the four walks of a role do not step on each other. Every page visited is checked by
`Visit.check` (tests/browser/support.py): axe-core finds no serious or critical violation, nothing is wider
than the screen, no word is broken letter by letter, no console error, no failed request; and screenshotted.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from certification.accounts.models import User
from certification.applications.models import Application
from certification.applications.services import create_application, fire_event, save_self_assessment
from certification.certificates.models import Certificate
from certification.demo import ADMIN_EMAIL, FACILITATOR_EMAIL, load_demo
from certification.evidence.services import upload
from certification.extensions import db
from certification.pilots.services import change_status, create_round, enrol
from certification.reviews.models import Assignment
from certification.reviews.services import accept_assignment, assign_reviewer, save_score, submit_review
from certification.seals.models import Standard, StandardStatus
from certification.seals.queries import indicators_of
from certification.types import utcnow
from tests import factories as f
from tests.browser.support import Visit, live_server

DEMO_PASSWORD = "sello-demo-2026"
COMBOS = [("phone", "es"), ("phone", "en"), ("desktop", "es"), ("desktop", "en")]
IDS = [f"{screen}-{lang}" for screen, lang in COMBOS]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _self_assess_all(applicant, application_id: int, indicators, skip=()) -> None:
    for indicator in indicators:
        if indicator.code not in skip:
            save_self_assessment(
                applicant, application_id, indicator.code, indicator.scale_max - 1, "Práctica vigente."
            )


def _seed(app) -> dict:
    """The demo, then per screen and language: a fresh applicant, and an application in a running pilot round
    with a reviewer invited (the browser's) and one who has accepted (the service's)."""
    load_demo()
    gender = db.session.scalar(
        select(Standard).where(Standard.code == "GEN", Standard.status == StandardStatus.PUBLISHED)
    )
    indicators = indicators_of(gender.id)
    facilitator = _user(FACILITATOR_EMAIL)
    today = utcnow().date()
    enrolment_round = create_round(
        facilitator, name="Ronda de inscripción — Perú", country="PE", area="gender",
        opens_on=today, closes_on=today + timedelta(days=90), capacity=10,
    )  # fmt: skip
    change_status(facilitator, enrolment_round.id, "open")
    walks = {}
    for screen, lang in COMBOS:
        key = f"{screen}-{lang}"
        newcomer = f.applicant(f.organization(f"Caja Nueva {key}", "PE"))
        org = f.organization(f"Cooperativa Andina {key}", "PE")
        owner = f.applicant(org)
        application = create_application(owner, gender.id)
        _self_assess_all(owner, application.id, indicators)
        for indicator in indicators:
            if indicator.essential:
                upload(owner, application.id, f.pdf_stream(), f"{indicator.code}.pdf", [indicator.code], "")
        fire_event(owner, application.id, "submit")
        pilot = create_round(
            facilitator, name=f"Piloto {key}", country="PE", area="gender",
            opens_on=today, closes_on=today + timedelta(days=90), capacity=2,
        )  # fmt: skip
        change_status(facilitator, pilot.id, "open")
        enrol(facilitator, pilot.id, application.id)
        change_status(facilitator, pilot.id, "in_progress")
        browser_reviewer, other = f.reviewer(capacity=5), f.reviewer(capacity=5)
        invitation = assign_reviewer(facilitator, application.id, browser_reviewer.id, today + timedelta(days=20))
        second = assign_reviewer(facilitator, application.id, other.id, today + timedelta(days=20))
        accept_assignment(other, second.id, no_conflict=True)
        walks[key] = {
            "newcomer": newcomer.email,
            "reviewer": browser_reviewer.email,
            "reviewer_id": browser_reviewer.id,
            "other_id": other.id,
            "under_review": application.id,
            "invitation": invitation.id,
            "second": second.id,
            "pilot": pilot.id,
        }
    certificate = db.session.scalar(select(Certificate))
    standards = {s.status.value: s.id for s in db.session.scalars(select(Standard).where(Standard.code == "GEN"))}
    return {
        "walks": walks,
        "gender": gender.id,
        "codes": [i.code for i in indicators],
        "essential": [i.code for i in indicators if i.essential],
        "enrolment_round": enrolment_round.id,
        "verification_code": certificate.verification_code if certificate else None,
        "standards": standards,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser):
    seeded = {}

    def seed(app):
        seeded.update(_seed(app))

    url, app, stop = live_server(tmp_path_factory.mktemp("roles"), seed, WTF_CSRF_ENABLED=True)
    yield {"url": url, "app": app, **seeded}
    stop()


def _visit(site, browser, screen, lang, name, email=None, password=f.PASSWORD) -> Visit:
    visit = Visit(browser, site["url"], screen, lang, name)
    if email:
        visit.login(email, password)
        if visit.page.locator("html").get_attribute("lang") != lang:
            visit.page.click("header .session button[name=lang]")
            visit.page.wait_for_load_state()
    return visit


def _state(page) -> str:
    return page.locator("header.page-head .badge").first.get_attribute("class").split("state-")[-1]


@pytest.mark.parametrize(("screen", "lang"), COMBOS, ids=IDS)
def test_anonymous_visitor_reads_the_registry_verifies_and_reads_the_standards(site, browser, screen, lang):
    v = _visit(site, browser, screen, lang, "anonymous")
    v.goto("/")
    page = v.goto("/registry")
    if site["verification_code"]:
        assert page.locator("main table.cards-on-phone td[data-label]").count() >= 1, "each cell is labelled"
        page.fill("main form[role=search] input[name=q]", "zzz-nobody")
        page.click("main form[role=search] button")
        v.check("registry-searched")
        assert page.locator("main .empty").count() == 1, "a search that finds nothing says so"
    v.goto("/verify")
    if site["verification_code"]:
        v.goto(f"/verify/{site['verification_code']}")
    v.goto("/standards")
    v.goto(f"/standards/{site['standards']['published']}")
    v.goto(f"/standards/{site['standards']['published']}/print")
    assert v.page.locator("main").count() == 1, "the printable standard has its main landmark"
    v.close()


@pytest.mark.parametrize(("screen", "lang"), COMBOS, ids=IDS)
def test_applicant_drafts_self_assesses_links_evidence_and_submits(site, browser, screen, lang):
    walk = site["walks"][f"{screen}-{lang}"]
    v = _visit(site, browser, screen, lang, "applicant", walk["newcomer"])
    page = v.goto("/applications")
    page.select_option("select[name=standard_id]", str(site["gender"]))
    page.click("form[action$='/applications'] button")
    v.check("draft")
    application_id = int(re.search(r"/applications/(\d+)", page.url)[1])
    # On a draft the only filled button is "Submit" (blocked until complete, with links to what is missing).
    assert page.locator("#action-submit button[disabled]").count() == 1
    assert page.locator("#why-submit a").count() >= 1
    assert page.locator("#action-withdraw details.confirm").count() == 1, "withdrawing asks first"

    page = v.goto("/dashboard")
    card = page.locator("article.progress-card")
    assert card.count() == 1 and card.locator("progress").count() == 2, "self-assessment and evidence progress"
    page = v.goto(f"/applications/{application_id}")
    page.click("#self-assessment a.button")  # "Start the self-assessment"
    first, second = site["codes"][:2]
    assert page.url.endswith(f"/self-assessment/{first}")
    v.check("self-assessment")
    page.check("input[name=rating][value='4']")
    page.fill("textarea[name=explanation]", "Política de género aprobada por el directorio en 2025.")
    page.click("button[name=then][value=next]")
    assert page.url.endswith(f"/self-assessment/{second}"), "save and next goes on to the next indicator"
    assert page.locator(".progress-label").inner_text().startswith(f"1 / {len(site['codes'])}")
    v.check("self-assessment-next")

    with site["app"].app_context():  # the other indicators, as the applicant would over several sittings
        _self_assess_all(_user(walk["newcomer"]), application_id, indicators_of(site["gender"]), skip=(first,))
    page = v.goto("/dashboard")
    page.click("article.progress-card details.preview summary")
    v.check("readiness-preview")
    assert page.locator("details.preview .dim").count() >= 2, "the self-assessment scored by dimension"
    page = v.goto(f"/applications/{application_id}")
    evidence_form = page.locator("form[action$='/evidence']")
    evidence_form.locator("input[type=file]").set_input_files(
        files=[{"name": "politica-genero.pdf", "mimeType": "application/pdf", "buffer": f.PDF}]
    )
    for code in site["essential"]:
        evidence_form.locator(f"input[name=indicators][value='{code}']").check()
    evidence_form.locator("button").click()
    v.check("evidence-linked")
    assert page.locator("#evidence a", has_text="politica-genero.pdf").count() == 1

    submit = page.locator("#action-submit button")
    assert submit.is_enabled() and "secondary" not in (submit.get_attribute("class") or "")
    submit.click()
    v.check("submitted")
    assert _state(page) == "submitted"
    v.close()


@pytest.mark.parametrize(("screen", "lang"), COMBOS, ids=IDS)
def test_reviewer_accepts_an_invitation_scores_and_submits(site, browser, screen, lang):
    walk = site["walks"][f"{screen}-{lang}"]
    v = _visit(site, browser, screen, lang, "reviewer", walk["reviewer"])
    page = v.goto("/dashboard")
    assert page.locator(f"#invitations a[href$='/assignments/{walk['invitation']}']").count() >= 1
    page = v.goto("/assignments")
    card = page.locator(".card-row").filter(
        has=page.locator(f"form[action$='/assignments/{walk['invitation']}/accept']")
    )
    card.locator("input[name=no_conflict]").check()
    card.locator("form[action$='/accept'] button").click()
    v.check("accepted")

    app = site["app"]
    with app.app_context():  # the facilitator starts the review; the other reviewer scores in parallel
        fire_event(_user(FACILITATOR_EMAIL), walk["under_review"], "start_review")
        indicators = indicators_of(site["gender"])
        other = db.session.get(User, walk["other_id"])
        mine = db.session.get(User, walk["reviewer_id"])
        for indicator in indicators:
            save_score(other, walk["second"], indicator.code, 4, "Evidencia suficiente.", [])
        submit_review(other, walk["second"])
        for indicator in indicators[:-1]:
            save_score(mine, walk["invitation"], indicator.code, 4, "Verificado en la visita.", [])
        last = indicators[-1].code
    page = v.goto(f"/assignments/{walk['invitation']}")
    article = page.locator(f"article[id='ind-{last}']")
    article.locator("input[name=score][value='4']").check()
    article.locator("textarea[name=comment]").fill("Política aplicada; lo confirman dos grupos de clientas.")
    article.locator("button").click()
    v.check("scored")
    page.click("#submit button")
    v.check("review-submitted")
    with app.app_context():
        assert db.session.get(Assignment, walk["invitation"]).status.value == "submitted"
    v.close()


@pytest.mark.parametrize(("screen", "lang"), COMBOS, ids=IDS)
def test_facilitator_assigns_enrols_and_decides(site, browser, screen, lang):
    walk = site["walks"][f"{screen}-{lang}"]
    v = _visit(site, browser, screen, lang, "facilitator", FACILITATOR_EMAIL, DEMO_PASSWORD)
    page = v.goto("/dashboard")
    assert page.locator("nav.cards a.card").count() == 6, "each queue's size first"
    with site["app"].app_context():
        newcomer = _user(walk["newcomer"])
        submitted = db.session.scalar(
            select(Application).where(Application.organization_id == newcomer.organization_id)
        )
    page = v.goto(f"/applications?q={submitted.reference}")
    assert page.locator("main table tbody tr").count() == 1, "the search finds the application by reference"
    page = v.goto(f"/applications/{submitted.id}/reviewers")
    page.locator("#suggestions form button").first.click()
    v.check("invited")
    assert page.locator("#assignments .card-row").count() == 1

    page = v.goto(f"/pilot-rounds/{site['enrolment_round']}?q={submitted.reference}")
    page.locator("#enrol input[name=application_id]").first.check()
    page.click("#enrol form[method=post] button")
    v.check("enrolled")
    assert page.locator("main a", has_text=submitted.reference).count() >= 1
    v.goto("/pilot-rounds")
    v.goto("/reviewers")
    v.goto("/assignments?status=submitted")

    # The decision: facts first, the expected action as the one filled button, destructive ones confirmed.
    page = v.goto(f"/applications/{walk['under_review']}")
    page.click("#action-complete_pilot button")
    v.check("piloted")
    assert _state(page) == "piloted"
    assert page.locator("#score").bounding_box()["y"] < 1200 or screen == "phone"
    certify = page.locator("#action-certify button")
    if certify.is_enabled():
        assert "secondary" not in (certify.get_attribute("class") or ""), "certify is the primary action"
        certify.click()
        expected = "certified"
    else:
        page.click("#action-reject summary")
        page.fill("#action-reject textarea[name=reason]", "No alcanza el mínimo de las dimensiones.")
        page.click("#action-reject button.danger")
        expected = "rejected"
    v.check("decided")
    assert _state(page) == expected

    # Closing the round asks first, in the page itself.
    page = v.goto(f"/pilot-rounds/{walk['pilot']}")
    page.click("#close-round summary")
    v.check("closing-round")
    page.click("#close-round button.danger")
    v.check("round-closed")
    assert page.locator("#close-round").count() == 0, "a closed round has no further step"
    v.close()


@pytest.mark.parametrize(("screen", "lang"), COMBOS, ids=IDS)
def test_admin_reads_people_standards_and_the_mail_outbox(site, browser, screen, lang):
    v = _visit(site, browser, screen, lang, "admin", ADMIN_EMAIL, DEMO_PASSWORD)
    page = v.goto("/dashboard")
    assert page.locator("nav.cards a[href*='/admin/mail']").count() == 1, "failed mail is the administrator's too"
    v.goto("/standards")
    for status, standard_id in site["standards"].items():
        page = v.goto(f"/standards/{standard_id}")
        if status == "consultation":
            # The contents' "Comment" link lands on that indicator's form, opened, without scrolling the standard.
            link = page.locator("#contents a[href^='#comment-on-']").nth(2)
            target = link.get_attribute("href")
            link.click()
            page.wait_for_function("t => document.querySelector(t).closest('details').open", arg=f"[id='{target[1:]}']")
            v.check("comment-form-opened")
            page.locator(f"[id='{target[1:]}'] textarea[name=comment]").fill("¿Qué cuenta como directorio?")
            page.locator(f"[id='{target[1:]}'] button").click()
            v.check("commented")
            assert page.locator(".flash.success").count() == 1
        if status != "published":
            v.goto(f"/standards/{standard_id}/calibration")
    if "consultation" in site["standards"]:
        v.goto(f"/standards/diff?left={site['standards']['published']}&right={site['standards']['consultation']}")
    page = v.goto("/reviewers")
    page.locator("main table a").first.click()
    v.check("reviewer-profile")
    v.goto("/admin/mail")
    v.goto("/notifications")
    v.goto("/rescoring")
    v.close()
