"""Home, dashboards per role and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.accounts.services import set_locale
from certification.applications.queries import list_visible
from certification.applications.services import count_by_state
from certification.reviews.models import AssignmentStatus
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
    counts = count_by_state(current_user)
    if current_user.role == Role.REVIEWER:
        return redirect(url_for("reviews.my_assignments"))
    recent = list_visible(current_user, per_page=10)
    return render_template("main/dashboard.html", counts=counts, recent=recent, statuses=AssignmentStatus)


@bp.post("/language")
def language():
    code = request.form.get("lang", "")
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            set_locale(current_user, code)
    return redirect(safe_back(url_for("main.home")), code=303)
