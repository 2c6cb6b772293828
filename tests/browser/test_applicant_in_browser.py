"""A real browser (Debian's Chromium via Playwright) on a phone-sized screen: log in, self-assess, switch language."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from certification.extensions import db
from tests import factories as f

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from tests.conftest import service_missing

    if not shutil.which(CHROMIUM):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    base = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SELLO_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'browser.db'}",
            "EVIDENCE_DIR": str(base / "evidence"),
            "WTF_CSRF_ENABLED": True,  # the browser goes through the real CSRF-protected forms
        }
    )
    with app.app_context():
        db.create_all()
        from certification.seals.services import load_standards

        load_standards()
        applicant = f.applicant(f.organization("Fundación Espoir", "EC"))
        email = applicant.email
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "email": email, "app": app}
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def test_an_applicant_self_assesses_an_indicator_on_a_phone(live_server, browser, tmp_path):
    page = browser.new_page(viewport=PHONE, locale="es-PE")
    base = live_server["url"]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", live_server["email"])
    page.fill("input[name=password]", f.PASSWORD)
    page.click("form.stack button")
    page.goto(f"{base}/applications")
    page.click("form.row button")  # start an application for the first seal offered
    assert "/applications/" in page.url
    page.click("#self-assessment .indicators li a")  # the first indicator's self-assessment form
    page.check("input[name=rating][value='4']")
    page.fill("textarea[name=explanation]", "Política de género aprobada por el directorio en 2025.")
    with page.expect_navigation():  # wait for the application page, not the form still on screen
        page.click("button[name=then][value=back]")  # "Save and back to the application" ("Save and next" moves on)
    page.wait_for_load_state()
    assert page.locator(".flash.success").count() == 1, page.locator("main").inner_text()[:1500]
    assert "Política de género aprobada" in page.content()
    # Usable on a phone: nothing wider than the screen.
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className + ' ' + (e.name || ''))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide
    page.screenshot(path=str(tmp_path / "application-phone.png"), full_page=True)
    # The language switch turns the same page to English.
    page.click("header .session form button[name=lang]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("text=Self-assessment").count() >= 1
    page.close()
