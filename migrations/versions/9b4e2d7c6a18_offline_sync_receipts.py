"""offline: score versions and the receipts of changes synced from reviewers' devices

Revision ID: 9b4e2d7c6a18
Revises: 7a3d5e9c1b42
Create Date: 2026-11-29 14:00:00

Reviewed by hand: review_scores gains a version counter (existing scores start at 1); offline_changes keeps
one row per applied change, unique per reviewer and idempotency key.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9b4e2d7c6a18'
down_revision = '7a3d5e9c1b42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.create_table(
        'offline_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('indicator_code', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_offline_changes_assignment_id_assignments')),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_offline_changes_reviewer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_changes')),
        sa.UniqueConstraint('reviewer_id', 'key', name='uq_offline_changes_reviewer_key'),
    )
    with op.batch_alter_table('offline_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_changes_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_changes_reviewer_id'), ['reviewer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('offline_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_changes_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_offline_changes_assignment_id'))
    op.drop_table('offline_changes')
    with op.batch_alter_table('review_scores', schema=None) as batch_op:
        batch_op.drop_column('version')
