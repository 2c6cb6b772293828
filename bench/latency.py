"""From a review submitted to its score visible, through a real Celery worker on Redis (design §8).

    .venv/bin/python -m bench.latency [--submissions 20]

Generates `--submissions` applications under review (self-assessed, two reviews scored; one review of each
left unsubmitted; not timed), starts a real `celery worker` (prefork, 1 process) on a Redis database of its
own, then for each application submits the open review through the service (which publishes the re-scoring
task after its commit) and waits until the application's score snapshot is there; the row gives the 95th
percentile of those delays.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from sqlalchemy import select, update

from bench.common import Row, log, main, scratch_app
from bench.data import reviewed_applications
from certification.accounts.models import User
from certification.extensions import db
from certification.reviews.models import Assignment, AssignmentStatus
from certification.reviews.queries import latest_snapshot
from certification.reviews.services import submit_review
from certification.seals.models import Standard
from config.celery import celery_settings

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.0  # seconds
CLAIM = "sello:test-redis-db:{}"  # the claims of tests/services.py: a database number nobody else uses


def add_arguments(p) -> None:
    p.add_argument("--submissions", type=int, default=20)
    p.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
                   help="Redis server (a free database number on it is claimed for the run)")  # fmt: skip


@contextlib.contextmanager
def scratch_redis(server: str) -> Iterator[str]:
    """A free Redis database number on `server`, claimed (as the test suite claims them), emptied, released."""
    base = server.rstrip("/")
    admin = redis.Redis.from_url(f"{base}/0", socket_connect_timeout=2)
    for number in range(1, 16):
        if admin.set(CLAIM.format(number), os.getpid(), nx=True, ex=3600):
            break
    else:
        raise RuntimeError(f"no free Redis database on {server}")
    url = f"{base}/{number}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
        admin.delete(CLAIM.format(number))


@contextlib.contextmanager
def celery_worker(database: str, broker: str) -> Iterator[None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "OUTBOX_", "RESCORE_"))}
    env.update({"SELLO_CONFIG": "testing", "TEST_DATABASE_URL": database, "REDIS_URL": broker,
                "PYTHONUNBUFFERED": "1"})  # fmt: skip
    command = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool=prefork",
               "--concurrency=1", "--loglevel=info", "-n", f"bench-{os.getpid()}@%h", "--without-mingle",
               "--without-gossip"]  # fmt: skip
    with tempfile.NamedTemporaryFile(prefix="sello-bench-worker-", suffix=".log") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in Path(out.name).read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start:\n" + Path(out.name).read_text()[-2000:])
                time.sleep(0.1)
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run(args) -> list[Row]:
    delays = []
    with scratch_redis(args.redis) as broker, scratch_app(args, CELERY=celery_settings(broker)) as app:
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        ids = reviewed_applications(standard.id, args.submissions)
        open_reviews = []
        for application_id in ids:  # one review of each application goes back to "scored, not submitted"
            assignment = db.session.scalars(
                select(Assignment).where(Assignment.application_id == application_id).order_by(Assignment.id)
            ).first()
            open_reviews.append((assignment.reviewer_id, assignment.id, application_id))
        db.session.execute(
            update(Assignment)
            .where(Assignment.id.in_([a for _, a, _ in open_reviews]))
            .values(status=AssignmentStatus.ACCEPTED, submitted_at=None)
        )
        db.session.commit()
        with celery_worker(app.config["SQLALCHEMY_DATABASE_URI"], broker):
            for reviewer_id, assignment_id, application_id in open_reviews:
                reviewer = db.session.get(User, reviewer_id)
                started = time.perf_counter()
                submit_review(reviewer, assignment_id)
                while True:
                    db.session.expire_all()
                    visible = latest_snapshot(application_id) is not None
                    db.session.commit()  # end the read: never hold a snapshot the worker's commit is newer than
                    if visible:
                        break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError(f"no score for application {application_id} after 30 s")
                    time.sleep(0.005)
                delays.append(time.perf_counter() - started)
    p95 = statistics.quantiles(delays, n=20, method="inclusive")[18]
    log(f"  delays: median {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms over {len(delays)} submissions")  # fmt: skip
    return [Row(f"review submitted → score visible through a real worker (p95 of {len(delays)})",
                f"{p95 * 1000:.0f} ms", f"< {GOAL:.0f} s", p95 < GOAL)]  # fmt: skip


if __name__ == "__main__":
    main(sys.modules[__name__])
