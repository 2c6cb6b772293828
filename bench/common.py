"""What both benchmarks share: an app on a scratch database (wiped!), with the standards loaded."""

from __future__ import annotations

import argparse
import os
import sys

from app import create_app
from certification.extensions import db
from config.celery import celery_settings


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", ""),
                   help="SQLAlchemy URL of a SCRATCH database: every table in it is dropped and recreated "
                        "(default: $BENCH_DATABASE_URL, else bench/.data/bench.db on SQLite)")  # fmt: skip
    p.add_argument(
        "--broker",
        default="memory://",
        help="Where tasks are published (memory:// = publish cost without a server; a redis:// URL)",
    )
    return p


def scratch_app(database: str, broker: str):
    if not database:
        os.makedirs(os.path.join(os.path.dirname(__file__), ".data"), exist_ok=True)
        database = "sqlite:///" + os.path.join(os.path.dirname(__file__), ".data", "bench.db")
    app = create_app(
        {"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database, "CELERY": celery_settings(broker)}
    )
    ctx = app.app_context()
    ctx.push()
    db.drop_all()
    db.create_all()
    from certification.seals.services import load_standards

    load_standards()
    print(f"database {db.engine.url.render_as_string(hide_password=True)} ({db.engine.dialect.name}), "
          f"broker {broker}", file=sys.stderr)  # fmt: skip
    return app, ctx


def wipe() -> None:
    db.session.remove()
    db.drop_all()
    db.create_all()
    from certification.seals.services import load_standards

    load_standards()
