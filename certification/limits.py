"""Bounds on the request line and headers, answered by the app itself.

A front server (gunicorn) that refuses an over-long request line or too many headers answers with its own
HTML page, which an API client cannot parse. config/gunicorn.py therefore lets through a little more than
these bounds, and the app refuses the excess first: 414 for a long URL, 431 for too many or too large headers,
in the API's JSON body under /api/v1 and as the translated error page elsewhere.
"""

from __future__ import annotations

from urllib.parse import quote

import flask_babel
from flask import Flask, g, request
from werkzeug.exceptions import HTTPException, RequestHeaderFieldsTooLarge, RequestURITooLarge

from certification.api.errors import http_error, is_api_path

# The longest path + query string the app serves (bytes as sent, percent-encoded); longer → 414. It stays
# under gunicorn's ceiling for a whole request line (8190 bytes with the method and protocol).
MAX_URL_BYTES = 8000
# The most header fields a request may carry, and the longest one ("Name: value" in bytes); beyond → 431.
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190
# Headers the WSGI server moves out of HTTP_* into their own environ keys.
_UNPREFIXED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def url_bytes(environ: dict) -> int:
    """The length of the request target as the client sent it (gunicorn and werkzeug keep it raw)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/;=,:@!$&'()*+~")
        query = environ.get("QUERY_STRING", "")
        raw = path + ("?" + query if query else "")
    return len(raw.encode("latin-1", "replace")) if isinstance(raw, str) else len(raw)


def header_fields(environ: dict) -> list[tuple[str, str]]:
    fields = [(key[5:], value) for key, value in environ.items() if key.startswith("HTTP_")]
    fields += [(key, environ[key]) for key in _UNPREFIXED_HEADERS if environ.get(key)]
    return fields


def refusal(environ: dict, config) -> HTTPException | None:
    """The error this request's line or headers earn, or None when they are within bounds."""
    if url_bytes(environ) > config.get("MAX_URL_BYTES", MAX_URL_BYTES):
        return RequestURITooLarge()
    fields = header_fields(environ)
    if len(fields) > config.get("MAX_HEADER_FIELDS", MAX_HEADER_FIELDS):
        return RequestHeaderFieldsTooLarge()
    largest = config.get("MAX_HEADER_FIELD_BYTES", MAX_HEADER_FIELD_BYTES)
    # "Name: value": the name, the colon and space, the value (as gunicorn counts a field line).
    if any(len(name) + 2 + len(str(value).encode("latin-1", "replace")) > largest for name, value in fields):
        return RequestHeaderFieldsTooLarge()
    return None


def init_app(app: Flask) -> None:
    """Check the bounds before anything else runs for a request (no session, no database)."""

    def _within_limits():
        problem = refusal(request.environ, app.config)
        if problem is None:
            return None
        # The hooks that reset the per-request user never ran: `g` may still hold one from an earlier request
        # of the same app context (tests, CLI), which the answer must not read.
        g.pop("api_user", None)
        g.pop("_login_user", None)
        if is_api_path():
            return http_error(problem)
        flask_babel.refresh()  # the error page in this request's language (no earlier hook ran)
        raise problem

    app.before_request_funcs.setdefault(None, []).insert(0, _within_limits)
