"""Public reads: the registry of valid certificates and verification by code."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from certification.certificates.models import Certificate, CertificateStatus
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import paginate
from certification.seals.models import Standard


def registry_filters(area: str | None = None, country: str | None = None, q: str | None = None) -> list:
    """The registry's conditions: valid certificates; `q` (certification.validation.search_pattern) matches the
    organisation's name or the certificate number."""
    where = [Certificate.status == CertificateStatus.VALID]
    if q:
        where.append(
            or_(
                Certificate.number.ilike(q, escape="\\"),
                Certificate.organization_id.in_(select(Organization.id).where(Organization.name.ilike(q, escape="\\"))),
            )
        )
    if area:
        where.append(Certificate.standard_id.in_(select(Standard.id).where(Standard.area == area)))
    if country:
        where.append(Certificate.organization_id.in_(select(Organization.id).where(Organization.country == country)))
    return where


def registry_page(
    page: int = 1, per_page: int = 50, area: str | None = None, country: str | None = None, q: str | None = None
):
    """One page of valid certificates (registry_filters)."""
    return paginate(
        select(Certificate).where(*registry_filters(area, country, q)), (Certificate.id,), page, per_page,
        options=(joinedload(Certificate.organization), joinedload(Certificate.standard)),
    )  # fmt: skip


def by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.verification_code == code)
        .options(joinedload(Certificate.organization), joinedload(Certificate.standard))
    )


def of_application(application_id: int) -> Certificate | None:
    """The certificate issued to an application, with what its document shows loaded."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.application_id == application_id)
        .options(joinedload(Certificate.organization), joinedload(Certificate.standard))
    )
