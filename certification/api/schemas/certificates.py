"""Certificates and the public registry."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from certification.api.schemas.common import Filter, Out, PageQuery, page
from certification.api.schemas.fields import CountryCode
from certification.seals.models import Area


class CertificateRef(Out):
    number: str
    code: str = Field(description="public verification code: GET /api/v1/certificates/{code}")
    status: str


class RegistryFilters(PageQuery):
    area: Area = Filter(description="the seal's area")
    country: CountryCode = Filter(description="ISO 3166-1 alpha-2")


class RegistryEntry(Out):
    code: str = Field(description="public verification code")
    number: str
    organization: str
    country: str
    area: Area
    level: str
    issued_on: date
    expires_on: date


class CertificateOut(Out):
    number: str
    status: str
    organization: str
    area: Area
    level: str
    issued_on: date
    expires_on: date
    decision_hash: str | None = Field(description="hash of the application history row that issued it")
    pdf_url: str = Field(description="the certificate as PDF: GET /api/v1/certificates/{code}/pdf (absolute)")


RegistryPage = page(RegistryEntry)
