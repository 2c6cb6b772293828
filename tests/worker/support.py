"""Helpers for the background-work tests: a Celery app on a real Redis for the test process, real worker and
beat processes, a throwaway Redis server, and an SMTP server on loopback that counts what it receives."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import kombu.pools

from config.celery import celery_settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# CI exports REDIS_URL_TEST; on a shared development machine each engineer uses their own DB number.
REDIS_URL = os.environ.get("REDIS_URL_TEST") or os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
DEADLINE = 60.0


def wait_for(predicate, timeout: float = DEADLINE, what: str = "the condition", interval: float = 0.05):
    """Poll `predicate` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        threading.Event().wait(interval)


@contextlib.contextmanager
def broker(app, url: str):
    """The test process publishes to `url` (not in process) while inside; the app's own Celery after."""
    from worker import celery_init_app

    old_settings, old_celery = app.config["CELERY"], app.extensions["celery"]
    app.config["CELERY"] = celery_settings(url)
    celery = celery_init_app(app)
    try:
        yield celery
    finally:
        app.config["CELERY"] = old_settings
        app.extensions["celery"] = old_celery
        old_celery.set_default()
        _drop_pools(celery)


def _drop_pools(celery) -> None:
    """Close this app's broker connections and forget its pools in kombu's global registries (keyed by
    broker URL), so that a later app on the same URL gets fresh ones and other apps keep theirs."""
    from kombu.utils.collections import eqhash

    connection = celery.connection_for_write()
    try:
        key = eqhash(connection)
        for group in (kombu.pools.producers, kombu.pools.connections):
            pool = dict.pop(group, key, None)
            if pool is not None:
                with contextlib.suppress(Exception):
                    pool.force_close_all()
    finally:
        connection.release()
    celery.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole group (a prefork worker's parent and children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def service_env(database_url: str, redis_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "OUTBOX_", "RESCORE_"))}
    env.update({
        "SELLO_CONFIG": "testing", "TEST_DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "OUTBOX_LEASE_SECONDS": "3", "OUTBOX_RELAY_GRACE_SECONDS": "0", "OUTBOX_UNSENT_GRACE_SECONDS": "0",
        "OUTBOX_RESEND_AFTER_SECONDS": "600", "OUTBOX_RELAY_SECONDS": "1", "PYTHONUNBUFFERED": "1",
    })  # fmt: skip
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(env: dict, log: Path, name: str, pool: str = "prefork", concurrency: int = 1) -> Process:
    worker = Process(
        [str(BIN / "celery"), "-A", "worker.celery_app", "worker", f"--pool={pool}", f"--concurrency={concurrency}",
         "--loglevel=info", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"],
        env, log,
    )  # fmt: skip
    wait_for(lambda: "ready." in worker.text() or worker.proc.poll() is not None, what=f"worker {name} to start")
    assert worker.proc.poll() is None, worker.text()[-3000:]
    return worker


def start_beat(env: dict, log: Path, schedule: Path) -> Process:
    beat = Process([str(BIN / "celery"), "-A", "worker.celery_app", "beat", "--loglevel=info", "--schedule",
                    str(schedule)], env, log)  # fmt: skip
    wait_for(lambda: "beat: Starting" in beat.text() or beat.proc.poll() is not None, what="beat to start")
    assert beat.proc.poll() is None, beat.text()[-3000:]
    return beat


class ThrowawayRedis:
    """Our own redis-server on a spare port, to stop and start (never the shared one on 6379)."""

    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = Process(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--daemonize", "no"], dict(os.environ), self.log)  # fmt: skip
        wait_for(self._answers, timeout=20, what="redis-server to answer")

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.stop()
            self.process = None


class CountingSMTP:
    """aiosmtpd on loopback: keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self._lock = threading.Lock()
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                from email import message_from_bytes

                with outer._lock:
                    outer.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def count(self) -> int:
        with self._lock:
            return len(self.messages)
