"""What the operator's commands report: the configuration in force, and the outbox's backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from certification.outbox.models import OutboxMessage
from certification.types import utcnow
from config.settings import DEV_SECRET


@dataclass
class OutboxState:
    pending: int
    failed: int
    done: int
    oldest_pending: datetime | None


def outbox_state(session) -> OutboxState:
    pending = OutboxMessage.done_at.is_(None) & OutboxMessage.failed_at.is_(None)
    row = session.execute(
        select(
            func.count().filter(pending),
            func.count().filter(OutboxMessage.failed_at.is_not(None)),
            func.count().filter(OutboxMessage.done_at.is_not(None)),
            func.min(OutboxMessage.created_at).filter(pending),
        )
    ).one()
    return OutboxState(int(row[0]), int(row[1]), int(row[2]), row[3])


def age(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    seconds = int((utcnow() - moment).total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


def configuration_report(config) -> tuple[list[str], list[str]]:
    """(lines describing the configuration, problems). Secrets are never printed, only whether they are set."""
    lines = [
        f"SELLO_CONFIG        {config.get('SELLO_CONFIG')}",
        f"database            {config['SQLALCHEMY_DATABASE_URI'].split('://', 1)[0]}",
        f"redis               {'configured' if config.get('REDIS_URL') else 'none (tasks run in process)'}",
        f"evidence storage    {config.get('EVIDENCE_STORAGE')}",
        f"trusted proxies     {config.get('TRUSTED_PROXIES')}",
        f"public base URL     {config.get('PUBLIC_BASE_URL')}",
        f"mail server         {config.get('MAIL_SERVER') or 'none (mails are logged, not sent)'}",
        f"log format          {config.get('LOG_FORMAT')}",
    ]
    problems = []
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET) or len(config.get("SECRET_KEY", "")) < 32:
        problems.append("SECRET_KEY is the development value or shorter than 32 characters")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append("DATABASE_URL is SQLite: one machine only, PostgreSQL is needed for several web nodes")
    if not config.get("REDIS_URL"):
        problems.append("REDIS_URL is not set: login limits and session revocation are per process")
    if config.get("EVIDENCE_STORAGE") == "local":
        problems.append("EVIDENCE_STORAGE is local: every web node must share EVIDENCE_DIR (or use s3)")
    if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        problems.append("PUBLIC_BASE_URL is not https: links in mails and QR codes point at plain HTTP")
    return lines, problems
