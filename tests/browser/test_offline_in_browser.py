"""Offline field scoring in a real browser (Debian's Chromium): an assignment stored on the device, scored
with the network cut, through a reload and a closed page, synced exactly once when back online; a score
changed on the server meanwhile is shown beside the device's and never overwritten; logging out clears it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certification.accounts.models import User
from certification.extensions import db
from certification.offline.models import OfflineChange
from certification.reviews import services as reviews
from certification.reviews.models import ReviewScore
from certification.seals.models import Indicator
from certification.seals.services import load_standards
from tests import factories as f
from tests.api.helpers import Case
from tests.browser.support import Visit, live_server

LANG = "es"


def _seed(app) -> None:
    load_standards()
    case = Case().under_review()
    app.config["OFFLINE_CASE"] = {
        "assignment": case.assignments[0].id, "reviewer": case.reviewers[0].email,
        "reviewer_id": case.reviewers[0].id,
        "indicators": [(i.code, i.scale_min, i.scale_max, i.allows_na) for i in case.indicators],
    }  # fmt: skip


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    url, app, stop = live_server(tmp_path_factory.mktemp("offline"), _seed)
    yield url, app
    stop()


def _typed(code: str, low: int, high: int) -> tuple[int, str]:
    return (low + high) // 2 + (len(code) % 2), f"Verificado en la asamblea de la UNICA ({code})."


def _scores(app, assignment_id: int) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(Indicator.code, ReviewScore.score, ReviewScore.comment, ReviewScore.version)
            .join(ReviewScore, ReviewScore.indicator_id == Indicator.id)
            .where(ReviewScore.assignment_id == assignment_id)
        ).all()  # fmt: skip
        return {code: (score, comment, version) for code, score, comment, version in rows}


def _receipts(app, assignment_id: int) -> int:
    with app.app_context():
        return db.session.query(OfflineChange).filter_by(assignment_id=assignment_id).count()


def _stored_on_device(page) -> dict:
    return page.evaluate("""async () => ({
        databases: (await indexedDB.databases()).map(d => d.name),
        caches: await caches.keys(),
    })""")


def _score_on_device(page, code: str, score: int, comment: str) -> None:
    card = page.locator(f"article[id='ind-{code}']")
    card.locator(f"input[type=radio][value='{score}']").check()
    card.locator("textarea[name=comment]").fill(comment)
    card.locator("button[type=submit]").click()
    page.locator(f"article[id='ind-{code}'] .sync-state[data-state=device]").wait_for()


def test_scoring_offline_syncs_every_score_exactly_once_and_never_overwrites(browser, server):
    url, app = server
    case = app.config["OFFLINE_CASE"]
    assignment = case["assignment"]
    visit = Visit(browser, url, "phone", LANG, "offline")
    context, page = visit.context, visit.page
    try:
        visit.login(case["reviewer"], f.PASSWORD)
        visit.goto("/offline")
        page.locator(f"#accepted button.make-offline[data-assignment='{assignment}']").click()
        page.locator(f"#on-device .offline-item[data-assignment='{assignment}']").wait_for()
        page.evaluate("navigator.serviceWorker.ready")
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        visit.check("offline-list")
        page.click(f"#on-device .offline-item[data-assignment='{assignment}'] a.button")
        page.locator("#assignment-title").wait_for()
        visit.check("offline-assignment")
        page.goto(f"{url}/offline?lang={LANG}")

        context.set_offline(True)
        page.reload()
        page.locator(f"#on-device .offline-item[data-assignment='{assignment}']").wait_for()
        page.click(f"#on-device .offline-item[data-assignment='{assignment}'] a.button")
        page.locator("#assignment-title").wait_for()
        evidence = page.locator(".evidence-links a").first.get_attribute("href")
        assert page.evaluate("href => fetch(href).then(r => r.status)", evidence) == 200, "evidence read offline"

        typed = {}
        for code, low, high, _na in case["indicators"]:
            typed[code] = _typed(code, low, high)
            _score_on_device(page, code, *typed[code])
        page.close()

        page = context.new_page()  # the page closed and opened again, still without a connection
        page.goto(f"{url}/offline?lang={LANG}#a-{assignment}")
        page.locator("#assignment-title").wait_for()
        for code, (score, comment) in typed.items():
            card = page.locator(f"article[id='ind-{code}']")
            assert card.locator(f"input[type=radio][value='{score}']").is_checked()
            assert card.locator("textarea[name=comment]").input_value() == comment
        assert _scores(app, assignment) == {}, "nothing reached the server while offline"

        context.set_offline(False)
        expect(page.locator(".sync-state[data-state=synced]")).to_have_count(len(typed), timeout=30000)
        assert _scores(app, assignment) == {code: (s, c, 1) for code, (s, c) in typed.items()}
        assert _receipts(app, assignment) == len(typed)

        # Changed on the server (another device) while this one was offline: both are shown, nothing overwritten.
        first, low, high, _na = case["indicators"][0]
        context.set_offline(True)
        _score_on_device(page, first, low, "Corregido en el campo.")
        with app.app_context():
            reviewer = db.session.get(User, case["reviewer_id"])
            reviews.save_score(reviewer, assignment, first, high, "Corregido en la oficina.")
        context.set_offline(False)
        conflict = page.locator(f"article[id='ind-{first}'] div.conflict")
        conflict.wait_for(timeout=30000)
        assert "Corregido en la oficina." in conflict.inner_text() and "Corregido en el campo." in conflict.inner_text()
        assert _scores(app, assignment)[first] == (high, "Corregido en la oficina.", 2)
        conflict.locator("button.keep-mine").click()
        page.locator(f"article[id='ind-{first}'] .sync-state[data-state=synced]").wait_for(timeout=30000)
        assert _scores(app, assignment)[first] == (low, "Corregido en el campo.", 3)

        stored = _stored_on_device(page)
        assert "sello-offline" in stored["databases"] and stored["caches"]
        page.locator("form[data-offline-pending] button").click()
        page.wait_for_url(f"{url}/")
        stored = _stored_on_device(page)
        assert "sello-offline" not in stored["databases"] and stored["caches"] == []
    finally:
        visit.close()
