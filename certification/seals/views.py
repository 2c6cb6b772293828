"""The seal pages: public reading (Spanish or English, printable), the lifecycle, consultation, pilot
calibration and the side-by-side diff of two versions. Thin: parse, check, call one service, render."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.policies import is_staff
from certification.errors import DomainError, NotFound, ValidationFailed
from certification.seals import exports, policies, queries, services
from certification.ui import answer_refusal, messages_of, run
from config.settings import LANGUAGES
from standards.spec import evidence_label

bp = Blueprint("seals", __name__)


def _lang_args() -> dict:
    """Keep an explicit `?lang=` on the links between seal pages (public readers have no session choice)."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in LANGUAGES else {}


def _tree_or_404(standard_id: int):
    try:
        return queries.visible_tree(current_user, standard_id)
    except NotFound:
        abort(404)


@bp.get("/standards")
def index():
    standards = queries.visible_standards(current_user)
    by_code: dict[str, list] = {}
    for standard in standards:
        by_code.setdefault(standard.code, []).append(standard)
    return render_template("seals/index.html", standards=standards, by_code=by_code, lang_args=_lang_args())


@bp.get("/standards/<int:standard_id>")
def detail(standard_id: int):
    standard = _tree_or_404(standard_id)
    staff = is_staff(current_user)
    logged_in = current_user.is_authenticated
    versions = queries.versions_of(standard.code, policies.visible_statuses(current_user))
    return render_template(
        "seals/detail.html",
        standard=standard,
        evidence_label=evidence_label,
        open_comments=queries.open_comments_by_indicator(standard.id) if logged_in else {},
        comment_counts=queries.comment_counts(standard.id) if logged_in else {},
        history=queries.status_history(standard.id) if policies.may_see_history(current_user) else [],
        next_statuses=policies.next_statuses(current_user, standard),
        may_comment=policies.may_comment(current_user, standard),
        may_resolve=policies.may_resolve(current_user, standard),
        may_calibrate=policies.may_calibrate(current_user, standard),
        may_export=staff,
        other_versions=[s for s in versions if s.id != standard.id],
        lang_args=_lang_args(),
    )


@bp.get("/standards/<int:standard_id>/print")
def printable(standard_id: int):
    standard = _tree_or_404(standard_id)
    return render_template("seals/print.html", standard=standard, evidence_label=evidence_label)


@bp.get("/standards/diff")
def diff():
    left_id, right_id = request.args.get("left", ""), request.args.get("right", "")
    if not (left_id.isdigit() and right_id.isdigit()) or len(left_id) > 9 or len(right_id) > 9:
        flash(_("Choose two versions to compare."), "error")
        return redirect(url_for("seals.index", **_lang_args()), code=303)
    left, right = _tree_or_404(int(left_id)), _tree_or_404(int(right_id))
    if left.code != right.code:
        flash(_("Compare two versions of the same seal."), "error")
        return redirect(url_for("seals.detail", standard_id=left.id, **_lang_args()), code=303)
    return render_template("seals/diff.html", diff=queries.version_diff(left, right), lang_args=_lang_args())


# --- lifecycle --------------------------------------------------------------------------------------------


@bp.post("/standards/<int:standard_id>/status")
@login_required
def change_status(standard_id: int):
    back = url_for("seals.detail", standard_id=standard_id)
    return run(
        lambda: services.change_status(current_user, standard_id, request.form.get("status", ""),
                                       request.form.get("reason", "")),
        success=_("Status changed."), back=back, then=lambda _s: back,
    )  # fmt: skip


# --- consultation ---------------------------------------------------------------------------------------


@bp.post("/standards/<int:standard_id>/indicators/<code>/comments")
@login_required
def add_comment(standard_id: int, code: str):
    back = url_for("seals.detail", standard_id=standard_id, _anchor=f"indicator-{code}")
    return run(
        lambda: services.add_comment(current_user, standard_id, code, request.form.get("comment", ""),
                                     request.form.get("proposed_text", "")),
        success=_("Thank you: your comment was recorded."), back=back, then=lambda _c: back,
    )  # fmt: skip


@bp.post("/standards/comments/<int:comment_id>/resolution")
@login_required
def resolve_comment(comment_id: int):
    return run(
        lambda: services.resolve_comment(current_user, comment_id, request.form.get("resolution", ""),
                                         request.form.get("response", "")),
        success=_("Comment resolved."),
        then=lambda c: url_for("seals.detail", standard_id=c.standard_id, _anchor=f"indicator-{c.indicator_id}"),
    )  # fmt: skip


def _export_source(standard_id: int):
    standard = _tree_or_404(standard_id)
    if not policies.may_export_comments(current_user):
        abort(403)
    return standard, queries.all_comments(standard.id)


def _attachment(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/standards/<int:standard_id>/comments.csv")
@login_required
def export_comments_csv(standard_id: int):
    standard, comments = _export_source(standard_id)
    return _attachment(exports.to_csv(comments), "text/csv; charset=utf-8", exports.filename(standard, "csv"))


@bp.get("/standards/<int:standard_id>/comments.xlsx")
@login_required
def export_comments_xlsx(standard_id: int):
    standard, comments = _export_source(standard_id)
    return _attachment(
        exports.to_xlsx(standard, comments),
        exports.XLSX,
        exports.filename(standard, "xlsx"),
    )


# --- pilot calibration ------------------------------------------------------------------------------------


def _calibration_page(standard, values: dict, errors: dict | None = None, status: int = 200):
    return (
        render_template(
            "seals/calibration.html", standard=standard, values=values, errors=errors or {},
            calibrations=queries.calibrations(standard.id),
        ),
        status,
    )  # fmt: skip


def _calibratable_tree(standard_id: int):
    """The tree when this person may calibrate it now; else the answer to give (404, 403 or back)."""
    standard = _tree_or_404(standard_id)
    if not is_staff(current_user):
        abort(403)
    if not policies.may_calibrate(current_user, standard):
        flash(_("Weights and thresholds can be calibrated only while the standard is in pilot."), "error")
        return standard, redirect(url_for("seals.detail", standard_id=standard.id), code=303)
    return standard, None


@bp.get("/standards/<int:standard_id>/calibration")
@login_required
def calibration(standard_id: int):
    standard, refusal = _calibratable_tree(standard_id)
    if refusal:
        return refusal
    return _calibration_page(standard, services.current_proposal(standard).as_form())


@bp.post("/standards/<int:standard_id>/calibration/preview")
@login_required
def preview_calibration(standard_id: int):
    standard, refusal = _calibratable_tree(standard_id)
    if refusal:
        return refusal
    values = {key: request.form.get(key, "")[:40] for key in services.current_proposal(standard).as_form()}
    try:
        proposal = services.parse_calibration(standard, request.form)
        preview = services.preview_calibration(current_user, standard_id, proposal)
    except ValidationFailed as exc:
        return _calibration_page(standard, values, exc.fields, 422)
    except DomainError as exc:
        return answer_refusal(exc, lambda: redirect(url_for("seals.detail", standard_id=standard_id), code=303))
    return render_template("seals/calibration_preview.html", preview=preview, fields=proposal.as_form())


def _job_url(job_id: int) -> str:
    """The re-scoring progress page (certification.rescoring)."""
    return url_for("rescoring.progress", job_id=job_id)


@bp.post("/standards/<int:standard_id>/calibration")
@login_required
def save_calibration(standard_id: int):
    standard, refusal = _calibratable_tree(standard_id)
    if refusal:
        return refusal
    reason = request.form.get("reason", "")
    try:
        proposal = services.parse_calibration(standard, request.form)
        saved = services.calibrate(current_user, standard_id, proposal, reason, request.form.get("token", ""))
    except ValidationFailed as exc:
        if set(exc.fields) != {"reason"}:
            for message in messages_of(exc):
                flash(message, "error")
            return redirect(url_for("seals.calibration", standard_id=standard_id), code=303)
        preview = services.preview_calibration(current_user, standard_id, proposal)
        return render_template("seals/calibration_preview.html", preview=preview, fields=proposal.as_form(),
                               errors=exc.fields, reason=reason[:5000]), 422  # fmt: skip
    except DomainError as exc:
        return answer_refusal(exc, lambda: redirect(url_for("seals.calibration", standard_id=standard_id), code=303))
    flash(_("Calibration saved; every application on this version is being re-scored."), "success")
    return redirect(_job_url(saved.rescore_job_id), code=303)
