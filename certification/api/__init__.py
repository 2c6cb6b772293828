"""JSON API v1 at /api/v1: bearer tokens, the contract of shared/api.md, and its OpenAPI 3.1 document."""

from __future__ import annotations

from flask import Flask

from certification.api import errors
from certification.api.views import bp
from certification.extensions import csrf


def init_app(app: Flask) -> None:
    """Register the API on `app`: blueprint (CSRF-exempt: it is token-authenticated) and errors. Token requests
    are limited by the login limits (certification/accounts/throttle.py), shared with the web form."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.register(app)
