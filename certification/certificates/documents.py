"""The certificate as a PDF document: an archival (PDF/A-3b) page with a QR code of its public verify page.

The page is an HTML template (templates/pdf/certificate.html) rendered by WeasyPrint in the organisation's
language. Everything the page shows is gathered first into `CertificateFacts`, which is also the key of a
small in-process cache: the public download renders a certificate once until something it shows changes
(status, dates, names, the public address), not once per visitor.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import quote

import segno
from flask import Response, current_app, render_template
from flask_babel import force_locale

from certification.certificates.models import Certificate, CertificateStatus
from certification.reviewers.policies import language_of_country
from certification.types import utcnow

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate's PDF shows, as plain values (hashable: the cache key)."""

    number: str
    verification_code: str
    organization: str
    country: str
    seal: str  # in the document's language
    version: str
    level: str
    issued_on: date
    expires_on: date
    status: str  # the status the page shows: expired once the date has passed, even before the nightly sweep
    verify_url: str
    working_group: str
    language: str


def verify_path(code: str) -> str:
    """The public verify page's path, built from the route (works outside a request, e.g. in a worker)."""
    return current_app.url_map.bind("").build("certificates.verify", {"code": code})


def public_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def verify_url(certificate: Certificate) -> str:
    """The absolute address of the certificate's public verify page (what its QR code holds)."""
    return public_url(verify_path(certificate.verification_code))


def pdf_path(certificate: Certificate) -> str:
    """The API's public download path of the certificate's PDF."""
    return current_app.url_map.bind("").build("api.certificate_pdf", {"code": certificate.verification_code})


def shown_status(certificate: Certificate, today: date | None = None) -> CertificateStatus:
    today = today or utcnow().date()
    if certificate.status == CertificateStatus.VALID and certificate.expires_on < today:
        return CertificateStatus.EXPIRED
    return certificate.status


def facts_of(certificate: Certificate) -> CertificateFacts:
    """The facts of a certificate loaded with its organisation and standard."""
    standard, organization = certificate.standard, certificate.organization
    # The organisation's working language when Sello speaks it (Portuguese or Dutch ones get Spanish).
    language = language_of_country(organization.country)
    if language not in current_app.config["LANGUAGES"]:
        language = "es"
    return CertificateFacts(
        number=certificate.number, verification_code=certificate.verification_code,
        organization=organization.name, country=organization.country,
        seal=standard.title(language), version=standard.version,
        level=standard.level_name(certificate.level, language) or certificate.level,
        issued_on=certificate.issued_on, expires_on=certificate.expires_on,
        status=shown_status(certificate).value, verify_url=verify_url(certificate),
        working_group=current_app.config.get("WORKING_GROUP_NAME", ""),
        language=language,
    )  # fmt: skip


def qr_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG data URI (vector, so it stays sharp in print), error correction M."""
    return segno.make(text, error="m").svg_data_uri(border=4, omitsize=True)


@lru_cache(maxsize=128)
def _render(facts: CertificateFacts) -> bytes:
    with force_locale(facts.language):
        html = render_template("pdf/certificate.html", facts=facts, qr=qr_data_uri(facts.verify_url))
    return write_pdf(html)


def write_pdf(html: str) -> bytes:
    """HTML to PDF/A-3b with nothing fetched from outside."""
    # Imported on first use: WeasyPrint takes over a second to import, which every process (web, worker, CLI,
    # each test run) would otherwise pay at start, while only PDF downloads need it.
    from weasyprint import HTML, URLFetcher

    # The page is self-contained: only its own data: URIs (the QR code) load, so nothing rendered on it (a name,
    # say) can ever make the server fetch a URL.
    fetcher = URLFetcher(allowed_protocols=("data",))
    with warnings.catch_warnings():
        # WeasyPrint opens its bundled sRGB profile (the PDF/A output intent) without closing it; the handle is
        # freed at once, and the ResourceWarning it raises says nothing about our document.
        warnings.simplefilter("ignore", ResourceWarning)
        return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant=PDF_VARIANT)


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF/A-3b bytes, in the organisation's language."""
    return _render(facts_of(certificate))


def pdf_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


def pdf_response(certificate) -> Response:
    """The certificate's PDF as an attachment (UI and API). Not cached: its status may change any day."""
    name = pdf_filename(certificate)
    return Response(certificate_pdf(certificate), mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    })  # fmt: skip
