"""Thin Celery tasks: each takes ids and calls one service function."""

from __future__ import annotations

from celery import shared_task

from certification.extensions import db
from certification.notifications.services import send_digests as send_digest_mails
from certification.outbox.handlers import run_message
from certification.outbox.services import relay
from certification.record_checks import check_and_alert
from certification.reminders.services import sweep


@shared_task(bind=True, name="worker.tasks.run_outbox_message", acks_late=True, reject_on_worker_lost=True,
             max_retries=None)  # fmt: skip
def run_outbox_message(self, message_id: int) -> None:
    """Run the side effect an outbox row describes; a second delivery of a done message does nothing.

    Transient errors are retried with exponential backoff and jitter (the outbox row counts the attempts
    and gives up after OUTBOX_MAX_ATTEMPTS); in process (no broker) the relay retries later instead.
    """
    countdown = run_message(message_id)
    if countdown is not None and not self.request.is_eager:
        raise self.retry(countdown=countdown)


@shared_task(name="worker.tasks.relay_outbox", acks_late=True, reject_on_worker_lost=True)
def relay_outbox() -> int:
    """Publish outbox rows never sent, or whose worker died (beat, every OUTBOX_RELAY_SECONDS)."""
    return relay()


@shared_task(name="worker.tasks.sweep_reminders", acks_late=True, reject_on_worker_lost=True)
def sweep_reminders() -> int:
    """Periodic sweep: due reminders, each at most once, then expiry and automatic revocation."""
    return sweep().sent


@shared_task(name="worker.tasks.verify_records", acks_late=True, reject_on_worker_lost=True)
def verify_records() -> int:
    """Daily: verify every decision-record chain and alert the administrators when one is broken."""
    return len(check_and_alert(db.session).breaks)


@shared_task(name="worker.tasks.send_digests", acks_late=True, reject_on_worker_lost=True)
def send_digests() -> int:
    """The daily digest: one mail per person with the notifications they chose to get as a digest."""
    return send_digest_mails()
