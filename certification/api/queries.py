"""Reads of the API itself: the bearer token behind a request (the features' reads live in their queries)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certification.api.models import ApiToken
from certification.extensions import db


def token_by_hash(token_hash: str) -> ApiToken | None:
    """The token and its user in one statement, found through the unique index on `token_hash`."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash).options(joinedload(ApiToken.user))
    )
