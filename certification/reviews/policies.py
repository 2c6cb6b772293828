"""Conflict-of-interest and availability rules for reviewers (design §5)."""

from __future__ import annotations

from datetime import date

from workflows.messages import N_

COOLING_OFF_MONTHS = 24


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    # Clamp the day for shorter months (e.g. 31 March - 1 month).
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def affiliation_conflicts(affiliation, today: date) -> bool:
    """An affiliation is a conflict while open and for 24 months after it ended."""
    return affiliation.until is None or affiliation.until > months_before(today, COOLING_OFF_MONTHS)


def conflict_reason(affiliations, organization_id: int, today: date) -> str | None:
    """The rule a reviewer's affiliations break for this organisation, or None."""
    for affiliation in affiliations:
        if affiliation.organization_id == organization_id and affiliation_conflicts(affiliation, today):
            if affiliation.until is None:
                return N_("Conflict of interest: %(kind)s of the applicant organisation (ongoing).") % {
                    "kind": affiliation.kind.value
                }
            return N_("Conflict of interest: %(kind)s of the applicant organisation until %(until)s "
                      "(less than 24 months ago).") % {"kind": affiliation.kind.value,
                                                         "until": affiliation.until.isoformat()}  # fmt: skip
    return None


def unavailability_reason(reviewer, area: str, active_count: int) -> str | None:
    """Why a reviewer cannot take this assignment, or None."""
    from certification.accounts.models import Role

    if reviewer.role != Role.REVIEWER or not reviewer.active:
        return N_("Not an active reviewer.")
    if area not in (reviewer.areas or []):
        return N_("No expertise in this seal's area.")
    if active_count >= reviewer.max_active_assignments:
        return N_("At capacity (%(count)d active assignments).") % {"count": active_count}
    return None
