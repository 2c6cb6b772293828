"""Reminders swept per second (design §8).

    .venv/bin/python -m bench.reminders [--sizes 1000 100000]

Generates N accepted reviews one day overdue, each of its own reviewer (N due reminders; not timed), then
times one sweep that sends them all (ledger rows, in-app notifications, mails rendered in the reviewer's
language, outbox rows, publishing to the broker — the SMTP sending is the worker's job, not the sweep's)
and a second sweep over the same data that finds them all already sent.
"""

from __future__ import annotations

import sys

from sqlalchemy import func, select

from bench.common import Row, log, main, scratch_app, wipe
from bench.data import overdue_assignments
from certification.extensions import db
from certification.notifications.models import MailMessage
from certification.reminders.services import sweep
from certification.seals.models import Standard

GOAL = 10.0  # seconds for 100,000 assignments


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000])


def run(args) -> list[Row]:
    rows = []
    with scratch_app(args):
        log(f"{'reminders':>9} {'sweep s':>8} {'sent/s':>8} {'again s':>8} {'checked/s (again)':>18}")
        for size in args.sizes:
            wipe()
            standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
            overdue_assignments(standard.id, size)
            first = sweep()
            assert first.sent == size == first.due, first
            assert db.session.scalar(select(func.count()).select_from(MailMessage)) == size
            again = sweep()
            assert again.sent == 0 and again.due == size, again
            log(f"{size:>9} {first.seconds:>8.2f} {size / first.seconds:>8.0f} {again.seconds:>8.2f} "
                f"{size / again.seconds:>18.0f}")  # fmt: skip
            goal = GOAL * size / 100_000
            rows.append(Row(f"reminder sweep over {size:,} due assignments (sent; again, all already sent)",
                            f"{first.seconds:.2f} s; again {again.seconds:.2f} s", f"≤ {goal:g} s",
                            first.seconds <= goal))  # fmt: skip
    return rows


if __name__ == "__main__":
    main(sys.modules[__name__])
