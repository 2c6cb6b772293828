"""Time the bulk re-scoring of a standard's applications (design §8).

    .venv/bin/python -m bench.rescore [--sizes 1000 10000] [--runners 2]

For each size: generate that many reviewed applications (2 reviews each, not timed), then time
1. the first scoring (no snapshot yet: every application gets one),
2. a re-scoring after a calibration (pass threshold changed: every snapshot is recomputed),
3. a re-scoring with nothing changed (digests equal: no snapshot written),
and, for comparison, the per-application `recalculate_score` loop on the first 1,000. `--runners 2` runs
each job in two processes at once (on PostgreSQL they split the chunks, as two workers do).
"""

from __future__ import annotations

import multiprocessing
import sys
import time

from sqlalchemy import func, select

from bench.common import Row, log, main, scratch_app, wipe
from bench.data import reviewed_applications
from certification.extensions import db
from certification.rescoring.models import RescoreJob, RescoreStatus
from certification.rescoring.services import run_job, start_rescore
from certification.reviews.models import ScoreSnapshot
from certification.seals.models import Standard

RUNNERS = 1


def _runner(app, job_id: int) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # a forked child never shares the parent's connections
        run_job(job_id)


def timed_job(standard_id: int, reason: str) -> float:
    """Start a job and run it to the end with RUNNERS processes sharing it (as that many workers would)."""
    from flask import current_app

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


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[10000])
    p.add_argument("--runners", type=int, default=1, help="processes sharing each job (as that many workers)")


def run(args) -> list[Row]:
    global RUNNERS
    RUNNERS = args.runners
    rows = []
    with scratch_app(args):
        _run(args, rows)
    return rows


def _run(args, rows: list[Row]) -> None:
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
        unchanged = timed_job(standard_id, "nothing changed")
        assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 2 * size
        log(f"{size:>12} {generated:>10.1f} {first:>8.2f} {calibrated:>12.2f} {unchanged:>11.2f} "
              f"{size / calibrated:>20.0f}")  # fmt: skip
        rows.append(Row(f"re-score {size:,} applications × 2 reviewers after a calibration ({RUNNERS} process)",
                        f"{calibrated:.2f} s", "≤ 2× the SQL floor", None))  # fmt: skip
        if size >= 1000 and RUNNERS == 1:
            from certification.reviews.services import recalculate_score

            db.session.execute(Standard.__table__.update().where(Standard.id == standard_id).values(
                pass_threshold=threshold + 6))  # fmt: skip
            db.session.commit()
            started = time.perf_counter()
            for application_id in ids[:1000]:
                recalculate_score(application_id)
            loop = time.perf_counter() - started
            log(f"{'':>12} per-application recalculate_score loop, 1,000 applications: {loop:.2f} s "
                f"({1000 / loop:.0f} apps/s)")  # fmt: skip
            speedup = loop * size / 1000 / calibrated
            rows.append(Row(f"same, vs the per-application `recalculate_score` loop (timed on 1,000 × {size // 1000})",
                            f"{speedup:.1f}× faster", "≥ 20× faster", speedup >= 20,
                            f"the loop: {loop:.1f} s per 1,000 applications"))  # fmt: skip
    wipe()


if __name__ == "__main__":
    main(sys.modules[__name__])
