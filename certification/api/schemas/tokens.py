"""API tokens: credentials in, a bearer token out."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certification.accounts.passwords import MAX_LENGTH as MAX_PASSWORD
from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import text


class TokenRequest(Body):
    email: text(254, single_line=True)
    password: text(MAX_PASSWORD, single_line=True)


class TokenOut(Out):
    token: str = Field(description="shown once; send it as `Authorization: Bearer <token>`")
    expires_at: datetime
