"""Write side effects as outbox rows in the business transaction; dispatch them once the commit succeeded."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from certification.extensions import db
from certification.outbox.models import OutboxMessage
from certification.types import utcnow

log = logging.getLogger(__name__)
_PENDING = "sello_outbox_pending"


def enqueue(task: str, **payload) -> OutboxMessage:
    """Record that `task(**payload)` must run after this transaction commits (ids only in payload)."""
    message = OutboxMessage(task=task, payload=payload)
    db.session.add(message)
    db.session.info.setdefault(_PENDING, []).append(message)
    return message


def commit() -> None:
    """The single commit point of a unit of work: commit, then dispatch what the transaction enqueued."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        pending = db.session.info.pop(_PENDING, [])
    for message in pending:
        dispatch(message.id)


def rollback() -> None:
    db.session.rollback()
    db.session.info.pop(_PENDING, None)


def dispatch(message_id: int) -> bool:
    """Publish one outbox message to Celery (or run it in process with no broker). False if it failed."""
    celery = current_app.extensions["celery"]
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return False
    try:
        celery.tasks["worker.tasks.run_outbox_message"].apply_async(args=[message_id], retry=False)
    except Exception as exc:  # broker down: the relay publishes it later; the user's request goes on
        log.warning("outbox %s not published: %s", message_id, exc)
        return False
    if celery.conf.task_always_eager:
        return True  # the task itself marked it sent and done
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=utcnow())
    )
    db.session.commit()
    return True


def unsent_ids(older_than_seconds: int = 30, limit: int = 500) -> list[int]:
    """Outbox messages never published (broker was down, or the process died right after commit)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at <= cutoff)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
