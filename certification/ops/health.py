"""`/healthz`: the process answers (no I/O). `/readyz`: the database, Redis (when configured) and the evidence
store answer, each within READINESS_TIMEOUT seconds, checked at once; 503 naming what failed.

A load balancer takes a node out of rotation on /readyz and restarts it only on /healthz, so a database
outage does not restart every web process. The answer names the failed parts, never their addresses or
errors (those go to the log).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from certification.evidence.storage import make_storage
from certification.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("sello.ready")


@bp.get("/healthz")
def healthz():
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def _database(engine, timeout: float) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # SET takes no bound parameters; the value is a number computed here.
            connection.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
        connection.execute(sa.text("SELECT 1"))


def _redis(url: str, timeout: float) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _storage(config: dict, timeout: float) -> None:
    make_storage(config, timeout).ping()


def readiness(config: dict, engine) -> dict[str, str]:
    """{"database": "ok" | "failed" | "timeout", "redis": …, "storage": …}; Redis only when configured."""
    timeout = float(config.get("READINESS_TIMEOUT", 2))
    checks = {"database": lambda: _database(engine, timeout), "storage": lambda: _storage(config, timeout)}
    if config.get("REDIS_URL"):
        checks["redis"] = lambda: _redis(config["REDIS_URL"], timeout)
    results: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(check) for name, check in checks.items()}
        for name, future in futures.items():
            try:
                future.result(timeout=timeout)
                results[name] = "ok"
            except FutureTimeout:
                results[name] = "timeout"
                log.warning("readiness: %s did not answer within %s s", name, timeout)
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the log says which
                results[name] = "failed"
                log.warning("readiness: %s failed: %s: %s", name, type(exc).__name__, exc)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung check must not hold the answer
    return results


@bp.get("/readyz")
def readyz():
    results = readiness(current_app.config, db.engine)
    failed = sorted(name for name, result in results.items() if result != "ok")
    response = jsonify(status="unready" if failed else "ready", checks=results, failed=failed)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response
