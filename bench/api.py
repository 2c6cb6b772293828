"""API reads per second under gunicorn, beside a hello-world Flask app under the same gunicorn settings.

    .venv/bin/python -m bench.api [--seconds 5] [--connections 16]

Generates one application under review (self-assessed, two submitted reviews; not timed) and a facilitator's
bearer token, then serves Sello with `gunicorn -c config/gunicorn.py` (production settings, 2 workers) and
drives `wrk -c16` at `GET /api/v1/applications/{id}` and `GET /api/v1/me`, and serves bench/hello.py with the
same gunicorn settings at the same time and drives wrk at it the same way, alternating the runs. Only answers
200 count: wrk's non-2xx count fails the run. Needs Debian's `wrk` (`apt-get install -y wrk`): without it the
rows say so.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from bench.common import Row, log, main, scratch_app
from bench.data import reviewed_applications
from certification.accounts.services import create_user
from certification.api.services import issue_token
from certification.extensions import db
from certification.seals.models import Standard

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.25  # of hello-world's requests per second
PASSWORD = "scratch-bench-passphrase-7Qz"  # noqa: S105 - a scratch database's only login


def add_arguments(p) -> None:
    p.add_argument("--seconds", type=int, default=5, help="wrk duration per URL")
    p.add_argument("--connections", type=int, default=16, help="wrk -c")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (both apps)")
    p.add_argument("--rounds", type=int, default=2, help="alternated wrk runs per URL (the mean is reported)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(target: str, workers: int, env: dict[str, str]) -> Iterator[str]:
    """`target` served by gunicorn with config/gunicorn.py on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    logfile = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server stopped
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py"), target]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=logfile, stderr=logfile)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()  # noqa: S310 - our own loopback server
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    logfile.seek(0)
                    raise RuntimeError(f"gunicorn {target} did not start:\n{logfile.read().decode()[-2000:]}") from exc
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        logfile.close()


def wrk(url: str, args, headers: dict[str, str] | None = None) -> float:
    """Requests per second wrk reaches on `url`; every answer must be a 2xx."""
    # wrk counts an answer slower than its 2 s default timeout as an error: a loaded machine is not one.
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "30s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p99 = re.search(r"99%\s+(\S+)", out)
    log(f"  {url}: {rate:,.0f} req/s (p99 {p99[1] if p99 else '?'})")
    return rate


def check(url: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own loopback server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200, (url, response.status)


def run(args) -> list[Row]:
    measures = ("GET /api/v1/applications/{id} with a token", "GET /api/v1/me with a token")
    goal = f"≥ {GOAL:.0%} of hello-world"
    setup = f", gunicorn {args.workers} workers, wrk -c{args.connections}, {args.rounds} × {args.seconds} s"
    if shutil.which("wrk") is None:
        log("wrk is not installed: `apt-get install -y wrk` (Debian) — bench.api measured nothing")
        return [Row(m, "not measured: wrk is not installed (apt-get install -y wrk)", goal, None) for m in measures]
    with scratch_app(args) as app:
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        application_id = reviewed_applications(standard.id, 1)[0]
        create_user(email="reader@bench.example", name="Reader", role="facilitator", password=PASSWORD)
        raw, _token = issue_token("reader@bench.example", PASSWORD)
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        db.session.remove()
        env = {"SELLO_CONFIG": "production", "DATABASE_URL": database, "SECRET_KEY": secrets.token_urlsafe(32),
               "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")}  # fmt: skip
        auth = {"Authorization": f"Bearer {raw}"}
        urls = (f"/api/v1/applications/{application_id}", "/api/v1/me")
        with (
            gunicorn("app:create_app()", args.workers, env) as sello,
            gunicorn("bench.hello:app", args.workers, {}) as hello,
        ):
            for url in urls:
                check(sello + url, auth)
            # Alternated, so that the load of other processes on the machine weighs on both sides alike.
            runs = {url: 0.0 for url in urls} | {"hello": 0.0}
            for _ in range(args.rounds):
                runs["hello"] += wrk(hello + "/", args) / args.rounds
                for url in urls:
                    runs[url] += wrk(sello + url, args, auth) / args.rounds
    hello = runs["hello"]
    rates = [runs[url] for url in urls]
    anchor = f"hello-world Flask app, same gunicorn: {hello:,.0f} req/s"
    return [
        Row(measure + setup, f"{rate:,.0f} req/s", goal, rate / hello >= GOAL, anchor, f"{rate / hello:.1%}")
        for measure, rate in zip(measures, rates, strict=True)
    ]


if __name__ == "__main__":
    main(sys.modules[__name__])
