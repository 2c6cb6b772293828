"""Extensions, blueprints, locale, security headers and error pages, wired onto the app."""

from __future__ import annotations

import secrets

import flask_babel
from flask import Flask, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from certification import models  # noqa: F401 - every table registered before migrations run
from certification.extensions import babel, csrf, db, login_manager, migrate


def select_locale() -> str:
    languages = ("es", "en")
    wanted = request.args.get("lang") if request else None
    if wanted in languages:
        return wanted
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or "es"


class DatabaseId(IntegerConverter):
    """`<int:…>` in a URL stops at PostgreSQL's INTEGER: a larger id is a 404 like any missing one, never a
    database error (SQLite and psycopg refuse to bind it)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    from certification import limits

    limits.init_app(app)  # over-long URLs and headers are refused before anything else runs
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path) + "/migrations", render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from certification.accounts.models import User

        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    from certification.accounts.views import bp as accounts_bp
    from certification.applications.views import bp as applications_bp
    from certification.certificates.views import bp as certificates_bp
    from certification.evidence.views import bp as evidence_bp
    from certification.main.views import bp as main_bp
    from certification.pilots.views import bp as pilots_bp
    from certification.reviews.views import bp as reviews_bp
    from certification.seals.views import bp as seals_bp

    for bp in (main_bp, accounts_bp, applications_bp, evidence_bp, reviews_bp, pilots_bp, certificates_bp,
               seals_bp):  # fmt: skip
        app.register_blueprint(bp)

    # Issue 5: notifications (with the mail outbox) and bulk re-scoring.
    from certification.notifications import mailer
    from certification.notifications.views import bp as notifications_bp
    from certification.rescoring.views import bp as rescoring_bp

    mailer.init_app(app)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(rescoring_bp)

    # Issue 6: the JSON API at /api/v1 (token-authenticated, CSRF-exempt, JSON errors).
    from certification import api

    api.init_app(app)

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)
        # When a request runs inside an outer app context (tests, CLI), `g` outlives it: drop the
        # per-request caches so the next request sees its own user and language.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        flask_babel.refresh()

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            f"script-src 'self' 'nonce-{g.get('csp_nonce', '')}'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.context_processor
    def _template_globals():
        return {"locale": str(get_locale()), "csp_nonce": g.get("csp_nonce", "")}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        db.session.rollback()
        return render_template("error.html", code=exc.code, description=exc.description), exc.code

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _unstorable(exc):
        # Input the database cannot hold (an integer beyond its range, a NUL character in text): a bad request,
        # answered by the page's usual 400 (the API's JSON one under /api/v1), never a 500.
        db.session.rollback()
        return app.handle_http_exception(BadRequest())

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        db.session.rollback()
        return render_template("error.html", code=409, description=None), 409

    @app.teardown_request
    def _rollback_leftovers(exc):
        if exc is not None:
            db.session.rollback()
