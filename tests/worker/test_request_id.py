"""The id of a web request follows the work it causes into a real Celery worker: the worker logs the task
under the request's id (JSON lines), so one search finds the click and the background work it started."""

from __future__ import annotations

import json

import pytest

from certification.extensions import db
from tests import factories as f
from tests.conftest import POSTGRES_URL
from tests.web.helpers import fresh_client
from tests.worker.support import REDIS_URL, broker, service_env, start_worker, wait_for
from tests.worker.test_real_worker import (  # noqa: F401
    all_done,
    outbox_rows,
    processes,
    scored_but_not_submitted,
    shared_redis,
)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    monkeypatch.setattr("certification.outbox.services._broker_down_until", 0.0)
    yield
    f.release_session()


def json_lines(text: str) -> list[dict]:
    entries = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return entries


def test_a_task_published_by_a_request_is_logged_by_the_worker_under_the_request_id(
    app,
    tmp_path,
    shared_redis,  # noqa: F811
    processes,  # noqa: F811
):
    walk = f.Walk().start_review()
    scored_but_not_submitted(walk)
    with broker(app, REDIS_URL):
        reviewer = fresh_client(app, walk.reviewers[0])
        answer = reviewer.post(f"/assignments/{walk.assignment_ids[0]}/submit", headers={"X-Request-ID": "click-42"})
        assert answer.status_code == 303 and answer.headers["X-Request-ID"] == "click-42"
        [message] = outbox_rows("recalculate_score")
        assert message.sent_at is not None
        db.session.commit()
        worker = start_worker(service_env(POSTGRES_URL, REDIS_URL), tmp_path / "worker.log", "request-id")
        processes.append(worker)
        wait_for(lambda: all_done("recalculate_score"), what="the worker to run the re-scoring")
    started = [e for e in json_lines(worker.text()) if e.get("logger") == "sello.task" and e.get("task_id") ==
               f"outbox-{message.id}"]  # fmt: skip
    assert started, worker.text()[-3000:]
    assert {e["request_id"] for e in started} == {"click-42"}
