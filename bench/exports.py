"""Time the staff exports and measure their peak memory (streamed: memory does not grow with rows).

    .venv/bin/python -m bench.exports [--sizes 1000 10000]

For each size: generate that many reviewed applications (2 reviews each, not timed), then run each export
(applications / scores / reviews × CSV / XLSX) through the real view with a facilitator's test client, reading
the streamed body chunk by chunk, and report rows (the CSV's lines less its header; the XLSX holds the same
rows), bytes, seconds, rows per second, and the peak of Python allocations (tracemalloc, measured on a second run
since tracing slows the first) while it ran. CSV is the format for large data: several times faster than XLSX,
whose ZIP-compressed XML is the floor however the rows are written.
"""

from __future__ import annotations

import time
import tracemalloc

from sqlalchemy import select

from bench.common import parser, scratch_app, wipe
from bench.data import reviewed_applications
from certification.accounts.services import create_user
from certification.extensions import db
from certification.seals.models import Standard

PASSWORD = "scratch-bench-passphrase-7Qz"  # noqa: S105 - a scratch database's only login


def read(client, url: str) -> tuple[int, int]:
    response = client.get(url)
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return lines, size


def measure(client, url: str) -> tuple[int, int, float, float]:
    """Time one run, then run it again under tracemalloc (which slows allocation-heavy code) for its peak."""
    started = time.perf_counter()
    lines, size = read(client, url)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read(client, url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return lines, size, seconds, peak / 2**20


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = p.parse_args()
    with scratch_app(args) as app:
        report(app, args)


def report(app, args) -> None:
    print(f"{'applications':>12} {'export':<22} {'rows':>8} {'MB':>7} {'seconds':>8} {'rows/s':>8} {'peak MiB':>9}")
    for size in args.sizes:
        wipe()
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        reviewed_applications(standard.id, size)
        create_user(email="exporter@bench.example", name="Exporter", role="facilitator", password=PASSWORD)
        client = app.test_client()
        assert client.post("/login", data={"email": "exporter@bench.example", "password": PASSWORD}).status_code == 303
        for kind in ("applications", "scores", "reviews"):
            rows = 0
            for extension in ("csv", "xlsx"):
                lines, size_bytes, seconds, peak = measure(client, f"/applications/export/{kind}.{extension}")
                rows = lines - 1 if extension == "csv" else rows
                label = f"{kind}.{extension}"
                rate = rows / seconds if seconds else 0
                print(f"{size:>12} {label:<22} {rows:>8} {size_bytes / 1e6:>7.2f} {seconds:>8.2f} {rate:>8.0f} "
                      f"{peak:>9.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
