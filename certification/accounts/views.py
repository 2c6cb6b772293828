"""Log in and out (reviewer profiles: certification.reviewers)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from certification.accounts import sessions
from certification.accounts.forms import LoginForm
from certification.accounts.services import attempt_login, end_all_sessions
from certification.redirects import same_origin_path

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
