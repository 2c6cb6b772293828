"""Log in and out; reviewer profiles (areas, countries, languages, capacity, affiliations, declared conflicts)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from certification.accounts import sessions
from certification.accounts.forms import (
    AffiliationForm,
    DeclareConflictForm,
    EndAffiliationForm,
    LanguagesForm,
    LoginForm,
    ReviewerProfileForm,
    split_codes,
)
from certification.accounts.models import Role
from certification.accounts.services import attempt_login, end_all_sessions
from certification.applications.policies import is_staff
from certification.i18n_places import country_choices, language_choices
from certification.redirects import same_origin_path
from certification.reviews import queries as review_queries
from certification.reviews import services as review_services
from certification.reviews.policies import affiliation_conflicts
from certification.types import utcnow
from certification.ui import page_arg, run
from certification.validation import search_pattern

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        attempt = attempt_login(form.email.data, form.password.data)
        if attempt.user is not None:
            sessions.start(attempt.user)
            return redirect(same_origin_path(request.args.get("next"), url_for("main.dashboard")), code=303)
        flash(_("Wrong e-mail or password."), "error")
        if attempt.blocked is not None:  # shown for unknown e-mails too: it tells nothing about the account
            flash(_("Too many failed attempts; try again in %(minutes)s minutes.", minutes=attempt.blocked.minutes),
                  "error")  # fmt: skip
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # Every session and API token of the person ends, not only this cookie (a copy of it would still work).
    end_all_sessions(current_user._get_current_object(), "logout")
    logout_user()
    session.clear()
    response = redirect(url_for("main.home"), code=303)
    # What the offline screen stored on this device (assignments, evidence files, the service worker) goes too.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- reviewer profiles (issue 4): facilitators edit profiles; reviewers their languages and conflicts -----


def _staff_only():
    if not is_staff(current_user):
        abort(404)


def _flash_form_errors(form) -> None:
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        flash(_("%(field)s: %(message)s", field=label, message=" ".join(map(str, errors))), "error")


@bp.get("/reviewers")
@login_required
def reviewers():
    """Every reviewer with areas, countries, languages, capacity and current load (paginated)."""
    _staff_only()
    q = request.args.get("q", "")
    page, loads = review_queries.reviewer_page(page_arg(), pattern=search_pattern(q))
    return render_template("accounts/reviewers.html", page=page, loads=loads, q=q)


@bp.get("/reviewers/<int:reviewer_id>")
@login_required
def reviewer_profile(reviewer_id: int):
    _staff_only()
    reviewer = review_queries.reviewer_profile(reviewer_id)
    if reviewer is None:
        abort(404)
    form = ReviewerProfileForm(
        areas=reviewer.areas, countries=reviewer.countries or [], languages=reviewer.languages or [],
        max_active_assignments=reviewer.max_active_assignments, active=reviewer.active,
    )  # fmt: skip
    form.countries.choices = country_choices(reviewer.countries or [])
    form.languages.choices = language_choices(reviewer.languages or [])
    return render_template(
        "accounts/reviewer_profile.html", reviewer=reviewer, form=form, affiliation_form=AffiliationForm(),
        end_form=EndAffiliationForm(), organizations=review_queries.organizations_for_choice(),
        declared=review_queries.declared_conflicts_of(reviewer.id),
        conflicting={a.id for a in reviewer.affiliations if affiliation_conflicts(a, utcnow().date())},
        load=review_queries.active_counts([reviewer.id]).get(reviewer.id, 0),
    )  # fmt: skip


@bp.post("/reviewers/<int:reviewer_id>")
@login_required
def update_reviewer_profile(reviewer_id: int):
    _staff_only()
    form = ReviewerProfileForm()
    back = url_for("accounts.reviewer_profile", reviewer_id=reviewer_id)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: review_services.update_reviewer_profile(
        current_user, reviewer_id, areas=form.areas.data or [], countries=split_codes(form.countries.data),
        languages=split_codes(form.languages.data), max_active_assignments=form.max_active_assignments.data,
        active=bool(form.active.data)), success=_("Profile saved."), back=back, then=lambda _r: back)  # fmt: skip


@bp.post("/reviewers/<int:reviewer_id>/affiliations")
@login_required
def add_affiliation(reviewer_id: int):
    _staff_only()
    form = AffiliationForm()
    back = url_for("accounts.reviewer_profile", reviewer_id=reviewer_id) + "#affiliations"
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: review_services.add_affiliation(
        current_user, reviewer_id, organization_id=form.organization_id.data, kind=form.kind.data,
        since=form.since.data, until=form.until.data), success=_("Affiliation recorded."), back=back,
        then=lambda _a: back)  # fmt: skip


def _affiliation_back(affiliation_id: int) -> str:
    from certification.accounts.models import Affiliation
    from certification.extensions import db

    affiliation = db.session.get(Affiliation, affiliation_id)
    if affiliation is None:
        abort(404)
    return url_for("accounts.reviewer_profile", reviewer_id=affiliation.user_id) + "#affiliations"


@bp.post("/affiliations/<int:affiliation_id>/end")
@login_required
def end_affiliation(affiliation_id: int):
    _staff_only()
    back = _affiliation_back(affiliation_id)
    form = EndAffiliationForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: review_services.end_affiliation(current_user, affiliation_id, form.until.data),
               success=_("End date recorded."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/affiliations/<int:affiliation_id>/delete")
@login_required
def delete_affiliation(affiliation_id: int):
    _staff_only()
    back = _affiliation_back(affiliation_id)
    return run(lambda: review_services.delete_affiliation(current_user, affiliation_id),
               success=_("Affiliation removed."), back=back, then=lambda _a: back)  # fmt: skip


@bp.post("/declared-conflicts/<int:conflict_id>/delete")
@login_required
def remove_declared_conflict(conflict_id: int):
    _staff_only()
    return run(lambda: review_services.remove_declared_conflict(current_user, conflict_id),
               success=_("Declared conflict removed."))  # fmt: skip


@bp.get("/profile")
@login_required
def own_profile():
    """A reviewer's own page: the languages they review in and the conflicts of interest they declared."""
    if current_user.role != Role.REVIEWER:
        abort(404)
    languages_form = LanguagesForm(languages=current_user.languages or [])
    languages_form.languages.choices = language_choices(current_user.languages or [])
    return render_template(
        "accounts/own_profile.html", languages_form=languages_form,
        conflict_form=DeclareConflictForm(), declared=review_queries.declared_conflicts_of(current_user.id),
        organizations=review_queries.organizations_for_choice(),
    )  # fmt: skip


@bp.post("/profile/languages")
@login_required
def update_own_languages():
    if current_user.role != Role.REVIEWER:
        abort(404)
    form = LanguagesForm()
    back = url_for("accounts.own_profile")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: review_services.update_own_languages(current_user, split_codes(form.languages.data)),
               success=_("Languages saved."), back=back, then=lambda _r: back)  # fmt: skip


@bp.post("/profile/conflicts")
@login_required
def declare_conflict():
    if current_user.role != Role.REVIEWER:
        abort(404)
    form = DeclareConflictForm()
    back = url_for("accounts.own_profile")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: review_services.declare_conflict(current_user, form.organization_id.data, form.reason.data),
               success=_("Conflict of interest declared."), back=back, then=lambda _r: back)  # fmt: skip
