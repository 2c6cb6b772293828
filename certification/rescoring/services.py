"""Bulk re-scoring of every application of a standard version (pilot calibration, `scores recalculate`).

`start_rescore` writes the job, its work list and its outbox rows in one transaction; workers then run
`run_job`, which re-scores the work list in chunks and commits each chunk with its progress, so a worker
killed half-way loses at most one chunk, and a re-delivered task continues with what is not done yet.
On PostgreSQL several workers share a job (RESCORE_RUNNERS): each takes the next chunk nobody holds.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import sqlite

from certification.applications.models import Application
from certification.errors import NotFound
from certification.extensions import db
from certification.notifications.services import notify
from certification.organizations.models import Organization
from certification.outbox.services import commit, enqueue, heartbeat
from certification.rescoring.models import RescoreItem, RescoreJob, RescoreStatus
from certification.scoring.pipeline import Batch, rescore_applications
from certification.seals.models import Standard
from certification.seals.queries import scoring_rules
from certification.types import utcnow

MAX_REASON = 2000


def start_rescore(standard_id: int, *, requested_by_id: int | None, reason: str = "") -> RescoreJob:
    """Queue the re-scoring of every application of `standard_id` and commit (see `queue_rescore`)."""
    job = queue_rescore(standard_id, requested_by_id=requested_by_id, reason=reason)
    commit()
    return job


def queue_rescore(standard_id: int, *, requested_by_id: int | None, reason: str = "") -> RescoreJob:
    """Queue the re-scoring of every application of `standard_id`; returns the job (progress `done`/`total`).

    Part of the caller's unit of work, so a pending change (e.g. a calibrated weight) is committed in the
    same transaction as the job and its outbox row: either both happen or neither. The work runs after the
    commit — in the worker with a broker, in process without one. Raises NotFound for an unknown standard.
    """
    if db.session.get(Standard, standard_id) is None:
        raise NotFound("standard")
    job = RescoreJob(
        standard_id=standard_id,
        requested_by_id=requested_by_id,
        reason=(reason or "").strip()[:MAX_REASON],
        status=RescoreStatus.QUEUED,
        report={},
    )
    db.session.add(job)
    db.session.flush()
    # The work list in one statement, whatever the number of applications.
    db.session.execute(
        insert(RescoreItem).from_select(
            ["job_id", "application_id", "changed"],
            select(sa.literal(job.id), Application.id, sa.false()).where(Application.standard_id == standard_id),
        )
    )
    job.total = db.session.scalar(select(func.count()).select_from(RescoreItem).where(RescoreItem.job_id == job.id))
    for _ in range(_runners()):
        enqueue("rescore_standard", job_id=job.id)
    return job


def _runners() -> int:
    """How many workers share one job: on PostgreSQL with a broker, RESCORE_RUNNERS (they split the chunks
    with SKIP LOCKED); otherwise one (SQLite has no row locks; in process they would run one after another)."""
    if db.session.get_bind().dialect.name != "postgresql" or current_app.extensions["celery"].conf.task_always_eager:
        return 1
    return max(1, int(current_app.config.get("RESCORE_RUNNERS", 2)))


def _changed(before: dict | None, after: dict | None) -> bool:
    if before is None or after is None:
        return False
    return (before["eligible"], before["level"]) != (after["eligible"], after["level"])


def _pending_chunk(job_id: int, size: int) -> list[tuple[int, int]]:
    query = (
        select(RescoreItem.id, RescoreItem.application_id)
        .where(RescoreItem.job_id == job_id, RescoreItem.done_at.is_(None))
        .order_by(RescoreItem.application_id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Two runners of one job (a re-delivered message) share the work instead of doing it twice.
        query = query.with_for_update(skip_locked=True)
    return [tuple(row) for row in db.session.execute(query)]


def _count_pending(job_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RescoreItem).where(RescoreItem.job_id == job_id, RescoreItem.done_at.is_(None))
    )


def chunk_size() -> int:
    return max(1, int(current_app.config.get("RESCORE_CHUNK_SIZE", 200)))


def run_job(job_id: int, *, on_chunk=None) -> RescoreJob | None:
    """Run (or continue) a re-scoring job: chunk by chunk, each chunk's snapshots, items and progress
    committed together. Idempotent and resumable: a killed run loses at most its current chunk, and a
    second delivery continues with the applications not done yet. `on_chunk(job)` is told the progress.
    """
    job = db.session.get(RescoreJob, job_id)
    if job is None or job.finished:
        return job
    standard_id = job.standard_id
    db.session.execute(
        sa.update(RescoreJob)
        .where(RescoreJob.id == job_id, RescoreJob.status == RescoreStatus.QUEUED)
        .values(status=RescoreStatus.RUNNING)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    batch = Batch(scoring_rules(db.session.get(Standard, standard_id)))  # compiled once for every chunk
    size = chunk_size()
    while chunk := _pending_chunk(job_id, size):
        outcomes = rescore_applications([application_id for _, application_id in chunk], batch)
        _record_items(job_id, chunk, outcomes)
        _update_progress(job_id)
        heartbeat()
        commit()
        if on_chunk is not None:
            on_chunk(db.session.get(RescoreJob, job_id))
    if _count_pending(job_id) == 0:
        _finish(job_id)
    return db.session.get(RescoreJob, job_id)


# PostgreSQL: the chunk's outcomes travel as one JSON parameter (see certification.scoring.pipeline).
_RECORD_ITEMS_POSTGRESQL = sa.text("""
    UPDATE rescore_items SET before = r.before, after = r.after, changed = r.changed, done_at = :done_at
    FROM json_to_recordset(CAST(:rows AS JSON)) AS r(id integer, before json, after json, changed boolean)
    WHERE rescore_items.id = r.id
""").bindparams(sa.bindparam("done_at", type_=RescoreItem.__table__.c.done_at.type))


def _record_items(job_id: int, chunk: list[tuple[int, int]], outcomes: dict) -> None:
    """Mark the chunk's items done with their outcomes in ONE statement (an UPDATE from a list of rows would
    be one statement per row)."""
    now = utcnow()
    rows = [
        {"id": item_id, "job_id": job_id, "application_id": app_id, "before": outcomes[app_id][0],
         "after": outcomes[app_id][1], "changed": _changed(*outcomes[app_id]), "done_at": now}
        for item_id, app_id in chunk
    ]  # fmt: skip
    if db.session.get_bind().dialect.name == "postgresql":
        payload = json.dumps([{key: row[key] for key in ("id", "before", "after", "changed")} for row in rows])
        db.session.execute(_RECORD_ITEMS_POSTGRESQL, {"rows": payload, "done_at": now})
        return
    # Elsewhere an upsert on the items' own ids: every row exists, so each "insert" updates its row.
    statement = sqlite.insert(RescoreItem.__table__)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={name: statement.excluded[name] for name in ("before", "after", "changed", "done_at")},
        ).returning(statement.table.c.id),  # RETURNING: one multi-row statement ("insertmanyvalues")
        rows,
    ).all()


def _update_progress(job_id: int) -> None:
    done = (
        select(func.count())
        .select_from(RescoreItem)
        .where(RescoreItem.job_id == job_id, RescoreItem.done_at.is_not(None))
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(RescoreJob)
        .where(RescoreJob.id == job_id)
        .values(done=done)
        .execution_options(synchronize_session=False)
    )


def _finish(job_id: int) -> None:
    """Write the report (applications whose eligibility or level changed) and tell the requester."""
    job = db.session.get(RescoreJob, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.finished:
        db.session.rollback()
        return
    rows = db.session.execute(
        select(RescoreItem.application_id, Application.reference, Organization.name, RescoreItem.before,
               RescoreItem.after)
        .join(Application, Application.id == RescoreItem.application_id)
        .join(Organization, Organization.id == Application.organization_id)
        .where(RescoreItem.job_id == job_id, RescoreItem.changed.is_(True))
        .order_by(RescoreItem.application_id)
    ).all()  # fmt: skip
    job.report = {
        "total": job.total,
        "changed_count": len(rows),
        "changed": [
            {"application_id": a, "reference": ref, "organization": org, "before": before, "after": after}
            for a, ref, org, before, after in rows
        ],
    }
    job.done = job.total
    job.status = RescoreStatus.DONE
    job.finished_at = utcnow()
    if job.requested_by_id is not None:
        notify([job.requested_by_id], "rescore_finished", {"job_id": job.id, "changed": len(rows),
               "total": job.total}, link=f"/rescoring/{job.id}", email=False)  # fmt: skip
    commit()
