"""Thin Celery tasks: each takes ids and calls one service function."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="worker.tasks.run_outbox_message", acks_late=True, reject_on_worker_lost=True)
def run_outbox_message(message_id: int) -> None:
    """Run the side effect an outbox row describes; a second delivery of a done message does nothing."""
    from certification.outbox.handlers import run_message

    run_message(message_id)


@shared_task(name="worker.tasks.relay_outbox")
def relay_outbox() -> int:
    """Publish outbox rows that were committed but never reached the broker."""
    from certification.outbox.services import dispatch, unsent_ids

    return sum(dispatch(message_id) for message_id in unsent_ids())


@shared_task(name="worker.tasks.sweep_reminders")
def sweep_reminders() -> int:
    """Periodic sweep: expire certificates whose date has passed (reminders come with the notifications)."""
    from certification.certificates.services import expire_due_certificates

    return expire_due_certificates()
