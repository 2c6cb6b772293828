"""Reads of the API itself: the bearer token behind a request (the features' reads live in their queries)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from certification.api.models import ApiToken
from certification.extensions import db


@cache  # built once (on first use: the mappers are configured by then): building it cost more than running it
def _token_by_hash_statement():
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(joinedload(ApiToken.user))


def token_by_hash(token_hash: str) -> ApiToken | None:
    """The token with this hash and its holder, in one statement on the unique index of `token_hash`."""
    return db.session.scalar(_token_by_hash_statement(), {"token_hash": token_hash})
