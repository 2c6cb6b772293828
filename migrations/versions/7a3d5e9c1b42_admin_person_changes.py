"""admin: the record of admins' changes to people (role, active, organisation, invitation)

Revision ID: 7a3d5e9c1b42
Revises: 7c4f2e8a1d35
Create Date: 2026-11-29 12:15:00

Reviewed by hand: one new append-only, hash-chained table (a chain per person) with the same triggers as
the other decision records, which refuse UPDATE and DELETE.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a3d5e9c1b42'
down_revision = '7c4f2e8a1d35'
branch_labels = None
depends_on = None

TABLE = 'person_changes'
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sello_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'append-only record: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$body$
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=20), nullable=False),
        sa.Column('old', sa.String(length=200), nullable=False),
        sa.Column('new', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.ForeignKeyConstraint(['person_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'prev_hash', name='uq_person_changes_chain'),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_changes_person_id'), ['person_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_FUNCTION)
        op.execute(f'CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} '
                   'FOR EACH ROW EXECUTE FUNCTION sello_append_only()')  # fmt: skip
    else:
        for o in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{o.lower()} BEFORE {o} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only record: {o} on {TABLE} refused'); END")  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}')
    else:
        op.execute(f'DROP TRIGGER IF EXISTS {TABLE}_no_update')
        op.execute(f'DROP TRIGGER IF EXISTS {TABLE}_no_delete')
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_changes_person_id'))
    op.drop_table(TABLE)
