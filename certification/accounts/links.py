"""Signed links that let a person set a password without being logged in: the forgot-password link and the
invitation of a new person.

Each link names the person and a fingerprint of their current password hash. Setting a password changes the
hash, so a link works once: the second use (or any older link of that person) no longer matches. A reset link
lives PASSWORD_RESET_HOURS (2 by default), an invitation INVITATION_DAYS (7). The two kinds have their own
salts, so one cannot stand in for the other, nor for a notification-settings link.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from certification.accounts import throttle
from certification.accounts.models import User
from certification.accounts.services import change_password
from certification.extensions import db
from certification.notifications.models import MailMessage
from certification.notifications.services import locale_of
from certification.organizations.models import Organization
from certification.outbox.services import commit, enqueue
from certification.validation import normalise_email
from workflows.messages import N_

RESET = "reset"
INVITATION = "invitation"
SALTS = {RESET: "sello.password-reset", INVITATION: "sello.invitation"}
PATHS = {RESET: "/password/reset/", INVITATION: "/welcome/"}


class LinkRefused(Exception):
    """A set-password link that was tampered with, has expired, or was used already."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALTS[kind])


def max_age(kind: str) -> int:
    if kind == RESET:
        return int(current_app.config.get("PASSWORD_RESET_HOURS", 2)) * 3600
    return int(current_app.config.get("INVITATION_DAYS", 7)) * 86400


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_token(user: User, kind: str) -> str:
    return _serializer(kind).dumps({"u": user.id, "p": _fingerprint(user)})


def link_for(user: User, kind: str) -> str:
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return base_url + PATHS[kind] + make_token(user, kind)


def read_token(token: str, kind: str) -> User:
    """The person a link names while it is live; LinkRefused otherwise (the same words for every reason but
    age, so a link tells nothing of the account)."""
    try:
        data = _serializer(kind).loads(token, max_age=max_age(kind))
    except SignatureExpired as exc:
        raise LinkRefused(N_("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise LinkRefused(N_("This link is not valid or was used already. Ask for a new one.")) from exc
    user_id, fingerprint = (data.get("u"), data.get("p")) if isinstance(data, dict) else (None, None)
    user = db.session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise LinkRefused(N_("This link is not valid or was used already. Ask for a new one."))
    return user


def set_password_with_token(token: str, kind: str, password: str) -> User:
    """Set the password a link allows (the password rule applies); every session and token of the person
    ends and the link dies with the old hash."""
    user = read_token(token, kind)
    change_password(user, password)
    return user


def unusable_password() -> str:
    """A password nobody knows, for a person invited but not yet arrived (scrypt-hashed like any other)."""
    return secrets.token_urlsafe(32) + "aA1!"


def queue_mail(user: User, kind: str) -> None:
    """Write the link's mail in the person's language to the outbox (sent after the caller's commit; shown in
    the admin mail outbox when no MAIL_SERVER is configured)."""

    locale = locale_of(user)
    organization = db.session.get(Organization, user.organization_id) if user.organization_id else None
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    with force_locale(locale):
        text = render_template(f"emails/{locale}/{kind}.txt", user=user, link=link_for(user, kind),
                               hours=max_age(RESET) // 3600, days=max_age(INVITATION) // 86400,
                               base_url=base_url, organization=organization.name if organization else "")  # fmt: skip
    subject, _, body = text.strip().partition("\n")
    message = MailMessage(
        user_id=user.id, to_address=user.email, locale=locale, kind=f"password_{kind}",
        subject=subject.removeprefix("Subject:").strip()[:300], body_text=body.strip() + "\n",
    )  # fmt: skip
    db.session.add(message)
    db.session.flush()
    enqueue("send_mail", mail_id=message.id)


def request_reset(email: str) -> bool:
    """Mail a reset link to the active person with this e-mail, if there is one. The caller answers the same
    either way. False when the limits (per account, known or not, and per client) refuse the request."""
    if not throttle.allow_reset_request(email or ""):
        return False
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and user.active:
        queue_mail(user, RESET)
        commit()
    return True
