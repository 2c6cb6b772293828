"""JSON API v1 at /api/v1: bearer tokens, the contract of shared/api.md, and its OpenAPI 3.1 document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API on `app`: blueprint (CSRF-exempt: it is token-authenticated) and errors. Token requests
    are limited by the login limits (certification/accounts/throttle.py), shared with the web form."""
    from certification.api import auth, errors
    from certification.api.views import bp
    from certification.extensions import csrf

    csrf.exempt(bp)
    app.session_interface = auth.TokenOnlySessions()
    app.register_blueprint(bp)
    errors.register(app)
