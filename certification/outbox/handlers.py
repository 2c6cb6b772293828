"""What each outbox task does. Handlers are idempotent: running one twice leaves the same state as once."""

from __future__ import annotations

import logging

from certification.extensions import db
from certification.notifications import services as notification_services
from certification.outbox.models import OutboxMessage
from certification.outbox.retry import is_transient
from certification.outbox.services import claim, done_running, mark_done, record_failure, rollback, running
from certification.rescoring import services as rescoring_services
from certification.reviews import services as review_services

log = logging.getLogger(__name__)


# Task name -> what it runs, called with the message's payload as keyword arguments. This module sits above
# the features (only worker.tasks imports it), so it may name them; each handler looks
# its service function up when it runs, so the function can be replaced (in tests) after this module loaded.
def _recalculate_score(application_id: int) -> None:
    review_services.recalculate_score(application_id)


def _rescore_standard(job_id: int) -> None:
    rescoring_services.run_job(job_id)


def _send_mail(mail_id: int) -> None:
    notification_services.send_mail(mail_id)


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
