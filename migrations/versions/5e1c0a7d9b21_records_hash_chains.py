"""records: hash-chained, append-only decision records

Revision ID: 5e1c0a7d9b21
Revises: 5e7a1c2d9b40
Create Date: 2026-11-29 11:30:00

Reviewed by hand. Application history, moderations, standard history and calibrations gain prev_hash and
hash (existing rows are chained in id order here, per subject); moderations become a history (the unique
(application, indicator) goes: a new row per moderation); certificates gain decision_hash and a new
certificate_status_changes chain (each existing certificate gets one "recorded" row with its current
status). Last, the triggers that refuse UPDATE and DELETE on these tables.
"""

import enum
import hashlib
import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e1c0a7d9b21'
down_revision = '5e7a1c2d9b40'
branch_labels = None
depends_on = None

# (table, subject column, hashed fields, {field: type} where the raw value needs decoding)
CHAINS = (
    ('application_history', 'application_id',
     ('application_id', 'event', 'from_state', 'to_state', 'actor_id', 'reason', 'details', 'at'),
     {'details': sa.JSON(), 'at': sa.DateTime(timezone=True)}),
    ('moderations', 'application_id',
     ('application_id', 'indicator_id', 'score', 'justification', 'moderator_id', 'at'),
     {'score': sa.Float(), 'at': sa.DateTime(timezone=True)}),
    ('standard_history', 'standard_id',
     ('standard_id', 'from_status', 'to_status', 'actor_id', 'reason', 'at'),
     {'at': sa.DateTime(timezone=True)}),
    ('standard_calibrations', 'standard_id',
     ('standard_id', 'actor_id', 'reason', 'changes', 'rescore_job_id', 'at'),
     {'changes': sa.JSON(), 'at': sa.DateTime(timezone=True)}),
)  # fmt: skip
CERTIFICATE_CHAIN = ('certificate_id', 'event', 'from_status', 'to_status', 'at')

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sello_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'append-only record: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$body$
"""
TABLES = ('application_history', 'moderations', 'standard_history', 'standard_calibrations',
          'certificate_status_changes')  # fmt: skip


# The canonical form of certification.records, frozen here as it was when these rows were chained.
def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec='microseconds')
    if isinstance(value, date):
        return value.isoformat()
    return value


def _hash(fields: dict) -> str:
    text = json.dumps({k: _plain(v) for k, v in fields.items()}, sort_keys=True, separators=(',', ':'),
                      ensure_ascii=False, default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def _chain_existing(bind, table_name, subject, fields, types) -> dict[int, str]:
    columns = [sa.column(name, types.get(name)) for name in dict.fromkeys(('id', subject, *fields))]
    table = sa.table(table_name, *columns, sa.column('prev_hash'), sa.column('hash'))
    hashes: dict[int, str] = {}
    last: dict = {}
    rows = bind.execute(sa.select(*columns).order_by(table.c[subject], table.c.id)).mappings().all()
    for row in rows:
        prev = last.get(row[subject], '')
        digest = _hash({**{name: row[name] for name in fields}, 'prev_hash': prev})
        bind.execute(table.update().where(table.c.id == row['id']).values(prev_hash=prev, hash=digest))
        last[row[subject]] = digest
        hashes[row['id']] = digest
    return hashes


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('certificate_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.Enum('valid', 'suspended', 'revoked', 'expired', name='from_status', native_enum=False, length=32, create_constraint=True), nullable=True),
    sa.Column('to_status', sa.Enum('valid', 'suspended', 'revoked', 'expired', name='to_status', native_enum=False, length=32, create_constraint=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_status_changes_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_status_changes')),
    sa.UniqueConstraint('certificate_id', 'prev_hash', name='uq_certificate_status_changes_chain')
    )  # fmt: skip
    with op.batch_alter_table('certificate_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_status_changes_certificate_id'), ['certificate_id'], unique=False)

    for table, _subject, _fields, _types in CHAINS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_hash', sa.String(length=64), nullable=True))

    history_hashes = {}
    for table, subject, fields, types in CHAINS:
        hashes = _chain_existing(bind, table, subject, fields, types)
        if table == 'application_history':
            history_hashes = hashes

    # Existing certificates: the decision that issued them, and one "recorded" row with their current status.
    history = sa.table('application_history', sa.column('id'), sa.column('application_id'), sa.column('event'))
    certificates = sa.table('certificates', sa.column('id'), sa.column('application_id'), sa.column('status'),
                            sa.column('decision_hash'))  # fmt: skip
    changes = sa.table('certificate_status_changes', *(sa.column(c) for c in (*CERTIFICATE_CHAIN, 'prev_hash', 'hash')))
    now = datetime.now(UTC)
    for certificate_id, application_id, status in bind.execute(
        sa.select(certificates.c.id, certificates.c.application_id, certificates.c.status)
    ).all():
        issued_by = bind.scalar(
            sa.select(sa.func.min(history.c.id)).where(history.c.application_id == application_id,
                                                        history.c.event == 'certify')
        )  # fmt: skip
        if issued_by is not None:
            bind.execute(certificates.update().where(certificates.c.id == certificate_id)
                         .values(decision_hash=history_hashes[issued_by]))  # fmt: skip
        fields = {'certificate_id': certificate_id, 'event': 'recorded', 'from_status': None, 'to_status': status,
                  'at': now, 'prev_hash': ''}  # fmt: skip
        bind.execute(changes.insert().values(**fields, hash=_hash(fields)))

    for table, _subject, _fields, _types in CHAINS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
            batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
            if table == 'moderations':
                batch_op.drop_constraint('uq_moderations_application_indicator', type_='unique')
            batch_op.create_unique_constraint(f'uq_{table}_chain', ['application_id' if table in (
                'application_history', 'moderations') else 'standard_id', 'prev_hash'])  # fmt: skip

    for table in TABLES:
        for statement in _trigger_statements(table, bind.dialect.name):
            op.execute(statement)


def _trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == 'postgresql':
        return [_PG_FUNCTION, f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}',
                f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                'FOR EACH ROW EXECUTE FUNCTION sello_append_only()']  # fmt: skip
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{o.lower()} BEFORE {o} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only record: {o} on {table} refused'); END"
            for o in ('UPDATE', 'DELETE')]  # fmt: skip


def downgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
        else:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_delete')
    if bind.dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS sello_append_only()')
    # Moderations go back to one row per indicator: keep only the latest of each.
    op.execute('DELETE FROM moderations WHERE id NOT IN (SELECT max(id) FROM moderations GROUP BY application_id, indicator_id)')
    for table, _subject, _fields, _types in reversed(CHAINS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_chain', type_='unique')
            if table == 'moderations':
                batch_op.create_unique_constraint('uq_moderations_application_indicator', ['application_id', 'indicator_id'])
            batch_op.drop_column('hash')
            batch_op.drop_column('prev_hash')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('decision_hash')
    with op.batch_alter_table('certificate_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_status_changes_certificate_id'))
    op.drop_table('certificate_status_changes')
