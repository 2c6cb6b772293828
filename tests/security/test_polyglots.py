"""Polyglot files (a PDF that is also HTML, a PNG with an archive appended) are kept and served inert.

No upload check can tell that a file is *only* what its first bytes say: every PDF may carry anything after
its header, every PNG may carry bytes after IEND. So the decision is not to hunt polyglots but to serve each
evidence file so that no browser ever runs it as anything else: stored byte for byte, named with the
extension of its sniffed type, sent as a download under that type only, sandboxed, not cached, not
embeddable by other sites — through the web UI and the API alike.
"""

from __future__ import annotations

import io

import pytest

from certification.evidence import sniff
from tests import factories as f
from tests.api.helpers import as_user, error_of
from tests.security import hostile_files as hostile
from tests.web.helpers import fresh_client

POLYGLOTS = [
    ("pdf_html_polyglot", "informe.html", sniff.PDF, "pdf"),
    ("png_with_archive_appended", "foto.zip", sniff.PNG, "png"),
]
CSV_HTML = b"sucursal;nota\nPiura;<script>alert(document.cookie)</script>\nCusco;<img src=x onerror=alert(1)>\n"


@pytest.fixture
def walk(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield f.Walk()
    f.release_session()


def assert_served_inert(response, body: bytes, content_type: str, extension: str) -> None:
    assert response.status_code == 200
    assert response.get_data() == body  # kept byte for byte: nothing is rewritten or stripped
    assert response.headers["Content-Type"].split(";")[0] == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f".{extension}") and f'.{extension}"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name, declared_name, content_type, extension", POLYGLOTS)
def test_a_polyglot_uploaded_through_the_web_form_or_the_api_is_served_as_an_inert_attachment(
    app, walk, name, declared_name, content_type, extension
):
    body = hostile.CORPUS[name][0]()
    url = f"/applications/{walk.id}/evidence"
    web = fresh_client(app, walk.applicant)
    api = as_user(app.test_client(), walk.applicant)
    answer = web.post(url, data={"file": (io.BytesIO(body), declared_name), "indicators": walk.essential[0]},
                      content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 303
    answer = api.post(url, data={"file": (io.BytesIO(body), declared_name, "text/html"),
                                 "indicators": walk.essential[0]}, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    listed = api.get(f"/applications/{walk.id}/evidence").get_json()["items"]
    assert len(listed) == 2
    for item in listed:
        assert item["content_type"] == content_type and item["filename"].endswith(f".{extension}")
        assert_served_inert(web.get(f"/evidence/{item['id']}"), body, content_type, extension)
        assert_served_inert(api.get(f"/evidence/{item['id']}/content"), body, content_type, extension)


def test_a_csv_carrying_markup_is_served_as_inert_text(app, walk):
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(f"/applications/{walk.id}/evidence", data={"file": (io.BytesIO(CSV_HTML), "datos.html"),
                      "indicators": walk.essential[0]}, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    evidence_id = answer.get_json()["id"]
    assert_served_inert(api.get(f"/evidence/{evidence_id}/content"), CSV_HTML, sniff.CSV, "csv")
    assert_served_inert(fresh_client(app, walk.applicant).get(f"/evidence/{evidence_id}"), CSV_HTML, sniff.CSV, "csv")


def test_markup_in_front_of_an_archive_is_refused(app, walk):
    """A file that starts as HTML is HTML to a browser, whatever follows: it is no allowed type."""
    api = as_user(app.test_client(), walk.applicant)
    body = hostile.html_then_docx()
    answer = api.post(f"/applications/{walk.id}/evidence", data={"file": (io.BytesIO(body), "x.docx"),
                      "indicators": walk.essential[0]}, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 415 and error_of(answer)["code"] == "unsupported_type"
