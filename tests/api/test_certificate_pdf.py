"""The certificate's PDF through the API: public, an attachment, linked from the certificate's JSON."""

from __future__ import annotations

import io

from pypdf import PdfReader

from certification.applications.queries import certificate_of
from tests.api.helpers import Api, Case, error_of


def test_anyone_downloads_a_certificate_pdf_from_the_url_its_json_gives(app, client):
    case = Case().certified()
    certificate = certificate_of(case.id)
    public = Api(client)
    pdf_url = public.get(f"/certificates/{certificate.verification_code}").get_json()["pdf_url"]
    base = app.config["PUBLIC_BASE_URL"]
    assert pdf_url == f"{base}/api/v1/certificates/{certificate.verification_code}/pdf"
    response = client.get(pdf_url.removeprefix(base))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert certificate.number in text and case.org.name in text


def test_an_unknown_code_has_no_pdf(app, client):
    response = Api(client).get("/certificates/no-such-code/pdf")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
