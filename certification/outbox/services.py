"""Write side effects as outbox rows in the business transaction; dispatch them once the commit succeeded.

Delivery is at least once, and every handler is idempotent:
- `commit()` publishes what the transaction enqueued, right after the commit. A broker that is down costs
  the request one fast failed attempt (short connect timeout, no publish retries), and then nothing for
  `BROKER_PAUSE_SECONDS`: the rows stay unsent and `relay()` publishes them later.
- A worker claims a message before running it (`claim`: a lease in `claimed_until`, extended by
  `heartbeat()` while a long task runs), so two deliveries never run it at the same time.
- `relay()` (beat, every 30 s) re-publishes messages that were never sent, whose lease ran out (the worker
  died), or that were sent long ago and never claimed (the broker lost them); after `OUTBOX_MAX_ATTEMPTS`
  claims a message is marked failed instead of looping for ever.
"""

from __future__ import annotations

import contextvars
import logging
import time
from datetime import timedelta

from celery.utils.time import get_exponential_backoff_interval
from flask import current_app
from sqlalchemy import and_, func, insert, inspect, or_, select, update

from certification.extensions import db
from certification.outbox.models import OutboxMessage
from certification.types import utcnow
from config.celery import RETRY_BACKOFF_MAX

log = logging.getLogger(__name__)
_PENDING = "sello_outbox_pending"
_KEEP_LOADED = "sello_keep_loaded"
RUN_TASK = "worker.tasks.run_outbox_message"
BROKER_PAUSE_SECONDS = 5.0
MAX_ERROR = 2000
ROWS_PER_INSERT = 1000  # rows of one multi-row INSERT: well under the bound-parameter limits of both databases

_broker_down_until = 0.0  # per process: after a failed publish, requests stop trying for a few seconds
_current_message: contextvars.ContextVar[int | None] = contextvars.ContextVar("sello_outbox_message", default=None)

DEFAULTS = {
    "OUTBOX_LEASE_SECONDS": 60,  # a worker's claim; long handlers extend it with heartbeat()
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_UNSENT_GRACE_SECONDS": 30,  # leave just-committed rows to the request that dispatches them
    "OUTBOX_RELAY_GRACE_SECONDS": 30,  # after a lease ran out, before the relay re-publishes
    "OUTBOX_RESEND_AFTER_SECONDS": 900,  # sent, never claimed: the broker lost it (Redis restarted empty)
}


def setting(name: str) -> float:
    return float(current_app.config.get(name, DEFAULTS[name]))


def enqueue(task: str, **payload) -> OutboxMessage:
    """Record that `task(**payload)` must run after this transaction commits (ids only in payload)."""
    message = OutboxMessage(task=task, payload=payload)
    db.session.add(message)
    db.session.info.setdefault(_PENDING, []).append(message)
    return message


def enqueue_many(task: str, payloads: list[dict]) -> list[int]:
    """`enqueue` for many payloads of one task in one INSERT (however many there are); their ids."""
    if not payloads:
        return []
    now = utcnow()
    rows = [
        {"task": task, "payload": payload, "created_at": now, "attempts": 0, "last_error": ""} for payload in payloads
    ]
    ids = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        ids += db.session.scalars(insert(OutboxMessage.__table__).values(chunk).returning(OutboxMessage.id))
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


def keep_loaded() -> None:
    """Let the next `commit()` keep the loaded rows as the transaction left them (through the dispatch's own
    commit too): for a unit of work that answers from what it just wrote instead of reading it all again."""
    db.session.info[_KEEP_LOADED] = True


def commit() -> None:
    """The single commit point of a unit of work: commit, then dispatch what the transaction enqueued."""
    session = db.session()
    expire_on_commit = session.expire_on_commit
    if session.info.pop(_KEEP_LOADED, False):
        session.expire_on_commit = False
    try:
        try:
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            pending = session.info.pop(_PENDING, [])
        if pending:
            try:
                # The ids from the identity map: reading `message.id` would reload each row the commit expired.
                dispatch_many([m if isinstance(m, int) else inspect(m).identity[0] for m in pending])
            except Exception:  # the commit stands; the relay sends what was not published
                log.exception("outbox dispatch after commit failed")
                session.rollback()
    finally:
        session.expire_on_commit = expire_on_commit


def rollback() -> None:
    db.session.rollback()
    db.session.info.pop(_PENDING, None)
    db.session.info.pop(_KEEP_LOADED, None)


def _eager() -> bool:
    return bool(current_app.extensions["celery"].conf.task_always_eager)


def broker_paused() -> bool:
    """True for a few seconds after a publish failed: requests do not wait for a broker that is down."""
    return time.monotonic() < _broker_down_until


def _publish(message_ids: list[int]) -> list[int]:
    """Publish run-messages; stops at the first failure. Returns the ids that reached the broker."""
    global _broker_down_until
    celery = current_app.extensions["celery"]
    task = celery.tasks[RUN_TASK]
    published: list[int] = []
    try:
        if _eager():
            for message_id in message_ids:
                task.apply_async(args=[message_id], task_id=f"outbox-{message_id}")
                published.append(message_id)
            return published
        with celery.producer_or_acquire() as producer:
            for message_id in message_ids:
                task.apply_async(args=[message_id], task_id=f"outbox-{message_id}", producer=producer, retry=False)
                published.append(message_id)
    except Exception as exc:  # broker down: the relay publishes the rest later; the caller goes on
        if not _eager():
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning("outbox: %d message(s) not published: %s", len(message_ids) - len(published), exc)
    return published


def dispatch_many(message_ids: list[int]) -> int:
    """Publish these outbox messages (or run them in process with no broker). Returns how many went out."""
    if not message_ids or (not _eager() and broker_paused()):
        return 0
    published = _publish(message_ids)
    if published and not _eager():  # in process, the task itself marked them claimed and done
        _mark_sent(published)
    return len(published)


def dispatch(message_id: int) -> bool:
    """Publish one outbox message; False if the broker could not take it (the relay will)."""
    return dispatch_many([message_id]) == 1


def _mark_sent(message_ids: list[int]) -> None:
    # A worker may already have claimed (even finished) one of them: only the send time is ours to write.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.sent_at.is_(None))
        .values(sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _due_condition(now):
    unsent = and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.claimed_until.is_(None),
        OutboxMessage.created_at <= now - timedelta(seconds=setting("OUTBOX_UNSENT_GRACE_SECONDS")),
    )
    lease_ran_out = OutboxMessage.claimed_until <= now - timedelta(seconds=setting("OUTBOX_RELAY_GRACE_SECONDS"))
    lost_in_broker = and_(
        OutboxMessage.claimed_until.is_(None),
        OutboxMessage.sent_at <= now - timedelta(seconds=setting("OUTBOX_RESEND_AFTER_SECONDS")),
    )
    return and_(
        OutboxMessage.done_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(unsent, lease_ran_out, lost_in_broker),
    )


def due_ids(limit: int = 500) -> list[int]:
    """Messages the relay must (re-)publish now, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage.id).where(_due_condition(utcnow())).order_by(OutboxMessage.id).limit(limit)
        )
    )


def unsent_ids(older_than_seconds: int = 30, limit: int = 500) -> list[int]:
    """Outbox messages never published (broker was down, or the process died right after commit)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.done_at.is_(None), OutboxMessage.created_at <= cutoff)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def relay(limit: int = 500) -> int:
    """Re-publish what is due (see the module docstring); returns how many messages went to the broker.

    Two relays at once skip each other's rows (SKIP LOCKED on PostgreSQL); a duplicate publish would be
    harmless anyway, because a message is claimed before it runs.
    """
    now = utcnow()
    max_attempts = int(setting("OUTBOX_MAX_ATTEMPTS"))
    grace = timedelta(seconds=setting("OUTBOX_RELAY_GRACE_SECONDS"))
    gave_up = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.attempts >= max_attempts,
            OutboxMessage.claimed_until <= now - grace,
        )
        .values(failed_at=now, claimed_until=None, last_error=f"Gave up after {max_attempts} attempts.")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if gave_up:
        log.error("outbox: %d message(s) failed after %d attempts", gave_up, max_attempts)
    query = select(OutboxMessage.id).where(_due_condition(now)).order_by(OutboxMessage.id).limit(limit)
    if _eager():
        ids = list(db.session.scalars(query))
        db.session.commit()  # in process, each task writes its row from its own session: hold no lock
    else:
        ids = list(db.session.scalars(query.with_for_update(skip_locked=True)))
    published = _publish(ids) if ids else []
    if published and not _eager():
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(published),
                OutboxMessage.done_at.is_(None),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            )
            .values(sent_at=now, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return len(published)


# --- the worker side -------------------------------------------------------------------------------------


def claim(message_id: int) -> bool:
    """Take the lease on a message before running it; False if it is done, failed or running elsewhere."""
    now = utcnow()
    lease = timedelta(seconds=setting("OUTBOX_LEASE_SECONDS"))
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.done_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def heartbeat() -> None:
    """Extend the lease of the message being run (long handlers call it once per chunk, before committing)."""
    message_id = _current_message.get()
    if message_id is None:
        return
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.done_at.is_(None))
        .values(claimed_until=utcnow() + timedelta(seconds=setting("OUTBOX_LEASE_SECONDS")))
        .execution_options(synchronize_session=False)
    )


def running(message_id: int | None):
    """Set the message whose lease `heartbeat()` extends; returns the token for `done_running`."""
    return _current_message.set(message_id)


def done_running(token) -> None:
    _current_message.reset(token)


def mark_done(message_id: int) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(done_at=utcnow(), claimed_until=None, sent_at=func.coalesce(OutboxMessage.sent_at, utcnow()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def record_failure(message_id: int, error: str, *, transient: bool) -> float | None:
    """After a handler failed: the countdown before the retry (transient errors), or None when it gave up."""
    message = db.session.get(OutboxMessage, message_id)
    now = utcnow()
    message.last_error = error[:MAX_ERROR]
    if transient and message.attempts < int(setting("OUTBOX_MAX_ATTEMPTS")):
        countdown = get_exponential_backoff_interval(2, message.attempts, RETRY_BACKOFF_MAX, full_jitter=True)
        countdown = max(countdown, 1)
        # The retry message claims it again when it arrives; if that message is lost, the relay resends.
        message.claimed_until = now + timedelta(seconds=max(countdown - 1, 0))
        db.session.commit()
        return float(countdown)
    message.failed_at = now
    message.claimed_until = None
    db.session.commit()
    return None


def failed_messages(limit: int = 50) -> list[OutboxMessage]:
    """The most recent background tasks that gave up (for the admin page)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.failed_at.is_not(None))
            .order_by(OutboxMessage.failed_at.desc())
            .limit(limit)
        )
    )
