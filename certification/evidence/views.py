"""Evidence upload (streamed) and safe download."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.errors import NotFound
from certification.evidence import queries, services
from certification.evidence.responses import file_response
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


@bp.get("/evidence/<int:evidence_id>")
@login_required
def download(evidence_id: int):
    try:
        evidence = services.visible_evidence(current_user, evidence_id)
    except NotFound:
        abort(404)
    return file_response(evidence)


def _back_of(evidence_id: int) -> str:
    application_id = queries.application_id_of(evidence_id)
    if application_id is None:
        abort(404)
    return url_for("applications.detail", application_id=application_id) + "#evidence"


@bp.post("/evidence/<int:evidence_id>/delete")
@login_required
def delete(evidence_id: int):
    """Remove a file the organisation uploaded, while its application is editable."""
    try:
        services.visible_evidence(current_user, evidence_id)
    except NotFound:
        abort(404)
    back = _back_of(evidence_id)
    return run(lambda: services.delete_evidence(current_user, evidence_id), success=_("Evidence file removed."),
               back=back)  # fmt: skip


@bp.post("/evidence/<int:evidence_id>/replace")
@login_required
def replace(evidence_id: int):
    """Replace a file the organisation uploaded by a new one, linked to the same indicators."""
    try:
        services.visible_evidence(current_user, evidence_id)
    except NotFound:
        abort(404)
    back = _back_of(evidence_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file to upload."), "error")
        return redirect(back, code=303)
    return run(lambda: services.replace_evidence(current_user, evidence_id, file.stream, file.filename),
               success=_("Evidence file replaced."), back=back, then=lambda _e: back)  # fmt: skip
