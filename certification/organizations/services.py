"""Organisations (MFIs)."""

from __future__ import annotations

from sqlalchemy import select

from certification.errors import Duplicate, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from workflows.messages import N_


def create_organization(*, name: str, country: str, legal_form: str = "", network: str = "") -> Organization:
    """Register an MFI; the country is its ISO 3166 alpha-2 code."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [N_("A name of 1 to 200 characters is required.")]
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        errors["country"] = [N_("Use the two-letter ISO 3166 country code, e.g. PE.")]
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise Duplicate(N_("An organisation with this name already exists."))
    organization = Organization(name=name, country=country, legal_form=(legal_form or "")[:120],
                                network=(network or "")[:120])  # fmt: skip
    db.session.add(organization)
    commit()
    return organization
