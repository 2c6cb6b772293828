"""Organisations (MFIs)."""

from __future__ import annotations

from sqlalchemy import select

from certification.accounts.policies import is_staff
from certification.errors import Duplicate, NotFound, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from certification.pagination import paginate
from workflows.messages import N_


def _checked(name: str, country: str) -> tuple[str, str]:
    """The organisation's name and ISO 3166 alpha-2 country as stored, or ValidationFailed naming each field."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [N_("A name of 1 to 200 characters is required.")]
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        errors["country"] = [N_("Use the two-letter ISO 3166 country code, e.g. PE.")]
    if errors:
        raise ValidationFailed(errors)
    return name, country


def create_organization(*, name: str, country: str, legal_form: str = "", network: str = "") -> Organization:
    """Register an MFI; the country is its ISO 3166 alpha-2 code."""
    name, country = _checked(name, country)
    if db.session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise Duplicate(N_("An organisation with this name already exists."))
    organization = Organization(name=name, country=country, legal_form=(legal_form or "")[:120],
                                network=(network or "")[:120])  # fmt: skip
    db.session.add(organization)
    commit()
    return organization


def _staff(actor) -> None:
    if not is_staff(actor):
        raise NotFound("organization")


def organizations_page(page: int, *, pattern: str | None = None, country: str | None = None, per_page: int = 25):
    """One page of organisations, by name (a search_pattern) and country: two queries."""
    query = select(Organization)
    if pattern:
        query = query.where(Organization.name.ilike(pattern, escape="\\"))
    if country:
        query = query.where(Organization.country == country.upper()[:2])
    return paginate(query, (Organization.name, Organization.id), page, per_page)


def add_organization(actor, *, name: str, country: str, legal_form: str = "", network: str = "") -> Organization:
    """Facilitators and admins register an MFI."""
    _staff(actor)
    return create_organization(name=name, country=country, legal_form=legal_form, network=network)


def update_organization(actor, organization_id: int, *, name: str, country: str, legal_form: str = "",
                        network: str = "") -> Organization:  # fmt: skip
    _staff(actor)
    organization = db.session.get(Organization, organization_id, with_for_update=True)
    if organization is None:
        raise NotFound("organization")
    name, country = _checked(name, country)
    taken = db.session.scalar(
        select(Organization.id).where(Organization.name == name, Organization.id != organization.id)
    )
    if taken is not None:
        raise Duplicate(N_("An organisation with this name already exists."))
    organization.name, organization.country = name, country
    organization.legal_form, organization.network = (legal_form or "").strip()[:120], (network or "").strip()[:120]
    commit()
    return organization
