"""Pilot rounds for facilitators."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.policies import is_staff
from certification.errors import DomainError, NotFound
from certification.pilots import exports, services, summary
from certification.pilots.forms import EnrolForm, RoundForm
from certification.pilots.models import ROUND_STEPS
from certification.reviews.queries import auto_assign_names, round_agreement
from certification.reviews.services import auto_assign
from certification.types import utcnow
from certification.ui import answer_refusal, run
from certification.validation import search_pattern

bp = Blueprint("pilots", __name__)


def _staff_only():
    if not is_staff(current_user):
        abort(404)


@bp.get("/pilot-rounds")
@login_required
def index():
    _staff_only()
    return render_template("pilots/index.html", rounds=services.list_rounds(), form=RoundForm())


@bp.post("/pilot-rounds")
@login_required
def create():
    _staff_only()
    form = RoundForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(
                _("%(field)s: %(message)s", field=getattr(form, field).label.text, message=" ".join(map(str, errors))),
                "error",
            )
        return render_template("pilots/index.html", rounds=services.list_rounds(), form=form), 422
    data = {k: v for k, v in form.data.items() if k != "csrf_token"}
    return run(lambda: services.create_round(current_user, **data), success=_("Pilot round created."),
               back=url_for("pilots.index"), then=lambda r: url_for("pilots.detail", round_id=r.id))  # fmt: skip


@bp.get("/pilot-rounds/<int:round_id>")
@login_required
def detail(round_id: int):
    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    rows = summary.progress(round_id, utcnow().date())
    by_state = Counter(row.state for row in rows)
    scores = [row.overall for row in rows if row.overall is not None]
    return render_template(
        "pilots/detail.html", round=pilot_round, rows=rows, state_rows=[(_(s), n) for s, n in sorted(by_state.items())],
        distribution=summary.score_distribution(scores), next_steps=ROUND_STEPS[pilot_round.status],
        level_rows=[(name or _("no level reached"), n)
                    for name, n in summary.outcomes_by_level(round_id, rows, str(get_locale()))],
        load_rows=summary.reviewer_load(round_id),
        form=EnrolForm(),
        enrollable=services.enrollable_applications(round_id, search_pattern(request.args.get("q"))),
        q=(request.args.get("q") or "").strip(),
    )  # fmt: skip


def _summary_context(round_id: int) -> dict:
    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    figures = summary.summary_of(pilot_round)
    target = services.consultation_target(figures)
    return {
        "round": pilot_round, "summary": figures, "distribution": summary.score_distribution(figures["scores"]),
        "state_rows": [(_(state), n) for state, n in figures["outcomes"]["by_state"].items()],
        "level_names": summary.level_names(figures), "target": target,
        "target_codes": services.indicator_codes(target) if target else set(),
    }  # fmt: skip


@bp.get("/pilot-rounds/<int:round_id>/summary")
@login_required
def summary_page(round_id: int):
    """The round's summary: live while it runs, frozen once closed."""
    return render_template("pilots/summary.html", **_summary_context(round_id))


@bp.get("/pilot-rounds/<int:round_id>/summary.pdf")
@login_required
def summary_pdf(round_id: int):
    context = _summary_context(round_id)
    return exports.download(exports.to_pdf(context), exports.filename(context["round"], "pdf"), "application/pdf")


@bp.get("/pilot-rounds/<int:round_id>/summary.xlsx")
@login_required
def summary_xlsx(round_id: int):
    context = _summary_context(round_id)
    return exports.download(exports.to_xlsx(context), exports.filename(context["round"], "xlsx"), exports.XLSX)


@bp.post("/pilot-rounds/<int:round_id>/summary/consultation")
@login_required
def send_to_consultation(round_id: int):
    """Open consultation comments on the next version for the chosen flagged indicators, in one step."""
    _staff_only()
    back = url_for("pilots.summary_page", round_id=round_id)
    codes = [code[:30] for code in request.form.getlist("indicators")][:200]
    summary_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + back
    return run(lambda: services.send_to_consultation(current_user, round_id, codes, summary_url), back=back,
               success=_("Consultation comments opened on the flagged indicators."))  # fmt: skip


@bp.post("/pilot-rounds/<int:round_id>/status")
@login_required
def change_status(round_id: int):
    _staff_only()
    return run(lambda: services.change_status(current_user, round_id, request.form.get("status", "")),
               success=_("Round status changed."), back=url_for("pilots.detail", round_id=round_id))  # fmt: skip


@bp.post("/pilot-rounds/<int:round_id>/applications")
@login_required
def enrol(round_id: int):
    _staff_only()
    form = EnrolForm()
    back = url_for("pilots.detail", round_id=round_id)
    if not form.validate_on_submit():
        flash(_("Choose an application to enrol."), "error")
        return redirect(back, code=303)
    return run(lambda: services.enrol(current_user, round_id, form.application_id.data),
               success=_("Application enrolled."), back=back)  # fmt: skip


# --- auto-assign (preview, then apply) and agreement statistics -------------------------------------------


@bp.get("/pilot-rounds/<int:round_id>/auto-assign")
@login_required
def auto_assign_preview(round_id: int):
    """What auto-assign would do now: the invitations and what it cannot fill, with why. Changes nothing."""
    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    try:
        plan = auto_assign(current_user, round_id, apply=False)
    except DomainError as exc:
        return answer_refusal(exc, lambda: redirect(url_for("pilots.detail", round_id=round_id), code=303))
    return render_template("pilots/auto_assign.html", round=pilot_round, plan=plan,
                           names=auto_assign_names(plan))  # fmt: skip


@bp.post("/pilot-rounds/<int:round_id>/auto-assign")
@login_required
def auto_assign_apply(round_id: int):
    """Apply the previewed plan; refused (nothing written) if the plan changed since the preview."""
    _staff_only()
    digest = request.form.get("digest", "")
    back = url_for("pilots.auto_assign_preview", round_id=round_id)
    return run(lambda: auto_assign(current_user, round_id, apply=True, expected_digest=digest),
               success=_("Reviewers invited."), back=back,
               then=lambda plan: url_for("pilots.detail", round_id=round_id))  # fmt: skip


@bp.get("/pilot-rounds/<int:round_id>/agreement")
@login_required
def agreement(round_id: int):
    """Agreement between reviewers per indicator, for the round's applications (per standard version)."""
    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    return render_template("reviews/agreement.html", reports=round_agreement(round_id), round=pilot_round)
