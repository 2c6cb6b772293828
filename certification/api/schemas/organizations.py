"""Organisations: the MFIs that apply for a seal."""

from __future__ import annotations

from pydantic import Field

from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import CountryCode, Name, text


class NewOrganization(Body):
    name: Name
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    legal_form: text(120, single_line=True) = ""
    network: text(120, single_line=True) = ""


class OrganizationOut(Out):
    id: int
    name: str
    country: str
    legal_form: str
    network: str
