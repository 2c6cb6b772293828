"""What an operator runs Sello with: health and readiness probes, JSON request logs with a request id that
follows the request into its Celery tasks, and the commands that check configuration, storage and outbox."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace

import pytest
from celery import Celery
from celery.signals import before_task_publish

from certification.evidence.services import upload
from certification.evidence.storage import LocalStorage
from certification.extensions import db
from certification.ops import logs
from certification.outbox.services import enqueue
from config.settings import Base, ConfigurationError, storage_problems
from tests import factories as f
from tests.s3_server import free_port
from tests.web.helpers import fresh_client


class Lines(logging.Handler):
    """The JSON lines Sello's loggers write, parsed."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.addFilter(logs.RequestIdFilter())
        self.entries: list[dict] = []

    def emit(self, record):
        self.entries.append(json.loads(self.format(record)))


@pytest.fixture
def lines():
    handler = Lines()
    for name in ("sello.request", "sello.task"):
        logging.getLogger(name).addHandler(handler)
    yield handler.entries
    for name in ("sello.request", "sello.task"):
        logging.getLogger(name).removeHandler(handler)


def test_healthz_answers_without_touching_anything(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in answer.headers


def test_readyz_is_green_when_the_database_and_the_storage_answer(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}, "failed": []}


def test_readyz_is_red_and_names_redis_when_redis_does_not_answer(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setitem(app.config, "READINESS_TIMEOUT", 1)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "unready" and body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] in ("failed", "timeout")
    assert "127.0.0.1" not in answer.get_data(as_text=True)  # addresses go to the log, not to the answer


def test_readyz_names_the_storage_when_the_bucket_does_not_answer(client, app, monkeypatch):
    settings = {"EVIDENCE_STORAGE": "s3", "EVIDENCE_S3_BUCKET": "nowhere", "READINESS_TIMEOUT": 1,
                "EVIDENCE_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "REDIS_URL": ""}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["failed"] == ["storage"]


def test_each_request_logs_one_json_line_with_its_id_which_the_response_echoes(client, app, lines):
    answer = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a.42"})
    assert answer.headers["X-Request-ID"] == "proxy-7f3a.42"
    (entry,) = [e for e in lines if e["logger"] == "sello.request"]
    assert entry["request_id"] == "proxy-7f3a.42"
    assert (entry["method"], entry["path"], entry["status"], entry["user_id"]) == ("GET", "/healthz", 200, None)
    assert entry["duration_ms"] >= 0 and entry["level"] == "INFO"


@pytest.mark.parametrize("incoming", ["", "two words", "x" * 129, "id<script>", "ünïcode", "-leading"])
def test_an_id_that_does_not_look_like_one_is_replaced_by_a_new_one(client, incoming):
    answer = client.get("/healthz", headers={"X-Request-ID": incoming})
    made = answer.headers["X-Request-ID"]
    assert made != incoming and len(made) == 32 and int(made, 16) >= 0


def test_the_user_of_a_request_is_logged(app, lines, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    walk = f.Walk()
    fresh_client(app, walk.applicant).get(f"/applications/{walk.id}")
    entry = [e for e in lines if e["logger"] == "sello.request"][-1]
    assert entry["user_id"] == walk.applicant.id and entry["status"] == 200
    f.release_session()


def test_the_request_id_travels_in_the_headers_of_the_tasks_the_request_publishes_and_is_logged_by_the_task(app, lines):
    published = []

    def capture(headers=None, **_):
        published.append(dict(headers))

    before_task_publish.connect(capture)
    token = logs.request_id_var.set("req-1234")
    try:
        # Published for real, to an in-memory broker (the app's own Celery runs tasks in process in tests).
        broker = Celery("probe", broker="memory://")
        broker.send_task("worker.tasks.relay_outbox")
        broker.close()
    finally:
        logs.request_id_var.reset(token)
        before_task_publish.disconnect(capture)
    assert published and published[0]["request_id"] == "req-1234"

    # The worker side: the header arrives as an attribute of the task's request.
    task = SimpleNamespace(name="worker.tasks.relay_outbox", request=SimpleNamespace(request_id="req-1234"))
    logs._task_started(task_id="t-1", task=task)
    assert logs.request_id_var.get() == "req-1234"
    logging.getLogger("sello.task").info("inside the task")
    logs._task_finished(task_id="t-1", task=task, state="SUCCESS")
    assert logs.request_id_var.get() is None
    task_lines = [e for e in lines if e["logger"] == "sello.task"]
    assert [e["request_id"] for e in task_lines] == ["req-1234"] * 3
    assert task_lines[0]["task"] == "worker.tasks.relay_outbox"


def test_config_check_shows_the_settings_without_secrets_and_what_production_lacks(app, runner):
    result = runner.invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output
    assert "database answers    ok" in result.output and "evidence storage    local" in result.output
    assert app.config["SECRET_KEY"] not in result.output
    strict = runner.invoke(args=["config", "check", "--production"])
    assert strict.exit_code == 1 and "SECRET_KEY is the development value" in strict.output


def test_outbox_status_counts_pending_and_failed_messages(app, runner):
    enqueue("recalculate_score", application_id=1)
    db.session.commit()
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "pending  1" in result.output and "failed   0" in result.output


def test_evidence_verify_finds_a_missing_and_a_changed_file(app, runner, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    walk = f.Walk()
    files = [upload(walk.applicant, walk.id, io.BytesIO(f.PDF + b"%" + bytes([65 + i]) * 50), "a.pdf",
                    [walk.essential[0]]) for i in range(3)]  # fmt: skip
    assert runner.invoke(args=["evidence", "verify"]).output.startswith("intact: 3 evidence file(s)")
    store = LocalStorage(app.config["EVIDENCE_DIR"])
    store.path(files[0].storage_key).unlink()
    store.path(files[1].storage_key).write_bytes(f.PDF)
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 1
    assert f"evidence {files[0].id}: file {files[0].storage_key} is missing" in result.output
    assert f"evidence {files[1].id}: file {files[1].storage_key} has {len(f.PDF)} bytes" in result.output
    f.release_session()


def test_a_storage_setting_that_cannot_work_stops_the_start_with_its_name():
    base = {"EVIDENCE_STORAGE": "local", "EVIDENCE_S3_BUCKET": "", "LOG_FORMAT": "json"}
    assert storage_problems(base) == []
    assert storage_problems({**base, "EVIDENCE_STORAGE": "s3"}) == ["EVIDENCE_S3_BUCKET (EVIDENCE_STORAGE is s3)"]
    assert "local or s3" in storage_problems({**base, "EVIDENCE_STORAGE": "nfs"})[0]
    assert "json or text" in storage_problems({**base, "LOG_FORMAT": "xml"})[0]
    with pytest.raises(ConfigurationError):
        Base.check({**base, "EVIDENCE_STORAGE": "s3"})
