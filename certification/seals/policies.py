"""Who may see and do what with a standard version — functions of (user, standard, status).

Anyone sees the published and retired versions (the public pages); logged-in people also see the versions
in consultation (to comment) and in pilot (applicants apply under them); drafts are for staff only.
Only admins change a version's status; facilitators and admins resolve comments and calibrate a pilot.
"""

from __future__ import annotations

from certification.accounts.policies import is_admin, is_staff
from certification.seals.models import FROZEN_STATUSES, StandardStatus

PUBLIC_STATUSES = (StandardStatus.PUBLISHED, StandardStatus.RETIRED)
MEMBER_STATUSES = (*PUBLIC_STATUSES, StandardStatus.CONSULTATION, StandardStatus.PILOT)
ALL_STATUSES = tuple(StandardStatus)

# The lifecycle of a version, one step at a time.
STATUS_STEPS: dict[StandardStatus, tuple[StandardStatus, ...]] = {
    StandardStatus.DRAFT: (StandardStatus.CONSULTATION,),
    StandardStatus.CONSULTATION: (StandardStatus.PILOT,),
    StandardStatus.PILOT: (StandardStatus.PUBLISHED,),
    StandardStatus.PUBLISHED: (StandardStatus.RETIRED,),
    StandardStatus.RETIRED: (),
}


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def visible_statuses(user) -> tuple[StandardStatus, ...]:
    if is_staff(user):
        return ALL_STATUSES
    if _authenticated(user):
        return MEMBER_STATUSES
    return PUBLIC_STATUSES


def may_see(user, standard) -> bool:
    return standard is not None and standard.status in visible_statuses(user)


def may_change_status(user) -> bool:
    return is_admin(user)


def next_statuses(user, standard) -> tuple[StandardStatus, ...]:
    """The steps this person may take now (the buttons the page shows)."""
    return STATUS_STEPS[standard.status] if may_change_status(user) else ()


def is_frozen(standard) -> bool:
    return standard.status in FROZEN_STATUSES


def may_comment(user, standard) -> bool:
    return _authenticated(user) and standard.status == StandardStatus.CONSULTATION


def may_resolve(user, standard) -> bool:
    return is_staff(user) and standard.status == StandardStatus.CONSULTATION


def may_calibrate(user, standard) -> bool:
    return is_staff(user) and standard.status == StandardStatus.PILOT


def may_export_comments(user) -> bool:
    return is_staff(user)


def may_see_history(user) -> bool:
    return is_staff(user)
