"""People: creating users, checking passwords, profile changes."""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from certification.accounts.models import Role, User
from certification.errors import Duplicate, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from config.settings import LANGUAGES
from workflows.messages import N_, Message

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# A hash of nothing, checked when the e-mail is unknown so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(*, email: str, name: str, role: str, password: str, organization_id: int | None = None,
                areas=(), countries=(), languages=(), max_active_assignments: int = 3,
                locale: str = "es") -> User:  # fmt: skip
    """Create a user; applicants belong to exactly one organisation. The password is stored hashed (scrypt)."""
    errors: dict[str, list[str]] = {}
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = [N_("Give a valid e-mail address.")]
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [N_("A name of 1 to 200 characters is required.")]
    try:
        role_value = Role(role)
    except ValueError:
        errors["role"] = [N_("Choose applicant, reviewer, facilitator or admin.")]
        role_value = None
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= 256:
        errors["password"] = [Message(N_("Use %(min)d to %(max)d characters."), min=MIN_PASSWORD, max=256)]
    if role_value == Role.APPLICANT and organization_id is None:
        errors["organization_id"] = [N_("An applicant belongs to an organisation.")]
    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        errors["organization_id"] = [N_("Unknown organisation.")]
    if role_value not in (Role.APPLICANT, None) and organization_id is not None:
        errors["organization_id"] = [N_("Only applicants belong to an organisation.")]
    if locale not in LANGUAGES:
        errors["locale"] = [N_("Choose es, en or fr.")]
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Duplicate(N_("A user with this e-mail already exists."))
    user = User(
        email=email, name=name, role=role_value, password_hash=generate_password_hash(password),
        organization_id=organization_id, areas=list(areas), countries=[c.upper() for c in countries],
        languages=list(languages), max_active_assignments=max_active_assignments, locale=locale,
    )  # fmt: skip
    db.session.add(user)
    commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None — the same work either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def set_locale(user, locale: str) -> None:
    if locale in LANGUAGES:
        user.locale = locale
        commit()
