"""Bulk re-scoring of every application of a standard version (pilot calibration, `scores recalculate`).

`start_rescore` writes the job, its work list and its outbox rows in one transaction; workers then run
`run_job`, which re-scores the work list in chunks and commits each chunk with its progress, so a worker
killed half-way loses at most one chunk, and a re-delivered task continues with what is not done yet.
On PostgreSQL several workers share a job (RESCORE_RUNNERS): each takes the next chunk nobody holds.
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
    from flask import current_app

    if db.session.get_bind().dialect.name != "postgresql" or current_app.extensions["celery"].conf.task_always_eager:
        return 1
    return max(1, int(current_app.config.get("RESCORE_RUNNERS", 2)))


def _outcome(overall, level, eligible) -> dict:
    return {"overall": overall, "level": level, "eligible": bool(eligible)}


def _chunk_inputs(application_ids: list[int]) -> dict[int, dict]:
    """The §4 inputs of many applications in three queries — the same data `reviews.queries.score_inputs`
    reads for one, so the digests (and hence the snapshots) are identical."""
    from certification.applications.models import SelfAssessment
    from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore
    from certification.seals.models import Indicator

    inputs = {i: {"reviewer_scores": {}, "moderated": {}, "self_ratings": {}} for i in application_ids}
    reviewer_rows = db.session.execute(
        select(Assignment.application_id, Indicator.code, ReviewScore.score)
        .join(ReviewScore, ReviewScore.indicator_id == Indicator.id)
        .join(Assignment, ReviewScore.assignment_id == Assignment.id)
        .where(Assignment.application_id.in_(application_ids), Assignment.status == AssignmentStatus.SUBMITTED)
        .order_by(Assignment.application_id, Indicator.code, Assignment.reviewer_id, Assignment.id)
    )
    for application_id, code, score in reviewer_rows:
        inputs[application_id]["reviewer_scores"].setdefault(code, []).append(score)
    moderated = db.session.execute(
        select(Moderation.application_id, Indicator.code, Moderation.score)
        .join(Moderation, Moderation.indicator_id == Indicator.id)
        .where(Moderation.application_id.in_(application_ids))
        .order_by(Moderation.id)  # moderations are a history: the latest row per indicator wins
    )
    for application_id, code, score in moderated:
        inputs[application_id]["moderated"][code] = score
    ratings = db.session.execute(
        select(SelfAssessment.application_id, Indicator.code, SelfAssessment.rating)
        .join(SelfAssessment, SelfAssessment.indicator_id == Indicator.id)
        .where(SelfAssessment.application_id.in_(application_ids))
    )
    for application_id, code, rating in ratings:
        inputs[application_id]["self_ratings"][code] = rating
    return inputs


def _latest_snapshots(application_ids: list[int]) -> dict[int, tuple]:
    """application id → (digest, overall, level, eligible) of its latest snapshot, in one query."""
    from certification.reviews.models import ScoreSnapshot

    latest_ids = (
        select(func.max(ScoreSnapshot.id))
        .where(ScoreSnapshot.application_id.in_(application_ids))
        .group_by(ScoreSnapshot.application_id)
    )
    rows = db.session.execute(
        select(
            ScoreSnapshot.application_id,
            ScoreSnapshot.inputs_digest,
            ScoreSnapshot.overall,
            ScoreSnapshot.level,
            ScoreSnapshot.eligible,
        ).where(ScoreSnapshot.id.in_(latest_ids))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def rescore_applications(application_ids: list[int], rules, rules_dict: dict) -> dict[int, tuple[dict | None, dict]]:
    """Set-based recompute of many applications of one standard (the bulk twin of `recalculate_score`).

    Reads inputs and latest snapshots in four queries, writes one snapshot per application whose inputs or
    rules changed (one multi-row INSERT) and none for the others — so running it twice adds nothing.
    Returns application id → (outcome before or None if never scored, outcome after). Does not commit.
    """
    from certification.reviews.models import ScoreSnapshot
    from certification.reviews.queries import digest
    from standards.scoring import compute_score, compute_self_assessment

    inputs = _chunk_inputs(application_ids)
    latest = _latest_snapshots(application_ids)
    new_rows: list[dict] = []
    outcomes: dict[int, tuple[dict | None, dict]] = {}
    for application_id in application_ids:
        app_inputs = inputs[application_id]
        previous = latest.get(application_id)
        before = _outcome(*previous[1:]) if previous else None  # never scored: no outcome to change
        app_digest = digest(app_inputs, rules_dict)
        if previous is not None and previous[0] == app_digest:
            outcomes[application_id] = (before, before)
            continue
        result = compute_score(rules, app_inputs["reviewer_scores"], app_inputs["moderated"])
        self_result = compute_self_assessment(rules, app_inputs["self_ratings"])
        new_rows.append(
            {
                "application_id": application_id,
                "inputs_digest": app_digest,
                "inputs": app_inputs,
                "rules": rules_dict,
                "result": result.to_dict(),
                "self_result": self_result.to_dict(),
                "overall": result.overall,
                "level": result.level,
                "eligible": result.eligible,
            }  # fmt: skip
        )
        outcomes[application_id] = (before, _outcome(result.overall, result.level, result.eligible))
    if new_rows:
        db.session.execute(insert(ScoreSnapshot), new_rows)
    return outcomes


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
    from flask import current_app

    return max(1, int(current_app.config.get("RESCORE_CHUNK_SIZE", 200)))


def run_job(job_id: int, *, on_chunk=None) -> RescoreJob | None:
    """Run (or continue) a re-scoring job: chunk by chunk, each chunk's snapshots, items and progress
    committed together. Idempotent and resumable: a killed run loses at most its current chunk, and a
    second delivery continues with the applications not done yet. `on_chunk(job)` is told the progress.
    """
    from certification.outbox.services import heartbeat
    from certification.reviews.models import ScoreSnapshot  # noqa: F401 - mapped before the bulk insert
    from certification.seals.queries import scoring_rules
    from certification.types import utcnow

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
    rules = scoring_rules(db.session.get(Standard, standard_id))
    rules_dict = rules.to_dict()
    size = chunk_size()
    while chunk := _pending_chunk(job_id, size):
        outcomes = rescore_applications([application_id for _, application_id in chunk], rules, rules_dict)
        now = utcnow()
        db.session.execute(
            sa.update(RescoreItem),
            [
                {
                    "id": item_id,
                    "before": outcomes[app_id][0],
                    "after": outcomes[app_id][1],
                    "changed": _changed(*outcomes[app_id]),
                    "done_at": now,
                }
                for item_id, app_id in chunk
            ],  # fmt: skip
        )
        _update_progress(job_id)
        heartbeat()
        commit()
        if on_chunk is not None:
            on_chunk(db.session.get(RescoreJob, job_id))
    if _count_pending(job_id) == 0:
        _finish(job_id)
    return db.session.get(RescoreJob, job_id)


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
    from certification.organizations.models import Organization
    from certification.types import utcnow

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
        from certification.notifications.services import notify

        notify([job.requested_by_id], "rescore_finished", {"job_id": job.id, "changed": len(rows),
               "total": job.total}, link=f"/rescoring/{job.id}", email=False)  # fmt: skip
    commit()
