"""Writes for reviewer profiles: areas, countries, languages, capacity, affiliations and declared conflicts."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from certification.accounts.models import Affiliation, AffiliationKind, Role, User
from certification.accounts.services import end_all_sessions
from certification.errors import Forbidden, NotFound, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from certification.reviewers.models import DeclaredConflict
from certification.reviewers.policies import has_reviewer_profile, may_edit_reviewer_profile
from certification.seals.models import Area
from certification.validation import DATE_OUT_OF_WINDOW, date_in_window
from workflows.messages import N_, Message

# Longest free text kept (a reason, a comment), as for the reviews' texts.
MAX_TEXT = 5000
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
MAX_CAPACITY = 50


def _reviewer(reviewer_id: int, *, for_update: bool = False) -> User:
    query = select(User).where(User.id == reviewer_id, User.role == Role.REVIEWER)
    if for_update:
        query = query.with_for_update()
    reviewer = db.session.scalar(query)
    if reviewer is None:
        raise NotFound("reviewer")
    return reviewer


def _codes(values, pattern: re.Pattern, field: str, message: str, errors: dict, *, upper: bool = False) -> list:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values or ()):
        errors[field] = [message]
        return []
    cleaned = [v.strip().upper() if upper else v.strip().lower() for v in values or () if v.strip()]
    if any(not pattern.match(v) for v in cleaned) or len(cleaned) > 60:
        errors[field] = [message]
    return list(dict.fromkeys(cleaned))


def _languages(values, errors: dict) -> list[str]:
    return _codes(values, LANGUAGE_CODE, "languages", N_("Use ISO 639 language codes such as es, en, pt, qu."),
                  errors)  # fmt: skip


def update_reviewer_profile(user, reviewer_id: int, *, areas, countries, languages, max_active_assignments: int,
                            active: bool = True) -> User:  # fmt: skip
    """Facilitators and admins set a reviewer's areas, countries, languages, capacity and whether active.

    A capacity below the current load is allowed: the reviewer just takes no new assignment until below it.
    """
    if not may_edit_reviewer_profile(user):
        raise Forbidden(N_("Only a facilitator may edit a reviewer's profile."))
    reviewer = _reviewer(reviewer_id, for_update=True)
    errors: dict[str, list[str]] = {}
    known_areas = {a.value for a in Area}
    if isinstance(areas, str) or not all(isinstance(a, str) and a in known_areas for a in areas or ()):
        errors["areas"] = [N_("Choose gender, poverty or rural.")]
    country_list = _codes(countries, COUNTRY_CODE, "countries", N_("Use two-letter ISO 3166 country codes, e.g. PE."),
                          errors, upper=True)  # fmt: skip
    language_list = _languages(languages, errors)
    if (
        isinstance(max_active_assignments, bool)
        or not isinstance(max_active_assignments, int)
        or not 0 <= max_active_assignments <= MAX_CAPACITY
    ):
        errors["max_active_assignments"] = [N_("Capacity must be a whole number from 0 to 50.")]
    if not isinstance(active, bool):
        errors["active"] = [N_("Choose yes or no.")]
    if errors:
        raise ValidationFailed(errors)
    reviewer.areas = [a.value for a in Area if a.value in set(areas or ())]
    reviewer.countries = country_list
    reviewer.languages = language_list
    reviewer.max_active_assignments = max_active_assignments
    if reviewer.active and not active:
        end_all_sessions(reviewer, "deactivated", commit_now=False)  # in this transaction
    reviewer.active = active
    commit()
    return reviewer


def update_own_languages(user, languages) -> User:
    """A reviewer sets the languages they review in."""
    if not has_reviewer_profile(user):
        raise Forbidden(N_("Only reviewers have review languages."))
    errors: dict[str, list[str]] = {}
    language_list = _languages(languages, errors)
    if errors:
        raise ValidationFailed(errors)
    reviewer = _reviewer(user.id, for_update=True)
    reviewer.languages = language_list
    commit()
    return reviewer


def _check_affiliation_fields(organization_id, kind, since, until, errors: dict) -> AffiliationKind | None:
    try:
        kind_value = AffiliationKind(kind)
    except ValueError:
        errors["kind"] = [N_("Choose employee, board, consultant, auditor or funder.")]
        kind_value = None
    if (
        isinstance(organization_id, bool)
        or not isinstance(organization_id, int)
        or (db.session.get(Organization, organization_id) is None)
    ):
        errors["organization_id"] = [N_("Unknown organisation.")]
    if not isinstance(since, date):
        errors["since"] = [N_("Give the start date as YYYY-MM-DD.")]
    elif not date_in_window(since):
        errors["since"] = [DATE_OUT_OF_WINDOW]
    if until is not None and not isinstance(until, date):
        errors["until"] = [N_("Give the end date as YYYY-MM-DD.")]
    elif until is not None and not date_in_window(until):
        errors["until"] = [DATE_OUT_OF_WINDOW]
    elif until is not None and isinstance(since, date) and until < since:
        errors["until"] = [N_("The end date cannot be before the start date.")]
    return kind_value


def add_affiliation(user, reviewer_id: int, *, organization_id: int, kind: str, since: date,
                    until: date | None = None) -> Affiliation:  # fmt: skip
    """Facilitators and admins record a reviewer's tie with an organisation (a possible conflict of interest)."""
    if not may_edit_reviewer_profile(user):
        raise Forbidden(N_("Only a facilitator may record affiliations."))
    reviewer = _reviewer(reviewer_id)
    errors: dict[str, list[str]] = {}
    kind_value = _check_affiliation_fields(organization_id, kind, since, until, errors)
    if errors:
        raise ValidationFailed(errors)
    affiliation = Affiliation(user_id=reviewer.id, organization_id=organization_id, kind=kind_value, since=since,
                              until=until)  # fmt: skip
    db.session.add(affiliation)
    commit()
    return affiliation


def end_affiliation(user, affiliation_id: int, until: date) -> Affiliation:
    """Record the end date of an affiliation; the 24-month cooling-off period runs from it."""
    if not may_edit_reviewer_profile(user):
        raise Forbidden(N_("Only a facilitator may edit affiliations."))
    affiliation = db.session.get(Affiliation, affiliation_id, with_for_update=True)
    if affiliation is None:
        raise NotFound("affiliation")
    errors: dict[str, list[str]] = {}
    if not isinstance(until, date):
        errors["until"] = [N_("Give the end date as YYYY-MM-DD.")]
    elif not date_in_window(until):
        errors["until"] = [DATE_OUT_OF_WINDOW]
    elif until < affiliation.since:
        errors["until"] = [N_("The end date cannot be before the start date.")]
    if errors:
        raise ValidationFailed(errors)
    affiliation.until = until
    commit()
    return affiliation


def delete_affiliation(user, affiliation_id: int) -> None:
    """Remove an affiliation recorded by mistake."""
    if not may_edit_reviewer_profile(user):
        raise Forbidden(N_("Only a facilitator may edit affiliations."))
    affiliation = db.session.get(Affiliation, affiliation_id, with_for_update=True)
    if affiliation is None:
        raise NotFound("affiliation")
    db.session.delete(affiliation)
    commit()


def add_declared_conflict(reviewer_id: int, organization_id: int, reason: str) -> DeclaredConflict:
    """Record (once) that the reviewer has a conflict with the organisation; part of the caller's unit of work."""
    row = db.session.scalar(
        select(DeclaredConflict).where(
            DeclaredConflict.reviewer_id == reviewer_id, DeclaredConflict.organization_id == organization_id
        )
    )
    if row is None:
        row = DeclaredConflict(reviewer_id=reviewer_id, organization_id=organization_id, reason=reason[:MAX_TEXT])
        db.session.add(row)
    return row


def declare_conflict(user, organization_id: int, reason: str) -> DeclaredConflict:
    """A reviewer declares a conflict of interest with an organisation: from now on they are never suggested,
    auto-assigned or assignable to its applications, cannot accept its invitations, and an accepted review
    of theirs blocks `start_review` until replaced."""
    if not has_reviewer_profile(user):
        raise Forbidden(N_("Only reviewers declare conflicts of interest."))
    errors: dict[str, list[str]] = {}
    if (
        isinstance(organization_id, bool)
        or not isinstance(organization_id, int)
        or (db.session.get(Organization, organization_id) is None)
    ):
        errors["organization_id"] = [N_("Unknown organisation.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [N_("Say what the conflict is.")]
    elif len(reason) > MAX_TEXT:
        errors["reason"] = [Message(N_("At most %(max)d characters."), max=MAX_TEXT)]
    if errors:
        raise ValidationFailed(errors)
    row = add_declared_conflict(user.id, organization_id, reason)
    commit()
    return row


def remove_declared_conflict(user, conflict_id: int) -> None:
    """Facilitators and admins remove a conflict declared by mistake (a reviewer cannot retract one alone)."""
    if not may_edit_reviewer_profile(user):
        raise Forbidden(N_("Only a facilitator may remove a declared conflict."))
    row = db.session.get(DeclaredConflict, conflict_id, with_for_update=True)
    if row is None:
        raise NotFound("declared conflict")
    db.session.delete(row)
    commit()
