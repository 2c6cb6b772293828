"""Time the bulk re-scoring of a standard's applications.

    .venv/bin/python -m bench.rescore            # or all benchmarks: make bench

For each size: generate that many reviewed applications (2 reviews each, not timed), then time
1. the first scoring (no snapshot yet: every application gets one),
2. a re-scoring after a calibration (pass threshold changed: every snapshot is recomputed),
3. a re-scoring with nothing changed (digests equal: no snapshot written),
and, for comparison, the per-application `recalculate_score` loop on the first 1,000. `--runners 2` runs
each job in two processes at once (on PostgreSQL they split the chunks, as two workers do).

The anchor, measured in the same run right after the calibrated job: ONE SQL statement computing the same
numbers from the same tables (per application: the reviewers' and the self-assessment's overall, the level
and eligibility, with moderations, N/A, weights and thresholds), fetched to the client. It is checked equal
to the snapshots the job wrote on a sample. The table ends with Sello's figure beside the anchor, the
ratio (goal <= 2x) and how much faster the bulk job is than the per-application loop (goal >= 20x).
"""

from __future__ import annotations

import math
import multiprocessing
import random
import sys
import time

from flask import current_app
from sqlalchemy import func, select, text

from bench.common import Row, log, main, scratch_app, wipe
from bench.data import reviewed_applications
from certification.extensions import db
from certification.rescoring.models import RescoreJob, RescoreStatus
from certification.rescoring.services import run_job, start_rescore
from certification.reviews.models import AssignmentStatus, ScoreSnapshot
from certification.reviews.services import recalculate_score
from certification.seals.models import Standard

RUNNERS = 1


def _runner(app, job_id: int) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # a forked child never shares the parent's connections
        run_job(job_id)


def timed_job(standard_id: int, reason: str) -> float:
    """Start a job and run it to the end with RUNNERS processes sharing it (as that many workers would)."""
    started = time.perf_counter()
    job_id = start_rescore(standard_id, requested_by_id=None, reason=reason).id  # with a broker: only queued
    if RUNNERS == 1:
        run_job(job_id)
    else:
        db.session.remove()
        db.engine.dispose()
        context = multiprocessing.get_context("fork")
        app = current_app._get_current_object()
        children = [context.Process(target=_runner, args=(app, job_id)) for _ in range(RUNNERS)]
        for child in children:
            child.start()
        for child in children:
            child.join()
            assert child.exitcode == 0
    elapsed = time.perf_counter() - started
    db.session.expire_all()
    job = db.session.get(RescoreJob, job_id)
    assert job.status == RescoreStatus.DONE and job.done == job.total
    return elapsed


# The SQL floor: design §4 for every application of a standard in one statement (PostgreSQL), for the
# reviewers' scores (src 'r', moderations replacing the consensus) and the self-assessment (src 's').
FLOOR_SQL = text("""
WITH apps AS (SELECT id FROM applications WHERE standard_id = :standard_id),
reviewed AS (
    SELECT a.application_id AS app, s.indicator_id AS ind, avg(s.score)::float8 AS consensus
    FROM review_scores s JOIN assignments a ON a.id = s.assignment_id
    WHERE a.status = :submitted AND a.application_id IN (SELECT id FROM apps) AND s.score IS NOT NULL
    GROUP BY 1, 2
),
moderated AS (
    SELECT DISTINCT ON (application_id, indicator_id) application_id AS app, indicator_id AS ind, score
    FROM moderations WHERE application_id IN (SELECT id FROM apps)
    ORDER BY application_id, indicator_id, id DESC
),
consensus AS (
    SELECT 'r' AS src, coalesce(m.app, r.app) AS app, coalesce(m.ind, r.ind) AS ind,
           coalesce(m.score, r.consensus) AS consensus
    FROM reviewed r FULL JOIN moderated m ON m.app = r.app AND m.ind = r.ind
    UNION ALL
    SELECT 's', application_id, indicator_id, rating::float8 FROM self_assessments
    WHERE application_id IN (SELECT id FROM apps) AND rating IS NOT NULL
),
dimension AS (
    SELECT c.src, c.app, i.dimension_id,
           100 * sum(i.weight * (c.consensus - i.scale_min) / (i.scale_max - i.scale_min)) / sum(i.weight) AS score,
           bool_or(i.essential AND c.consensus < st.essential_minimum) AS essential_failure
    FROM consensus c JOIN indicators i ON i.id = c.ind JOIN standards st ON st.id = i.standard_id
    WHERE c.consensus IS NOT NULL
    GROUP BY 1, 2, 3
),
overall AS (
    SELECT d.src, d.app, sum(dm.weight * d.score) / sum(dm.weight) AS overall, min(d.score) AS lowest,
           bool_or(d.essential_failure) AS essential_failure
    FROM dimension d JOIN dimensions dm ON dm.id = d.dimension_id
    GROUP BY 1, 2
)
SELECT o.src, o.app, o.overall,
       (SELECT level->>'code' FROM json_array_elements(st.levels) AS level
        WHERE (level->>'minimum')::float8 <= o.overall ORDER BY (level->>'minimum')::float8 DESC LIMIT 1) AS level,
       o.overall >= st.pass_threshold AND o.lowest >= st.dimension_minimum AND NOT o.essential_failure AS eligible
FROM overall o CROSS JOIN standards st WHERE st.id = :standard_id
""")


def sql_floor(standard_id: int) -> tuple[float, dict]:
    """Run the floor statement; returns (seconds, {(src, application id): (overall, level, eligible)})."""
    db.session.commit()
    started = time.perf_counter()
    rows = db.session.execute(FLOOR_SQL, {"standard_id": standard_id, "submitted": AssignmentStatus.SUBMITTED.value})
    figures = {(src, app): (overall, level, eligible) for src, app, overall, level, eligible in rows}
    elapsed = time.perf_counter() - started
    return elapsed, figures


def check_floor(figures: dict, ids: list[int], sample: int = 200) -> None:
    """The floor computes the numbers the job wrote: compare on a random sample of applications."""
    for application_id in random.Random(1).sample(ids, min(sample, len(ids))):
        snapshot = db.session.scalar(select(ScoreSnapshot).where(ScoreSnapshot.application_id == application_id)
                                     .order_by(ScoreSnapshot.id.desc()).limit(1))  # fmt: skip
        overall, level, eligible = figures[("r", application_id)]
        assert math.isclose(overall, snapshot.overall, rel_tol=1e-12), (application_id, overall, snapshot.overall)
        assert (level, eligible) == (snapshot.level, snapshot.eligible), (application_id, level, eligible)
        self_overall, self_level, _ = figures[("s", application_id)]
        assert math.isclose(self_overall, snapshot.self_result["overall"], rel_tol=1e-12), application_id
        assert self_level == snapshot.self_result["level"], application_id


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[10000])
    p.add_argument("--runners", type=int, default=1, help="processes sharing each job (as that many workers)")
    p.add_argument("--loop", type=int, default=1000, help="applications timed through the per-application loop")


def run(args) -> list[Row]:
    global RUNNERS
    RUNNERS = args.runners
    rows: list[Row] = []
    with scratch_app(args):
        _run(args, rows)
    return rows


def _run(args, rows: list[Row]) -> None:
    postgres = db.engine.dialect.name == "postgresql"
    log(f"{'applications':>12} {'generate s':>10} {'first s':>8} {'calibrated s':>12} {'unchanged s':>11} "
        f"{'apps/s (calibrated)':>20}")  # fmt: skip
    for size in args.sizes:
        wipe()
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        standard_id, threshold = standard.id, standard.pass_threshold
        started = time.perf_counter()
        ids = reviewed_applications(standard_id, size)
        generated = time.perf_counter() - started
        first = timed_job(standard_id, "first scoring")
        assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == size
        db.session.execute(Standard.__table__.update().where(Standard.id == standard_id).values(
            pass_threshold=threshold + 5))  # fmt: skip
        calibrated = timed_job(standard_id, "calibration")
        floor = None
        if postgres:
            floor, figures = sql_floor(standard_id)
            check_floor(figures, ids)
        unchanged = timed_job(standard_id, "nothing changed")
        assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 2 * size
        log(f"{size:>12} {generated:>10.1f} {first:>8.2f} {calibrated:>12.2f} {unchanged:>11.2f} "
            f"{size / calibrated:>20.0f}")  # fmt: skip
        what = f"re-score {size:,} applications × 2 reviewers × 16 indicators after a calibration"
        if floor is not None:
            rows.append(Row(what, f"{calibrated:.2f} s", "≤ 2×", calibrated / floor <= 2,
                            f"one SQL statement computing the same numbers: {floor:.2f} s",
                            f"{calibrated / floor:.1f}×"))  # fmt: skip
        else:
            rows.append(Row(what, f"{calibrated:.2f} s", "≤ 2× the SQL floor", None))
        if RUNNERS == 1 and args.loop:
            looped = ids[: args.loop]
            db.session.execute(Standard.__table__.update().where(Standard.id == standard_id).values(
                pass_threshold=threshold + 6))  # fmt: skip
            db.session.commit()
            started = time.perf_counter()
            for application_id in looped:
                recalculate_score(application_id)
            loop = (time.perf_counter() - started) * size / len(looped)  # scaled to the whole standard
            rows.append(Row(f"same, vs the per-application `recalculate_score` loop ({len(looped):,} timed, scaled)",
                            f"{loop / calibrated:.1f}× faster", "≥ 20×", loop / calibrated >= 20,
                            f"the loop: {loop:.1f} s for {size:,}"))  # fmt: skip
    wipe()


if __name__ == "__main__":
    main(sys.modules[__name__])
