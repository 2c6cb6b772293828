"""Reviewer profiles on the web: facilitators and admins edit areas, countries, languages, capacity and
affiliations; a reviewer sets their own languages and declares conflicts of interest."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.i18n_places import country_choices, language_choices
from certification.reviewers import queries, services
from certification.reviewers.forms import (
    AffiliationForm,
    DeclareConflictForm,
    EndAffiliationForm,
    LanguagesForm,
    ReviewerProfileForm,
    split_codes,
)
from certification.reviewers.policies import affiliation_conflicts, has_reviewer_profile, may_edit_reviewer_profile
from certification.types import utcnow
from certification.ui import flash_form_errors, page_arg, run
from certification.validation import search_pattern

bp = Blueprint("reviewers", __name__)


def _staff_only():
    if not may_edit_reviewer_profile(current_user):
        abort(404)


@bp.get("/reviewers")
@login_required
def reviewers():
    """Every reviewer with areas, countries, languages, capacity and current load (paginated)."""
    _staff_only()
    q = request.args.get("q", "")
    page, loads = queries.reviewer_page(page_arg(), pattern=search_pattern(q))
    return render_template("reviewers/index.html", page=page, loads=loads, q=q)


@bp.get("/reviewers/<int:reviewer_id>")
@login_required
def reviewer_profile(reviewer_id: int):
    _staff_only()
    reviewer = queries.reviewer_profile(reviewer_id)
    if reviewer is None:
        abort(404)
    form = ReviewerProfileForm(
        areas=reviewer.areas, countries=reviewer.countries or [], languages=reviewer.languages or [],
        max_active_assignments=reviewer.max_active_assignments, active=reviewer.active,
    )  # fmt: skip
    form.countries.choices = country_choices(reviewer.countries or [])
    form.languages.choices = language_choices(reviewer.languages or [])
    return render_template(
        "reviewers/profile.html", reviewer=reviewer, form=form, affiliation_form=AffiliationForm(),
        end_form=EndAffiliationForm(), organizations=queries.organizations_for_choice(),
        declared=queries.declared_conflicts_of(reviewer.id),
        conflicting={a.id for a in reviewer.affiliations if affiliation_conflicts(a, utcnow().date())},
        load=queries.active_counts([reviewer.id]).get(reviewer.id, 0),
    )  # fmt: skip


@bp.post("/reviewers/<int:reviewer_id>")
@login_required
def update_reviewer_profile(reviewer_id: int):
    _staff_only()
    form = ReviewerProfileForm()
    back = url_for("reviewers.reviewer_profile", reviewer_id=reviewer_id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: services.update_reviewer_profile(
        current_user, reviewer_id, areas=form.areas.data or [], countries=split_codes(form.countries.data),
        languages=split_codes(form.languages.data), max_active_assignments=form.max_active_assignments.data,
        active=bool(form.active.data)), success=_("Profile saved."), back=back, then=lambda _r: back)  # fmt: skip


@bp.post("/reviewers/<int:reviewer_id>/affiliations")
@login_required
def add_affiliation(reviewer_id: int):
    _staff_only()
    form = AffiliationForm()
    back = url_for("reviewers.reviewer_profile", reviewer_id=reviewer_id) + "#affiliations"
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: services.add_affiliation(
        current_user, reviewer_id, organization_id=form.organization_id.data, kind=form.kind.data,
        since=form.since.data, until=form.until.data), success=_("Affiliation recorded."), back=back,
        then=lambda _a: back)  # fmt: skip


def _affiliation_back(affiliation_id: int) -> str:
    reviewer_id = queries.reviewer_of_affiliation(affiliation_id)
    if reviewer_id is None:
        abort(404)
    return url_for("reviewers.reviewer_profile", reviewer_id=reviewer_id) + "#affiliations"


@bp.post("/affiliations/<int:affiliation_id>/end")
@login_required
def end_affiliation(affiliation_id: int):
    _staff_only()
    back = _affiliation_back(affiliation_id)
    form = EndAffiliationForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: services.end_affiliation(current_user, affiliation_id, form.until.data),
               success=_("End date recorded."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/affiliations/<int:affiliation_id>/delete")
@login_required
def delete_affiliation(affiliation_id: int):
    _staff_only()
    back = _affiliation_back(affiliation_id)
    return run(lambda: services.delete_affiliation(current_user, affiliation_id),
               success=_("Affiliation removed."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/declared-conflicts/<int:conflict_id>/delete")
@login_required
def remove_declared_conflict(conflict_id: int):
    _staff_only()
    return run(lambda: services.remove_declared_conflict(current_user, conflict_id),
               success=_("Declared conflict removed."))  # fmt: skip


@bp.get("/profile")
@login_required
def own_profile():
    """A reviewer's own page: the languages they review in and the conflicts of interest they declared."""
    if not has_reviewer_profile(current_user):
        abort(404)
    languages_form = LanguagesForm(languages=current_user.languages or [])
    languages_form.languages.choices = language_choices(current_user.languages or [])
    return render_template(
        "reviewers/own_profile.html", languages_form=languages_form,
        conflict_form=DeclareConflictForm(), declared=queries.declared_conflicts_of(current_user.id),
        organizations=queries.organizations_for_choice(),
    )  # fmt: skip


@bp.post("/profile/languages")
@login_required
def update_own_languages():
    if not has_reviewer_profile(current_user):
        abort(404)
    form = LanguagesForm()
    back = url_for("reviewers.own_profile")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: services.update_own_languages(current_user, split_codes(form.languages.data)),
               success=_("Languages saved."), back=back, then=lambda _r: back)  # fmt: skip


@bp.post("/profile/conflicts")
@login_required
def declare_conflict():
    if not has_reviewer_profile(current_user):
        abort(404)
    form = DeclareConflictForm()
    back = url_for("reviewers.own_profile")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: services.declare_conflict(current_user, form.organization_id.data, form.reason.data),
               success=_("Conflict of interest declared."), back=back, then=lambda _r: back)  # fmt: skip
