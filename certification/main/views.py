"""Home, dashboards per role and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.accounts.services import set_locale
from certification.applications.services import count_by_state
from certification.main import queries
from certification.types import utcnow
from certification.ui import safe_back
from config.settings import LANGUAGES

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/home.html")


@bp.get("/favicon.ico")
def favicon():
    # Browsers and feed readers ask for /favicon.ico whatever the page links: answer with the app icon.
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.get("/dashboard")
@login_required
def dashboard():
    """What needs the person now: an institution's applications and deadlines, a reviewer's invitations and
    reviews due, staff's queues (and, for an administrator, failed mail and outbox rows)."""
    now = utcnow()
    role = current_user.role
    context = {"counts": {}, "mine": [], "review_work": None, "staff_work": None}
    if role == Role.APPLICANT:
        context["mine"] = queries.applicant_progress(current_user, now)
    elif role == Role.REVIEWER:
        context["review_work"] = queries.reviewer_work(current_user, now.date())
    else:
        context["staff_work"] = queries.staff_work(current_user, now.date(), admin=role == Role.ADMIN)
        context["counts"] = count_by_state(current_user)
    return render_template("main/dashboard.html", today=now.date(), **context)


@bp.post("/language")
def language():
    code = request.form.get("lang", "")
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            set_locale(current_user, code)
    return redirect(safe_back(url_for("main.home")), code=303)
