"""Writes for notifications: create them (with their mail) inside the caller's transaction, send a mail,
mark as read, and let an admin retry a failed mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import flask_mail
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from certification.accounts.models import Role, User
from certification.errors import NotEditable, NotFound
from certification.extensions import db
from certification.notifications import mailer
from certification.notifications.models import MailMessage, MailStatus, Notification
from certification.outbox.services import commit, enqueue
from certification.types import utcnow
from config.settings import LANGUAGES
from workflows.messages import N_

log = logging.getLogger(__name__)
LOCALES = LANGUAGES
MAX_ERROR = 2000


@dataclass(frozen=True)
class Notice:
    """One notification to write: who, what (`kind` + `params`, rendered in their language), where to."""

    user_id: int
    kind: str
    params: dict = field(default_factory=dict)
    link: str = ""
    email: bool = True


def _render_mail(kind: str, locale: str, context: dict) -> tuple[str, str]:
    """(subject, body) from templates/emails/<locale>/<kind>.txt, whose first line is the subject."""
    with force_locale(locale):
        text = render_template(f"emails/{locale}/{kind}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return subject.removeprefix("Subject:").strip(), body.strip() + "\n"


def notify_all(notices: list[Notice]) -> list[Notification]:
    """Write these notifications, and a mail in each recipient's language where `email` (skipping inactive
    people). Part of the caller's unit of work: the mails are enqueued and go out after its commit."""
    if not notices:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({n.user_id for n in notices})))}
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    written: list[tuple[Notice, User, Notification]] = []
    for notice in notices:
        user = users.get(notice.user_id)
        if user is None or not user.active:
            continue
        notification = Notification(user_id=user.id, kind=notice.kind, params=notice.params, link=notice.link)
        db.session.add(notification)
        written.append((notice, user, notification))
    db.session.flush()
    mails = []
    for notice, user, notification in written:
        if not notice.email:
            continue
        locale = user.locale if user.locale in LOCALES else "es"
        subject, body = _render_mail(
            notice.kind,
            locale,
            {
                **notice.params,
                "user": user,
                "base_url": base_url,
                "link": base_url + notice.link if notice.link else "",
            },
        )
        mails.append(MailMessage(user_id=user.id, notification_id=notification.id, to_address=user.email,
                                 locale=locale, kind=notice.kind, subject=subject[:300], body_text=body))  # fmt: skip
    if mails:
        db.session.add_all(mails)
        db.session.flush()
        for message in mails:
            enqueue("send_mail", mail_id=message.id)
    return [notification for _, _, notification in written]


def notify(user_ids, kind: str, params: dict, *, link: str = "", email: bool = True) -> list[Notification]:
    """Notify several people of the same thing (inside the caller's transaction)."""
    return notify_all([Notice(user_id, kind, params, link, email) for user_id in dict.fromkeys(user_ids)])


def send_mail(mail_id: int) -> MailMessage | None:
    """Send one mail (the outbox handler). A sent mail is never sent again; a transient SMTP error raises
    TransientError (retried with backoff) until MAIL_MAX_ATTEMPTS, then the mail is marked failed."""
    from certification.outbox.handlers import TransientError, is_transient

    message = db.session.get(MailMessage, mail_id)
    if message is None or message.status != MailStatus.PENDING:
        return message
    app = current_app._get_current_object()
    outgoing = flask_mail.Message(
        subject=message.subject, recipients=[message.to_address], body=message.body_text,
        sender=app.config.get("MAIL_DEFAULT_SENDER"),
        extra_headers={"Content-Language": message.locale, "X-Sello-Mail": str(message.id)},
    )  # fmt: skip
    message.attempts += 1
    try:
        delivered = mailer.send(app, outgoing)
    except Exception as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        transient = is_transient(exc)
        if transient and message.attempts < int(app.config.get("MAIL_MAX_ATTEMPTS", 5)):
            db.session.commit()
            raise TransientError(message.last_error) from exc
        message.status = MailStatus.FAILED
        log.warning("mail %s to %s failed: %s", message.id, message.to_address, message.last_error)
        db.session.commit()
        return message
    message.status = MailStatus.SENT
    message.suppressed = not delivered
    message.sent_at = utcnow()
    message.last_error = ""
    db.session.commit()
    if not delivered:
        log.info("mail %s to %s not sent (no MAIL_SERVER): %s", message.id, message.to_address, message.subject)
    return message


def retry_mail(user, mail_id: int) -> MailMessage:
    """An admin sends a failed mail again (from the mail outbox page)."""
    if user.role != Role.ADMIN:
        raise NotFound("mail")
    message = db.session.get(MailMessage, mail_id, with_for_update=True)
    if message is None:
        raise NotFound("mail")
    if message.status != MailStatus.FAILED:
        raise NotEditable(N_("Only a failed mail can be sent again."))
    message.status = MailStatus.PENDING
    message.attempts = 0
    enqueue("send_mail", mail_id=message.id)
    commit()
    return message


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of your notifications as read (someone else's answers NotFound)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
        commit()
    return notification


def mark_all_read(user) -> int:
    """Mark all your unread notifications as read; returns how many."""
    count = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    return count
