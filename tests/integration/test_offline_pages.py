"""The pages around offline scoring: the printable scoring sheet, the manifest, the service worker, and logging
out, which tells the browser to clear what the offline screen stored."""

from __future__ import annotations

import pytest

from certification.reviews import services as reviews
from tests import factories as f
from tests.api.helpers import Case
from tests.pdfs import text_of
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_the_scoring_sheet_prints_every_indicator_with_its_rubric_and_empty_boxes(app):
    case = Case().under_review()
    client = fresh_client(app, case.reviewers[0])
    response = client.get(f"/assignments/{case.assignments[0].id}/sheet.pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"] and "no-store" in response.headers["Cache-Control"]
    text = text_of(response.data)
    assert "Scoring sheet" in text and case.application.reference in text
    for indicator in case.indicators:
        assert indicator.code in text
        assert " ".join(indicator.descriptor(indicator.scale_max, "en").split())[:40] in text
    assert "Hoja de puntuación" in text_of(client.get(f"/assignments/{case.assignments[0].id}/sheet.pdf?lang=es").data)


def test_the_scoring_sheet_is_only_the_assigned_reviewers(app):
    case = Case().under_review()
    other = fresh_client(app, case.reviewers[1])
    assert other.get(f"/assignments/{case.assignments[0].id}/sheet.pdf").status_code == 404
    reviews.withdraw_assignment(case.facilitator, case.assignments[1].id, "Visit cancelled.", None, None)
    assert other.get(f"/assignments/{case.assignments[1].id}/sheet.pdf").status_code == 404


def test_the_manifest_installs_sello_in_the_readers_language(app, client):
    english = client.get("/manifest.webmanifest?lang=en")
    assert english.mimetype == "application/manifest+json"
    body = english.get_json()
    assert body["start_url"] == "/offline" and body["display"] == "standalone" and body["lang"] == "en"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    for icon in body["icons"]:
        served = client.get(icon["src"])
        served.close()  # a static file: the test client leaves it open otherwise
        assert served.status_code == 200
    assert client.get("/manifest.webmanifest?lang=es").get_json()["name"] == "Sello — puntuación en campo"


def test_the_service_worker_may_serve_the_whole_site_and_is_always_revalidated(app, client):
    response = client.get("/sw.js")
    response.close()
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/" and response.headers["Cache-Control"] == "no-cache"


def test_the_offline_screen_is_personal_and_never_kept_by_the_http_cache(app):
    case = Case().under_review()
    response = fresh_client(app, case.reviewers[0]).get("/offline")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert fresh_client(app, case.facilitator).get("/offline").status_code == 404


def test_logging_out_tells_the_browser_to_clear_what_the_device_stored(app):
    case = Case().under_review()
    response = fresh_client(app, case.reviewers[0]).post("/logout")
    assert response.status_code == 303 and response.headers["Clear-Site-Data"] == '"cache", "storage"'
