"""Admins manage people on the web: search, invite (a mailed set-password link), change role, organisation,
deactivate and reactivate. Facilitators may invite reviewers. Every change is recorded (PersonChange: who,
when, old → new) in the same transaction as the change itself."""

from __future__ import annotations

from sqlalchemy import or_, select

from certification.accounts import links
from certification.accounts.models import PersonChange, Role, User
from certification.accounts.policies import is_admin
from certification.accounts.services import end_all_sessions, new_user
from certification.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from certification.pagination import Page, paginate
from workflows.messages import N_

ROLES = tuple(r.value for r in Role)


def may_invite(actor, role: str) -> bool:
    """Admins invite anyone; facilitators create reviewer profiles (they assign reviewers)."""
    return is_admin(actor) or (getattr(actor, "role", None) == Role.FACILITATOR and role == Role.REVIEWER.value)


def people_page(page: int, *, pattern: str | None = None, role: str | None = None,
                organization_id: int | None = None, per_page: int = 25) -> Page:  # fmt: skip
    """One page of people, filtered by name/e-mail (a search_pattern), role and organisation: two queries, plus
    one for the organisations shown."""
    query = select(User)
    if pattern:
        query = query.where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))
    if role in ROLES:
        query = query.where(User.role == Role(role))
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    return paginate(query, (User.name, User.id), page, per_page)


def organization_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


def person(person_id: int) -> User | None:
    return db.session.get(User, person_id)


def names_of(user_ids) -> dict[int, str]:
    """user id → name, in one query (who made each recorded change)."""
    ids = set(user_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all())


def changes_of(person_id: int) -> list[PersonChange]:
    return list(db.session.scalars(select(PersonChange).where(PersonChange.person_id == person_id)
                                   .order_by(PersonChange.id.desc()).limit(200)))  # fmt: skip


def _record(actor, person: User, field: str, old, new) -> None:
    db.session.add(PersonChange(person_id=person.id, actor_id=actor.id, field=field,
                                old=str(old if old is not None else "")[:200],
                                new=str(new if new is not None else "")[:200]))  # fmt: skip


def _person(actor, person_id: int) -> User:
    if not is_admin(actor):
        raise NotFound("person")
    person = db.session.get(User, person_id, with_for_update=True)
    if person is None:
        raise NotFound("person")
    return person


def invite(actor, *, email: str, name: str, role: str, organization_id: int | None = None,
           locale: str = "es") -> User:  # fmt: skip
    """Create the person with a password nobody knows and mail them a single-use link to set one."""
    if not may_invite(actor, role):
        raise Forbidden(N_("Facilitators may invite reviewers only."))
    person = new_user(email=email, name=name, role=role, password=links.unusable_password(),
                      organization_id=organization_id, locale=locale)  # fmt: skip
    db.session.flush()
    _record(actor, person, "invitation", "", person.role.value)
    links.queue_mail(person, links.INVITATION)
    commit()
    return person


def resend_invitation(actor, person_id: int) -> User:
    """A new link (the earlier ones keep working until one of them sets the password, or they expire)."""
    person = _person(actor, person_id)
    if not person.active:
        raise StateConflict(N_("Reactivate the person first."))
    _record(actor, person, "invitation", "", person.role.value)
    links.queue_mail(person, links.INVITATION)
    commit()
    return person


def change_role(actor, person_id: int, role: str, organization_id: int | None = None) -> User:
    """A new role ends every session and token of the person (what they may do changed). An applicant needs an
    organisation; the other roles belong to none, so leaving applicant clears it."""
    person = _person(actor, person_id)
    if person.id == actor.id:
        raise StateConflict(N_("You cannot change your own role or deactivate yourself."))
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed({"role": [N_("Choose applicant, reviewer, facilitator or admin.")]}) from None
    if new_role == person.role:
        return person
    new_org = person.organization_id if new_role == Role.APPLICANT else None
    if new_role == Role.APPLICANT and organization_id is not None:
        new_org = organization_id
    if new_role == Role.APPLICANT and (new_org is None or db.session.get(Organization, new_org) is None):
        raise ValidationFailed({"organization_id": [N_("An applicant belongs to an organisation.")]})
    _record(actor, person, "role", person.role.value, new_role.value)
    if new_org != person.organization_id:
        _record(actor, person, "organization", person.organization_id, new_org)
    person.role, person.organization_id = new_role, new_org
    end_all_sessions(person, "role changed", commit_now=False)
    commit()
    return person


def set_organization(actor, person_id: int, organization_id: int | None) -> User:
    person = _person(actor, person_id)
    if person.role != Role.APPLICANT:
        raise ValidationFailed({"organization_id": [N_("Only applicants belong to an organisation.")]})
    if organization_id is None or db.session.get(Organization, organization_id) is None:
        raise ValidationFailed({"organization_id": [N_("Unknown organisation.")]})
    if organization_id != person.organization_id:
        _record(actor, person, "organization", person.organization_id, organization_id)
        person.organization_id = organization_id
        end_all_sessions(person, "organisation changed", commit_now=False)
        commit()
    return person


def set_active(actor, person_id: int, active: bool) -> User:
    """Deactivating ends every session and API token at once; a deactivated person cannot log in."""
    person = _person(actor, person_id)
    if person.id == actor.id:
        raise StateConflict(N_("You cannot change your own role or deactivate yourself."))
    if person.active == active:
        return person
    _record(actor, person, "active", person.active, active)
    person.active = active
    if not active:
        end_all_sessions(person, "deactivated", commit_now=False)
    commit()
    return person
