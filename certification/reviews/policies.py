"""Conflict-of-interest and availability rules for reviewers (design §5), and who may do what in reviewing.

Each rule answers an `Unmet` (a machine code naming the rule, an English msgid and its parameters) or None,
so a refusal always names the rule it applies, in the reader's language.
"""

from __future__ import annotations

from datetime import date

from certification.reviews.models import AssignmentStatus
from workflows.application import State
from workflows.messages import N_, Unmet

COOLING_OFF_MONTHS = 24
# Reviewers are assigned once the application is submitted and until a decision.
ASSIGNABLE_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)
# Reviewers enter scores while the application is under review; a facilitator moderates until the decision.
SCORING_STATES = (State.UNDER_REVIEW,)
MODERATION_STATES = (State.UNDER_REVIEW, State.PILOTED)

# Labels of certification.accounts.models.AffiliationKind, for the catalog.
AFFILIATION_KINDS = (N_("employee"), N_("board"), N_("consultant"), N_("auditor"), N_("funder"))

# Rule codes (stable: the API returns them in error details).
AFFILIATION_OPEN = "affiliation_open"
AFFILIATION_RECENT = "affiliation_recent"
DECLARED_CONFLICT = "declared_conflict"
INACTIVE = "inactive"
NO_EXPERTISE = "no_expertise"
AT_CAPACITY = "at_capacity"
ALREADY_ASSIGNED = "already_assigned"


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
    """An affiliation is a conflict while open and until 24 months after it ended (ended exactly 24 months
    ago or earlier: no longer a conflict)."""
    return affiliation.until is None or affiliation.until > months_before(today, COOLING_OFF_MONTHS)


def conflict_rule(affiliations, organization_id: int, today: date, declared_organization_ids=()) -> Unmet | None:
    """The conflict-of-interest rule a reviewer breaks for this organisation, or None.

    Rules, in this order: a conflict the reviewer declared; an affiliation (employee, board, consultant,
    auditor, funder) with the organisation that is open; one that ended less than 24 months ago.
    """
    if organization_id in set(declared_organization_ids):
        return Unmet(
            DECLARED_CONFLICT,
            N_("Conflict of interest: the reviewer declared a conflict with the applicant organisation."),
        )
    recent = None
    for affiliation in affiliations:
        if affiliation.organization_id != organization_id or not affiliation_conflicts(affiliation, today):
            continue
        if affiliation.until is None:
            return Unmet(
                AFFILIATION_OPEN,
                N_("Conflict of interest: %(kind)s of the applicant organisation (ongoing)."),
                {"kind": affiliation.kind.value},
            )
        recent = recent or Unmet(
            AFFILIATION_RECENT,
            N_("Conflict of interest: %(kind)s of the applicant organisation until %(until)s "
               "(less than 24 months ago)."),
            {"kind": affiliation.kind.value, "until": affiliation.until.isoformat()},
        )  # fmt: skip
    return recent


def conflict_reason(affiliations, organization_id: int, today: date, declared_organization_ids=()) -> str | None:
    """`conflict_rule` as an English sentence (None when there is no conflict)."""
    rule = conflict_rule(affiliations, organization_id, today, declared_organization_ids)
    return rule.render() if rule else None


def unavailability_rule(reviewer, area: str, active_count: int) -> Unmet | None:
    """Why a reviewer cannot take a new assignment in `area` (inactive, no expertise, at capacity), or None."""
    from certification.accounts.models import Role

    if reviewer.role != Role.REVIEWER or not reviewer.active:
        return Unmet(INACTIVE, N_("Not an active reviewer."))
    if area not in (reviewer.areas or []):
        return Unmet(NO_EXPERTISE, N_("No expertise in this seal's area."))
    if active_count >= reviewer.max_active_assignments:
        return Unmet(AT_CAPACITY, N_("At capacity (%(count)d of %(capacity)d active assignments)."),
                     {"count": active_count, "capacity": reviewer.max_active_assignments})  # fmt: skip
    return None


def unavailability_reason(reviewer, area: str, active_count: int) -> str | None:
    rule = unavailability_rule(reviewer, area, active_count)
    return rule.render() if rule else None


# Language most MFIs of a country work in (Latin America and the Caribbean); anything else: Spanish.
COUNTRY_LANGUAGES = {
    "BR": "pt", "HT": "fr", "GF": "fr", "GP": "fr", "MQ": "fr", "SR": "nl", "CW": "nl", "AW": "nl",
    "JM": "en", "BZ": "en", "GY": "en", "TT": "en", "BB": "en", "BS": "en", "LC": "en", "VC": "en",
    "GD": "en", "AG": "en", "DM": "en", "KN": "en", "US": "en", "CA": "en",
    # francophone Africa and the Indian Ocean, where the ProsperA alliance works
    "BJ": "fr", "BF": "fr", "MG": "fr", "GN": "fr", "MA": "fr", "SN": "fr", "CI": "fr", "ML": "fr", "TG": "fr",
    "NE": "fr", "CM": "fr", "CD": "fr", "CG": "fr", "GA": "fr", "TD": "fr", "BI": "fr", "RW": "fr", "TN": "fr",
    "DZ": "fr", "MR": "fr", "DJ": "fr", "KM": "fr", "CF": "fr",
}  # fmt: skip


def language_of_country(country: str) -> str:
    """The working language assumed for an organisation of `country` (ISO 3166 alpha-2)."""
    return COUNTRY_LANGUAGES.get((country or "").upper(), "es")


# --- who may do what ---------------------------------------------------------------------------------


def may_edit_reviewer_profile(user, reviewer) -> bool:
    """Areas, countries, capacity and affiliations: facilitators and admins."""
    from certification.applications.policies import is_staff

    return is_staff(user)


def may_edit_own_reviewer_fields(user, reviewer) -> bool:
    """Languages and declared conflicts: the reviewer themself (and staff)."""
    from certification.applications.policies import is_staff

    return user.id == reviewer.id or is_staff(user)


def may_see_result(user, application) -> bool:
    """The MFI's result page: its staff once a decision was taken; facilitators and admins always (to see
    what the MFI sees)."""
    from certification.applications.policies import is_member, is_staff

    return is_staff(user) or (is_member(user, application) and application.decided_at is not None)


def may_score(assignment, application) -> bool:
    """The reviewer enters scores once they accepted, while the application is under review."""
    return assignment.status == AssignmentStatus.ACCEPTED and application.state in SCORING_STATES


def may_moderate(user, application, involved_reviewer_ids) -> bool:
    """A facilitator who never reviewed the application, while its scores may still change."""
    return user.id not in involved_reviewer_ids and application.state in MODERATION_STATES
