"""Extensions, blueprints, locale, security headers and error pages, wired onto the app."""

from __future__ import annotations

import builtins
import secrets

import flask_babel
from flask import Flask, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter, UnicodeConverter

import certification.accounts.account_views  # noqa: F401 - routes of the accounts blueprint
import certification.accounts.people_views  # noqa: F401 - routes of the accounts blueprint
from certification import (
    database,
    limits,
    models,  # noqa: F401 - every table registered before migrations run
)
from certification.accounts import sessions, throttle
from certification.accounts.views import bp as accounts_bp
from certification.api import auth as api_auth
from certification.api import errors as api_errors
from certification.api import (
    sync as _api_sync,  # noqa: F401 - registers the offline sync operations on the API blueprint
)
from certification.api.views import bp as api_bp
from certification.applications.views import bp as applications_bp
from certification.certificates.views import bp as certificates_bp
from certification.evidence.incoming import EvidenceRequest
from certification.evidence.views import bp as evidence_bp
from certification.extensions import babel, csrf, db, login_manager, migrate
from certification.main.views import bp as main_bp
from certification.notifications import mailer
from certification.notifications.views import bp as notifications_bp
from certification.offline.views import bp as offline_bp
from certification.ops import health, logs
from certification.pilots.views import bp as pilots_bp
from certification.rescoring.views import bp as rescoring_bp
from certification.reviewers.views import bp as reviewers_bp
from certification.reviews.views import bp as reviews_bp
from certification.seals.views import bp as seals_bp
from certification.validation import MAX_ID
from config.settings import LANGUAGES


def select_locale() -> str:
    languages = LANGUAGES
    wanted = request.args.get("lang") if request else None
    if wanted in languages:
        return wanted
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or "es"


def decimal_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 1..`limit`, written without leading zeros."""
    digits = str(limit)
    parts = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low, high = (1 if i == 0 else 0), int(digit) - 1
        if high >= low:
            parts.append(rf"{digits[:i]}[{low}-{high}]\d{{{len(digits) - i - 1}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class DatabaseId(IntegerConverter):
    """`<int:…>` in a URL names a row: 1..MAX_ID (PostgreSQL's INTEGER), else the URL matches no route and
    answers 404 like any missing id, whatever the method — never a database error, nor the 405 Werkzeug gives
    when only its `max` check (run after the method check) refuses the number."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)
        self.regex = decimal_up_to(MAX_ID if max is None else builtins.min(max, MAX_ID))


class PrintableSegment(UnicodeConverter):
    """A text segment of a URL (`<code>`, `<indicator_code>`) holds no control character: a NUL names nothing,
    so it is a 404 before any query (PostgreSQL would refuse to compare it, SQLite would answer "not found")."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


# API reads anyone may make without credentials, the same for everyone: a shared cache may keep them.
PUBLIC_API_READS = frozenset({"api.registry", "api.verify_certificate", "api.openapi_document"})


def _personal(response) -> bool:
    """Does this answer belong to one person, so that no browser or proxy cache may keep a copy?

    Every answer to a logged-in person (Flask-Login has loaded them by the time a protected view ran) or to a
    request carrying credentials, every API answer but the public reads (the token answer included), and
    every answer that sets a cookie (the session is saved after this hook: `session.modified` says it will be).
    """
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        return True
    if request.headers.get("Authorization") or session.modified or response.headers.get("Set-Cookie"):
        return True
    return request.path.startswith("/api/") and request.endpoint not in PUBLIC_API_READS


def init_app(app: Flask) -> None:
    # Evidence file parts are received straight into the store as the body is parsed (evidence/incoming.py).
    app.request_class = EvidenceRequest
    # First of the request hooks: every later hook and log line of the request carries its id.
    logs.init_app(app)
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    app.url_map.converters["default"] = app.url_map.converters["string"] = PrintableSegment
    app.register_blueprint(health.bp)

    limits.init_app(app)  # over-long URLs and headers are refused before anything else runs
    db.init_app(app)
    database.init_app(app)  # connections pinged only after sitting idle; API reads without a transaction
    migrate.init_app(app, db, directory=str(app.root_path) + "/migrations", render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    # A session names "<id>:<epoch>" and ends on logout, idle and absolute timeouts (accounts/sessions.py).
    login_manager.user_loader(sessions.load_user)
    throttle.init_app(app)

    for bp in (main_bp, accounts_bp, applications_bp, evidence_bp, reviews_bp, reviewers_bp, pilots_bp,
               certificates_bp, seals_bp):  # fmt: skip
        app.register_blueprint(bp)

    # Notifications (with the mail outbox) and bulk re-scoring.
    mailer.init_app(app)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(rescoring_bp)

    app.register_blueprint(offline_bp)

    # The JSON API at /api/v1: CSRF-exempt (it is token-authenticated; token requests are limited by the login
    # limits of certification/accounts/throttle.py, shared with the web form), with JSON errors.
    csrf.exempt(api_bp)
    app.session_interface = api_auth.TokenOnlySessions()
    app.register_blueprint(api_bp)
    api_errors.register(app)

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)
        # When a request runs inside an outer app context (tests, CLI), `g` outlives it: drop the
        # per-request caches so the next request sees its own user and language.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        flask_babel.refresh()

    @app.teardown_request
    def _forget_user(_exc=None):
        # A hook that answers before `_nonce` runs (an API 404, a refused URL) must not meet the previous
        # request's user either: the per-request caches also end with the request.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

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
        if _personal(response) and "no-store" not in (response.headers.get("Cache-Control") or ""):
            response.headers["Cache-Control"] = "no-store"
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
