"""Reads of the API itself: the bearer token behind a request (the features' reads live in their queries)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, select

from certification.accounts.models import User
from certification.api.models import ApiToken, usable
from certification.extensions import db


class TokenHolder(NamedTuple):
    """A token's id and validity with its holder: the one ORM object a request needs is the user."""

    token_id: int
    expires_at: datetime
    revoked_at: datetime | None
    user: User

    def usable_at(self, now: datetime) -> bool:
        return usable(self.expires_at, self.revoked_at, now)


@cache  # built once (on first use: the mappers are configured by then): building it cost more than running it
def _token_by_hash_statement():
    # The user as the only entity and the token's three columns as plain values: loading the token as an ORM
    # object with its user joined-eager cost more than the statement's round trip.
    return (
        select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def token_by_hash(token_hash: str) -> TokenHolder | None:
    """The token with this hash and its holder, in one statement on the unique index of `token_hash`."""
    row = db.session.execute(_token_by_hash_statement(), {"token_hash": token_hash}).first()
    return None if row is None else TokenHolder(*row)
