"""The offline scoring screen, its service worker and web app manifest, and the printable scoring sheet."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.applications import queries as application_queries
from certification.certificates.documents import write_pdf
from certification.errors import NotFound
from certification.pilots.exports import download
from certification.reviews import queries as review_queries
from certification.reviews.models import AssignmentStatus
from certification.seals.queries import standard_tree
from certification.types import utcnow

bp = Blueprint("offline", __name__)


# The strings the offline screen shows, translated when the page is rendered (the page then works offline).
def _strings() -> dict:
    return {
        "online": _("Online"), "offline": _("Offline: changes are kept on this device."),
        "saved_device": _("Saved on this device"), "synced": _("Synced"), "syncing": _("Syncing…"),
        "conflict": _("Changed elsewhere meanwhile: choose which score to keep."),
        "rejected": _("Not synced: the server refused this change."),
        "server_value": _("On the server"), "your_value": _("On this device"),
        "keep_mine": _("Keep mine"), "keep_server": _("Keep the server's"),
        "make_offline": _("Make available offline"), "make_all_offline": _("Make all available offline"),
        "remove": _("Remove from this device"), "sync_now": _("Sync now"), "open": _("Open"),
        "on_device": _("On this device"), "nothing_on_device": _("Nothing is stored on this device."),
        "accepted": _("Your accepted assignments"), "no_accepted": _("You have no accepted assignment."),
        "pending": _("%(n)s change(s) waiting to sync"), "files": _("%(n)s evidence file(s)"),
        "stored_at": _("stored %(when)s"), "score": _("Score"), "na": _("N/A"),
        "na_text": _("Not applicable to this institution."), "comment": _("Comment (required)"),
        "save": _("Save on this device"), "self_rating": _("MFI self-rating"),
        "not_assessed": _("Not self-assessed."), "guidance": _("Guidance"), "essential": _("essential"),
        "no_evidence": _("No evidence linked."), "cited": _("Evidence you relied on"),
        "choose_score": _("Choose a score."), "comment_required": _("A comment is required."),
        "na_not_allowed": _("This indicator needs a score; N/A is not allowed."),
        "scale": _("Choose a whole number from %(min)s to %(max)s."), "too_long": _("At most %(max)s characters."),
        "submit_online": _("Submitting the review needs a connection: open the scoring page when online."),
        "submit_page": _("Open the scoring page to submit"), "not_editable": _("Scores cannot be changed now."),
        "withdrawn": _("No longer assigned to you: removed from this device."),
        "rejected_list": _("Changes that could not be synced"), "discard": _("Discard"),
        "login_again": _("Your session ended: log in again to sync; your changes stay on this device."),
        "back": _("All assignments on this device"), "scored": _("%(done)s / %(total)s scored"),
        "storing": _("Storing…"), "removed": _("Removed from this device."),
    }  # fmt: skip


@bp.get("/offline")
@login_required
def app_page():
    """The offline scoring screen: the list of what is on this device, and the scoring of one assignment.
    The page holds no assignment data itself; its script reads it from the device, or the API when online."""
    if current_user.role != Role.REVIEWER:
        abort(404)
    config = {"user": current_user.id, "api": url_for("api.offline_assignments").rsplit("/offline", 1)[0],
              "evidence": url_for("evidence.download", evidence_id=0).rsplit("/0", 1)[0],
              "scoring": url_for("reviews.score_page", assignment_id=0).rsplit("/0", 1)[0],
              "page": url_for("offline.app_page"), "worker": url_for("offline.service_worker"),
              "strings": _strings()}  # fmt: skip
    return render_template("offline/app.html", config=config)


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that it may answer for the offline screen and the evidence files."""
    response = send_file(Path(current_app.static_folder) / "offline-sw.js", mimetype="text/javascript",
                         max_age=0)  # fmt: skip
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, in the reader's language: Sello installs as an app that opens the offline screen."""
    response = jsonify({
        "name": _("Sello — field scoring"), "short_name": "Sello", "lang": str(get_locale()),
        "description": _("Score assignments in the field, with or without a connection."),
        "start_url": url_for("offline.app_page"), "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0b6e4f",
        "icons": [
            {"src": url_for("static", filename="icons/sello-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/sello-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/sello.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    })  # fmt: skip
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/assignments/<int:assignment_id>/sheet.pdf")
@login_required
def scoring_sheet(assignment_id: int):
    """A printable scoring sheet (indicators, rubric, empty boxes) for visits where a phone is not suitable;
    its scores are typed in afterwards on the scoring screen."""
    assignment = review_queries.own_assignment(current_user.id, assignment_id)
    if assignment is None or assignment.status not in (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED):
        abort(404)
    try:
        application = application_queries.load_for_page(current_user, assignment.application_id)
    except NotFound:
        abort(404)
    html = render_template("pdf/scoring_sheet.html", assignment=assignment, application=application,
                           tree=standard_tree(application.standard_id), today=utcnow().date())  # fmt: skip
    name = f"scoring-sheet-{application.reference or application.id}.pdf"
    return download(write_pdf(html), name, "application/pdf")
