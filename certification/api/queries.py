"""Reads the API needs that the features do not offer yet: token lookup and paginated lists (constant queries)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from certification.api.models import ApiToken
from certification.applications.models import Application, HistoryEntry
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import Page, paginate
from certification.reviews.models import Assignment
from certification.seals import policies as seal_policies
from certification.seals.models import Standard


@cache  # built once (on first use: the mappers are configured by then): building it cost more than running it
def _token_by_hash_statement():
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(joinedload(ApiToken.user))


def token_by_hash(token_hash: str) -> ApiToken | None:
    """The token with this hash and its holder, in one statement on the unique index of `token_hash`."""
    return db.session.scalar(_token_by_hash_statement(), {"token_hash": token_hash})


def standards_page(user, page: int, per_page: int) -> Page:
    """The standard versions `user` may see (seals policy), by id."""
    query = select(Standard).where(Standard.status.in_(seal_policies.visible_statuses(user)))
    return paginate(query, (Standard.id,), page, per_page)


def evidence_page(application_id: int, page: int, per_page: int) -> Page:
    query = select(Evidence).where(Evidence.application_id == application_id)
    return paginate(query, (Evidence.id,), page, per_page, options=(selectinload(Evidence.indicators),))


def history_page(application_id: int, page: int, per_page: int) -> Page:
    """Oldest first."""
    query = select(HistoryEntry).where(HistoryEntry.application_id == application_id)
    return paginate(query, (HistoryEntry.id,), page, per_page)


def assignments_page(user_id: int | None, page: int, per_page: int, *, status=None, application_id=None) -> Page:
    """Assignments of one reviewer (`user_id`), or all of them (`None`, for facilitators), by id."""
    query = select(Assignment)
    if user_id is not None:
        query = query.where(Assignment.reviewer_id == user_id)
    if status is not None:
        query = query.where(Assignment.status == status)
    if application_id is not None:
        query = query.where(Assignment.application_id == application_id)
    return paginate(query, (Assignment.id,), page, per_page)


def invitation_context(application_ids) -> dict[int, tuple[str, str, str, str]]:
    """application id → (organisation, country, seal code, version): what an invitation shows; one query."""
    rows = db.session.execute(
        select(Application.id, Organization.name, Organization.country, Standard.code, Standard.version)
        .join(Organization, Application.organization_id == Organization.id)
        .join(Standard, Application.standard_id == Standard.id)
        .where(Application.id.in_(set(application_ids)))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def evidence_with_indicators(evidence_id: int) -> Evidence:
    return db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id).options(selectinload(Evidence.indicators))
    )
