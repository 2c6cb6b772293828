"""Reads for bulk re-scoring jobs."""

from __future__ import annotations

from sqlalchemy import select

from certification.extensions import db
from certification.rescoring.models import RescoreJob


def job(job_id: int) -> RescoreJob | None:
    """One re-scoring job (progress: `done` of `total`, `status`, `report`), or None."""
    return db.session.get(RescoreJob, job_id)


def recent_jobs(limit: int = 20) -> list[RescoreJob]:
    return list(db.session.scalars(select(RescoreJob).order_by(RescoreJob.id.desc()).limit(limit)))
