"""Bearer-token authentication: `Authorization: Bearer <token>`, looked up by its SHA-256."""

from __future__ import annotations

from flask import g, request

from certification.api import queries
from certification.api.errors import unauthorized
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
