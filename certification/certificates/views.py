"""Public: the registry of certified MFIs and certificate verification (no login); certificate PDFs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from certification.applications import queries as application_queries
from certification.applications.exports import XLSX, csv_stream, xlsx_stream
from certification.certificates import queries
from certification.certificates.documents import pdf_response
from certification.certificates.exports import registry_header, registry_rows
from certification.errors import NotFound
from certification.seals.models import Area
from certification.types import utcnow
from certification.ui import page_arg
from certification.validation import search_pattern

bp = Blueprint("certificates", __name__)


@bp.get("/registry")
def registry():
    area = request.args.get("area") or None
    if area not in {a.value for a in Area} | {None}:
        abort(400)
    q = request.args.get("q", "")
    page = queries.registry_page(page_arg(), area=area, q=search_pattern(q))
    return render_template("certificates/registry.html", page=page, area=area, q=q.strip())


@bp.get("/registry.<any(csv, xlsx):extension>")
def registry_export(extension: str):
    """The registry with the page's `area` and `q` filters, as CSV or XLSX: public, like the page."""

    area = request.args.get("area") or None
    if area not in {a.value for a in Area} | {None}:
        abort(400)
    rows = registry_rows(area=area, q=search_pattern(request.args.get("q", "")))
    if extension == "csv":
        body, mimetype = csv_stream(registry_header(), rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = xlsx_stream("registry", registry_header(), rows), XLSX
    name = f"registry-{utcnow().date().isoformat()}.{extension}"
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })  # fmt: skip


@bp.get("/verify")
def verify_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify.html", certificate=None, code="")


@bp.get("/verify/<code>")
def verify(code: str):
    certificate = queries.by_code(code)
    status = 200 if certificate else 404
    return render_template("certificates/verify.html", certificate=certificate, code=code), status


@bp.get("/verify/<code>/certificate.pdf")
def verify_pdf(code: str):
    """Anyone holding the public code downloads the certificate."""
    certificate = queries.by_code(code)
    if certificate is None:
        abort(404)
    return pdf_response(certificate)


@bp.get("/applications/<int:application_id>/certificate.pdf")
@login_required
def application_pdf(application_id: int):
    """The certificate of an application, for those who may see the application."""
    try:
        application = application_queries.get_visible(current_user, application_id)
    except NotFound:
        abort(404)
    certificate = queries.of_application(application.id)
    if certificate is None:
        abort(404)
    return pdf_response(certificate)
