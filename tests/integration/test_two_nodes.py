"""Two web nodes — two gunicorn processes on two ports, started with config/gunicorn.py — sharing one
PostgreSQL database, one Redis and one bucket, as behind a load balancer: nothing a request needs lives in
one node's memory or on one node's disk.

Redis here is a throwaway redis-server started on a free port for this test (so it can be stopped), never
the machine's own.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from certification.extensions import db
from certification.seals.services import load_standards
from tests import factories as f
from tests import services
from tests.conftest import service_missing
from tests.s3_server import CREDENTIALS, bucket_settings, free_port, s3_endpoint, wait_for_port  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
BODY = f.PDF + b"%" + b"evidence shared by both nodes " * 4000 + b"\n"


@pytest.fixture(scope="module")
def database():
    """A database of its own for the nodes, named so that a crashed run's copy is dropped by the next run."""
    problem = services.ensure_postgres_database()
    if problem:
        service_missing(problem)
    name = f"{services._PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = services._admin_engine()
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(services.BASE_POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("redis")
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server is not installed")
    port = free_port()
    log = (tmp_path / "redis.log").open("wb")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=log, stderr=log)  # fmt: skip
    wait_for_port(port, process)
    yield SimpleServer(process, port)
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)
    log.close()


class SimpleServer:
    def __init__(self, process, port):
        self.process, self.port = process, port

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def prepare(database_url: str, monkeypatch) -> dict:
    """Tables, standards and one application with its applicant, written as the nodes will read them."""
    f.fast_password_hashing(monkeypatch)
    app = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        load_standards()
        walk = f.Walk()
        facts = {"email": walk.applicant.email, "id": walk.id, "code": walk.essential[0]}
        db.session.remove()
        db.engine.dispose()
    return facts


@pytest.fixture(scope="module")
def shared_bucket(s3_endpoint):  # noqa: F811
    name = f"sello-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=CREDENTIALS[
        "AWS_ACCESS_KEY_ID"], aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip
    client.create_bucket(Bucket=name)
    yield name, client
    client.close()


@pytest.fixture(scope="module")
def nodes(database, redis_server, shared_bucket, s3_endpoint, tmp_path_factory):  # noqa: F811
    """Started once for the module: the tests below run in order, the one stopping Redis last."""
    name, _client = shared_bucket
    tmp_path = tmp_path_factory.mktemp("nodes")
    with pytest.MonkeyPatch.context() as monkeypatch:
        facts = prepare(database, monkeypatch)
    env = {
        **os.environ, **CREDENTIALS, **{k: str(v) for k, v in bucket_settings(s3_endpoint, name).items()},
        "SELLO_CONFIG": "development", "SECRET_KEY": "two-nodes-" + "s" * 40, "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0", "GUNICORN_WORKERS": "1",
        "READINESS_TIMEOUT": "1", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    started = []
    for number in (1, 2):
        port = free_port()
        log = (tmp_path / f"node{number}.log").open("wb")
        node_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "EVIDENCE_DIR": str(tmp_path / f"disk{number}")}
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py"), "app:create_app()"],
            cwd=ROOT, env=node_env, stdout=log, stderr=log,
        )  # fmt: skip
        started.append((process, log, f"http://127.0.0.1:{port}"))
    try:
        for process, _log, url in started:
            wait_for_port(int(url.rsplit(":", 1)[1]), process, seconds=60)
        yield SimpleNamespaceNodes([url for _p, _l, url in started], facts, redis_server, shared_bucket)
    finally:
        for process, log, _url in started:
            process.terminate()
            process.wait(timeout=30)
            log.close()


class SimpleNamespaceNodes:
    def __init__(self, urls, facts, redis, shared_bucket):
        self.urls, self.facts, self.redis, self.bucket = urls, facts, redis, shared_bucket


def token(node: str, email: str, password: str = f.PASSWORD) -> requests.Response:
    return requests.post(f"{node}/api/v1/auth/tokens", json={"email": email, "password": password}, timeout=30)


def login(session: requests.Session, node: str, email: str) -> int:
    page = session.get(f"{node}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    answer = session.post(f"{node}/login", data={"csrf_token": csrf, "email": email, "password": f.PASSWORD},
                          allow_redirects=False, timeout=30)  # fmt: skip
    return answer.status_code


def test_an_upload_on_one_node_downloads_from_the_other(nodes):
    first, second = nodes.urls
    bearer = {"Authorization": f"Bearer {token(first, nodes.facts['email']).json()['token']}"}
    answer = requests.post(f"{first}/api/v1/applications/{nodes.facts['id']}/evidence", headers=bearer,
                           files={"file": ("acta.pdf", io.BytesIO(BODY))}, data={"indicators": nodes.facts["code"]},
                           timeout=60)  # fmt: skip
    assert answer.status_code == 201, answer.text
    download = requests.get(f"{second}/api/v1/evidence/{answer.json()['id']}/content", headers=bearer, timeout=60)
    assert download.status_code == 200 and download.content == BODY
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Request-ID"]


def test_a_logout_on_one_node_ends_the_session_on_the_other(nodes):
    first, second = nodes.urls
    browser = requests.Session()
    assert login(browser, first, nodes.facts["email"]) == 303
    shared = browser.get(f"{second}/applications/{nodes.facts['id']}", allow_redirects=False, timeout=30)
    assert shared.status_code == 200
    page = browser.get(f"{first}/applications/{nodes.facts['id']}", timeout=30).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    copy = requests.Session()  # a copy of the cookie taken before the logout must not work anywhere either
    copy.cookies.update({c.name: c.value for c in browser.cookies})
    logout = browser.post(f"{first}/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=30)
    assert logout.status_code == 303
    after = copy.get(f"{second}/applications/{nodes.facts['id']}", allow_redirects=False, timeout=30)
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_a_login_limit_reached_on_one_node_holds_on_the_other(nodes):
    first, second = nodes.urls
    email = nodes.facts["email"]
    for _ in range(5):
        assert token(first, email, "wrong password").status_code == 401
    refused = token(second, email)
    assert refused.status_code == 429, refused.text


def test_readiness_turns_red_on_every_node_when_redis_stops(nodes):
    for node in nodes.urls:
        answer = requests.get(f"{node}/readyz", timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"] == {"database": "ok", "storage": "ok", "redis": "ok"}
    nodes.redis.stop()
    for node in nodes.urls:
        answer = requests.get(f"{node}/readyz", timeout=30)
        assert answer.status_code == 503 and answer.json()["failed"] == ["redis"]
        assert requests.get(f"{node}/healthz", timeout=30).status_code == 200  # the process itself is fine
