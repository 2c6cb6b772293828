"""What each outbox task does. Handlers are idempotent: running one twice leaves the same state as once."""

from __future__ import annotations

import logging
import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from certification.extensions import db
from certification.outbox.models import OutboxMessage
from certification.outbox.services import claim, done_running, mark_done, record_failure, rollback, running

log = logging.getLogger(__name__)


class TransientError(Exception):
    """A failure that may pass by itself (a connection dropped, a server busy): retried with backoff."""


def is_transient(exc: BaseException) -> bool:
    """Retry only what may pass by itself; a bug or bad data fails at once (and is shown to admins)."""
    if isinstance(exc, TransientError | OperationalError | InterfaceError | SoftTimeLimitExceeded):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, ConnectionError | TimeoutError | smtplib.SMTPServerDisconnected)


def _recalculate_score(application_id: int) -> None:
    from certification.reviews.services import recalculate_score

    recalculate_score(application_id)


def _rescore_standard(job_id: int) -> None:
    from certification.rescoring.services import run_job

    run_job(job_id)


def _send_mail(mail_id: int) -> None:
    from certification.notifications.services import send_mail

    send_mail(mail_id)


HANDLERS = {
    "recalculate_score": _recalculate_score,
    "rescore_standard": _rescore_standard,
    "send_mail": _send_mail,
}


def run_message(message_id: int) -> float | None:
    """Run the side effect an outbox row describes, once it is claimed.

    A message that is done, failed or being run by another worker is left alone (a second delivery does
    nothing). Returns the countdown before a retry when a transient error should be retried, else None.
    """
    if not claim(message_id):
        return None
    message = db.session.get(OutboxMessage, message_id)
    task, payload = message.task, dict(message.payload)
    token = running(message_id)
    try:
        handler = HANDLERS.get(task)
        if handler is None:
            raise LookupError(f"no outbox handler for {task!r}")
        handler(**payload)
    except Exception as exc:
        rollback()
        transient = is_transient(exc)
        if transient:
            log.warning("outbox %s (%s) failed, will retry: %s", message_id, task, exc)
        else:
            log.exception("outbox %s (%s) failed", message_id, task)
        return record_failure(message_id, f"{type(exc).__name__}: {exc}", transient=transient)
    finally:
        done_running(token)
    mark_done(message_id)
    return None
