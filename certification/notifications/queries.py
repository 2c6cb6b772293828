"""Reads for notifications and the mail outbox; every list is one page in a constant number of queries."""

from __future__ import annotations

from sqlalchemy import func, select

from certification.extensions import db
from certification.notifications.models import MailMessage, MailStatus, Notification
from certification.pagination import paginate


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def notifications_page(user_id: int, page: int, per_page: int, *, unread: bool = False):
    """A page of the person's notifications (only unread ones if asked), newest first: two queries."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return paginate(query, (Notification.id.desc(),), page, per_page)


def mails_page(status: MailStatus | None, page: int, per_page: int):
    query = select(MailMessage).order_by(MailMessage.id.desc())
    if status is not None:
        query = query.where(MailMessage.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mail_counts() -> dict[str, int]:
    rows = db.session.execute(select(MailMessage.status, func.count()).group_by(MailMessage.status))
    counts = {status.value: 0 for status in MailStatus}
    counts.update({status.value: n for status, n in rows})
    return counts
