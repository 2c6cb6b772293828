"""Applications: the queue, the application page, self-assessment and lifecycle events."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.accounts.policies import is_staff
from certification.applications import exports, queries, services
from certification.applications.forms import NA, EventForm, NewApplicationForm, SelfAssessmentForm
from certification.applications.policies import may_edit_content
from certification.errors import DomainError, Forbidden, NotFound
from certification.evidence.queries import evidence_of
from certification.seals.models import Area
from certification.seals.queries import applicable_standards, standard_tree
from certification.types import utcnow
from certification.ui import messages_of, page_arg, run
from certification.validation import search_pattern
from workflows import application as wf

bp = Blueprint("applications", __name__)


def _load(application_id: int):
    try:
        return queries.load_for_page(current_user, application_id)
    except NotFound:
        abort(404)


@bp.get("/applications")
@login_required
def index():
    state = request.args.get("state") or None
    area = request.args.get("area") or None
    if state not in {s.value for s in wf.State} | {None} or area not in {a.value for a in Area} | {None}:
        abort(400)
    q = request.args.get("q", "")
    page = queries.list_visible(current_user, state=state, area=area, q=search_pattern(q), page=page_arg(), per_page=25)
    counts = services.count_by_state(current_user)
    return render_template(
        "applications/index.html", page=page, counts=counts, state=state, area=area, states=wf.State, q=q.strip(),
        areas=Area, standards=applicable_standards() if current_user.role == Role.APPLICANT else [],
        form=NewApplicationForm(),
    )  # fmt: skip


@bp.post("/applications")
@login_required
def create():
    form = NewApplicationForm()
    if not form.validate_on_submit():
        flash(_("Choose a seal."), "error")
        return redirect(url_for("applications.index"), code=303)
    return run(
        lambda: services.create_application(current_user, form.standard_id.data),
        success=_("Application created. Self-assess every indicator, then submit."),
        then=lambda app: url_for("applications.detail", application_id=app.id),
    )


@bp.get("/applications/<int:application_id>")
@login_required
def detail(application_id: int):
    try:
        view = queries.application_view(current_user, application_id, page=True)
    except NotFound:
        abort(404)
    application = view.application
    assessed = queries.self_assessments(application.id)
    evidence = evidence_of(application.id)
    view.reads.assessed, view.reads.evidence = assessed, evidence  # the guards read what the page shows
    evidence_by_indicator: dict[int, list] = {}
    for item in evidence:
        for indicator in item.indicators:
            evidence_by_indicator.setdefault(indicator.id, []).append(item)
    actions = [
        (action.event, [(u.render(_), _fix_link(application, u)) for u in action.unmet]) for action in view.actions
    ]
    return render_template(
        "applications/detail.html", application=application, tree=application.standard, assessed=assessed,
        evidence=evidence, evidence_by_indicator=evidence_by_indicator, actions=actions,
        history=queries.history(application.id), snapshot=view.snapshot, assignments=view.assignments,
        certificate=view.certificate, editable=may_edit_content(current_user, application),
        event_form=EventForm(), staff=is_staff(current_user), missing=view.missing_self_assessment,
    )  # fmt: skip


def _fix_link(application, unmet) -> str | None:
    """Where the person who sees an unmet requirement goes to meet it."""
    codes = unmet.params.get("codes", "").split(", ") if isinstance(unmet.params.get("codes"), str) else []
    page = url_for("applications.detail", application_id=application.id)
    if unmet.code in ("self_assessment_incomplete", "flagged_not_updated") and codes and codes[0]:
        return url_for("applications.self_assessment", application_id=application.id, code=codes[0])
    if unmet.code == "essential_evidence_missing":
        return page + "#evidence"
    if unmet.code in ("not_enough_reviewers", "reviewer_conflict", "reviews_pending", "no_reviews"):
        return url_for("reviews.reviewers_page", application_id=application.id) if is_staff(current_user) else None
    if unmet.code in ("not_enrolled", "round_not_in_progress") and is_staff(current_user):
        if application.pilot_round_id:
            return url_for("pilots.detail", round_id=application.pilot_round_id)
        return url_for("pilots.index")
    if unmet.code == "not_eligible":
        return page + "#score"
    return None


@bp.route("/applications/<int:application_id>/self-assessment/<code>", methods=["GET", "POST"])
@login_required
def self_assessment(application_id: int, code: str):
    application = _load(application_id)
    indicator = queries.indicator_by_code(application.standard_id, code)
    if indicator is None:
        abort(404)
    row = queries.self_assessments(application.id).get(indicator.id)
    form = SelfAssessmentForm()
    form.rating.choices = [(str(v), str(v)) for v in indicator.scale()] + (
        [(NA, _("N/A"))] if indicator.allows_na else []
    )
    if request.method == "GET" and row is not None:
        form.rating.data = NA if row.rating is None else str(row.rating)
        form.explanation.data = row.explanation
    if form.validate_on_submit():
        rating = None if form.rating.data == NA else int(form.rating.data)
        try:
            services.save_self_assessment(current_user, application.id, code, rating, form.explanation.data)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                abort(404)
            if isinstance(exc, Forbidden):  # may see the application, may not self-assess it
                abort(403, description=_(exc.message))
            for message in messages_of(exc):
                flash(message, "error")
            return render_template("applications/self_assessment.html", application=application,
                                   indicator=indicator, form=form, editable=True,
                                   **_progress(application)), 409  # fmt: skip
        flash(_("Saved %(code)s.", code=code), "success")
        following = _next_to_assess(application, code) if request.form.get("then") == "next" else None
        if following:
            return redirect(url_for("applications.self_assessment", application_id=application.id, code=following), 303)
        return redirect(url_for("applications.detail", application_id=application.id) + f"#ind-{code}", code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "applications/self_assessment.html", application=application, indicator=indicator, form=form,
        editable=may_edit_content(current_user, application), **_progress(application),
    ), status  # fmt: skip


def _progress(application) -> dict:
    """The indicator codes in the standard's order and how many are self-assessed ("n / N done")."""
    codes = [i.code for d in standard_tree(application.standard_id).dimensions for i in d.indicators]
    return {"codes": codes, "done": len(queries.self_assessments(application.id))}


def _next_to_assess(application, code: str) -> str | None:
    """The next indicator after `code` without a self-assessment (wrapping round), or None when all are done."""
    indicators = [i for d in standard_tree(application.standard_id).dimensions for i in d.indicators]
    assessed = queries.self_assessments(application.id)
    codes = [i.code for i in indicators]
    done = {i.code for i in indicators if i.id in assessed}
    start = codes.index(code) + 1 if code in codes else 0
    return next((c for c in codes[start:] + codes[:start] if c not in done), None)


@bp.post("/applications/<int:application_id>/events")
@login_required
def fire(application_id: int):
    form = EventForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("applications.detail", application_id=application_id)
    label = wf.EVENTS[form.event.data].label if form.event.data in wf.EVENTS else form.event.data
    return run(
        lambda: services.fire_event(
            current_user, application_id, form.event.data, form.reason.data or "", form.indicators.data or []
        ),
        success=_("Done: %(event)s.", event=_(label)),
        back=back,
        then=lambda app: back,
    )


# --- staff exports: the list's filters, streamed -----------------------------------------------------------

EXPORTS = {
    "applications": ("application_header", "application_rows"),
    "scores": ("score_header", "score_rows"),
    "reviews": ("review_header", "review_rows"),
}


@bp.get("/applications/export/<any(applications, scores, reviews):kind>.<any(csv, xlsx):extension>")
@login_required
def export(kind: str, extension: str):
    """Applications (with their latest score), their scores per indicator and source, or the reviewers' scores
    and comments, for staff; the list's `state` and `area` filters apply."""
    if not is_staff(current_user):
        abort(403, description=_("Exports are for facilitators and administrators."))
    state = request.args.get("state") or None
    area = request.args.get("area") or None
    if state not in {s.value for s in wf.State} | {None} or area not in {a.value for a in Area} | {None}:
        abort(400)
    header_of, rows_of = (getattr(exports, name) for name in EXPORTS[kind])
    rows = rows_of(current_user, state, area)
    if extension == "csv":
        body, mimetype = exports.csv_stream(header_of(), rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = exports.xlsx_stream(kind, header_of(), rows), exports.XLSX
    name = f"{kind}-{utcnow().date().isoformat()}.{extension}"
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })  # fmt: skip
