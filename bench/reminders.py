"""Reminders swept per second.

    .venv/bin/python -m bench.reminders --database postgresql+psycopg://postgres@127.0.0.1:5432/SCRATCH

Generates N accepted reviews one day overdue, each of its own reviewer (N due reminders; not timed), then
times one sweep that sends them all (ledger rows, in-app notifications, mails rendered in the reviewer's
language, outbox rows, publishing to the broker — the SMTP sending is the worker's job, not the sweep's)
and a second sweep over the same data that finds them all already sent.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bench.common import parser, scratch_app, wipe
from bench.data import overdue_assignments
from certification.extensions import db
from certification.notifications.models import MailMessage
from certification.reminders.services import sweep
from certification.seals.models import Standard


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    args = p.parse_args()
    _, _ctx = scratch_app(args.database, args.broker)
    print(f"{'reminders':>9} {'sweep s':>8} {'sent/s':>8} {'again s':>8} {'checked/s (again)':>18}")
    for size in args.sizes:
        wipe()
        standard = db.session.scalar(select(Standard).where(Standard.code == "GEN").order_by(Standard.id))
        overdue_assignments(standard.id, size)
        first = sweep()
        assert first.sent == size == first.due, first
        assert db.session.scalar(select(func.count()).select_from(MailMessage)) == size
        again = sweep()
        assert again.sent == 0 and again.due == size, again
        print(f"{size:>9} {first.seconds:>8.2f} {size / first.seconds:>8.0f} {again.seconds:>8.2f} "
              f"{size / again.seconds:>18.0f}", flush=True)  # fmt: skip
    wipe()


if __name__ == "__main__":
    main()
