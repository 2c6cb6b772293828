"""Bearer-token authentication: `Authorization: Bearer <token>`, looked up by its SHA-256; no cookie session."""

from __future__ import annotations

from flask import g, request
from flask.sessions import NullSession, SecureCookieSessionInterface

from certification.api import queries
from certification.api.errors import PREFIX, unauthorized
from certification.api.services import hash_token
from certification.types import utcnow
from workflows.messages import N_


def bearer_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def authenticated_user():
    """The user of a live token (not expired, not revoked, active account); 401 otherwise."""
    raw = bearer_token()
    if raw is None:
        raise unauthorized(error="")  # RFC 6750: no error code when no credentials were sent
    token = queries.token_by_hash(hash_token(raw))
    if token is None or not token.usable_at(utcnow()) or not token.user.active:
        raise unauthorized(N_("The token is invalid, expired or revoked."))
    g.api_user, g.api_token_id = token.user, token.id
    return token.user


class NoApiSession(NullSession):
    """The session of an API request: empty, and refusing any write (a bug, not a user's error)."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("The JSON API keeps no session: its requests are authenticated by their token.")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class TokenOnlySessions(SecureCookieSessionInterface):
    """Cookie sessions for the pages; none under /api/v1, which authenticates every request by its token.

    An API request's session cookie (a browser calling the API) is neither read nor verified nor written back,
    so it cannot stand in for a token, never loads a user, and the answer sets no cookie.
    """

    null_session_class = NoApiSession

    def open_session(self, app, request):
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return self.make_null_session(app)
        return super().open_session(app, request)
