"""Reads the API needs that the features do not offer yet: token lookup and paginated lists (constant queries)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from certification.api.models import ApiToken
from certification.applications.models import HistoryEntry
from certification.applications.queries import Page
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.reviews.models import Assignment
from certification.seals import policies as seal_policies
from certification.seals.models import Standard


def token_by_hash(token_hash: str) -> ApiToken | None:
    return db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash).options(joinedload(ApiToken.user))
    )


def _page(query, order_by, page: int, per_page: int, *, options=()) -> Page:
    """One page of `query` and its total: two queries (plus one per eager-loaded collection)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(
        db.session.scalars(query.options(*options).order_by(order_by).limit(per_page).offset((page - 1) * per_page))
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


def standards_page(user, page: int, per_page: int) -> Page:
    """The standard versions `user` may see (seals policy), by id."""
    query = select(Standard).where(Standard.status.in_(seal_policies.visible_statuses(user)))
    return _page(query, Standard.id, page, per_page)


def evidence_page(application_id: int, page: int, per_page: int) -> Page:
    query = select(Evidence).where(Evidence.application_id == application_id)
    return _page(query, Evidence.id, page, per_page, options=(selectinload(Evidence.indicators),))


def history_page(application_id: int, page: int, per_page: int) -> Page:
    """Oldest first."""
    query = select(HistoryEntry).where(HistoryEntry.application_id == application_id)
    return _page(query, HistoryEntry.id, page, per_page)


def assignments_page(user_id: int | None, page: int, per_page: int, *, status=None, application_id=None) -> Page:
    """Assignments of one reviewer (`user_id`), or all of them (`None`, for facilitators), by id."""
    query = select(Assignment)
    if user_id is not None:
        query = query.where(Assignment.reviewer_id == user_id)
    if status is not None:
        query = query.where(Assignment.status == status)
    if application_id is not None:
        query = query.where(Assignment.application_id == application_id)
    return _page(query, Assignment.id, page, per_page)


def evidence_with_indicators(evidence_id: int) -> Evidence:
    return db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id).options(selectinload(Evidence.indicators))
    )
