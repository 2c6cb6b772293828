"""Tamper-evident decision records: append-only in the database and hash-chained.

A record model mixes in `ChainedRecord` and names the column of its subject (`__chain__`, e.g. the
application) and the fields its hash covers (`__hashed__`). Each subject has its own chain, so transitions
on different applications never wait for one another; within a chain the previous row is read while the
subject's row is locked by the service writing it, and the unique (subject, prev_hash) constraint refuses a
fork should two writers ever read the same previous row.

The hash is SHA-256 over sorted-key JSON of the hashed fields (prev_hash included), so changing, deleting,
reordering or inserting a row anywhere in a chain breaks it at that row. The database refuses UPDATE and
DELETE on these tables with triggers created both by the migration and by `db.create_all` (DDL events).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

GENESIS = ""  # prev_hash of a chain's first row
CHAINED: list[type] = []


class ChainedRecord:
    """Mixin of an append-only, hash-chained record table."""

    __chain__: str  # the column naming the chain's subject
    __hashed__: tuple[str, ...]  # the content fields the hash covers, besides prev_hash

    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            CHAINED.append(cls)
            event.listen(cls.__table__, "after_create", _create_triggers_ddl)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical(fields: dict) -> str:
    """The canonical text a row's hash is computed over: sorted-key, compact JSON of plain values."""
    return json.dumps(
        {key: _plain(value) for key, value in fields.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def content_hash(fields: dict) -> str:
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def hashed_fields(row) -> dict:
    """The fields a row's hash covers, read from a model instance (or a result row with those keys)."""
    return {name: getattr(row, name) for name in (*type(row).__hashed__, "prev_hash")}


# --- sealing new rows at flush ---------------------------------------------------------------------------


def _fill_defaults(obj) -> None:
    """Apply Python-side column defaults now: the hash must cover the values that will be stored."""
    for column in obj.__table__.columns:
        key = column.key
        if column.default is None or getattr(obj, key, None) is not None or column.primary_key:
            continue
        default = column.default
        if getattr(default, "is_scalar", False):
            setattr(obj, key, default.arg)
        elif getattr(default, "is_callable", False):
            setattr(obj, key, default.arg(None))


def _latest_hash(session: Session, cls, subject) -> str:
    with session.no_autoflush:
        latest = session.scalar(
            sa.select(cls.hash).where(getattr(cls, cls.__chain__) == subject).order_by(cls.id.desc()).limit(1)
        )
    return latest or GENESIS


@event.listens_for(Session, "before_flush")
def _seal_new_records(session: Session, flush_context, instances) -> None:
    """Chain every new record to the latest of its subject (rows added together, in the order added)."""
    new = [obj for obj in session.new if isinstance(obj, ChainedRecord)]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    last: dict[tuple[type, object], str] = {}
    for obj in new:
        _fill_defaults(obj)
        cls = type(obj)
        subject = getattr(obj, cls.__chain__)
        key = (cls, subject)
        if key not in last:
            last[key] = _latest_hash(session, cls, subject)
        obj.prev_hash = last[key]
        obj.hash = content_hash(hashed_fields(obj))
        last[key] = obj.hash


# --- the database refuses changes ------------------------------------------------------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sello_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'append-only record: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$body$
"""


def trigger_statements(table: str, dialect: str) -> list[str]:
    """The statements creating the append-only triggers of `table` on `dialect` (sqlite or postgresql)."""
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sello_append_only()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only record: {op} on {table} refused'); END"
            for op in ("UPDATE", "DELETE")
        ]
    return []


def drop_trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for op in ("update", "delete")]
    return []


def _create_triggers_ddl(table: sa.Table, connection: sa.Connection, **kw) -> None:
    for statement in trigger_statements(table.name, connection.dialect.name):
        connection.exec_driver_sql(statement)


def chained_tables() -> list[str]:
    return [cls.__tablename__ for cls in CHAINED]


def create_triggers(connection: sa.Connection) -> None:
    for table in chained_tables():
        for statement in trigger_statements(table, connection.dialect.name):
            connection.exec_driver_sql(statement)


def drop_triggers(connection: sa.Connection) -> None:
    """Only for maintenance and tests (e.g. emptying a test database): the app never calls it."""
    for table in chained_tables():
        for statement in drop_trigger_statements(table, connection.dialect.name):
            connection.exec_driver_sql(statement)


# --- verification ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first broken row of one chain."""

    table: str
    subject: object
    row_id: int
    problem: str  # "altered" (content does not match its hash) or "unlinked" (prev_hash is not the previous row's)

    def describe(self) -> str:
        return f"{self.table} chain {self.subject}: row {self.row_id} {self.problem}"


@dataclass(frozen=True)
class Verification:
    chains: int
    rows: int
    breaks: tuple[Break, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify_chains(session: Session) -> Verification:
    """Walk every chain of every record table in id order; report the first broken row of each chain."""
    breaks: list[Break] = []
    chains = rows = 0
    for cls in CHAINED:
        subject_column = getattr(cls, cls.__chain__)
        columns = [getattr(cls, name) for name in (*cls.__hashed__, "prev_hash", "hash", "id")]
        if cls.__chain__ not in cls.__hashed__:
            columns.append(subject_column)
        result = session.execute(sa.select(*columns).order_by(subject_column, cls.id)).mappings()
        for subject, chain in groupby(result, key=lambda row: row[cls.__chain__]):
            chain = list(chain)
            chains += 1
            rows += len(chain)
            expected_prev = GENESIS
            for row in chain:
                fields = {name: row[name] for name in (*cls.__hashed__, "prev_hash")}
                if row["prev_hash"] != expected_prev:
                    breaks.append(Break(cls.__tablename__, subject, row["id"], "unlinked"))
                    break
                if content_hash(fields) != row["hash"]:
                    breaks.append(Break(cls.__tablename__, subject, row["id"], "altered"))
                    break
                expected_prev = row["hash"]
    return Verification(chains=chains, rows=rows, breaks=tuple(breaks))
