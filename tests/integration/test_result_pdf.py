"""The MFI's result as a PDF: the same figures and anonymous comments as its result page, in the reader's
language, for the same people."""

from __future__ import annotations

import pytest

from certification.reviews.queries import latest_snapshot
from tests import factories as f
from tests.pdfs import text_of
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_the_mfi_downloads_its_result_with_the_overall_score_and_comments_but_no_reviewer_name(app):
    walk = f.Walk("gender").certify()
    member = fresh_client(app, walk.applicant)
    link = f"/applications/{walk.id}/result.pdf"
    assert link in member.get(f"/applications/{walk.id}/result").get_data(as_text=True)
    response = member.get(link + "?lang=es")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = text_of(response.data)
    overall = latest_snapshot(walk.id).result["overall"]
    first = walk.indicators[0]
    assert f"{overall:.2f} / 100" in text
    assert f"Verificado {first.code} en actas." in text, "a reviewer's comment"
    assert walk.reviewers and all(r.name not in text for r in walk.reviewers), "reviewers are never named"
    assert "Puntaje por dimensión" in text, "in the language the reader chose"


def test_the_result_pdf_follows_the_readers_language(app):
    walk = f.Walk("gender").certify()
    facilitator = fresh_client(app, walk.facilitator)
    text = text_of(facilitator.get(f"/applications/{walk.id}/result.pdf?lang=en").data)
    assert "Score by dimension" in text


def test_another_organisation_gets_404_and_nobody_gets_it_before_the_decision(app):
    walk = f.Walk("gender").certify()
    assert fresh_client(app, f.applicant()).get(f"/applications/{walk.id}/result.pdf").status_code == 404
    assert fresh_client(app, walk.reviewers[0]).get(f"/applications/{walk.id}/result.pdf").status_code == 403
    assert fresh_client(app).get(f"/applications/{walk.id}/result.pdf").status_code == 302
    undecided = f.Walk("gender", org=walk.org)
    assert fresh_client(app, undecided.applicant).get(f"/applications/{undecided.id}/result.pdf").status_code == 403
