"""JSON API v1 at /api/v1: bearer tokens, the contract of shared/api.md, and its OpenAPI 3.1 document."""

from __future__ import annotations

from flask import Flask


def rate_limit_storage(config) -> str:
    """Token requests are counted in Redis when there is one (shared by every web process), else in memory."""
    return config.get("REDIS_URL") or "memory://"


def init_app(app: Flask) -> None:
    """Register the API on `app`: blueprint (CSRF-exempt: it is token-authenticated), errors, rate limiter."""
    from certification.api import errors
    from certification.api.views import bp
    from certification.extensions import csrf, limiter

    app.config.setdefault("RATELIMIT_STORAGE_URI", rate_limit_storage(app.config))
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # Redis down: still limit, per process
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on 429
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "sello-limits")
    limiter.init_app(app)
    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.register(app)
