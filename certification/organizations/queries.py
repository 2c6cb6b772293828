"""Reads on organisations."""

from __future__ import annotations

from certification.extensions import db
from certification.organizations.models import Organization


def organization(organization_id: int) -> Organization | None:
    return db.session.get(Organization, organization_id)
