"""List pages answer as fast with 10,000 applications as with 100 (design §11: paginated, constant queries).

    .venv/bin/python -m bench.lists [--small 100] [--large 10000] [--requests 30]

Generates `--small` reviewed applications (2 reviews each, scored by the pipeline as the worker would; not
timed), times `--requests` requests of each list page through the test client (a facilitator's session; the
API list with a bearer token), then grows the data to `--large` applications and times them again. Both sizes
are measured after VACUUM ANALYZE, the state autovacuum brings a table to soon after a bulk insert. The row
gives the range, over the pages, of the ratio of the 95th percentiles (large / small).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

from sqlalchemy import select

from bench.common import Row, log, main, scratch_app
from bench.data import reviewed_applications
from certification.accounts.services import create_user
from certification.api.services import issue_token
from certification.extensions import db
from certification.scoring.pipeline import rescore_applications
from certification.seals.models import Standard
from certification.seals.queries import scoring_rules

GOAL = 1.3
PASSWORD = "scratch-bench-passphrase-7Qz"  # noqa: S105 - a scratch database's only login
PAGES = ("/applications", "/applications?state=under_review", "/dashboard", "/assignments", "/api/v1/applications")


def add_arguments(p) -> None:
    p.add_argument("--small", type=int, default=100)
    p.add_argument("--large", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=30, help="timed requests per page and size")


def p95(client, url: str, count: int, headers: dict) -> float:
    for _ in range(3):  # warm-up: caches, compiled statements, the pool
        assert client.get(url, headers=headers).status_code == 200, url
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def scored(standard: Standard, application_ids: list[int]) -> None:
    """Score the applications as the worker does after each submitted review, so each has its snapshot."""
    rules = scoring_rules(standard)
    for start in range(0, len(application_ids), 1000):
        rescore_applications(application_ids[start : start + 1000], rules)
    db.session.commit()


def vacuumed() -> None:
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(db.text("VACUUM ANALYZE"))


def run(args) -> list[Row]:
    with scratch_app(args) as app:
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        standard_id = standard.id
        scored(standard, reviewed_applications(standard_id, args.small, prefix="small"))
        create_user(email="lister@bench.example", name="Lister", role="facilitator", password=PASSWORD)
        raw, _token = issue_token("lister@bench.example", PASSWORD)
        client = app.test_client()
        login = client.post("/login", data={"email": "lister@bench.example", "password": PASSWORD})
        assert login.status_code == 303, login.status_code
        auth = {"Authorization": f"Bearer {raw}"}

        def measure() -> dict[str, float]:
            vacuumed()
            db.session.remove()
            # What generating the data left in this process is the harness's, not a server's: kept out of the
            # collector's way, as a preloaded server process keeps its start-up objects (gc.freeze).
            gc.collect()
            gc.freeze()
            return {url: p95(client, url, args.requests, auth if url.startswith("/api/") else {}) for url in PAGES}

        small = measure()
        started = time.perf_counter()
        standard = db.session.get(Standard, standard_id)
        scored(standard, reviewed_applications(standard_id, args.large - args.small, prefix="large"))
        log(f"  grown to {args.large:,} applications in {time.perf_counter() - started:.0f} s")
        large = measure()
    ratios = {url: large[url] / small[url] for url in PAGES}
    for url in PAGES:
        log(f"  {url}: p95 {small[url] * 1000:.1f} ms at {args.small:,}, {large[url] * 1000:.1f} ms at "
            f"{args.large:,} ({ratios[url]:.2f}×)")  # fmt: skip
    low, high = min(ratios.values()), max(ratios.values())
    slowest = max(PAGES, key=lambda url: large[url])
    return [Row(
        f"list pages at {args.large:,} vs {args.small:,} applications (p95 of {args.requests} requests, "
        f"{len(PAGES)} pages)",
        f"{low:.2f}–{high:.2f}×",
        f"≤ {GOAL}×",
        high <= GOAL,
        f"slowest at {args.large:,}: {slowest} {large[slowest] * 1000:.0f} ms",
    )]  # fmt: skip


if __name__ == "__main__":
    main(sys.modules[__name__])
