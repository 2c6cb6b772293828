"""Bearer-token authentication: `Authorization: Bearer <token>`, looked up by its SHA-256; no cookie session."""

from __future__ import annotations

from flask import current_app, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from certification.api import queries
from certification.api.errors import PREFIX, unauthorized
from certification.api.services import hash_token
from certification.types import utcnow
from workflows.messages import N_


def bearer_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _session_user():
    """The signed-in web session's user, for operations a page calls. A write counts as the session's only with
    the page's CSRF token in X-CSRFToken (no other site can make the browser send it); without it the request
    has no credentials at all."""
    if not current_user.is_authenticated:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except (CSRFError, ValidationError):
            return None
    user = current_user._get_current_object()
    g.api_user, g.api_token_id = user, None
    return user


def authenticated_user(*, browser: bool = False):
    """The user of a live token (not expired, not revoked, active account); 401 otherwise. With `browser`,
    a signed-in web session counts too when no token is sent."""
    raw = bearer_token()
    if raw is None and browser:
        user = _session_user()
        if user is not None:
            return user
    if raw is None:
        raise unauthorized(error="")  # RFC 6750: no error code when no credentials were sent
    token = queries.token_by_hash(hash_token(raw))
    if token is None or not token.usable_at(utcnow()) or not token.user.active:
        raise unauthorized(N_("The token is invalid, expired or revoked."))
    g.api_user, g.api_token_id = token.user, token.token_id
    return token.user


class NoApiSession(NullSession):
    """The session of an API request: empty, and refusing any write (a bug, not a user's error)."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("The JSON API keeps no session: its requests are authenticated by their token.")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


# The operations the offline screen calls from the reviewer's signed-in page (`authenticated_user(browser=True)`):
# the only part of the API where the cookie session counts, writes guarded by the page's CSRF token.
BROWSER_PREFIX = PREFIX + "/offline/"


class TokenOnlySessions(SecureCookieSessionInterface):
    """Cookie sessions for the pages; none under /api/v1, which authenticates every request by its token.

    An API request's session cookie (a browser calling the API) is neither read nor verified nor written back,
    so it cannot stand in for a token, never loads a user, and the answer sets no cookie. The offline screen's
    operations (BROWSER_PREFIX) are the exception: the signed-in page calls them with its own session.
    """

    null_session_class = NoApiSession

    def open_session(self, app, request):
        api = request.path == PREFIX or request.path.startswith(PREFIX + "/")
        if api and not request.path.startswith(BROWSER_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
