"""Evidence upload (streamed) and safe download."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.errors import NotFound
from certification.evidence import services
from certification.evidence.storage import storage
from certification.ui import run

bp = Blueprint("evidence", __name__)


@bp.post("/applications/<int:application_id>/evidence")
@login_required
def upload(application_id: int):
    back = url_for("applications.detail", application_id=application_id) + "#evidence"
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file to upload."), "error")
        return redirect(back, code=303)
    codes = request.form.getlist("indicators")
    if len(codes) == 1 and "," in codes[0]:
        codes = codes[0].split(",")
    return run(
        lambda: services.upload(
            current_user, application_id, file.stream, file.filename, codes, request.form.get("description", "")
        ),  # fmt: skip
        success=_("Evidence uploaded."),
        back=back,
        then=lambda _e: back,
    )


def attachment_headers(evidence) -> dict[str, str]:
    """RFC 6266 attachment with a UTF-8 filename*, no sniffing, no caching, sandboxed, same-origin only.

    A file may be two formats at once (a PDF that is also HTML, a PNG with an archive appended): no
    upload check can rule that out, so every file is served inert whatever else it is. It is downloaded,
    never shown in the page (attachment), under the one type its content was sniffed as and with that
    type's extension (nosniff), with no script, plugin or form if a browser renders it anyway (CSP
    sandbox), and no other site may embed it in its own pages with the viewer's session (CORP).
    """
    ascii_name = evidence.filename.encode("ascii", "ignore").decode() or "evidence"
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(evidence.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Length": str(evidence.size),
    }


def file_response(evidence) -> Response:
    """The evidence file as a safe attachment (UI and API), streamed in chunks."""
    store, key = storage(), evidence.storage_key

    def stream():
        # Opened only once the body is read, and closed even if the client goes away half-way.
        with store.open(key) as handle:
            while chunk := handle.read(64 * 1024):
                yield chunk

    return Response(stream(), mimetype=evidence.content_type, headers=attachment_headers(evidence))


@bp.get("/evidence/<int:evidence_id>")
@login_required
def download(evidence_id: int):
    try:
        evidence = services.visible_evidence(current_user, evidence_id)
    except NotFound:
        abort(404)
    return file_response(evidence)
