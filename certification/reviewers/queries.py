"""Reads for reviewer profiles: who reviews, their loads, affiliations and declared conflicts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from certification.accounts.models import Affiliation, Role, User
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import paginate
from certification.reviewers.models import DeclaredConflict
from certification.reviewers.policies import affiliation_conflicts
from certification.reviews.models import ACTIVE_ASSIGNMENT, Assignment


def conflicted_reviewer_ids(reviewer_ids: list[int], organization_id: int, today: date) -> set[int]:
    """Reviewers among `reviewer_ids` in conflict with the organisation: affiliation rule or declared."""
    if not reviewer_ids:
        return set()
    rows = db.session.scalars(
        select(Affiliation).where(Affiliation.user_id.in_(reviewer_ids), Affiliation.organization_id == organization_id)
    )
    declared = db.session.scalars(
        select(DeclaredConflict.reviewer_id).where(
            DeclaredConflict.reviewer_id.in_(reviewer_ids), DeclaredConflict.organization_id == organization_id
        )
    )
    return {a.user_id for a in rows if affiliation_conflicts(a, today)} | set(declared)


def declared_organization_ids(reviewer_ids: list[int]) -> dict[int, set[int]]:
    """Organisations each reviewer declared a conflict with, in one query."""
    out: dict[int, set[int]] = {}
    if reviewer_ids:
        rows = db.session.execute(
            select(DeclaredConflict.reviewer_id, DeclaredConflict.organization_id).where(
                DeclaredConflict.reviewer_id.in_(reviewer_ids)
            )
        )
        for reviewer_id, organization_id in rows:
            out.setdefault(reviewer_id, set()).add(organization_id)
    return out


def declared_conflicts_of(reviewer_id: int) -> list[DeclaredConflict]:
    return list(
        db.session.scalars(
            select(DeclaredConflict)
            .where(DeclaredConflict.reviewer_id == reviewer_id)
            .options(joinedload(DeclaredConflict.organization))
            .order_by(DeclaredConflict.id)
        )
    )


def active_counts(reviewer_ids: list[int] | None = None) -> dict[int, int]:
    """Active (invited or accepted) assignments per reviewer, in one query: their load against capacity."""
    query = select(Assignment.reviewer_id, func.count()).where(Assignment.status.in_(ACTIVE_ASSIGNMENT))
    if reviewer_ids is not None:
        query = query.where(Assignment.reviewer_id.in_(reviewer_ids))
    return dict(db.session.execute(query.group_by(Assignment.reviewer_id)).all())


def reviewers() -> list[User]:
    """The active reviewers with their affiliations, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.REVIEWER, User.active.is_(True))
            .options(joinedload(User.affiliations))
            .order_by(User.name)
        ).unique()
    )


def candidates(*, lock: bool = False) -> tuple[list[User], dict[int, int], dict[int, set[int]]]:
    """Every reviewer with affiliations loaded, their active loads and declared conflicts: three queries."""
    query = select(User).where(User.role == Role.REVIEWER).options(selectinload(User.affiliations)).order_by(User.id)
    if lock:
        query = query.with_for_update(of=User)
    people = list(db.session.scalars(query))
    ids = [p.id for p in people]
    return people, active_counts(ids), declared_organization_ids(ids)


def reviewer_page(page: int, per_page: int = 25, *, pattern: str | None = None):
    """One page of reviewers with their affiliations and loads: four queries whatever the number of rows.
    `pattern` (certification.validation.search_pattern) narrows by name or e-mail."""
    query = select(User).where(User.role == Role.REVIEWER)
    if pattern:
        query = query.where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))
    people = paginate(query, (User.name, User.id), page, per_page,
                      options=(selectinload(User.affiliations),))  # fmt: skip
    return people, active_counts([p.id for p in people.items])


def reviewer_profile(reviewer_id: int) -> User | None:
    """A reviewer with affiliations (and their organisations) loaded."""
    return db.session.scalar(
        select(User)
        .where(User.id == reviewer_id, User.role == Role.REVIEWER)
        .options(selectinload(User.affiliations).joinedload(Affiliation.organization))
    )


def reviewer_of_affiliation(affiliation_id: int) -> int | None:
    """The reviewer an affiliation belongs to (None if there is no such affiliation)."""
    return db.session.scalar(select(Affiliation.user_id).where(Affiliation.id == affiliation_id))


def organizations_for_choice():
    return db.session.execute(
        select(Organization.id, Organization.name, Organization.country).order_by(Organization.name)
    ).all()
