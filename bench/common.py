"""What every benchmark shares: the runner protocol, a scratch PostgreSQL database, an app on it, the table.

The protocol (`make bench` = `python -m bench` imports each module named in `bench.__main__.BENCHMARKS`):

- a benchmark is a module `bench/<name>.py` with
      def run(args: argparse.Namespace) -> list[Row]
  and, optionally, `def add_arguments(p: argparse.ArgumentParser) -> None` for its own options; every option
  needs a default, because the runner calls `run` with the defaults (plus the common options below);
- `run` makes its own data in its own scratch database (`with scratch_app(args) as app:` creates
  `sello_bench_<pid>_<random>` on the server of `--postgres`, loads the standards, and drops the database at
  the end, even on failure) and returns one `Row` per line of the table: Sello's figure, the anchor measured
  in the same run (or "—"), their ratio, the goal and whether it is met (None when it cannot be said);
- a module also runs alone: `if __name__ == "__main__": main(sys.modules[__name__])` parses its options
  (`python -m bench.<name> --help`) and prints the same table with its rows only;
- what a benchmark tells on the way (progress, detail, profiles) goes to stderr; the table goes to stdout.

Common options: `--postgres` (the server where scratch databases are created; default $BENCH_POSTGRES_URL,
else postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and `--broker` (memory:// by default).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from certification.extensions import db
from certification.seals.services import load_standards
from config.celery import celery_settings

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PREFIX = "sello_bench_"


@dataclass
class Row:
    """One line of the table. Figures are already formatted with their unit ("124 req/s", "0.97 s")."""

    measure: str
    sello: str
    goal: str
    met: bool | None
    anchor: str = "—"
    ratio: str = "—"


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                   help="SQLAlchemy URL of the PostgreSQL server where each benchmark creates (and drops) its "
                        "own scratch database sello_bench_<pid>_<random>")  # fmt: skip
    p.add_argument(
        "--broker",
        default="memory://",
        help="Where tasks are published (memory:// = publish cost without a server; a redis:// URL)",
    )
    return p


def module_parser(module: ModuleType) -> argparse.ArgumentParser:
    p = parser((module.__doc__ or module.__name__).splitlines()[0])
    if hasattr(module, "add_arguments"):
        module.add_arguments(p)
    return p


def _admin_engine(server: str) -> sa.Engine:
    url = make_url(server).set(database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on `server` for as long as the block runs; yields its URL."""
    name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin_engine(server)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def scratch_app(args: argparse.Namespace, **settings) -> Iterator:
    """The app on a new scratch database holding the schema and the standards, inside its app context."""
    with scratch_database(args.postgres) as url:
        app = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url,
                          "CELERY": celery_settings(args.broker), **settings})  # fmt: skip
        with app.app_context():
            db.create_all()
            load_standards()
            log(f"database {db.engine.url.render_as_string(hide_password=True)}, broker {args.broker}")
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def wipe() -> None:
    """Empty every table of the scratch database and load the standards again (between sizes of one run)."""
    db.session.remove()
    db.drop_all()
    db.create_all()
    load_standards()


def ratio(value: float, anchor: float) -> float:
    return value / anchor if anchor else float("inf")


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table (what `make bench` prints and the README shows)."""
    header = ("measure", "Sello", "anchor in the same run", "ratio", "goal", "met?")
    lines = [header, ("---",) * len(header)]
    for row in rows:
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        lines.append((row.measure, row.sello, row.anchor, row.ratio, row.goal, met))
    return "\n".join(
        "| " + " | ".join(" ".join(c.split()).replace("|", "\\|") for c in cells) + " |" for cells in lines
    )


def main(module: ModuleType, argv: list[str] | None = None) -> None:
    """Run one benchmark module alone and print its rows."""
    args = module_parser(module).parse_args(argv)
    print(table(module.run(args)), flush=True)
