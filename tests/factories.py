"""Test data built through the service layer, so tests exercise the same rules as the product."""

from __future__ import annotations

import io
import itertools

from sqlalchemy import select

from certification.accounts.models import Affiliation, AffiliationKind, User
from certification.accounts.services import create_user
from certification.extensions import db
from certification.organizations.services import create_organization
from certification.seals.models import Standard
from certification.seals.queries import indicators_of

PASSWORD = "correct horse battery"
_seq = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def organization(name: str | None = None, country: str = "PE"):
    return create_organization(name=name or f"Financiera Rural {next(_seq)}", country=country)


def user(role: str, *, organization_id: int | None = None, **profile) -> User:
    n = next(_seq)
    return create_user(email=f"{role}{n}@example.org", name=f"{role.title()} {n}", role=role, password=PASSWORD,
                       organization_id=organization_id, **profile)  # fmt: skip


def applicant(org=None) -> User:
    org = org or organization()
    return user("applicant", organization_id=org.id)


def reviewer(area: str = "gender", capacity: int = 3, countries=("PE",)) -> User:
    return user("reviewer", areas=[area], countries=list(countries), languages=["es"], max_active_assignments=capacity)


def affiliation(reviewer_user: User, org, kind: str = "consultant", since=None, until=None) -> Affiliation:
    from datetime import date

    row = Affiliation(user_id=reviewer_user.id, organization_id=org.id, kind=AffiliationKind(kind),
                      since=since or date(2015, 1, 1), until=until)  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def standard(area: str = "gender") -> Standard:
    return db.session.scalar(select(Standard).where(Standard.area == area).order_by(Standard.id))


def indicators(std: Standard):
    return indicators_of(std.id)


def pdf_stream() -> io.BytesIO:
    return io.BytesIO(PDF)
