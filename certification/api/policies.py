"""Who may call the API operations whose services leave the permission check to their caller."""

from __future__ import annotations

from certification.accounts.models import Role
from certification.accounts.policies import is_staff


def may_create_users(user) -> bool:
    return user.role == Role.ADMIN


def may_create_organizations(user) -> bool:
    return is_staff(user)


def may_see_organization(user, organization_id: int) -> bool:
    """Its own staff, facilitators and admins; for anyone else it does not exist."""
    return is_staff(user) or (user.role == Role.APPLICANT and user.organization_id == organization_id)


def may_list_assignments(user) -> bool:
    """Reviewers (their own), facilitators and admins (all)."""
    return user.role == Role.REVIEWER or is_staff(user)
