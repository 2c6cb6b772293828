"""Bulk re-scoring pages: start a job, watch its progress bar, read the report of changed outcomes."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.errors import ValidationFailed
from certification.rescoring import policies, queries, services
from certification.seals.queries import all_standards
from certification.ui import run
from certification.validation import MAX_ID

bp = Blueprint("rescoring", __name__)


def _staff_only() -> None:
    if not policies.may_rescore(current_user):
        abort(404)


def _job_or_404(job_id: int):
    _staff_only()
    job = queries.job(job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/rescoring")
@login_required
def index():
    _staff_only()
    return render_template("rescoring/index.html", jobs=queries.recent_jobs(), standards=all_standards())


@bp.post("/rescoring")
@login_required
def start():
    _staff_only()
    raw = request.form.get("standard_id", "")

    def action():
        if (
            not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID
        ):  # a larger number names no standard (and no database row)
            raise ValidationFailed({"standard_id": [_("Choose a standard.")]})
        return services.start_rescore(int(raw), requested_by_id=current_user.id,
                                      reason=request.form.get("reason", ""))  # fmt: skip

    return run(action, success=_("Re-scoring started."), back=url_for("rescoring.index"),
               then=lambda job: url_for("rescoring.progress", job_id=job.id))  # fmt: skip


@bp.get("/rescoring/<int:job_id>")
@login_required
def progress(job_id: int):
    job = _job_or_404(job_id)
    return render_template("rescoring/progress.html", job=job)


@bp.get("/rescoring/<int:job_id>.json")
@login_required
def progress_json(job_id: int):
    job = _job_or_404(job_id)
    body = {"id": job.id, "status": job.status.value, "done": job.done, "total": job.total, "percent": job.percent,
            "finished": job.finished}  # fmt: skip
    if job.finished:
        body["changed_count"] = (job.report or {}).get("changed_count", 0)
    return body, 200, {"Cache-Control": "no-store"}
