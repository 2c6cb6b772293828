"""Admin pages for people (search, invite, role, organisation, deactivate) and, for staff, organisations.
Facilitators may register organisations and invite reviewers; everything else here is for admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts import people
from certification.accounts.forms import InviteForm, OrganizationForm, PersonOrganizationForm, RoleForm
from certification.accounts.models import Role
from certification.accounts.policies import is_admin, is_staff
from certification.accounts.views import bp
from certification.errors import DomainError
from certification.i18n_places import country_choices
from certification.organizations import queries as organization_queries
from certification.organizations import services as organizations
from certification.reviewers.queries import organizations_for_choice
from certification.ui import flash_form_errors, messages_of, page_arg, run
from certification.validation import search_pattern


def _admin_only():
    if not is_admin(current_user):
        abort(404)


def _staff_only():
    if not is_staff(current_user):
        abort(404)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= 2**31 - 1 else None


def _organization_choices(blank: str):
    return [("", blank)] + [(str(o.id), f"{o.name} ({o.country})") for o in organizations_for_choice()]


@bp.get("/people")
@login_required
def people_index():
    _admin_only()
    q, role, organization_id = request.args.get("q", ""), request.args.get("role", ""), _int_arg("organization_id")
    page = people.people_page(page_arg(), pattern=search_pattern(q), role=role, organization_id=organization_id)
    return render_template(
        "accounts/people.html", page=page, q=q, role_filter=role if role in people.ROLES else "",
        organization_id=organization_id, organizations=organizations_for_choice(),
        names=people.organization_names(p.organization_id for p in page.items),
    )  # fmt: skip


def _invite_form(form=None):
    form = form or InviteForm()
    if not is_admin(current_user):  # facilitators create reviewer profiles only
        form.role.choices = [c for c in form.role.choices if c[0] == Role.REVIEWER.value]
    form.organization_id.choices = _organization_choices(_("— none —"))
    return form


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def invite_person():
    _staff_only()
    form = _invite_form(InviteForm(role=request.args.get("role") or None))
    if form.validate_on_submit():
        try:
            person = people.invite(current_user, email=form.email.data, name=form.name.data, role=form.role.data,
                                   organization_id=form.organization_id.data, locale=form.locale.data)  # fmt: skip
        except DomainError as exc:
            for message in messages_of(exc):
                flash(message, "error")
            return render_template("accounts/invite.html", form=form), 422
        flash(_("Invitation sent to %(email)s.", email=person.email), "success")
        if is_admin(current_user):
            return redirect(url_for("accounts.person", user_id=person.id), code=303)
        return redirect(url_for("reviewers.reviewer_profile", reviewer_id=person.id), code=303)
    return render_template("accounts/invite.html", form=form), 422 if form.errors else 200


@bp.get("/people/<int:user_id>")
@login_required
def person(user_id: int):
    _admin_only()
    subject = people.person(user_id)
    if subject is None:
        abort(404)
    role_form = RoleForm(role=subject.role.value, organization_id=subject.organization_id)
    role_form.organization_id.choices = _organization_choices(_("— keep —"))
    org_form = PersonOrganizationForm(organization_id=subject.organization_id)
    org_form.organization_id.choices = _organization_choices(_("— none —"))
    changes = people.changes_of(subject.id)
    actors = people.names_of(c.actor_id for c in changes)
    names = people.organization_names([subject.organization_id] + [
        int(v) for c in changes if c.field == "organization" for v in (c.old, c.new) if v.isdigit()])  # fmt: skip
    return render_template("accounts/person.html", person=subject, role_form=role_form, org_form=org_form,
                           changes=changes, actors=actors, names=names)  # fmt: skip


def _person_back(user_id: int) -> str:
    return url_for("accounts.person", user_id=user_id)


@bp.post("/people/<int:user_id>/role")
@login_required
def change_person_role(user_id: int):
    _admin_only()
    form = RoleForm()
    form.organization_id.choices = _organization_choices("")
    back = _person_back(user_id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: people.change_role(current_user, user_id, form.role.data, form.organization_id.data),
               success=_("Role saved; the person was signed out everywhere."), back=back,
               then=lambda _p: back)  # fmt: skip


@bp.post("/people/<int:user_id>/organization")
@login_required
def change_person_organization(user_id: int):
    _admin_only()
    form = PersonOrganizationForm()
    form.organization_id.choices = _organization_choices("")
    back = _person_back(user_id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back, code=303)
    return run(lambda: people.set_organization(current_user, user_id, form.organization_id.data),
               success=_("Organisation saved."), back=back, then=lambda _p: back)  # fmt: skip


@bp.post("/people/<int:user_id>/deactivate")
@login_required
def deactivate_person(user_id: int):
    _admin_only()
    back = _person_back(user_id)
    return run(lambda: people.set_active(current_user, user_id, False),
               success=_("Deactivated: every session and API token of the person ended."), back=back,
               then=lambda _p: back)  # fmt: skip


@bp.post("/people/<int:user_id>/reactivate")
@login_required
def reactivate_person(user_id: int):
    _admin_only()
    back = _person_back(user_id)
    return run(lambda: people.set_active(current_user, user_id, True), success=_("Reactivated."), back=back,
               then=lambda _p: back)  # fmt: skip


@bp.post("/people/<int:user_id>/invitation")
@login_required
def resend_invitation(user_id: int):
    _admin_only()
    back = _person_back(user_id)
    return run(lambda: people.resend_invitation(current_user, user_id), success=_("Invitation sent again."),
               back=back, then=lambda _p: back)  # fmt: skip


# --- organisations (facilitators and admins) --------------------------------------------------------------


@bp.get("/organizations")
@login_required
def organizations_index():
    _staff_only()
    q, country = request.args.get("q", ""), request.args.get("country", "")
    country = country.upper() if len(country) == 2 and country.isascii() and country.isalpha() else ""
    page = organizations.organizations_page(page_arg(), pattern=search_pattern(q), country=country or None)
    return render_template("accounts/organizations.html", page=page, q=q, country=country,
                           countries=dict(country_choices()))  # fmt: skip


def _organization_form(form=None, keep=()):
    form = form or OrganizationForm()
    form.country.choices = [("", _("— choose —"))] + country_choices(keep)
    return form


def _save_organization(form, organization_id: int | None):
    template = "accounts/organization_form.html"
    if form.validate_on_submit():
        fields = {"name": form.name.data, "country": form.country.data, "legal_form": form.legal_form.data or "",
                  "network": form.network.data or ""}  # fmt: skip
        try:
            if organization_id is None:
                organizations.add_organization(current_user, **fields)
            else:
                organizations.update_organization(current_user, organization_id, **fields)
        except DomainError as exc:
            for message in messages_of(exc):
                flash(message, "error")
            return render_template(template, form=form, organization_id=organization_id), 422
        flash(_("Organisation saved."), "success")
        return redirect(url_for("accounts.organizations_index"), code=303)
    return render_template(template, form=form, organization_id=organization_id), 422 if form.errors else 200


@bp.route("/organizations/new", methods=["GET", "POST"])
@login_required
def new_organization():
    _staff_only()
    return _save_organization(_organization_form(), None)


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@login_required
def edit_organization(organization_id: int):
    _staff_only()
    organization = organization_queries.organization(organization_id)
    if organization is None:
        abort(404)
    form = OrganizationForm(obj=organization) if request.method == "GET" else OrganizationForm()
    return _save_organization(_organization_form(form, keep=[organization.country]), organization_id)
