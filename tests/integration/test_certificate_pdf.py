"""The certificate as a PDF: its fields read back from the document, its QR code decoded from a rendering of
the page, its status mark, its language, and who may download it where."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdfium2
import pytest
import zxingcpp
from babel.dates import format_date
from pypdf import PdfReader

from certification.applications.services import fire_event
from certification.certificates.documents import certificate_pdf
from certification.certificates.queries import of_application
from certification.extensions import db
from tests import factories as f
from tests.pdfs import text_of
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def certified(country: str = "PE") -> tuple[f.Walk, object]:
    walk = f.Walk("gender", country=country).certify()
    return walk, of_application(walk.id)


def pdf_of(app, certificate) -> bytes:
    with app.test_request_context("/"):
        return certificate_pdf(certificate)


def qr_codes(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_pdf_holds_every_field_of_the_certificate_in_spanish_for_a_peruvian_mfi(app):
    walk, certificate = certified("PE")
    text = text_of(pdf_of(app, certificate))
    standard = walk.std
    for expected in (
        walk.org.name, certificate.number, standard.title("es"), standard.version,
        standard.level_name(certificate.level, "es"),
        format_date(certificate.issued_on, "long", locale="es"),
        format_date(certificate.expires_on, "long", locale="es"),
        "Certificado vigente", "Grupo de Trabajo de Desempeño Social", certificate.verification_code,
    ):  # fmt: skip
        assert expected in text, expected
    assert "Certificate of social performance" not in text  # not the English page


def test_an_mfi_of_an_english_speaking_country_gets_its_certificate_in_english(app):
    walk, certificate = certified("BZ")
    text = text_of(pdf_of(app, certificate))
    for expected in (
        "Certificate of social performance", walk.std.title("en"), walk.std.level_name(certificate.level, "en"),
        format_date(certificate.issued_on, "long", locale="en"), "Valid certificate",
        "Social Performance Working Group for Latin America and the Caribbean",
    ):  # fmt: skip
        assert expected in text, expected


def test_an_mfi_of_a_francophone_country_gets_its_certificate_in_french(app):
    walk, certificate = certified("BJ")
    text = text_of(pdf_of(app, certificate))
    for expected in (
        "Certificat de performance sociale", walk.std.title("fr"), walk.std.level_name(certificate.level, "fr"),
        format_date(certificate.issued_on, "long", locale="fr"), "Certificat valide",
    ):  # fmt: skip
        assert expected in text, expected


def test_the_qr_code_on_the_page_opens_the_public_verify_page(app):
    _walk, certificate = certified()
    expected = f"{app.config['PUBLIC_BASE_URL']}/verify/{certificate.verification_code}"
    pdf = pdf_of(app, certificate)
    assert qr_codes(pdf) == [expected]
    assert expected in text_of(pdf).replace(" ", "")  # printed too (wrapped), for those who cannot scan


def test_the_document_is_an_archival_pdf_a_3b(app):
    _walk, certificate = certified()
    reader = PdfReader(io.BytesIO(pdf_of(app, certificate)))
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]


@pytest.mark.parametrize(
    ("event", "mark"),
    [("revoke", "Certificado revocado"), ("suspend", "Certificado suspendido")],
)
def test_a_revoked_or_suspended_certificate_says_so_across_the_page(app, event, mark):
    walk, certificate = certified()
    assert mark not in text_of(pdf_of(app, certificate))
    fire_event(walk.facilitator, walk.id, event, "Denuncia comprobada.")
    db.session.expire_all()
    text = text_of(pdf_of(app, of_application(walk.id)))
    assert mark in text and "Certificado vigente" not in text


def test_a_certificate_past_its_expiry_date_says_expired_even_before_the_nightly_sweep(app):
    walk, certificate = certified()
    certificate.expires_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert "Certificado vencido" in text_of(pdf_of(app, of_application(walk.id)))


def test_anyone_downloads_the_pdf_from_the_verify_page_and_an_unknown_code_is_404(app):
    _walk, certificate = certified()
    client = fresh_client(app)
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    link = f"/verify/{certificate.verification_code}/certificate.pdf"
    assert link in page
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert certificate.number in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF-")
    assert client.get("/verify/no-such-code/certificate.pdf").status_code == 404


def test_the_mfi_downloads_its_certificate_from_its_application_and_result_pages_and_others_cannot(app):
    walk, certificate = certified()
    member = fresh_client(app, walk.applicant)
    link = f"/applications/{walk.id}/certificate.pdf"
    assert link in member.get(f"/applications/{walk.id}").get_data(as_text=True)
    assert link in member.get(f"/applications/{walk.id}/result").get_data(as_text=True)
    response = member.get(link)
    assert response.status_code == 200 and certificate.number in text_of(response.data)
    assert fresh_client(app, walk.facilitator).get(link).status_code == 200
    assert fresh_client(app, f.applicant()).get(link).status_code == 404  # another MFI: as if it did not exist
    assert fresh_client(app).get(link).status_code == 302  # log in first
    undecided = f.Walk("gender", org=walk.org)
    assert member.get(f"/applications/{undecided.id}/certificate.pdf").status_code == 404  # no certificate yet
