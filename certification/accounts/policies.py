"""Who someone is, as every feature's policies ask it: staff (facilitators and admins) or an admin."""

from __future__ import annotations

from certification.accounts.models import Role

STAFF_ROLES = (Role.FACILITATOR, Role.ADMIN)


def is_staff(user) -> bool:
    """Facilitators and admins: they run the certification (assign, moderate, decide, edit profiles).

    Anonymous visitors have no role, so they are never staff."""
    return getattr(user, "role", None) in STAFF_ROLES


def is_admin(user) -> bool:
    return getattr(user, "role", None) == Role.ADMIN
