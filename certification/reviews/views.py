"""Reviewers: assignments, the scoring screen; facilitators: assigning, comparing, moderating; the MFI's result."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.accounts.policies import is_staff
from certification.applications import queries as application_queries
from certification.applications.forms import NA
from certification.applications.policies import is_member
from certification.certificates.documents import write_pdf
from certification.echo import shorten
from certification.errors import NotFound
from certification.evidence.queries import evidence_of
from certification.pilots.exports import download
from certification.reviews import queries, services
from certification.reviews.forms import (
    AcceptForm,
    AssignForm,
    DeclineForm,
    DueDateForm,
    ModerationForm,
    ScoreForm,
    WithdrawForm,
)
from certification.reviews.models import AssignmentStatus
from certification.reviews.policies import ASSIGNABLE_STATES, may_moderate_application, may_score, may_see_result
from certification.seals import queries as seal_queries
from certification.seals.queries import standard_tree
from certification.types import utcnow
from certification.ui import page_arg, run, safe_back
from certification.validation import search_pattern

bp = Blueprint("reviews", __name__)
PER_PAGE = 25


@bp.app_template_filter("rule")
def rule_text(rule) -> str:
    """An assignment rule (Unmet) in the reader's language, its word parameters (e.g. the affiliation kind) too."""
    params = {k: _(v) if isinstance(v, str) else v for k, v in rule.params.items()}
    return _(rule.message) % params if params else _(rule.message)


@bp.get("/assignments")
@login_required
def my_assignments():
    """A reviewer's own assignments; facilitators see every assignment. Paginated, three queries."""
    if current_user.role != Role.REVIEWER and not is_staff(current_user):
        abort(403)
    status = request.args.get("status") or None
    if status not in {s.value for s in AssignmentStatus} | {None}:
        abort(400)
    q = request.args.get("q", "")
    pager = queries.assignment_page(
        reviewer_id=current_user.id if current_user.role == Role.REVIEWER else None,
        status=AssignmentStatus(status) if status else None, q=search_pattern(q), page=page_arg(), per_page=PER_PAGE,
    )  # fmt: skip
    return render_template("reviews/assignments.html", assignments=pager.items, page=pager, today=utcnow().date(),
                           statuses=AssignmentStatus, accept_form=AcceptForm(), decline_form=DeclineForm(),
                           q=q.strip(), status=status)  # fmt: skip


def _staff_application(application_id: int):
    """The application for a facilitator's page: 404 to anyone else who cannot see it, 403 to those who can."""
    try:
        application = application_queries.load_for_page(current_user, application_id)
    except NotFound:
        abort(404)
    if not is_staff(current_user):
        abort(403)
    return application


@bp.get("/applications/<int:application_id>/reviewers")
@login_required
def reviewers_page(application_id: int):
    """Suggestions ranked (eligible first, then by load, country and language), the assignments with their
    lifecycle, withdraw and replace."""
    application = _staff_application(application_id)
    today = utcnow().date()
    return render_template(
        "reviews/reviewers.html", application=application, today=today,
        suggestions=queries.suggestions(application, today),
        assignments=queries.assignments_with_reviewers(application.id),
        assignable=application.state in ASSIGNABLE_STATES, form=AssignForm(), withdraw_form=WithdrawForm(),
        due_form=DueDateForm(),
    )  # fmt: skip


@bp.post("/applications/<int:application_id>/assignments")
@login_required
def assign(application_id: int):
    form = AssignForm()
    back = url_for("reviews.reviewers_page", application_id=application_id)
    if not form.validate_on_submit():
        flash(_("Choose a reviewer and a valid due date."), "error")
        return redirect(back, code=303)
    return run(lambda: services.assign_reviewer(current_user, application_id, form.reviewer_id.data, form.due_on.data),
               success=_("Reviewer invited."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/withdraw")
@login_required
def withdraw(assignment_id: int):
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Check the replacement and the due date."), "error")
        return redirect(safe_back(url_for("reviews.my_assignments")), code=303)
    replacement = form.replacement_id.data or None
    done = _("Assignment withdrawn and replaced.") if replacement else _("Assignment withdrawn.")
    return run(lambda: services.withdraw_assignment(current_user, assignment_id, form.reason.data or "",
                                                    replacement, form.due_on.data), success=done)  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/due-date")
@login_required
def change_due_date(assignment_id: int):
    form = DueDateForm()
    if not form.validate_on_submit():
        flash(_("Give the due date as YYYY-MM-DD."), "error")
        return redirect(safe_back(url_for("reviews.my_assignments")), code=303)
    return run(lambda: services.change_due_date(current_user, assignment_id, form.due_on.data),
               success=_("Due date changed."))  # fmt: skip


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


@bp.get("/assignments/<int:assignment_id>")
@login_required
def score_page(assignment_id: int):
    """The phone-friendly scoring screen: one card per indicator with rubric, self-rating, evidence, comment.

    An open invitation shows only what the reviewer needs to decide (organisation, country, seal, due date)
    and the accept and decline forms; the content follows once they declared no conflict and accepted.
    """
    assignment = queries.own_assignment(current_user.id, assignment_id)
    if assignment is None:
        abort(404)
    if assignment.status == AssignmentStatus.INVITED:
        return render_template("reviews/invitation.html", assignment=assignment, application=assignment.application,
                               today=utcnow().date(), accept_form=AcceptForm(), decline_form=DeclineForm())  # fmt: skip
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
    indicators = [i for d in tree.dimensions for i in d.indicators]
    missing = [i for i in indicators if i.id not in scores]
    editable = may_score(assignment, application)
    return render_template(
        "reviews/score.html", assignment=assignment, application=application, tree=tree, scores=scores,
        assessed=application_queries.self_assessments(application.id), evidence_by_indicator=evidence_by_indicator,
        total=len(indicators), done=len(indicators) - len(missing), missing=missing, form=ScoreForm(), NA=NA,
        editable=editable, next_code={a.code: b.code for a, b in zip(indicators, indicators[1:], strict=False)},
        today=utcnow().date(),
    )  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/scores/<code>")
@login_required
def save_score(assignment_id: int, code: str):
    """Save one indicator (save as you go) and move on to the next one."""
    form = ScoreForm()
    page = url_for("reviews.score_page", assignment_id=assignment_id)
    back = f"{page}#ind-{code}"
    form.score.choices = None  # choices are checked by the service against the indicator's scale
    form.score.validate_choice = False
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(_("%(field)s: %(message)s", field=shorten(code), message=message), "error")
        return redirect(back, code=303)
    raw = form.score.data
    if raw != NA and not (raw or "").lstrip("-").isdigit():
        flash(_("Choose a score."), "error")
        return redirect(back, code=303)
    score = None if raw == NA else int(raw)
    cited = request.form.getlist("evidence_ids")
    following = request.form.get("next", "")
    forward = f"{page}#ind-{following}" if following.replace("-", "").replace(".", "").isalnum() else back
    return run(lambda: services.save_score(current_user, assignment_id, code, score, form.comment.data, cited),
               success=_("Saved %(code)s.", code=code), back=back, then=lambda _r: forward)  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/submit")
@login_required
def submit(assignment_id: int):
    return run(lambda: services.submit_review(current_user, assignment_id), success=_("Review submitted. Thank you."),
               back=url_for("reviews.score_page", assignment_id=assignment_id),
               then=lambda _a: url_for("reviews.my_assignments"))  # fmt: skip


@bp.get("/applications/<int:application_id>/reviews")
@login_required
def compare(application_id: int):
    """Every reviewer's score and comment per indicator beside the self-assessment; disagreements highlighted."""
    application = _staff_application(application_id)
    return render_template(
        "reviews/compare.html", application=application, tree=standard_tree(application.standard_id),
        comparison=queries.comparison(application), form=ModerationForm(),
        may_moderate=may_moderate_application(current_user, application, queries.involved_reviewer_ids(application.id)),
    )  # fmt: skip


@bp.post("/applications/<int:application_id>/moderation/<code>")
@login_required
def moderate(application_id: int, code: str):
    form = ModerationForm()
    back = url_for("reviews.compare", application_id=application_id) + f"#ind-{code}"
    if not form.validate_on_submit():
        flash(_("Give a score and a justification."), "error")
        return redirect(back, code=303)
    return run(lambda: services.moderate(current_user, application_id, code, float(form.score.data),
                                         form.justification.data),
               success=_("Moderated %(code)s.", code=code), back=back, then=lambda _m: back)  # fmt: skip


@bp.get("/applications/<int:application_id>/result")
@login_required
def result(application_id: int):
    """The MFI's result after the decision: score by dimension, self vs consensus per indicator, anonymous
    comments."""
    return render_template("applications/result.html", **_result_context(application_id))


@bp.get("/applications/<int:application_id>/result.pdf")
@login_required
def result_pdf(application_id: int):
    """The same result as an archival PDF, in the reader's language, for the same people as the page."""
    context = _result_context(application_id)
    content = write_pdf(render_template("pdf/result.html", **context))
    return download(content, f"result-{context['application'].reference or application_id}.pdf", "application/pdf")


def _result_context(application_id: int) -> dict:
    try:
        application = application_queries.load_for_page(current_user, application_id)
    except NotFound:
        abort(404)
    if not may_see_result(current_user, application):
        abort(403, description=_("The result is shown once a decision has been taken."))
    snapshot = queries.latest_snapshot(application.id)
    return dict(
        application=application, tree=standard_tree(application.standard_id),
        snapshot=snapshot, assessed=application_queries.self_assessments(application.id),
        comments=queries.anonymous_comments(application.id), member=is_member(current_user, application),
        certificate=application_queries.certificate_of(application.id),
        comparison=queries.seal_comparison(application.standard.code) if application.decided_at else None,
    )  # fmt: skip


@bp.get("/standards/<int:standard_id>/agreement")
@login_required
def standard_agreement(standard_id: int):
    """Agreement statistics of every reviewed application of one standard version (facilitators)."""
    if not is_staff(current_user):
        abort(404)
    try:
        seal_queries.get_visible(current_user, standard_id)
    except NotFound:
        abort(404)
    return render_template("reviews/agreement.html", reports=[queries.agreement_report(standard_id)], round=None)
