"""Pilot rounds for facilitators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certification.applications.models import Application
from certification.applications.policies import is_staff
from certification.errors import NotFound
from certification.extensions import db
from certification.pilots import services
from certification.pilots.forms import EnrolForm, RoundForm
from certification.pilots.models import ROUND_STEPS
from certification.ui import run
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
            flash(f"{getattr(form, field).label.text}: {' '.join(map(str, errors))}", "error")
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
    applications = list(db.session.scalars(
        select(Application).where(Application.pilot_round_id == round_id)
        .options(joinedload(Application.organization), joinedload(Application.standard)).order_by(Application.id)
    ))  # fmt: skip
    return render_template(
        "pilots/detail.html", round=pilot_round, applications=applications,
        counts=services.counts_by_state(round_id), next_steps=ROUND_STEPS[pilot_round.status], form=EnrolForm(),
        enrollable=services.enrollable_applications(round_id, search_pattern(request.args.get("q"))),
        q=(request.args.get("q") or "").strip(),
    )  # fmt: skip


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


# --- issue 4: auto-assign (preview, then apply) and agreement statistics ----------------------------------


@bp.get("/pilot-rounds/<int:round_id>/auto-assign")
@login_required
def auto_assign_preview(round_id: int):
    """What auto-assign would do now: the invitations and what it cannot fill, with why. Changes nothing."""
    from certification.errors import DomainError
    from certification.reviews.auto_assign import auto_assign
    from certification.reviews.queries import auto_assign_names
    from certification.ui import messages_of

    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    try:
        plan = auto_assign(current_user, round_id, apply=False)
    except DomainError as exc:
        for message in messages_of(exc):
            flash(message, "error")
        return redirect(url_for("pilots.detail", round_id=round_id), code=303)
    return render_template("pilots/auto_assign.html", round=pilot_round, plan=plan,
                           names=auto_assign_names(plan))  # fmt: skip


@bp.post("/pilot-rounds/<int:round_id>/auto-assign")
@login_required
def auto_assign_apply(round_id: int):
    """Apply the previewed plan; refused (nothing written) if the plan changed since the preview."""
    from certification.reviews.auto_assign import auto_assign

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
    from certification.reviews.queries import round_agreement

    try:
        pilot_round = services.get_round(current_user, round_id)
    except NotFound:
        abort(404)
    return render_template("reviews/agreement.html", reports=round_agreement(round_id), round=pilot_round)
