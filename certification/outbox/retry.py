"""Which failures of an outbox task are worth retrying: the handlers' services raise and ask this."""

from __future__ import annotations

import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


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
