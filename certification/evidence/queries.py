"""Reads on evidence metadata (the files themselves are read through evidence.storage)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from certification.evidence.models import Evidence
from certification.extensions import db
from certification.pagination import Page, paginate


def evidence_page(application_id: int, page: int, per_page: int) -> Page:
    """One page of an application's evidence with its indicators, by id (two queries)."""
    query = select(Evidence).where(Evidence.application_id == application_id)
    return paginate(query, (Evidence.id,), page, per_page, options=(selectinload(Evidence.indicators),))


def evidence_with_indicators(evidence_id: int) -> Evidence:
    return db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id).options(selectinload(Evidence.indicators))
    )


def evidence_of(application_id: int) -> list[Evidence]:
    """An application's evidence with its indicators, oldest first, in one statement."""
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.application_id == application_id)
            .options(joinedload(Evidence.indicators))
            .order_by(Evidence.id)
        ).unique()
    )


def application_id_of(evidence_id: int) -> int | None:
    """The application an evidence file belongs to (None: no such file), for the page to go back to."""
    return db.session.scalar(select(Evidence.application_id).where(Evidence.id == evidence_id))
