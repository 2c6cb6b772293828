"""Writes of the API itself: issuing and revoking bearer tokens (one commit each)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from certification.accounts.services import attempt_login
from certification.accounts.throttle import TooManyAttempts
from certification.api.models import ApiToken
from certification.extensions import db
from certification.outbox.services import commit
from certification.types import utcnow

TOKEN_PREFIX = "sello_"  # noqa: S105 - not a secret: a prefix that secret scanners can recognise


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(email: str, password: str) -> tuple[str, ApiToken] | None:
    """A new token for the active user with these credentials, or None (the same answer for an unknown
    e-mail and a wrong password). The same login limits as the web form apply: TooManyAttempts while the
    account or the client is over them. The raw token is returned once; only its SHA-256 is stored."""
    attempt = attempt_login(email, password)
    if attempt.blocked is not None:
        raise TooManyAttempts(attempt.blocked)
    if attempt.user is None:
        return None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=attempt.user.id,
        token_hash=hash_token(raw),
        expires_at=utcnow() + timedelta(days=current_app.config.get("API_TOKEN_DAYS", 30)),
    )
    db.session.add(token)
    commit()
    return raw, token


def revoke_token(token_id: int) -> None:
    """The token stops working now (idempotent)."""
    db.session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    commit()


def revoke_tokens_of(user_id: int) -> int:
    """Revoke every live token of a user (e.g. a lost laptop); returns how many were revoked."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    commit()
    return result.rowcount
