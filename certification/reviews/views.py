"""Reviewers: assignments, the scoring screen; facilitators: assigning and moderating."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certification.accounts.models import Role
from certification.applications import queries as application_queries
from certification.applications.forms import NA
from certification.applications.policies import is_staff
from certification.errors import NotFound
from certification.evidence.services import evidence_of
from certification.extensions import db
from certification.reviews import queries, services
from certification.reviews.forms import AcceptForm, AssignForm, DeclineForm, ModerationForm, ScoreForm
from certification.reviews.models import Assignment, AssignmentStatus
from certification.seals.queries import standard_tree
from certification.types import utcnow
from certification.ui import run

bp = Blueprint("reviews", __name__)


@bp.get("/assignments")
@login_required
def my_assignments():
    query = select(Assignment).options(joinedload(Assignment.application))
    if current_user.role == Role.REVIEWER:
        query = query.where(Assignment.reviewer_id == current_user.id)
    elif not is_staff(current_user):
        abort(403)
    query = query.options(joinedload(Assignment.reviewer)).order_by(Assignment.id.desc()).limit(200)
    assignments = list(db.session.scalars(query))
    return render_template("reviews/assignments.html", assignments=assignments, today=utcnow().date(),
                           statuses=AssignmentStatus, accept_form=AcceptForm(), decline_form=DeclineForm())  # fmt: skip


@bp.post("/applications/<int:application_id>/assignments")
@login_required
def assign(application_id: int):
    form = AssignForm()
    back = url_for("applications.detail", application_id=application_id) + "#reviewers"
    if not form.validate_on_submit():
        flash(_("Choose a reviewer."), "error")
        return redirect(back, code=303)
    return run(lambda: services.assign_reviewer(current_user, application_id, form.reviewer_id.data, form.due_on.data),
               success=_("Reviewer invited."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/withdraw")
@login_required
def withdraw(assignment_id: int):
    return run(lambda: services.withdraw_assignment(current_user, assignment_id), success=_("Assignment withdrawn."))


@bp.post("/assignments/<int:assignment_id>/accept")
@login_required
def accept(assignment_id: int):
    form = AcceptForm()
    form.validate_on_submit()
    return run(lambda: services.accept_assignment(current_user, assignment_id, bool(form.no_conflict.data)),
               success=_("Assignment accepted."), back=url_for("reviews.my_assignments"),
               then=lambda a: url_for("reviews.score_page", assignment_id=a.id))  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/decline")
@login_required
def decline(assignment_id: int):
    form = DeclineForm()
    form.validate_on_submit()
    return run(lambda: services.decline_assignment(current_user, assignment_id, form.reason.data or "",
                                                   bool(form.conflict.data)),
               success=_("Assignment declined."), back=url_for("reviews.my_assignments"))  # fmt: skip


def _own(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


@bp.get("/assignments/<int:assignment_id>")
@login_required
def score_page(assignment_id: int):
    assignment = _own(assignment_id)
    try:
        application = application_queries.load_for_page(current_user, assignment.application_id)
    except NotFound:
        abort(404)
    tree = standard_tree(application.standard_id)
    scores = queries.scores_by_assignment(assignment.id)
    evidence_by_indicator: dict[int, list] = {}
    for item in evidence_of(application.id):
        for indicator in item.indicators:
            evidence_by_indicator.setdefault(indicator.id, []).append(item)
    total = sum(len(d.indicators) for d in tree.dimensions)
    return render_template(
        "reviews/score.html", assignment=assignment, application=application, tree=tree, scores=scores,
        assessed=application_queries.self_assessments(application.id), evidence_by_indicator=evidence_by_indicator,
        total=total, done=len(scores), form=ScoreForm(), NA=NA,
        editable=assignment.status == AssignmentStatus.ACCEPTED,
    )  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/scores/<code>")
@login_required
def save_score(assignment_id: int, code: str):
    form = ScoreForm()
    back = url_for("reviews.score_page", assignment_id=assignment_id) + f"#ind-{code}"
    form.score.choices = None  # choices are checked by the service against the indicator's scale
    form.score.validate_choice = False
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(f"{code}: {message}", "error")
        return redirect(back, code=303)
    raw = form.score.data
    if raw != NA and not (raw or "").lstrip("-").isdigit():
        flash(_("Choose a score."), "error")
        return redirect(back, code=303)
    score = None if raw == NA else int(raw)
    return run(lambda: services.save_score(current_user, assignment_id, code, score, form.comment.data),
               success=_("Saved %(code)s.", code=code), back=back, then=lambda _r: back)  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/submit")
@login_required
def submit(assignment_id: int):
    return run(lambda: services.submit_review(current_user, assignment_id), success=_("Review submitted. Thank you."),
               back=url_for("reviews.score_page", assignment_id=assignment_id),
               then=lambda _a: url_for("reviews.my_assignments"))  # fmt: skip


@bp.post("/applications/<int:application_id>/moderation/<code>")
@login_required
def moderate(application_id: int, code: str):
    form = ModerationForm()
    back = url_for("applications.detail", application_id=application_id) + "#score"
    if not form.validate_on_submit():
        flash(_("Give a score and a justification."), "error")
        return redirect(back, code=303)
    return run(lambda: services.moderate(current_user, application_id, code, float(form.score.data),
                                         form.justification.data),
               success=_("Moderated %(code)s.", code=code), back=back, then=lambda _m: back)  # fmt: skip
