"""Background work against the real Redis and real Celery worker and beat processes, on PostgreSQL.

Each test starts its own worker (and beat, whose outbox relay runs every second here) with
`SELLO_CONFIG=testing`, the test database and Redis DB 5; leases are 3 s so that recovery after a killed
worker takes seconds, not minutes. The fault tests stop only a throwaway redis-server of their own.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
import redis
from sqlalchemy import func, select

from bench.data import overdue_assignments, reviewed_applications
from certification.applications.models import Application
from certification.extensions import db
from certification.notifications.models import MailMessage
from certification.outbox.models import OutboxMessage
from certification.outbox.services import enqueue
from certification.reminders.models import SentReminder
from certification.reminders.services import sweep
from certification.rescoring.models import RescoreJob, RescoreStatus
from certification.rescoring.services import start_rescore
from certification.reviews.models import ScoreSnapshot
from certification.reviews.queries import current_digest, latest_snapshot
from certification.reviews.services import save_score
from certification.seals.models import Standard
from certification.types import utcnow
from tests import factories as f
from tests.conftest import POSTGRES_URL, service_missing
from tests.web.helpers import fresh_client
from tests.worker.support import (
    REDIS_URL,
    CountingSMTP,
    ThrowawayRedis,
    broker,
    free_port,
    service_env,
    start_beat,
    start_worker,
    wait_for,
)
from tests.worker.test_reminders import blocked_on_a_lock
from tests.worker.test_rescoring import full_recompute, latest_results

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def processes():
    """Worker/beat processes a test starts; all stopped at the end (before the database is cleaned)."""
    started = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    monkeypatch.setattr("certification.outbox.services._broker_down_until", 0.0)
    yield
    f.release_session()


def outbox_rows(task: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if task:
        query = query.where(OutboxMessage.task == task)
    rows = list(db.session.scalars(query))
    db.session.commit()  # end the read transaction: never hold a lock the worker may wait for
    return rows


def all_done(task: str | None = None) -> bool:
    rows = outbox_rows(task)
    return bool(rows) and all(r.done_at is not None for r in rows)


def score_is_current(application_id: int) -> bool:
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    snapshot = latest_snapshot(application_id)
    ok = snapshot is not None and snapshot.inputs_digest == current_digest(
        application, db.session.get(Standard, application.standard_id)
    )
    db.session.commit()
    return ok


def scored_but_not_submitted(walk) -> None:
    for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
        for ind in walk.indicators:
            save_score(reviewer, assignment_id, ind.code, ind.scale_max - 1, f"Verificado {ind.code}.")


def test_a_review_submission_updates_the_score_through_the_real_worker(app, tmp_path, shared_redis, processes):
    walk = f.Walk().start_review()
    scored_but_not_submitted(walk)
    with broker(app, REDIS_URL):
        login = fresh_client(app, walk.reviewers[0])
        assert login.post(f"/assignments/{walk.assignment_ids[0]}/submit").status_code == 303
        [message] = outbox_rows("recalculate_score")
        assert message.sent_at is not None and message.done_at is None, "published to Redis, not run in process"
        assert shared_redis.llen("celery") == 1
        assert latest_snapshot(walk.id) is None
        db.session.commit()
        env = service_env(POSTGRES_URL, REDIS_URL)
        processes.append(start_worker(env, tmp_path / "worker.log", "h5-review"))
        wait_for(lambda: all_done("recalculate_score"), what="the worker to run the re-scoring")
    assert score_is_current(walk.id)
    snapshot = latest_snapshot(walk.id)
    assert snapshot.result == full_recompute(walk.id)
    assert snapshot.inputs["reviewer_scores"], "the submitted review's scores were read"
    assert "run_outbox_message[outbox-" in processes[0].text() and "succeeded" in processes[0].text()


def test_a_worker_killed_in_the_middle_of_a_bulk_rescoring_is_replaced_and_nothing_is_lost_or_repeated(
    app, tmp_path, shared_redis, processes, request
):
    std = f.standard("gender")
    ids = reviewed_applications(std.id, 600)
    env = service_env(POSTGRES_URL, REDIS_URL, RESCORE_CHUNK_SIZE=3)
    with broker(app, REDIS_URL):
        first = start_worker(env, tmp_path / "worker-1.log", "h5-first")
        processes.append(first)
        job_id = start_rescore(std.id, requested_by_id=None, reason="SIGKILL test").id

        def progress() -> int:
            db.session.expire_all()
            done = db.session.get(RescoreJob, job_id).done
            db.session.commit()
            return done

        wait_for(lambda: progress() >= 30, interval=0.005, what="the first chunks to commit")
        first.kill()  # SIGKILL to the worker and its pool child, mid-job
        done_at_kill = progress()
        assert 0 < done_at_kill < 600, done_at_kill
        request.node.user_properties.append(("done_when_killed", done_at_kill))
        killed = time.perf_counter()
        assert db.session.get(RescoreJob, job_id).status == RescoreStatus.RUNNING
        db.session.commit()
        # A new worker and the beat relay: the lease of the dead worker runs out, the relay re-publishes.
        processes.append(start_worker(env, tmp_path / "worker-2.log", "h5-second"))
        processes.append(start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule"))
        wait_for(lambda: progress() == 600, timeout=120, what="the second worker to finish the job")
        request.node.user_properties.append(("seconds_from_kill_to_done", round(time.perf_counter() - killed, 2)))
        wait_for(lambda: all_done("rescore_standard"), what="the job's outbox row to be done")
    job = db.session.get(RescoreJob, job_id)
    assert job.status == RescoreStatus.DONE and job.finished_at is not None
    per_app = dict(db.session.execute(select(ScoreSnapshot.application_id, func.count()).group_by(
        ScoreSnapshot.application_id)).all())  # fmt: skip
    assert per_app == {a: 1 for a in ids}, "each application scored exactly once: no chunk lost, none repeated"
    results = latest_results(ids)
    assert all(results[a] == full_recompute(a) for a in ids)
    messages = outbox_rows("rescore_standard")
    assert len(messages) == 2, "two runners share the job on PostgreSQL"
    assert sorted(m.attempts for m in messages) == [1, 2], "one claimed by the killed worker, then again"
    assert re.search(r"relay_outbox\[[^\]]+\] succeeded in \S+: 1$", processes[1].text(), re.M), "the relay resent it"


def test_two_sweeps_at_once_send_each_reminder_exactly_once_through_smtp(app, tmp_path, shared_redis, processes):
    std = f.standard("gender")
    reviewers = overdue_assignments(std.id, 30)
    with CountingSMTP() as smtp, broker(app, REDIS_URL) as celery:
        env = service_env(POSTGRES_URL, REDIS_URL, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        processes.append(start_worker(env, tmp_path / "worker.log", "h5-mail", concurrency=2))
        # Two sweeps in two worker processes at once ...
        for _ in range(2):
            celery.tasks["worker.tasks.sweep_reminders"].apply_async()
        # ... and two more here, the first holding its first batch uncommitted until the second waits on it.
        import threading

        holding = threading.Event()
        reports: list = []

        def hold(session):
            if not holding.is_set():
                holding.set()
                wait_for(blocked_on_a_lock, timeout=30, interval=0.01, what="the second sweep to wait")

        def run(held: bool):
            with app.app_context():
                if held:
                    import sqlalchemy as sa

                    sa.event.listen(db.session(), "before_commit", hold)
                try:
                    reports.append(sweep(batch_size=5))
                except BaseException as exc:  # noqa: BLE001 - asserted below
                    reports.append(exc)
                finally:
                    db.session.rollback()
                    db.session.remove()

        f.release_session()
        threads = [threading.Thread(target=run, args=(True,))]
        threads[0].start()
        assert holding.wait(30)
        threads.append(threading.Thread(target=run, args=(False,)))
        threads[1].start()
        for thread in threads:
            thread.join(60)
        assert not any(isinstance(r, BaseException) for r in reports), reports
        wait_for(lambda: smtp.count() >= 30, what="30 mails at the SMTP server")
        wait_for(lambda: db.session.scalar(select(func.count()).select_from(MailMessage)) == 30
                 and all_done("send_mail"), what="every mail's outbox row to be done")  # fmt: skip
        wait_for(lambda: processes[0].text().count("sweep_reminders") >= 4, what="both worker sweeps to finish")
        received = [m["To"] for m in smtp.messages]
    assert len(received) == 30 and len(set(received)) == 30
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 30
    expected = {e for e in db.session.scalars(select(db.metadata.tables["users"].c.email).where(
        db.metadata.tables["users"].c.id.in_(reviewers)))}  # fmt: skip
    assert set(received) == expected


def test_with_redis_stopped_the_site_answers_fast_and_the_work_is_done_when_redis_is_back(
    app, tmp_path, processes, request
):
    if shutil.which("redis-server") is None:
        service_missing("redis-server is not installed")
    throwaway = ThrowawayRedis(free_port(), tmp_path / "redis.log")
    throwaway.start()
    try:
        walk = f.Walk().start_review()
        scored_but_not_submitted(walk)
        env = service_env(POSTGRES_URL, throwaway.url)
        with broker(app, throwaway.url):
            processes.append(start_worker(env, tmp_path / "worker.log", "h5-redis-down"))
            processes.append(start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule"))
            throwaway.kill()
            timings = []
            for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
                client = fresh_client(app, reviewer)
                started = time.perf_counter()
                response = client.post(f"/assignments/{assignment_id}/submit")
                timings.append(time.perf_counter() - started)
                assert response.status_code == 303
                started = time.perf_counter()
                assert client.get("/assignments").status_code == 200
                timings.append(time.perf_counter() - started)
            assert max(timings) < 1.0, timings
            request.node.user_properties.append(("request_seconds_with_redis_down", [round(t, 3) for t in timings]))
            rows = outbox_rows("recalculate_score")
            assert len(rows) == len(walk.reviewers) and all(r.sent_at is None and r.done_at is None for r in rows)
            assert latest_snapshot(walk.id) is None
            db.session.commit()
            throwaway.start()  # empty: whatever was queued before is gone; the outbox still has it
            restarted = time.perf_counter()
            wait_for(lambda: all_done("recalculate_score"), timeout=90, what="the relay and worker after restart")
            request.node.user_properties.append(
                ("seconds_from_redis_restart_to_done", round(time.perf_counter() - restarted, 2))
            )
        assert score_is_current(walk.id)
    finally:
        throwaway.kill()


def test_a_task_delivered_twice_leaves_the_same_state_as_once(app, tmp_path, shared_redis, processes):
    walk = f.Walk().start_review()
    scored_but_not_submitted(walk)
    from certification.reviews.models import Assignment, AssignmentStatus

    for assignment_id in walk.assignment_ids:
        db.session.execute(Assignment.__table__.update().where(Assignment.id == assignment_id).values(
            status=AssignmentStatus.SUBMITTED, submitted_at=utcnow()))  # fmt: skip
    db.session.commit()
    with CountingSMTP() as smtp:
        from certification.notifications.services import notify

        # Written without dispatch (as the broker being down would leave them), then delivered twice by hand.
        rescore = enqueue("recalculate_score", application_id=walk.id)
        notify([walk.facilitator.id], "review_overdue", {"application": "X", "due_on": "2026-01-01"})
        db.session.info.pop("sello_outbox_pending")
        db.session.commit()
        ids = [m.id for m in outbox_rows()]
        assert rescore.id in ids and len(ids) == 2
        env = service_env(POSTGRES_URL, REDIS_URL, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        with broker(app, REDIS_URL) as celery:
            task = celery.tasks["worker.tasks.run_outbox_message"]
            for message_id in ids:
                for copy in ("a", "b"):
                    task.apply_async(args=[message_id], task_id=f"dup-{message_id}-{copy}")
            worker = start_worker(env, tmp_path / "worker.log", "h5-twice", concurrency=2)
            processes.append(worker)
            wait_for(lambda: all(f"[dup-{i}-{c}] succeeded" in worker.text() for i in ids for c in "ab"),
                     what="all four deliveries to finish")  # fmt: skip
    rows = outbox_rows()
    assert all(r.done_at is not None and r.attempts == 1 for r in rows), [(r.id, r.attempts) for r in rows]
    assert smtp.count() == 1
    assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 1
    mail = db.session.scalars(select(MailMessage)).one()
    assert (mail.status.value, mail.attempts, mail.suppressed) == ("sent", 1, False)
    assert score_is_current(walk.id)
