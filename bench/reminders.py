"""Reminders swept per second.

    .venv/bin/python -m bench.reminders [--sizes 1000 100000] [--due-share 0.01]

Generates N accepted reviews, `--due-share` of them one day overdue and the others due in 60 days, each of
its own reviewer (not timed), then times one sweep that sends the due reminders (ledger rows, in-app
notifications, mails rendered in the reviewer's language, outbox rows, publishing to the broker — the SMTP
sending is the worker's job, not the sweep's) and a second sweep over the same data that finds them sent.
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
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="accepted assignments in the database")
    p.add_argument("--due-share", type=float, default=0.01,
                   help="the share of them one day overdue (the others due in 60 days: nothing to send)")  # fmt: skip


def run(args) -> list[Row]:
    rows = []
    with scratch_app(args):
        log(f"{'assignments':>11} {'due':>7} {'sweep s':>8} {'sent/s':>8} {'again s':>8}")
        for size in args.sizes:
            wipe()
            standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
            due = max(1, round(size * args.due_share))
            overdue_assignments(standard.id, due)
            if size > due:
                overdue_assignments(standard.id, size - due, prefix="later", days_overdue=-60)
            first = sweep()
            assert first.sent == due == first.due, first
            assert db.session.scalar(select(func.count()).select_from(MailMessage)) == due
            again = sweep()
            assert again.sent == 0 and again.due == due, again
            log(f"{size:>11} {due:>7} {first.seconds:>8.2f} {due / first.seconds:>8.0f} {again.seconds:>8.2f}")
            goal = GOAL * size / 100_000
            rows.append(Row(f"reminder sweep over {size:,} accepted assignments, {due:,} of them due",
                            f"{first.seconds:.2f} s (again, all sent: {again.seconds:.2f} s)", f"≤ {goal:g} s",
                            first.seconds <= goal))  # fmt: skip
    return rows


if __name__ == "__main__":
    main(sys.modules[__name__])
