"""Self-service for everyone: the account page (password, language), forgot-password and the set-password
pages reached from a mailed link (a reset or an invitation)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts import links, sessions
from certification.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LocaleForm, SetPasswordForm
from certification.accounts.services import change_own_password, set_locale
from certification.accounts.views import bp
from certification.errors import ValidationFailed
from workflows.messages import translate


def _account_page(password_form=None, status=200):
    user = current_user
    return render_template("accounts/account.html", password_form=password_form or ChangePasswordForm(),
                           locale_form=LocaleForm(locale=user.locale)), status  # fmt: skip


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def update_password():
    """A new password needs the current one; every other session and token ends, this one starts afresh."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(form, 422)
    user = current_user._get_current_object()
    try:
        change_own_password(user, form.current_password.data, form.new_password.data)
    except ValidationFailed as exc:
        for name, messages in exc.fields.items():
            field = form.current_password if name == "current_password" else form.new_password
            field.errors = [translate(m, _) for m in messages]
        return _account_page(form, 422)
    sessions.start(user)
    flash(_("Password changed. You were signed out everywhere else."), "success")
    return redirect(url_for("accounts.account"), code=303)


@bp.post("/account/language")
@login_required
def update_language():
    form = LocaleForm()
    if form.validate_on_submit():
        set_locale(current_user._get_current_object(), form.locale.data)
        flash(_("Language saved."), "success")
    else:
        flash(_("Choose es, en or fr."), "error")
    return redirect(url_for("accounts.account"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not links.request_reset(form.email.data):
            flash(_("Too many requests for a new password; try again later."), "error")
            return render_template("accounts/forgot_password.html", form=form), 429
        # The same words whether or not the address belongs to someone.
        hours = links.max_age(links.RESET) // 3600
        flash(_("If this address belongs to an account, a link to set a new password is on its way. "
                "It works once, for %(hours)s hours.", hours=hours), "success")  # fmt: skip
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


def _set_password(token: str, kind: str):
    try:
        user = links.read_token(token, kind)
    except links.LinkRefused as exc:
        return render_template("accounts/link_refused.html", message=translate(exc.message, _), kind=kind), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = links.set_password_with_token(token, kind, form.password.data)
        except links.LinkRefused as exc:  # used in another tab meanwhile
            return render_template("accounts/link_refused.html", message=translate(exc.message, _), kind=kind), 410
        except ValidationFailed as exc:
            form.password.errors = [translate(m, _) for ms in exc.fields.values() for m in ms]
        else:
            sessions.start(user)
            flash(_("Your password is set. Welcome to Sello."), "success")
            return redirect(url_for("main.dashboard"), code=303)
    return render_template("accounts/set_password.html", form=form, person=user, kind=kind), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password(token, links.RESET)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _set_password(token, links.INVITATION)
