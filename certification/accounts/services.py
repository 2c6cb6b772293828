"""People: creating users, checking passwords (with the login limits), ending sessions, profile changes."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from certification.accounts import throttle
from certification.accounts.models import Role, User
from certification.accounts.passwords import password_problems
from certification.api.models import ApiToken
from certification.errors import Duplicate, ValidationFailed
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit
from certification.types import utcnow
from certification.validation import normalise_email
from config.settings import LANGUAGES
from workflows.messages import N_

log = logging.getLogger(__name__)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A hash of nothing, checked when the e-mail is unknown so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def create_user(*, email: str, name: str, role: str, password: str, organization_id: int | None = None,
                areas=(), countries=(), languages=(), max_active_assignments: int = 3,
                locale: str = "es") -> User:  # fmt: skip
    """Create a user; applicants belong to exactly one organisation. The password is stored hashed (scrypt)."""
    user = new_user(email=email, name=name, role=role, password=password, organization_id=organization_id,
                    areas=areas, countries=countries, languages=languages,
                    max_active_assignments=max_active_assignments, locale=locale)  # fmt: skip
    commit()
    return user


def new_user(*, email: str, name: str, role: str, password: str, organization_id: int | None = None,
             areas=(), countries=(), languages=(), max_active_assignments: int = 3,
             locale: str = "es") -> User:  # fmt: skip
    """create_user's checks and the new row, added to the caller's unit of work (not committed)."""
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
    if problems := password_problems(password, email=email, name=name):
        errors["password"] = problems
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


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of one login: the user (None when refused) and, when the limits refused it, for how long."""

    user: User | None
    blocked: throttle.Blocked | None = None


def attempt_login(email: str, password: str) -> LoginAttempt:
    """Check credentials under the login limits (web form and API token alike).

    While the account or the client is over its limit of failures the password is not even checked: the
    right one is refused like a wrong one, so guessing cannot go on. Only failures are counted.
    """
    blocked = throttle.blocked(email or "")
    if blocked is not None:
        return LoginAttempt(None, blocked)
    user = authenticate(email, password)
    if user is None:
        throttle.record_failure(email or "")
    return LoginAttempt(user)


def end_all_sessions(user: User, reason: str, *, commit_now: bool = True) -> int:
    """End every browser session, remember-me cookie and API token of `user` at once; returns the number of
    tokens revoked. `reason` goes to the log. With commit_now=False the caller commits it with its own change
    (a deactivation, a new password) in one transaction."""
    user.session_epoch = User.session_epoch + 1  # atomic in SQL: two concurrent ends both count
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    ).rowcount
    log.info("ended every session of user %s (%s); %s API token(s) revoked", user.id, reason, revoked)
    if commit_now:
        commit()
    return revoked


def change_password(user: User, password: str) -> None:
    """Set a new password (the password rule applies) and end every session and token of the person."""
    if problems := password_problems(password, email=user.email, name=user.name):
        raise ValidationFailed({"password": problems})
    user.password_hash = generate_password_hash(password)
    end_all_sessions(user, "password changed", commit_now=False)
    commit()


WRONG_CURRENT_PASSWORD = N_("The current password is not right.")


def change_own_password(user: User, current: str, password: str) -> None:
    """A person's own new password needs the current one, checked under the login limits (a wrong one counts
    as a failed login, and while the account is over its limit even the right one is refused)."""
    if throttle.blocked(user.email) is not None or not check_password_hash(user.password_hash, current or ""):
        throttle.record_failure(user.email)
        raise ValidationFailed({"current_password": [WRONG_CURRENT_PASSWORD]})
    change_password(user, password)


def set_locale(user, locale: str) -> None:
    if locale in LANGUAGES:
        user.locale = locale
        commit()
