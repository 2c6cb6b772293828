"""Issuing certificates and keeping their status in step with the application's lifecycle."""

from __future__ import annotations

import calendar
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from certification.certificates.models import Certificate, CertificateStatus, CertificateStatusChange
from certification.extensions import db
from certification.organizations.models import Organization
from certification.seals.models import Standard
from workflows.messages import N_

SUSPENSION_MAX_DAYS = 183  # "at most 6 months"


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue(application, standard: Standard, snapshot, now: datetime) -> Certificate:
    """Create the certificate of a certified application (inside the caller's transaction), from its standard
    and the score snapshot the decision was taken on."""
    organization = db.session.get(Organization, application.organization_id)
    prefix = f"{standard.code}-{organization.country}-{now.year}-"
    sequence = db.session.scalar(select(func.count(Certificate.id)).where(Certificate.number.like(prefix + "%")))
    issued_on = now.date()
    certificate = Certificate(
        application_id=application.id, organization_id=organization.id, standard_id=standard.id,
        number=f"{prefix}{sequence + 1:04d}", verification_code=secrets.token_urlsafe(18),
        level=snapshot.level, overall=snapshot.overall, issued_on=issued_on,
        expires_on=add_months(issued_on, standard.validity_months), status=CertificateStatus.VALID,
    )  # fmt: skip
    db.session.add(certificate)
    db.session.flush()
    db.session.add(CertificateStatusChange(certificate_id=certificate.id, event="issue", from_status=None,
                                           to_status=certificate.status, at=now))  # fmt: skip
    return certificate


_FOLLOW = {
    "suspend": CertificateStatus.SUSPENDED,
    "reinstate": CertificateStatus.VALID,
    "revoke": CertificateStatus.REVOKED,
    "expire": CertificateStatus.EXPIRED,
}


def follow_application(certificate: Certificate | None, event: str, now: datetime) -> None:
    """Move the application's certificate (if it has one) with a lifecycle event of the application."""
    if certificate is None:
        return
    db.session.add(CertificateStatusChange(certificate_id=certificate.id, event=event, from_status=certificate.status,
                                           to_status=_FOLLOW[event], at=now))  # fmt: skip
    certificate.status = _FOLLOW[event]
    certificate.suspended_at = now if event == "suspend" else None


def due_for_lifecycle(today: date) -> list[tuple[str, str, list[int]]]:
    """(event, reason, application ids) the periodic sweep fires: `expire` for valid certificates past their
    date, `revoke` after 6 months of suspension (applications.services.expire_due_certificates)."""
    # The reasons are recorded as English msgids (the record stays one text); pages translate them.
    suspended_before = datetime.combine(today - timedelta(days=SUSPENSION_MAX_DAYS), time.min, tzinfo=UTC)
    due = (
        ("expire", N_("Certificate validity ended."),
         (Certificate.status == CertificateStatus.VALID, Certificate.expires_on < today)),
        ("revoke", N_("Suspension lasted more than 6 months."),
         (Certificate.status == CertificateStatus.SUSPENDED, Certificate.suspended_at < suspended_before)),
    )  # fmt: skip
    return [
        (event, reason, list(db.session.scalars(select(Certificate.application_id).where(*conditions))))
        for event, reason, conditions in due
    ]
