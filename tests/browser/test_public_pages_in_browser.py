"""The public standard pages read as text in a real browser: each rubric descriptor takes the width of its row."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from certification.extensions import db
from certification.seals.models import Standard, StandardStatus

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def public_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("public")
    app = create_app(
        {
            "SELLO_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'public.db'}",
            "EVIDENCE_DIR": str(base / "evidence"),
        }
    )
    with app.app_context():
        db.create_all()
        from certification.seals.services import load_standards

        load_standards()
        published = db.session.scalars(db.select(Standard.id).where(Standard.status == StandardStatus.PUBLISHED))
        ids = list(published)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "standard_ids": ids}
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("lang", ["es", "en", "fr"])
def test_rubric_descriptors_use_the_width_of_the_page(public_site, browser, screen, lang):
    viewport = SCREENS[screen]
    page = browser.new_page(viewport=viewport)
    for standard_id in public_site["standard_ids"]:
        page.goto(f"{public_site['url']}/standards/{standard_id}?lang={lang}")
        widths = page.eval_on_selector_all(
            ".rubric-table tbody td", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert widths, "the page shows the rubric of every indicator"
        # A descriptor squeezed into the level column runs one letter per line (the page was 85 screens tall).
        assert min(widths) > viewport["width"] * 0.55, (standard_id, min(widths))
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screens_tall = page.evaluate("document.documentElement.scrollHeight") / viewport["height"]
        assert screens_tall < 40, screens_tall
    page.close()
