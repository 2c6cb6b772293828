"""Bulk re-scoring of every application of a standard version (pilot calibration, `scores recalculate`).

`start_rescore` writes the job, its work list and an outbox row in one transaction; the worker then runs
`run_job`, which re-scores the work list in chunks and commits each chunk with its progress, so a worker
killed half-way loses at most one chunk, and a re-delivered task continues with what is not done yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, insert, select

from certification.applications.models import Application
from certification.errors import NotFound
from certification.extensions import db
from certification.outbox.services import commit, enqueue
from certification.rescoring.models import RescoreItem, RescoreJob, RescoreStatus
from certification.seals.models import Standard

MAX_REASON = 2000


def start_rescore(standard_id: int, *, requested_by_id: int | None, reason: str = "") -> RescoreJob:
    """Queue the re-scoring of every application of `standard_id`; returns the job (progress `done`/`total`).

    Commits the session, so a caller's pending change (e.g. a calibrated weight) is committed in the same
    transaction as the job and its outbox row: either both happen or neither. The work runs after the
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
    enqueue("rescore_standard", job_id=job.id)
    commit()
    return job
