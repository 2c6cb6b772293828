"""The periodic sweep (beat, or `flask --app app reminders sweep`): send due reminders, each at most once,
then fire the system's own events — `expire` of certificates past their date and the revocation after six
months of suspension."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from certification.applications.services import expire_due_certificates
from certification.extensions import db
from certification.notifications.services import Notice, notify_all
from certification.outbox.services import commit, rollback
from certification.reminders.models import SentReminder
from certification.reminders.queries import Due, due_reminders
from certification.types import utcnow

BATCH_SIZE = 200


@dataclass(frozen=True)
class SweepReport:
    due: int  # reminders due now, including those already sent by an earlier (or concurrent) sweep
    sent: int  # reminders this sweep sent
    events: int  # certificates expired or revoked
    seconds: float


def _insert_ignoring_duplicates():
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(SentReminder).on_conflict_do_nothing(index_elements=["recipient_id", "kind", "subject", "period"])


def claim(batch: list[Due], now: datetime) -> list[Due]:
    """Insert the ledger rows of `batch`; returns the reminders this transaction inserted — the only ones it
    may send. A key already there (sent before, or by a concurrent sweep) is skipped by the database:
    INSERT … ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll back."""
    if not batch:
        return []
    stmt = _insert_ignoring_duplicates().returning(
        SentReminder.recipient_id, SentReminder.kind, SentReminder.subject, SentReminder.period
    )
    rows = db.session.execute(
        stmt.values(
            [
                {
                    "recipient_id": d.recipient_id,
                    "kind": d.kind,
                    "subject": d.subject,
                    "period": d.period,
                    "sent_at": now,
                }
                for d in batch
            ]
        )  # fmt: skip
    ).all()
    inserted = {tuple(row) for row in rows}
    return [d for d in batch if d.key in inserted]


def send_due(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Send the reminders due at `now` that were never sent: (due, sent). Each batch is one transaction —
    ledger rows, notifications, mails and their outbox rows commit together or not at all."""
    now = now or utcnow()
    due = due_reminders(now)
    sent = 0
    for start in range(0, len(due), batch_size):
        batch = due[start : start + batch_size]
        try:
            mine = claim(batch, now)
            notify_all([Notice(d.recipient_id, d.kind, d.params, d.link, subject=d.subject,
                               key=f"reminder:{d.kind}:{d.subject}:{d.period}"[:160]) for d in mine])  # fmt: skip
            commit()
        except Exception:
            rollback()
            raise
        sent += len(mine)
    return len(due), sent


def sweep(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Run the whole sweep once; safe to run in several processes at the same time."""
    started = time.perf_counter()
    now = now or utcnow()
    due, sent = send_due(now, batch_size)
    events = expire_due_certificates(now.date())
    return SweepReport(due=due, sent=sent, events=events, seconds=time.perf_counter() - started)
