"""Notifications shown in the app, and the mails sent for them (the admins' mail outbox)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certification.extensions import db
from certification.types import UTCDateTime, enum_column, utcnow


class Delivery(enum.StrEnum):
    """How a person wants to be told of one kind of notification."""

    EMAIL = "email"  # an e-mail now
    DIGEST = "digest"  # one e-mail a day with everything of the day
    IN_APP = "in_app"  # only in the app


class Notification(db.Model):
    """One message to one person; its text is rendered in the reader's language from `kind` and `params`.

    `key` names the event it tells of: one notification per event and recipient, however often the code
    that writes it runs (unique with `user_id`). `delivery` is how it was (or will be) mailed.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_delivery_digested", "delivery", "digested_at"),
        sa.UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key: Mapped[str | None] = mapped_column(sa.String(160))
    subject_type: Mapped[str] = mapped_column(sa.String(30), default="")
    subject_id: Mapped[int | None]
    delivery: Mapped[str] = mapped_column(sa.String(10), default=Delivery.EMAIL.value)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(db.Model):
    """A person's choice for one kind; without a row, a kind is e-mailed at once."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    delivery: Mapped[str] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MailMessage(db.Model):
    """One e-mail, rendered in the recipient's language when it was created; sent at most once when it
    succeeds (a sent mail is never sent again), retried with backoff on transient SMTP errors."""

    __tablename__ = "mails"
    __table_args__ = (sa.Index("ix_mails_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(5))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    suppressed: Mapped[bool] = mapped_column(default=False)  # no MAIL_SERVER configured: logged, not sent
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
