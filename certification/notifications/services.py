"""Writes for notifications: create them (with their mail, as each person chose) inside the caller's
transaction, send a mail, the daily digest, preferences and their signed link, mark as read, and let an
admin retry a failed mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import flask_mail
from flask import current_app, render_template
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from certification.accounts.models import Role, User
from certification.errors import NotEditable, NotFound, ValidationFailed
from certification.extensions import db
from certification.notifications import mailer, messages
from certification.notifications.models import (
    Delivery,
    MailMessage,
    MailStatus,
    Notification,
    NotificationPreference,
)
from certification.outbox.retry import TransientError, is_transient
from certification.outbox.services import ROWS_PER_INSERT, commit, enqueue, enqueue_many
from certification.types import utcnow
from config.settings import LANGUAGES
from workflows.messages import N_

log = logging.getLogger(__name__)
LOCALES = LANGUAGES
MAX_ERROR = 2000


@dataclass(frozen=True)
class Notice:
    """One notification to write: who, what (`kind` + `params`, rendered in their language), where to.

    `key` names the event (with the recipient, unique: written once however often the writer runs);
    `subject` is "type:id" of what it is about.
    """

    user_id: int
    kind: str
    params: dict = field(default_factory=dict)
    link: str = ""
    email: bool = True
    key: str | None = None
    subject: str = ""


def _render_mail(kind: str, locale: str, context: dict) -> tuple[str, str]:
    """(subject, body) from templates/emails/<locale>/<kind>.txt (or the generic event.txt, which shows the
    notification's title and text), whose first line is the subject; then the preference footer."""
    with force_locale(locale):
        context = {**context, "title": messages.title(kind, gettext),
                   "text": messages.render(kind, context.get("params", {}), gettext)}  # fmt: skip
        text = render_template([f"emails/{locale}/{kind}.txt", f"emails/{locale}/event.txt"], **context)
        footer = render_template(f"emails/{locale}/_preferences.txt", **context, kind_title=context["title"]) \
            if context.get("preferences_link") else ""  # fmt: skip
    subject, _, body = text.strip().partition("\n")
    body = body.strip() + "\n"
    if footer.strip():
        body += "\n" + footer.strip() + "\n"
    return subject.removeprefix("Subject:").strip(), body


def _insert_ignoring_duplicates(rows: list[dict]) -> dict[tuple[int, str | None], list[int]]:
    """INSERT the notifications (one statement for up to ROWS_PER_INSERT) unless (user, key) is already
    there; (user, key) → the new ids, in the rows' order (a duplicate has none)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__
    written: dict[tuple[int, str | None], list[int]] = {}
    for start in range(0, len(rows), ROWS_PER_INSERT):
        stmt = (
            insert(table)
            .values(rows[start : start + ROWS_PER_INSERT])
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(table.c.id, table.c.user_id, table.c.key)
        )
        for notification_id, user_id, key in sorted(db.session.execute(stmt)):
            written.setdefault((user_id, key), []).append(notification_id)
    return written


def deliveries(user_ids, kinds) -> dict[tuple[int, str], str]:
    """The chosen delivery of each (person, kind) that has one, in one query."""
    if not user_ids or not kinds:
        return {}
    rows = db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery).where(
            NotificationPreference.user_id.in_(set(user_ids)), NotificationPreference.kind.in_(set(kinds))
        )
    )
    return {(user_id, kind): delivery for user_id, kind, delivery in rows}


def _subject(subject: str) -> tuple[str, int | None]:
    kind, _, ident = (subject or "").partition(":")
    return kind[:30], int(ident) if ident.isdigit() and int(ident) <= 2**31 - 1 else None


def notify_all(notices: list[Notice], users: dict[int, User] | None = None, chosen=None) -> list[int]:
    """Write these notifications and, as each recipient chose for the kind, a mail now in their language
    (skipping inactive people); a notice whose (recipient, key) was written before is skipped. Part of the
    caller's unit of work: the mails are enqueued and go out after its commit. Returns the new ids.

    A constant number of statements however many recipients: the people and their preferences (unless the
    caller already read them: `users`, `chosen` as from `deliveries`), one INSERT of the notifications, one
    of their mails and one of the outbox messages that send them."""
    if not notices:
        return []
    if users is None:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({n.user_id for n in notices})))}
    if chosen is None:
        chosen = deliveries(list(users), {n.kind for n in notices})
    now = utcnow()
    rows, kept = [], []
    for notice in notices:
        user = users.get(notice.user_id)
        if user is None or not user.active:
            continue
        delivery = chosen.get((user.id, notice.kind), Delivery.EMAIL.value) if notice.email else Delivery.IN_APP.value
        subject_type, subject_id = _subject(notice.subject)
        # Every row with the same keys: one multi-row INSERT.
        rows.append({
            "user_id": user.id, "kind": notice.kind, "params": notice.params, "link": notice.link[:300],
            "key": notice.key, "subject_type": subject_type, "subject_id": subject_id, "delivery": delivery,
            "created_at": now,
        })  # fmt: skip
        kept.append((notice, user, delivery))
    if not rows:
        return []
    new_ids = _insert_ignoring_duplicates(rows)
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    written: list[int] = []
    mails = []
    for notice, user, delivery in kept:
        ids = new_ids.get((user.id, notice.key))
        if not ids:  # written before: this event already told this person
            continue
        notification_id = ids.pop(0)
        written.append(notification_id)
        if delivery != Delivery.EMAIL.value:
            continue
        locale = locale_of(user)
        subject, body = _render_mail(notice.kind, locale, {
            **notice.params, "params": notice.params, "user": user, "base_url": base_url,
            "link": base_url + notice.link if notice.link else "",
            "preferences_link": preference_link(user.id, notice.kind),
        })  # fmt: skip
        mails.append({
            "user_id": user.id, "notification_id": notification_id, "to_address": user.email, "locale": locale,
            "kind": notice.kind, "subject": subject[:300], "body_text": body, "status": MailStatus.PENDING,
            "suppressed": False, "attempts": 0, "last_error": "", "created_at": now,
        })  # fmt: skip
    mail_ids = []
    table = MailMessage.__table__
    for start in range(0, len(mails), ROWS_PER_INSERT):
        mail_ids += db.session.scalars(
            insert(table).values(mails[start : start + ROWS_PER_INSERT]).returning(table.c.id)
        )
    enqueue_many("send_mail", [{"mail_id": mail_id} for mail_id in sorted(mail_ids)])
    return written


def locale_of(user) -> str:
    return user.locale if user.locale in LOCALES else "es"


def notify(user_ids, kind: str, params: dict, *, link: str = "", email: bool = True, key: str | None = None,
           subject: str = "") -> list[int]:  # fmt: skip
    """Notify several people of the same thing (inside the caller's transaction)."""
    return notify_all([Notice(user_id, kind, params, link, email, key, subject) for user_id in dict.fromkeys(user_ids)])


# --- preferences and the signed one-click link ----------------------------------------------------------------

PREFERENCE_SALT = "sello.notification-preference"
DEFAULT_LINK_DAYS = 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PREFERENCE_SALT)


def preference_token(user_id: int, kind: str) -> str:
    return _serializer().dumps({"u": user_id, "k": kind})


def preference_link(user_id: int, kind: str) -> str:
    """The absolute one-click link (no login) to change how `kind` reaches this person."""
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base_url}/notifications/settings/link/{preference_token(user_id, kind)}"


class LinkRefused(Exception):
    """A preference link that was tampered with, has expired, or names someone or something unknown."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.message, self.expired = message, expired


def read_preference_token(token: str) -> tuple[User, str]:
    """The person and kind a signed link is for; LinkRefused when it is not one we signed, or too old."""
    max_age = int(current_app.config.get("NOTIFICATION_LINK_DAYS", DEFAULT_LINK_DAYS)) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkRefused(N_("This link has expired. Sign in to change your notification settings."),
                          expired=True) from exc  # fmt: skip
    except BadSignature as exc:
        raise LinkRefused(N_("This link is not valid. Sign in to change your notification settings.")) from exc
    user_id, kind = (data.get("u"), data.get("k")) if isinstance(data, dict) else (None, None)
    user = db.session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None or not user.active or kind not in messages.kinds_for(user.role.value):
        raise LinkRefused(N_("This link is not valid. Sign in to change your notification settings."))
    return user, kind


def preferences_of(user) -> dict[str, str]:
    """Every kind this person may receive → how (e-mail now unless they chose otherwise)."""
    kinds = messages.kinds_for(user.role.value)
    chosen = deliveries([user.id], kinds)
    return {kind: chosen.get((user.id, kind), Delivery.EMAIL.value) for kind in kinds}


def _upsert_preferences(user, choices: dict[str, str]) -> None:
    allowed = set(messages.kinds_for(user.role.value))
    valid = {d.value for d in Delivery}
    errors = {kind: [N_("Choose e-mail now, daily digest or in-app only.")]
              for kind, delivery in choices.items() if kind not in allowed or delivery not in valid}  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    rows = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id).with_for_update()
    )}  # fmt: skip
    for kind, delivery in choices.items():
        row = rows.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=delivery))
        elif row.delivery != delivery:
            row.delivery = delivery


def set_preferences(user, choices: dict[str, str]) -> dict[str, str]:
    """A person sets how each kind reaches them (only kinds of their role; nothing changes on an error)."""
    _upsert_preferences(user, choices)
    commit()
    return preferences_of(user)


def set_preference_by_link(token: str, delivery: str) -> tuple[User, str]:
    """The one-click link's confirmation: change one kind for the person the link was signed for."""
    user, kind = read_preference_token(token)
    _upsert_preferences(user, {kind: delivery})
    commit()
    return user, kind


# --- the daily digest -----------------------------------------------------------------------------------------

DIGEST_KIND = "digest"


def send_digests(now=None, limit: int = 5000) -> int:
    """One mail per person with their notifications waiting for the digest; each goes into one digest only
    (a second run, or two at once, finds nothing left). One transaction; returns how many mails."""
    now = now or utcnow()
    query = (
        select(Notification)
        .where(Notification.delivery == Delivery.DIGEST.value, Notification.digested_at.is_(None),
               Notification.created_at <= now)
        .order_by(Notification.user_id, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    waiting = list(db.session.scalars(query))
    if not waiting:
        db.session.rollback()
        return 0
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({n.user_id for n in waiting})))}
    base_url = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    by_user: dict[int, list[Notification]] = {}
    for notification in waiting:
        notification.digested_at = now
        by_user.setdefault(notification.user_id, []).append(notification)
    mails = []
    for user_id, items in by_user.items():
        user = users.get(user_id)
        if user is None or not user.active:
            continue
        locale = locale_of(user)
        with force_locale(locale):
            lines = [{"title": messages.title(n.kind, gettext), "text": messages.render(n.kind, n.params, gettext),
                      "link": base_url + n.link if n.link else ""} for n in items]  # fmt: skip
            kinds = [{"title": messages.title(k, gettext), "link": preference_link(user.id, k)}
                     for k in dict.fromkeys(n.kind for n in items)]  # fmt: skip
            text = render_template(f"emails/{locale}/digest.txt", user=user, items=lines, kinds=kinds,
                                   day=now.date().isoformat(), base_url=base_url)  # fmt: skip
        subject, _, body = text.strip().partition("\n")
        subject = subject.removeprefix("Subject:").strip()[:300]
        mails.append(MailMessage(user_id=user.id, to_address=user.email, locale=locale, kind=DIGEST_KIND,
                                 subject=subject, body_text=body.strip() + "\n"))  # fmt: skip
    db.session.add_all(mails)
    db.session.flush()
    for message in mails:
        enqueue("send_mail", mail_id=message.id)
    commit()
    return len(mails)


def send_mail(mail_id: int) -> MailMessage | None:
    """Send one mail (the outbox handler). A sent mail is never sent again; a transient SMTP error raises
    TransientError (retried with backoff) until MAIL_MAX_ATTEMPTS, then the mail is marked failed."""
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
