"""Checking the decision records as a whole: every hash chain walked (certification.records) and every
certificate's decision found in its application's history; the daily check alerts the administrators."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from certification.accounts.models import Role, User
from certification.applications.models import HistoryEntry
from certification.certificates.models import Certificate
from certification.notifications.services import notify
from certification.outbox.services import commit
from certification.records import Break, Verification, verify_chains


def _certificates_pinned(session: Session) -> list[Break]:
    """Each certificate's decision_hash must still be the hash of a certify row of its application."""
    pinned = session.execute(
        sa.select(Certificate.id, Certificate.decision_hash)
        .where(Certificate.decision_hash.is_not(None))
        .where(
            ~sa.exists().where(
                HistoryEntry.application_id == Certificate.application_id,
                HistoryEntry.event == "certify",
                HistoryEntry.hash == Certificate.decision_hash,
            )
        )
        .order_by(Certificate.id)
    ).all()
    return [Break("certificates", certificate_id, certificate_id, "decision missing") for certificate_id, _ in pinned]


def verify(session: Session) -> Verification:
    """Every chain walked, and every certificate's decision found in its application's history."""
    chains = verify_chains(session)
    return Verification(chains.chains, chains.rows, chains.breaks + tuple(_certificates_pinned(session)))


def check_and_alert(session: Session) -> Verification:
    """The daily check (beat): verify every record; when anything is broken, every active administrator
    gets an in-app notification and a mail (one unit of work)."""
    result = verify(session)
    session.rollback()  # end the read-only walk before writing the alert
    if result.intact:
        return result
    admins = session.scalars(sa.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))).all()
    first = "; ".join(b.describe() for b in result.breaks[:5])
    notify(admins, "records_broken", {"count": len(result.breaks), "first": first})
    commit()
    return result
