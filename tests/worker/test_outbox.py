"""The outbox in process: a message runs once however often it is delivered, transient errors are retried
with backoff and then given up, and a broker that is down never fails or slows the user's request."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from certification.extensions import db
from certification.outbox import handlers, services
from certification.outbox.models import OutboxMessage
from certification.outbox.services import commit, enqueue
from certification.reviews.models import ScoreSnapshot
from certification.types import utcnow
from tests import factories as f
from tests.worker.support import broker, free_port


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    yield
    f.release_session()


def message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def queued(task: str, **payload) -> int:
    """An outbox row written and committed without being dispatched (as if the broker had been down)."""
    row = OutboxMessage(task=task, payload=payload)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_a_message_delivered_twice_runs_once():
    walk = f.Walk().start_review()
    message_id = queued("recalculate_score", application_id=walk.id)
    handlers.run_message(message_id)
    first = message(message_id)
    state = (first.done_at, first.attempts, db.session.scalars(select(ScoreSnapshot.id)).all())
    handlers.run_message(message_id)
    again = message(message_id)
    assert (again.done_at, again.attempts, db.session.scalars(select(ScoreSnapshot.id)).all()) == state
    assert again.attempts == 1 and again.done_at is not None


def test_a_message_claimed_by_a_live_worker_is_not_run_by_a_second_delivery(monkeypatch):
    message_id = queued("recalculate_score", application_id=1)
    assert services.claim(message_id)
    ran = []
    monkeypatch.setitem(handlers.HANDLERS, "recalculate_score", lambda **kw: ran.append(kw))
    assert handlers.run_message(message_id) is None
    assert ran == [] and message(message_id).done_at is None


def test_a_transient_error_is_retried_with_backoff_and_given_up_after_the_last_attempt(app, monkeypatch):
    def flaky(**_):
        raise ConnectionRefusedError("database restarting")

    monkeypatch.setitem(handlers.HANDLERS, "recalculate_score", flaky)
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    message_id = queued("recalculate_score", application_id=1)
    countdowns = []
    for _ in range(3):
        db.session.execute(OutboxMessage.__table__.update().values(claimed_until=None))  # the retry arrived
        db.session.commit()
        countdowns.append(handlers.run_message(message_id))
    assert all(c is not None and c >= 1 for c in countdowns[:2]) and countdowns[2] is None
    gave_up = message(message_id)
    assert gave_up.failed_at is not None and gave_up.attempts == 3
    assert "ConnectionRefusedError" in gave_up.last_error


def test_a_bug_in_a_handler_fails_the_message_at_once_without_retrying(monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, "recalculate_score", lambda **_: 1 / 0)
    message_id = queued("recalculate_score", application_id=1)
    assert handlers.run_message(message_id) is None
    failed = message(message_id)
    assert failed.failed_at is not None and failed.attempts == 1 and "ZeroDivisionError" in failed.last_error


def test_the_relay_republishes_what_was_never_sent_or_whose_worker_died_and_nothing_else(app, monkeypatch):
    now = utcnow()
    long_ago = now - timedelta(hours=1)
    rows = {
        "never_sent": dict(created_at=long_ago),
        "just_committed": dict(created_at=now),
        "lease_ran_out": dict(created_at=long_ago, sent_at=long_ago, claimed_until=now - timedelta(minutes=5)),
        "running": dict(created_at=long_ago, sent_at=long_ago, claimed_until=now + timedelta(minutes=1)),
        "lost_in_broker": dict(created_at=long_ago, sent_at=now - timedelta(hours=1)),
        "waiting_in_queue": dict(created_at=long_ago, sent_at=now - timedelta(seconds=5)),
        "done": dict(created_at=long_ago, sent_at=long_ago, done_at=long_ago),
        "failed": dict(created_at=long_ago, sent_at=long_ago, failed_at=long_ago),
    }
    ids = {}
    for name, values in rows.items():
        row = OutboxMessage(task="noop", payload={"name": name}, **values)
        db.session.add(row)
        db.session.flush()
        ids[row.id] = name
    db.session.commit()
    published = []
    monkeypatch.setattr(services, "_publish", lambda message_ids: published.extend(message_ids) or message_ids)
    monkeypatch.setattr(services, "_eager", lambda: False)
    assert services.relay() == 3
    assert sorted(ids[i] for i in published) == ["lease_ran_out", "lost_in_broker", "never_sent"]
    republished = [message(i) for i in published]
    assert all(m.sent_at >= now and m.claimed_until is None for m in republished)
    published.clear()
    assert services.relay() == 0, "just re-published: not again on the next run"


def test_a_message_that_keeps_killing_its_worker_is_given_up(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    row = OutboxMessage(task="noop", payload={}, attempts=2, sent_at=utcnow(),
                        claimed_until=utcnow() - timedelta(minutes=5))  # fmt: skip
    db.session.add(row)
    db.session.commit()
    monkeypatch.setattr(services, "_publish", lambda message_ids: message_ids)
    assert services.relay() == 0
    assert message(row.id).failed_at is not None


def test_with_the_broker_down_a_commit_succeeds_fast_and_leaves_the_message_for_the_relay(app, monkeypatch):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with broker(app, dead):
        started = time.perf_counter()
        row = enqueue("recalculate_score", application_id=1)
        commit()
        first = time.perf_counter() - started
        started = time.perf_counter()
        second = enqueue("recalculate_score", application_id=2)
        commit()
        paused = time.perf_counter() - started
    assert first < 1.0, f"the first failed publish took {first:.2f} s"
    assert paused < 0.2, "right after a failure, requests do not try the broker again"
    assert message(row.id).sent_at is None and message(second.id).sent_at is None
    monkeypatch.setitem(app.config, "OUTBOX_UNSENT_GRACE_SECONDS", 0)
    assert services.due_ids() == [row.id, second.id]
