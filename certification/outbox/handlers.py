"""What each outbox task does. Handlers are idempotent: running one twice leaves the same state."""

from __future__ import annotations

from certification.extensions import db
from certification.outbox.models import OutboxMessage
from certification.types import utcnow


def _recalculate_score(application_id: int) -> None:
    from certification.reviews.services import recalculate_score

    recalculate_score(application_id)


HANDLERS = {"recalculate_score": _recalculate_score}


def run_message(message_id: int) -> None:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.done_at is not None:
        return
    HANDLERS[message.task](**message.payload)
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.sent_at = message.sent_at or utcnow()
    message.done_at = utcnow()
    db.session.commit()
